/**
 * SigV4 for a client's Query request: a form POST to `/`, signed over `content-type`, `host` and
 * `x-amz-date` (and `x-amz-security-token` for temporary credentials), as the AWS CLI signs.
 * `phantom status` sends Phantom's own `DescribePhantomSites` with it, which no AWS SDK knows.
 */
import { createHash, createHmac } from "node:crypto";
import { formatAmzDate } from "./clock.js";
import { deriveSigningKey } from "./signing-key.js";
import { uriEncode } from "./uri-encode.js";

/** Credentials as the AWS SDK's providers resolve them. */
export interface ClientCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** The form content type the Query protocol reads. */
export const QUERY_FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8";

/** A form body of `[name, value]` pairs, RFC 3986 style. */
export function queryFormBody(params: readonly (readonly [string, string])[]): string {
  return params.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join("&");
}

/** The headers of a signed POST of `body` to `url` (whose path must be `/`). */
export function signQueryPost(
  credentials: ClientCredentials,
  request: { readonly url: URL; readonly body: string; readonly service: string; readonly region: string; readonly now: Date },
): Record<string, string> {
  const amzDate = formatAmzDate(request.now);
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { "content-type": QUERY_FORM_TYPE, host: request.url.host, "x-amz-date": amzDate };
  if (credentials.sessionToken !== undefined) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [
    "POST",
    "/",
    "",
    names.map((n) => `${n}:${headers[n]}\n`).join(""),
    names.join(";"),
    createHash("sha256").update(request.body, "utf8").digest("hex"),
  ].join("\n");
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical, "utf8").digest("hex")}`;
  const signature = createHmac("sha256", deriveSigningKey(credentials.secretAccessKey, day, request.region, request.service))
    .update(stringToSign, "utf8")
    .digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return headers;
}
