/**
 * Request authentication: picks the signing scheme the request uses (SigV4 header, SigV4
 * presigned, SigV2) and has it verified. Exactly one scheme may be present, so a request cannot
 * carry one valid signature next to another set of claims that something else might read.
 */
import { incompleteSignature, missingAuthenticationToken } from "./auth-errors.js";
import { decodeQuery } from "./canonical.js";
import { findHeader, type SignedRequest } from "./request.js";
import { verifySigV2 } from "./sigv2.js";
import { verifySigV4Header, verifySigV4Presigned } from "./sigv4.js";

/** Who signed a request, and how. */
export interface AuthResult {
  /** The access key whose secret produced the signature. */
  readonly accessKeyId: string;
  /** The signing scheme the request used. */
  readonly method: "sigv4" | "sigv4-presigned" | "sigv2";
  /** The region of the SigV4 credential scope, as the client sent it (absent for SigV2). */
  readonly region?: string;
  /** The service of the SigV4 credential scope, as the client sent it (absent for SigV2). */
  readonly service?: string;
}

/** Finds the secret of an access key; resolves with `null` when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => Promise<string | null>;

/**
 * Parameter names that belong to authentication, not to the action (X-Amz-* of presigned URLs,
 * AWSAccessKeyId, Signature, SignatureMethod, SignatureVersion, Timestamp, Expires,
 * SecurityToken/X-Amz-Security-Token). Upper/lower case exactly as AWS sends them.
 */
export const AUTH_PARAMETERS: ReadonlySet<string> = new Set([
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
  "AWSAccessKeyId",
  "Signature",
  "SignatureMethod",
  "SignatureVersion",
  "Timestamp",
  "Expires",
  "SecurityToken",
]);

/** Any of these in the query string means the request claims to be presigned. */
const PRESIGNED_MARKERS = new Set(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"]);
/** Any of these among the parameters means the request claims a SigV2 signature. */
const SIGV2_MARKERS = new Set(["Signature", "SignatureVersion", "AWSAccessKeyId"]);

const ONE_SCHEME_ONLY =
  "Only one authentication mechanism is allowed: the Authorization header, " +
  "X-Amz-* query-string parameters, or Signature Version 2 parameters.";

/**
 * Whether the request claims a SigV4 signature (the `Authorization` header, or presigned
 * parameters among `queryParams`): then only the raw body's hash is needed to verify it, and the
 * body need not be parsed before the request is known to be genuine.
 */
export function signedOutsideParameters(rawHeaders: readonly string[], queryParams: readonly (readonly [string, string])[]): boolean {
  return findHeader(rawHeaders, "authorization") !== undefined || queryParams.some(([name]) => PRESIGNED_MARKERS.has(name));
}

/**
 * For a request verified by SigV4 before its body was parsed: refuses SigV2 parameters in the
 * parameters parsed since, so one request still carries exactly one scheme.
 */
export function checkNoSecondScheme(params: readonly (readonly [string, string])[]): void {
  if (params.some(([name]) => SIGV2_MARKERS.has(name))) throw incompleteSignature(ONE_SCHEME_ONLY);
}

/** Verifies the request's signature; resolves with who signed it or throws AuthError. */
export async function authenticate(req: SignedRequest, now: Date, lookupSecret: SecretLookup): Promise<AuthResult> {
  const authorization = findHeader(req.rawHeaders, "authorization");
  const query = decodeQuery(req.rawQuery);
  const presigned = query.some(([name]) => PRESIGNED_MARKERS.has(name));
  const sigV2 = req.params.some(([name]) => SIGV2_MARKERS.has(name));
  const schemes = Number(authorization !== undefined) + Number(presigned) + Number(sigV2);
  if (schemes === 0) throw missingAuthenticationToken();
  if (schemes > 1) throw incompleteSignature(ONE_SCHEME_ONLY);
  if (authorization !== undefined) return verifySigV4Header(req, authorization, query, now, lookupSecret);
  if (presigned) return verifySigV4Presigned(req, query, now, lookupSecret);
  return verifySigV2(req, now, lookupSecret);
}
