/**
 * EC2's error codes: what each means to Phantom (a {@link CloudErrorKind}) and the HTTP status
 * EC2 sends it with. One table serves both sides: the EC2 driver classifies what a cloud
 * answered, and `phantom simcloud` answers with the status EC2 would use, so that clients
 * (the AWS SDKs, the AWS CLI) treat its errors as they treat EC2's.
 *
 * Statuses follow EC2's "Error codes" reference and what EC2 is seen to send: client errors are
 * 400-series; the capacity shortages EC2 lists as server errors (`InsufficientInstanceCapacity`,
 * `InsufficientHostCapacity`, …) come with 500, so SDKs treat them as retryable server faults;
 * `RequestLimitExceeded` comes with 503; `AuthFailure` with 401.
 */
import { CloudError, type CloudErrorKind } from "../driver.js";

/** What one EC2 error code means. */
export interface Ec2ErrorMeaning {
  readonly kind: CloudErrorKind;
  /** The HTTP status EC2 sends with it. */
  readonly status: number;
}

const capacity = (status: number): Ec2ErrorMeaning => ({ kind: "capacity", status });
const config: Ec2ErrorMeaning = { kind: "config", status: 400 };

/** The codes Phantom knows by name. Codes not listed fall back on {@link classifyEc2Code}'s rules. */
export const EC2_ERROR_CODES: Readonly<Record<string, Ec2ErrorMeaning>> = {
  // No room: back the site off and overflow to the next one.
  InsufficientInstanceCapacity: capacity(500),
  InsufficientHostCapacity: capacity(500),
  InsufficientCapacity: capacity(500),
  InsufficientReservedInstanceCapacity: capacity(500),
  InsufficientAddressCapacity: capacity(500),
  InstanceLimitExceeded: capacity(400),
  VcpuLimitExceeded: capacity(400),
  MaxSpotInstanceCountExceeded: capacity(400),
  InsufficientFreeAddressesInSubnet: capacity(400),
  UnfulfillableCapacity: capacity(400),
  ResourceLimitExceeded: capacity(400),
  // Slow down.
  RequestLimitExceeded: { kind: "throttled", status: 503 },
  Throttling: { kind: "throttled", status: 400 },
  ThrottlingException: { kind: "throttled", status: 400 },
  // The user's credentials or account.
  AuthFailure: { kind: "auth", status: 401 },
  OptInRequired: { kind: "auth", status: 401 },
  UnauthorizedOperation: { kind: "auth", status: 403 },
  InvalidClientTokenId: { kind: "auth", status: 403 },
  SignatureDoesNotMatch: { kind: "auth", status: 403 },
  MissingAuthenticationToken: { kind: "auth", status: 403 },
  Blocked: { kind: "auth", status: 403 },
  PendingVerification: { kind: "auth", status: 400 },
  // A clock off by more than the signature window: retrying the same way keeps failing.
  RequestExpired: { kind: "auth", status: 400 },
  // The launch configuration or the request is wrong for this cloud.
  InvalidParameterValue: config,
  InvalidParameterCombination: config,
  InvalidParameter: config,
  MissingParameter: config,
  UnknownParameter: config,
  Unsupported: config,
  UnsupportedOperation: config,
  InvalidAction: config,
  MissingAction: config,
  MalformedQueryString: config,
  IdempotentParameterMismatch: config,
  "InvalidAMIID.NotFound": config,
  "InvalidAMIID.Malformed": config,
  "InvalidAMIID.Unavailable": config,
  "InvalidKeyPair.NotFound": config,
  "InvalidGroup.NotFound": config,
  "InvalidUserData.Malformed": config,
  "InvalidInstanceID.NotFound": config,
  "InvalidInstanceID.Malformed": config,
  // The cloud's own trouble: worth retrying later.
  InternalError: { kind: "transient", status: 500 },
  InternalFailure: { kind: "transient", status: 500 },
  ServiceUnavailable: { kind: "transient", status: 503 },
  Unavailable: { kind: "transient", status: 503 },
};

/** The code an error of each kind is answered with when its own code is not one of EC2's. */
export const EC2_DEFAULT_CODES: Readonly<Record<CloudErrorKind, string>> = {
  capacity: "InsufficientInstanceCapacity",
  throttled: "RequestLimitExceeded",
  auth: "AuthFailure",
  config: "InvalidParameterValue",
  transient: "InternalError",
};

/**
 * What an EC2 error code means. Unlisted codes: `Invalid…` (EC2's family of bad-request codes:
 * `InvalidSubnetID.NotFound`, `InvalidInstanceType`, …) is `config`; otherwise the status
 * decides (401/403 `auth`, 429 `throttled`), and anything else is `transient`: a code Phantom
 * does not know is no reason to stop trying.
 */
export function classifyEc2Code(code: string, status: number | undefined): CloudErrorKind {
  const known = Object.hasOwn(EC2_ERROR_CODES, code) ? EC2_ERROR_CODES[code] : undefined;
  if (known) return known.kind;
  if (code.startsWith("Invalid")) return "config";
  if (status === 401 || status === 403) return "auth";
  if (status === 429) return "throttled";
  return "transient";
}

/** The parts of an AWS SDK error (or a Node network error) that classification reads. */
interface SdkErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * Turns whatever an EC2 call threw into a {@link CloudError}, once, keeping the original as
 * `cause`. A service error carries its code as `name` and its HTTP status in `$metadata`;
 * anything without an HTTP status got no answer from the service (refused, reset, timed out)
 * and is `transient`.
 */
export function classifyEc2Error(e: unknown, site: string): CloudError {
  if (e instanceof CloudError) return e;
  const err = (typeof e === "object" && e !== null ? e : {}) as SdkErrorLike;
  const message = typeof err.message === "string" && err.message !== "" ? err.message : String(e);
  const status = err.$metadata?.httpStatusCode;
  const name = typeof err.name === "string" ? err.name : "Error";
  if (status === undefined) {
    // ECONNREFUSED, ECONNRESET, ETIMEDOUT, a TimeoutError of the SDK's request handler, …
    const code = typeof err.code === "string" ? err.code : name;
    return new CloudError("transient", code, `${site}: ${code}: ${message}`, { cause: e });
  }
  return new CloudError(classifyEc2Code(name, status), name, `${site} answered ${name}: ${message}`, { cause: e });
}
