/**
 * A minimal SigV4 signer for tests that send raw HTTP: it signs exactly the query string and
 * body bytes it is given (even malformed ones), so a test can mutate a request first and still
 * get past authentication to the decoder. The query is canonicalised the way AWS and Phantom
 * read it (`URLSearchParams` decoding), everything else follows the SigV4 specification.
 */
import { createHash, createHmac } from "node:crypto";

/** An access key and its secret. */
export interface SigningKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What gets signed. `headers` must include `host`; every header given is signed. */
export interface RequestToSign {
  readonly method: string;
  readonly path: string;
  /** Without the leading `?`; "" when none. */
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
}

/** Scope and time of a signature; defaults: now, `us-east-1`, `autoscaling`. */
export interface SigningOptions {
  readonly date?: Date;
  readonly region?: string;
  readonly service?: string;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(rfc3986(segment));
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  return `/${segments.join("/")}${trailing}`;
}

function canonicalQuery(rawQuery: string): string {
  const pairs = [...new URLSearchParams(rawQuery)].map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
  pairs.sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** `20261126T113724Z`. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}/, "").replace(/[-:]/g, "");
}

/**
 * Returns the request's headers plus `x-amz-date` and `authorization` (names in lower case).
 * An `x-amz-date` already among the headers is kept and signed as given.
 */
export function signV4(req: RequestToSign, keys: SigningKeys, options: SigningOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value;
  const time = headers["x-amz-date"] ?? amzDate(options.date ?? new Date());
  headers["x-amz-date"] = time;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/[ \t]+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const payloadHash = createHash("sha256").update(req.body).digest("hex");
  const canonicalRequest = [req.method, canonicalUri(req.path), canonicalQuery(req.rawQuery), canonicalHeaders, signedHeaders, payloadHash].join(
    "\n",
  );
  const scope = `${time.slice(0, 8)}/${options.region ?? "us-east-1"}/${options.service ?? "autoscaling"}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${time}\n${scope}\n${createHash("sha256").update(canonicalRequest, "latin1").digest("hex")}`;
  let key = createHmac("sha256", `AWS4${keys.secretAccessKey}`).update(time.slice(0, 8)).digest();
  for (const part of [options.region ?? "us-east-1", options.service ?? "autoscaling", "aws4_request"]) {
    key = createHmac("sha256", key).update(part).digest();
  }
  const signature = createHmac("sha256", key).update(stringToSign, "latin1").digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** `application/x-www-form-urlencoded` encoding of parameters, RFC 3986 style (`%20`, never `+`). */
export function formEncode(params: readonly (readonly [string, string])[]): string {
  return params.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join("&");
}

/** A signed Query form POST of `params` to `url` (default scope service `autoscaling`). */
export async function postSigned(
  url: string,
  keys: SigningKeys,
  params: readonly (readonly [string, string])[],
  service = "autoscaling",
): Promise<{ status: number; body: string; requestId: string | null }> {
  const body = formEncode(params);
  const headers = signV4(
    { method: "POST", path: "/", rawQuery: "", headers: { host: new URL(url).host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body },
    keys,
    { service },
  );
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, body: await res.text(), requestId: res.headers.get("x-amzn-requestid") };
}
