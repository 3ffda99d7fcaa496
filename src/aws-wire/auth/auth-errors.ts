/**
 * The authentication failures, with AWS's codes and wording. Messages name what is wrong with
 * the request but never carry the secret or the signature Phantom expected.
 */
import { AuthError } from "../../core/errors.js";

/** No signature of any kind: no `Authorization` header, no presigned or SigV2 parameters. */
export function missingAuthenticationToken(): AuthError {
  return new AuthError("MissingAuthenticationToken", "Request is missing Authentication Token");
}

/** The signature parts are malformed or incomplete; `message` says which part and how. */
export function incompleteSignature(message: string): AuthError {
  return new AuthError("IncompleteSignature", message);
}

/** The access key is not known to Phantom. */
export function invalidClientTokenId(): AuthError {
  return new AuthError("InvalidClientTokenId", "The security token included in the request is invalid.");
}

/** The signature is well formed but does not match the request. */
export function signatureDoesNotMatch(): AuthError {
  return new AuthError(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. " +
      "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  );
}

/** A presigned URL or SigV2 `Expires` whose time has passed. */
export function requestExpired(): AuthError {
  return new AuthError("RequestExpired", "Request has expired.");
}

/** A signing time outside the allowed clock skew; `message` is AWS's "Signature expired: …". */
export function signatureExpired(message: string): AuthError {
  return new AuthError("RequestExpired", message);
}
