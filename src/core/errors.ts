/**
 * Phantom's typed errors. Every layer throws these; only the API edge turns them into AWS
 * error codes and HTTP statuses (see `src/api/error-response.ts`). Anything else that escapes
 * to the edge is an internal fault: logged with its stack, answered as `InternalFailure`.
 */

/** The AWS error codes Phantom sends, with the HTTP status and fault side AWS uses for each. */
export const AWS_ERRORS = {
  ValidationError: { status: 400, sender: true },
  AlreadyExists: { status: 400, sender: true },
  ResourceInUse: { status: 400, sender: true },
  LimitExceeded: { status: 400, sender: true },
  ScalingActivityInProgress: { status: 400, sender: true },
  InvalidNextToken: { status: 400, sender: true },
  InvalidAction: { status: 400, sender: true },
  MissingAction: { status: 400, sender: true },
  MalformedQueryString: { status: 400, sender: true },
  InvalidParameterValue: { status: 400, sender: true },
  InvalidFormat: { status: 400, sender: true },
  ResourceNotFound: { status: 404, sender: true },
  ResourceNotFoundException: { status: 404, sender: true },
  InvalidParameterCombination: { status: 400, sender: true },
  MissingParameter: { status: 400, sender: true },
  UnsupportedMediaType: { status: 415, sender: true },
  RequestEntityTooLarge: { status: 413, sender: true },
  RequestHeaderSectionTooLarge: { status: 431, sender: true },
  MethodNotAllowed: { status: 405, sender: true },
  NotFound: { status: 404, sender: true },
  MissingAuthenticationToken: { status: 403, sender: true },
  IncompleteSignature: { status: 400, sender: true },
  InvalidClientTokenId: { status: 403, sender: true },
  SignatureDoesNotMatch: { status: 403, sender: true },
  RequestExpired: { status: 403, sender: true },
  ResourceContention: { status: 500, sender: true },
  InternalFailure: { status: 500, sender: false },
  ServiceUnavailable: { status: 503, sender: false },
} as const;

/** One of the AWS error codes in {@link AWS_ERRORS}. */
export type AwsErrorCode = keyof typeof AWS_ERRORS;

/** An error that the API answers with a specific AWS error code and a message for the user. */
export class PhantomError extends Error {
  override readonly name: string = "PhantomError";
  constructor(
    readonly code: AwsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The request is well formed but breaks a rule of AWS or of Phantom (`ValidationError`). */
export class ValidationError extends PhantomError {
  override readonly name = "ValidationError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ValidationError", message, options);
  }
}

/** A resource with this name already exists for this user (`AlreadyExists`). */
export class AlreadyExistsError extends PhantomError {
  override readonly name = "AlreadyExistsError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("AlreadyExists", message, options);
  }
}

/** The resource is used by another one and cannot be deleted or changed (`ResourceInUse`). */
export class ResourceInUseError extends PhantomError {
  override readonly name = "ResourceInUseError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ResourceInUse", message, options);
  }
}

/** A per-user quota would be exceeded (`LimitExceeded`). */
export class LimitExceededError extends PhantomError {
  override readonly name = "LimitExceededError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("LimitExceeded", message, options);
  }
}

/** The group is busy with an activity that this request conflicts with. */
export class ScalingActivityInProgressError extends PhantomError {
  override readonly name = "ScalingActivityInProgressError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ScalingActivityInProgress", message, options);
  }
}

/** A pagination token that Phantom did not issue, or issued for another query. */
export class InvalidNextTokenError extends PhantomError {
  override readonly name = "InvalidNextTokenError";
  constructor(message = "The token is not valid.", options?: { cause?: unknown }) {
    super("InvalidNextToken", message, options);
  }
}

/** An authentication failure; the code is one of the 403 (or 400) signature codes. */
export class AuthError extends PhantomError {
  override readonly name = "AuthError";
}

/** True when `e` is a {@link PhantomError} with the given code. */
export function isPhantomError(e: unknown, code?: AwsErrorCode): e is PhantomError {
  return e instanceof PhantomError && (code === undefined || e.code === code);
}

/**
 * The store has no user with this id: removed (`phantom user remove`) while a replica still
 * held its access key. Not an AWS error; the API answers it as an unknown access key.
 */
export class UnknownUserError extends Error {
  override readonly name = "UnknownUserError";
  constructor(readonly userId: string) {
    super(`no user with id ${userId}`);
  }
}
