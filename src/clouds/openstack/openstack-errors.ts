/**
 * What an OpenStack answer means to Phantom: every failure of the OpenStack driver is
 * classified here, once, into a {@link CloudErrorKind}.
 *
 * - 401 is `auth` (the driver renews its token once before it lets a 401 through);
 * - 403 and 413 saying "Quota exceeded" are `capacity` (Nova's quota on instances, cores or
 *   RAM); any other 403 is `auth` (a policy forbids it); any other 413 is `throttled` (older
 *   Nova's rate limits);
 * - 400, 404, 406 (a microversion the cloud lacks) and 409 ("Multiple possible networks
 *   found") on a launch are `config`: an unknown image, flavor, network or key name;
 * - 429 is `throttled`; 5xx, answers not in the documented shape, and no answer at all
 *   (refused, reset, timed out) are `transient`.
 *
 * Lack of room is not an error here: OpenStack takes the request and fails the servers it has
 * no host for later (ERROR, "No valid host was found"), which the controller sees as failed
 * boots in its next listing.
 */
import { CloudError, type CloudErrorKind } from "../driver.js";
import { OpenStackHttpError, OpenStackProtocolError } from "./openstack-port.js";

/** The code of a quota refusal, whatever the service called it. */
const QUOTA_EXCEEDED = "QuotaExceeded";

/** The kind of an HTTP failure of `status` saying `message`. */
function classifyOpenStackStatus(status: number, message: string): CloudErrorKind {
  if ((status === 403 || status === 413) && /quota exceeded/i.test(message)) return "capacity";
  if (status === 401 || status === 403) return "auth";
  if (status === 413 || status === 429) return "throttled";
  if (status >= 500) return "transient";
  if (status >= 400) return "config";
  return "transient";
}

/**
 * Turns whatever an OpenStack call threw into a {@link CloudError}, once, keeping the
 * original as `cause`; `what` names the call in the message (`POST /servers`).
 */
export function classifyOpenStackError(e: unknown, site: string, what: string): CloudError {
  if (e instanceof CloudError) return e;
  if (e instanceof OpenStackHttpError) {
    const kind = classifyOpenStackStatus(e.status, e.message);
    const code = kind === "capacity" ? QUOTA_EXCEEDED : (e.errorName ?? `HTTP${e.status}`);
    return new CloudError(kind, code, `${site} answered ${what} with ${code} (${e.status}): ${e.message}`, { cause: e });
  }
  if (e instanceof OpenStackProtocolError) {
    return new CloudError("transient", "BadResponse", `${site} answered ${what} unexpectedly (BadResponse): ${e.message}`, { cause: e });
  }
  // fetch's TypeError("fetch failed") carries the socket's error (ECONNREFUSED, …) as its cause;
  // AbortSignal.timeout() aborts with a TimeoutError.
  const err = (typeof e === "object" && e !== null ? e : {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof err.cause?.code === "string" ? err.cause.code : typeof err.name === "string" ? err.name : "Error";
  const message = typeof err.message === "string" ? err.message : String(e);
  return new CloudError("transient", code, `${site}: ${what} got no answer: ${code}: ${message}`, { cause: e });
}
