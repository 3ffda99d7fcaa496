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

/**
 * A header that decides what the request does, or how its body is read, was sent but not
 * signed: whoever holds the signed request could otherwise point it at another action.
 */
export function unsignedHeader(name: string): AuthError {
  return new AuthError(
    "SignatureDoesNotMatch",
    `The '${name}' header decides how the request is read and must be among the SignedHeaders; sign it.`,
  );
}

/**
 * A Signature Version 2 request that is not a Query request: SigV2 signs only the parameters,
 * so nothing would cover `what` (a routing header, a JSON or CBOR body).
 */
export function notAQueryRequest(what: string): AuthError {
  return new AuthError(
    "SignatureDoesNotMatch",
    `Signature Version 2 signs only Query parameters (query string or form body), not ${what}; sign with Signature Version 4.`,
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
