/**
 * Per-(user, site) backoff after a cloud failure: exponential from `initialMs`, capped at
 * `maxMs`. While a site backs off it gets no new VMs; the shortfall goes to the next site.
 * Pure arithmetic over `now`; the controller stores the result so it survives restarts.
 */
import type { SiteBackoff } from "./types.js";

/** Backoff durations, from the `controller:` settings. */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The backoff after one more failure of (user, site). */
export function backOff(
  previous: SiteBackoff | undefined,
  userId: string,
  site: string,
  error: string,
  now: Date,
  settings: BackoffSettings,
): SiteBackoff {
  const failures = (previous?.failures ?? 0) + 1;
  // 2^(failures-1) overflows to Infinity for large counts, which min() then caps.
  const waitMs = Math.min(settings.initialMs * 2 ** (failures - 1), settings.maxMs);
  return { userId, site, failures, until: new Date(now.getTime() + waitMs), lastError: error };
}

/** True while the site gets no new VMs. */
export function isBackingOff(backoff: SiteBackoff | undefined, now: Date): boolean {
  return backoff !== undefined && now.getTime() < backoff.until.getTime();
}

/** Seconds, rounded up, for messages. */
export function backoffSeconds(backoff: SiteBackoff, now: Date): number {
  return Math.max(0, Math.ceil((backoff.until.getTime() - now.getTime()) / 1000));
}
