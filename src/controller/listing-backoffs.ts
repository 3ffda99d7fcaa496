/**
 * Failed listings back off per (user, site), as failed launches do: a site whose listing fails
 * (wrong credentials, `AuthFailure`, an outage) is not listed again until its backoff ends,
 * 30 s doubling up to 10 min by default. Meanwhile its VMs keep their last known state (the
 * listing is reported as failed, so health judges nothing there) and the site takes no new VMs.
 *
 * Kept in memory by each replica: a restart lists every site at once, and a site still failing
 * then backs off again from the first step. A site listed without per-user credentials backs
 * off for everyone (its user is `null`).
 */
import { backOff, isBackingOff, type BackoffSettings } from "../core/backoff.js";
import type { SiteBackoff } from "../core/types.js";
import { NO_CREDENTIALS, type Listing } from "./cloud-access.js";

/** A listing that failed this pass, and the backoff it starts. */
export interface ListingFailure {
  readonly site: string;
  /** Whose credentials failed; null for a site listed without per-user credentials. */
  readonly userId: string | null;
  readonly backoff: SiteBackoff;
}

function key(site: string, userId: string | null): string {
  return `${site}\0${userId ?? ""}`;
}

/** The listing backoffs of one replica. */
export class ListingBackoffs {
  readonly #backoffs = new Map<string, SiteBackoff>();

  constructor(private readonly settings: BackoffSettings) {}

  /** While (site, user) backs off at `now`: the error that stands in for its listing; else undefined. */
  waiting(site: string, userId: string | null, now: Date): string | undefined {
    const b = this.#backoffs.get(key(site, userId));
    return b !== undefined && isBackingOff(b, now) ? b.lastError : undefined;
  }

  /**
   * Takes in one pass's listings (made at `now`, skipping those {@link waiting}): a success ends
   * its backoff, a new failure starts or doubles one. Returns the new failures.
   */
  record(listings: readonly Listing[], now: Date): ListingFailure[] {
    const failures: ListingFailure[] = [];
    for (const { site, userId, result } of listings) {
      const k = key(site, userId);
      const previous = this.#backoffs.get(k);
      if (!("error" in result)) {
        this.#backoffs.delete(k);
        continue;
      }
      // Skipped this pass (still backing off), or not a cloud call at all.
      if (isBackingOff(previous, now) || result.error === NO_CREDENTIALS) continue;
      const backoff = backOff(previous, userId ?? "", site, result.error, now, this.settings);
      this.#backoffs.set(k, backoff);
      failures.push({ site, userId, backoff });
    }
    return failures;
  }
}
