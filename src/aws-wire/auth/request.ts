/**
 * The view of an HTTP request that signature verification needs. It is built from Node's
 * `IncomingMessage` by the HTTP layer; nothing here depends on `node:http`, so tests can build
 * requests by hand.
 */
import { incompleteSignature } from "./auth-errors.js";

/** What the verifier needs of an HTTP request. */
export interface SignedRequest {
  /** The request method as sent: "GET", "POST", … */
  readonly method: string;
  /** The path part of the request target, raw (still percent-encoded), e.g. "/". */
  readonly path: string;
  /** The raw query string after '?', "" when none. */
  readonly rawQuery: string;
  /**
   * Node's `req.rawHeaders`: alternating names and values, in the order sent, repeats kept.
   * Node decodes header bytes as latin1, so each character stands for one byte on the wire.
   */
  readonly rawHeaders: readonly string[];
  /** The raw body bytes. */
  readonly body: Buffer;
  /** Parameters decoded from the query string and (for form POSTs) the body, in order. */
  readonly params: readonly (readonly [string, string])[];
}

/**
 * The value of header `lowerName` (given in lower case), or `undefined` when it was not sent.
 * Repeats are joined with "," as HTTP allows, so a second `Authorization` or `X-Amz-Date`
 * cannot slip past the parser: the joined value is malformed and is rejected.
 */
export function findHeader(rawHeaders: readonly string[], lowerName: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) {
      const value = rawHeaders[i + 1] as string;
      found = found === undefined ? value : `${found},${value}`;
    }
  }
  return found;
}

/**
 * The value of parameter `name`, or `undefined` when absent. Throws `IncompleteSignature`
 * when it appears twice: for an authentication parameter, two values would leave it to chance
 * which one was checked and which one was meant.
 */
export function findAuthParam(params: readonly (readonly [string, string])[], name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of params) {
    if (key !== name) continue;
    if (found !== undefined) throw incompleteSignature(`Parameter '${name}' appears more than once.`);
    found = value;
  }
  return found;
}

/**
 * Headers that choose the service and the operation of an RPC request (JSON 1.0's
 * `X-Amz-Target`, RPC v2 CBOR's `smithy-protocol`), in lower case.
 */
export const ROUTING_HEADERS: readonly string[] = ["x-amz-target", "smithy-protocol"];

/** Whether a `Content-Type` value is `application/x-www-form-urlencoded`, whatever its parameters. */
export function isFormContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semicolon = value.indexOf(";");
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase() === "application/x-www-form-urlencoded";
}
