/**
 * Signature Version 2: an HMAC over the method, host, path and sorted parameters, carried in
 * the parameters themselves (query string for GET, form body for POST). Old, but boto 2 and
 * some tools still speak it.
 */
import { createHmac } from "node:crypto";
import type { AuthResult, SecretLookup } from "./authenticate.js";
import { incompleteSignature, invalidClientTokenId, notAQueryRequest, requestExpired, signatureDoesNotMatch } from "./auth-errors.js";
import { compareParams, type Param } from "./canonical.js";
import { checkClockSkew, MAX_SIGNATURE_LIFETIME_S, parseIsoTimestamp } from "./clock.js";
import { signaturesEqual } from "./constant-time.js";
import { findAuthParam, findHeader, isFormContentType, ROUTING_HEADERS, type SignedRequest } from "./request.js";
import { uriEncode } from "./uri-encode.js";

/** `SignatureMethod` values and the node:crypto HMAC digest each names. */
const HMAC_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ["HmacSHA256", "sha256"],
  ["HmacSHA1", "sha1"],
]);

function requireParam(params: readonly Param[], name: string): string {
  const value = findAuthParam(params, name);
  if (value === undefined) throw incompleteSignature(`Signature Version 2 requires the '${name}' parameter.`);
  return value;
}

function parseTimeParam(name: string, value: string): Date {
  const date = parseIsoTimestamp(value);
  if (date === undefined) throw incompleteSignature(`${name} must be an ISO 8601 date and time such as 2026-11-26T11:37:24Z, not '${value}'.`);
  return date;
}

/**
 * The SigV2 string to sign: `METHOD\nhost\npath\n` and every parameter but `Signature`, sorted
 * by name, RFC 3986-encoded, joined with `&`.
 */
function sigV2StringToSign(method: string, host: string, path: string, params: readonly Param[]): string {
  // Sorted before encoding, by UTF-16 code unit like AWS's Java SDK; real names are ASCII anyway.
  const sorted = params.filter(([name]) => name !== "Signature").sort(compareParams);
  const query = sorted.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join("&");
  return `${method}\n${host.toLowerCase()}\n${path === "" ? "/" : path}\n${query}`;
}

/**
 * Refuses what SigV2 cannot cover: it signs the parameters only, so a routing header or a body
 * that is not a form (JSON, CBOR) would ride along unsigned.
 */
function checkQueryRequest(req: SignedRequest): void {
  for (const name of ROUTING_HEADERS) {
    if (findHeader(req.rawHeaders, name) !== undefined) throw notAQueryRequest(`the '${name}' header`);
  }
  if (req.body.length > 0 && !isFormContentType(findHeader(req.rawHeaders, "content-type"))) {
    throw notAQueryRequest("a body that is not a form");
  }
}

/**
 * Verifies a Signature Version 2 request from its decoded parameters. Only Query requests
 * qualify, and an `Expires` at most a week ahead.
 */
export async function verifySigV2(req: SignedRequest, now: Date, lookupSecret: SecretLookup): Promise<AuthResult> {
  checkQueryRequest(req);
  const { params } = req;
  const version = requireParam(params, "SignatureVersion");
  if (version !== "2") {
    throw incompleteSignature(`SignatureVersion '${version}' is not supported; sign with Signature Version 4 or 2.`);
  }
  const signatureMethod = requireParam(params, "SignatureMethod");
  const algorithm = HMAC_ALGORITHMS.get(signatureMethod);
  if (algorithm === undefined) {
    throw incompleteSignature(`SignatureMethod '${signatureMethod}' is not supported; use HmacSHA256 or HmacSHA1.`);
  }
  const accessKeyId = requireParam(params, "AWSAccessKeyId");
  const signature = requireParam(params, "Signature");

  const timestamp = findAuthParam(params, "Timestamp");
  const expires = findAuthParam(params, "Expires");
  if ((timestamp === undefined) === (expires === undefined)) {
    throw incompleteSignature("Signature Version 2 requires exactly one of the 'Timestamp' and 'Expires' parameters.");
  }
  if (timestamp !== undefined) checkClockSkew(parseTimeParam("Timestamp", timestamp), now);
  if (expires !== undefined) {
    const expiresAt = parseTimeParam("Expires", expires).getTime();
    if (now.getTime() > expiresAt) throw requestExpired();
    if (expiresAt - now.getTime() > MAX_SIGNATURE_LIFETIME_S * 1000) {
      throw incompleteSignature(`Expires must be at most ${MAX_SIGNATURE_LIFETIME_S} seconds (one week) ahead, not '${expires}'.`);
    }
  }

  const host = findHeader(req.rawHeaders, "host");
  if (host === undefined) throw incompleteSignature("Signature Version 2 signs the Host header, and the request has none.");

  const secret = await lookupSecret(accessKeyId);
  if (secret === null) throw invalidClientTokenId();
  // Host is a latin1 byte string from Node and everything else is ASCII once encoded.
  const stringToSign = sigV2StringToSign(req.method, host, req.path, params);
  const expected = createHmac(algorithm, Buffer.from(secret, "utf8")).update(stringToSign, "latin1").digest("base64");
  if (!signaturesEqual(expected, signature)) throw signatureDoesNotMatch();
  return { accessKeyId, method: "sigv2" };
}
