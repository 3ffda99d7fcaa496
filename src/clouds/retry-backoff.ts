/**
 * How drivers wait between attempts of a call the cloud refused for now (throttled, or
 * failing transiently): exponential backoff with jitter, so that callers refused together
 * spread out.
 */

/** `attempts` calls in all, waits doubling from `baseDelayMs` up to `maxDelayMs`. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The wait after the `attempt`-th failed call: "equal jitter", half of the doubled delay fixed
 * and half random (`random` uniform in [0, 1)), so waits still grow while callers spread out.
 */
export function jitteredDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}
