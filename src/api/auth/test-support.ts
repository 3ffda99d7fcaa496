/**
 * Helpers for the auth tests only: load the captured conformance requests and turn requests
 * into {@link SignedRequest}s the way the HTTP layer will.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPhantomError, type AwsErrorCode, type PhantomError } from "../../core/errors.js";
import type { SignedRequest } from "./request.js";
import type { SecretLookup } from "./authenticate.js";

/** The repository root: the nearest directory above `from` that holds a package.json. */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Query-string parameters, then form-body ones when the body is a form, in order. */
export function decodeParams(rawQuery: string, rawHeaders: readonly string[], body: Buffer): [string, string][] {
  const params = [...new URLSearchParams(rawQuery)];
  const contentType = headerOf(rawHeaders, "content-type") ?? "";
  if (contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    params.push(...new URLSearchParams(body.toString("utf8")));
  }
  return params;
}

function headerOf(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return undefined;
}

/** Builds a request from its parts, decoding the params as the HTTP layer will. */
export function makeRequest(parts: Omit<SignedRequest, "params">): SignedRequest {
  return { ...parts, params: decodeParams(parts.rawQuery, parts.rawHeaders, parts.body) };
}

/** A header value as Node hands it over: each UTF-8 byte becomes one latin1 character. */
export function asNodeHeader(value: string): string {
  return Buffer.from(value, "utf8").toString("latin1");
}

/** A secret lookup that knows one key. */
export function oneKey(accessKeyId: string, secret: string): SecretLookup {
  return (id) => Promise.resolve(id === accessKeyId ? secret : null);
}

/** One captured request from `shared/conformance/requests/`. */
export interface CapturedRequest {
  readonly name: string;
  readonly request: SignedRequest;
  /** The parameters the file lists after the request, to check the parsing against. */
  readonly listedParams: [string, string][];
}

const PARAMS_MARKER = "\n\n---- decoded parameters (query string + form body), in order ----\n";

/**
 * Parses one capture: request line, headers, blank line, exactly Content-Length bytes of body,
 * then the listed parameters. Read as latin1 so headers look as Node delivers them.
 */
export function parseCapture(name: string, file: Buffer): CapturedRequest {
  const text = file.toString("latin1");
  const headerEnd = text.indexOf("\n\n");
  const [requestLine = "", ...headerLines] = text.slice(0, headerEnd).split("\n");
  const [method = "", target = ""] = requestLine.split(" ");
  const rawHeaders: string[] = [];
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const length = Number(headerOf(rawHeaders, "content-length") ?? "0");
  const bodyStart = headerEnd + 2;
  const body = file.subarray(bodyStart, bodyStart + length);
  const rest = text.slice(bodyStart + length);
  if (!rest.startsWith(PARAMS_MARKER)) throw new Error(`${name}: body is not followed by the parameter list`);
  const listedParams = rest
    .slice(PARAMS_MARKER.length)
    .split("\n")
    .filter((line) => line !== "")
    .map((line): [string, string] => {
      const eq = line.indexOf(" = ");
      // The list is UTF-8 text; the file was read as latin1 to keep header bytes as Node has them.
      return [line.slice(0, eq), Buffer.from(line.slice(eq + 3), "latin1").toString("utf8")];
    });
  const q = target.indexOf("?");
  const request = makeRequest({
    method,
    path: q < 0 ? target : target.slice(0, q),
    rawQuery: q < 0 ? "" : target.slice(q + 1),
    rawHeaders,
    body,
  });
  return { name, request, listedParams };
}

/** Every capture in `requests/` and `requests/retries/`, located from the repository root. */
export function loadCaptures(): CapturedRequest[] {
  const base = join(repoRoot(), "..", "shared", "conformance", "requests");
  const out: CapturedRequest[] = [];
  for (const dir of [base, join(base, "retries")]) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".txt")).sort()) {
      out.push(parseCapture(name, readFileSync(join(dir, name))));
    }
  }
  return out;
}

/** Asserts that `promise` rejects with a Phantom error of `code`, and returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: AwsErrorCode, label = ""): Promise<PhantomError> {
  let error: unknown;
  await assert.rejects(promise, (e) => ((error = e), true));
  assert.ok(isPhantomError(error, code), `${label}${label === "" ? "" : ": "}expected ${code}, got ${String(error)}`);
  return error;
}
