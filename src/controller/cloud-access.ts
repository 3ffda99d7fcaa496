/**
 * How the controller reaches clouds: the driver of each site, the credentials a user has for it,
 * and the batched listing of one pass (one `describe` per site and credentials, never per VM).
 * Every cloud call goes through here, so it is also where calls are counted.
 *
 * A pass lists either the VMs of the shards its replica holds (by their `phantom:shard` tag,
 * so its listings grow with its shards, not with the deployment) or, now and then, every VM of
 * the deployment (orphans whose tags name no current shard). A VM the model holds that a shard
 * listing misses (launched before shard tags, or under another shard count) is looked up by id.
 */
import type { SiteConfig } from "../config/config.js";
import { isCloudError, VM_TAGS, type CloudDriver, type CloudVm, type DescribeFilter, type DriverCredentials } from "../clouds/driver.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store } from "../store/store.js";
import { forEachBounded, type ConcurrencyLimits } from "./bounded-concurrency.js";
import { openCloudCredentials, type CredentialsKind } from "../users/cloud-credentials.js";

/** A cloud call's outcome, for metrics. */
export type CallOutcome = "ok" | "capacity" | "throttled" | "auth" | "config" | "transient" | "error";

/** Receives one event per cloud call; a launch that succeeded says how many VMs it made. */
export type CallObserver = (site: string, call: "launch" | "describe" | "terminate", outcome: CallOutcome, vms?: number) => void;

/** One listing of a pass: a site seen with one set of credentials. */
export interface Listing {
  readonly site: string;
  /** The user whose credentials were used; null for sites that need none. */
  readonly userId: string | null;
  /** The VMs by id, or the error that kept the site from being listed. */
  readonly result: { readonly vms: ReadonlyMap<string, CloudVm> } | { readonly error: string };
}

/** What one pass lists. */
export interface ListingScope {
  readonly deploymentId: string;
  /**
   * The `phantom:shard` tag values of the shards held: only VMs carrying one are listed, and the
   * `known` VMs that the listing misses are looked up by id. Null: every VM of the deployment.
   */
  readonly shardTags: readonly string[] | null;
  /** The ids of the VMs the model holds, by {@link listingKey} of their site and credentials. */
  readonly known: ReadonlyMap<string, readonly string[]>;
}

/**
 * Most VMs a shard listing may miss on one (site, credentials) before that site is listed
 * whole instead: five `instance-id` filters on EC2.
 */
export const MAX_LOOKUPS = 1_000;

/** The key of a listing: `site\0user`, the user empty for sites that need no credentials. */
export function listingKey(site: string, userId: string | null): string {
  return `${site}\0${userId ?? ""}`;
}

/** How long a user's credentials for a site are used before they are read again from the store. */
export const CREDENTIALS_TTL_MS = 30_000;

/** Listings made at once: each is one (site, credentials), so the bound is on the total. */
export const LISTING_CONCURRENCY: ConcurrencyLimits = { total: 32, perKey: 1 };

/** The error of a listing not made because the user has no credentials for the site. */
export const NO_CREDENTIALS = "no credentials";

/** Drivers, credentials and listings for the controller. */
export class CloudAccess {
  readonly #drivers: ReadonlyMap<string, CloudDriver>;
  /** The sites that need each user's own credentials, and which kind they take. */
  readonly #needsCredentials: ReadonlyMap<string, CredentialsKind>;
  readonly #credentials = new Map<string, { value: DriverCredentials | null; until: number }>();
  /** When expired credentials are next dropped: users who left or stopped using a site are forgotten. */
  #sweepAt = 0;
  /** Sites kept with `retired: true`: no new VMs; their VMs move elsewhere. */
  readonly retired: ReadonlySet<string>;

  constructor(
    sites: readonly SiteConfig[],
    drivers: ReadonlyMap<string, CloudDriver>,
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly observe: CallObserver,
  ) {
    this.#drivers = drivers;
    this.retired = new Set(sites.filter((s) => s.retired === true).map((s) => s.name));
    this.#needsCredentials = new Map(
      sites.flatMap((s): [string, CredentialsKind][] => (s.driver === "simulated" ? [] : [[s.name, s.driver === "openstack" ? "openstack" : "access-key"]])),
    );
  }

  /** Counts one cloud call made elsewhere (launch, terminate). */
  count(site: string, call: "launch" | "describe" | "terminate", outcome: CallOutcome, vms?: number): void {
    this.observe(site, call, outcome, vms);
  }

  /** The driver of a configured site, or undefined for a site no longer configured. */
  driver(site: string): CloudDriver | undefined {
    return this.#drivers.get(site);
  }

  /** Whether the site's VMs are listed per user (with each user's own credentials). */
  perUser(site: string): boolean {
    return this.#needsCredentials.has(site);
  }

  /**
   * The user's credentials for the site: null for a site that needs none; undefined when the
   * site needs credentials and the user has set none. Cached briefly: `phantom credentials set`
   * takes effect within seconds.
   */
  async credentials(userId: string, site: string, nowMs: number): Promise<DriverCredentials | null | undefined> {
    const kind = this.#needsCredentials.get(site);
    if (kind === undefined) return null;
    if (nowMs >= this.#sweepAt) {
      for (const [k, entry] of this.#credentials) if (entry.until <= nowMs) this.#credentials.delete(k);
      this.#sweepAt = nowMs + CREDENTIALS_TTL_MS;
    }
    const key = `${userId}\0${site}`;
    const hit = this.#credentials.get(key);
    if (hit && hit.until > nowMs) return hit.value ?? undefined;
    const record = await this.store.users.getCredentials(userId, site);
    const value = (record === null ? undefined : openCloudCredentials(this.box, userId, site, kind, record)) ?? null;
    this.#credentials.set(key, { value, until: nowMs + CREDENTIALS_TTL_MS });
    return value ?? undefined;
  }

  /** How many (user, site) credentials are cached now, expired ones not yet dropped included. */
  get cachedCredentials(): number {
    return this.#credentials.size;
  }

  /**
   * Lists this deployment's VMs (all, or those of `scope`'s shards): once per site that needs
   * no credentials, and once per (site, user) for the given users of sites that do (a shard
   * listing adds one lookup by id when it missed VMs of the model), at most {@link LISTING_CONCURRENCY}
   * calls at once (10,000 users of a per-user site are 10,000 listings). A listing for which
   * `waiting` gives an error (its backoff) is not made: that error is its result.
   */
  async listAll(
    scope: ListingScope,
    usersBySite: ReadonlyMap<string, ReadonlySet<string>>,
    nowMs: number,
    waiting: (site: string, userId: string | null) => string | undefined = () => undefined,
  ): Promise<Listing[]> {
    const jobs: { site: string; driver: CloudDriver; userId: string | null; at: number }[] = [];
    for (const [site, driver] of this.#drivers) {
      const users = this.perUser(site) ? [...(usersBySite.get(site) ?? [])] : [null];
      for (const userId of users) jobs.push({ site, driver, userId, at: jobs.length });
    }
    // In the order asked for, whichever answers first.
    const listings = new Array<Listing>(jobs.length);
    await forEachBounded(
      jobs,
      ({ site, userId }) => listingKey(site, userId),
      LISTING_CONCURRENCY,
      async ({ site, driver, userId, at }) => {
        const error = waiting(site, userId);
        listings[at] = error === undefined ? await this.#list(site, driver, userId, scope, nowMs) : { site, userId, result: { error } };
      },
    );
    return listings;
  }

  async #list(site: string, driver: CloudDriver, userId: string | null, scope: ListingScope, nowMs: number): Promise<Listing> {
    let credentials: DriverCredentials | null | undefined = null;
    if (userId !== null) {
      credentials = await this.credentials(userId, site, nowMs);
      if (credentials === undefined) return { site, userId, result: { error: NO_CREDENTIALS } };
    }
    const describe = async (filter: DescribeFilter): Promise<Map<string, CloudVm>> => {
      try {
        const vms = await driver.describe(credentials, filter);
        this.observe(site, "describe", "ok");
        return new Map(vms.map((vm) => [vm.id, vm]));
      } catch (e) {
        this.observe(site, "describe", outcomeOf(e));
        throw e;
      }
    };
    const whole: DescribeFilter = { tag: { key: VM_TAGS.deployment, values: [scope.deploymentId] } };
    try {
      if (scope.shardTags === null) return { site, userId, result: { vms: await describe(whole) } };
      const vms = await describe({ tag: { key: VM_TAGS.shard, values: scope.shardTags } });
      const missing = (scope.known.get(listingKey(site, userId)) ?? []).filter((id) => !vms.has(id));
      // A VM missed is judged on what the cloud says of it, never on its absence from a listing
      // that could not have seen it.
      if (missing.length > MAX_LOOKUPS) return { site, userId, result: { vms: await describe(whole) } };
      if (missing.length > 0) for (const [id, vm] of await describe({ ids: missing })) vms.set(id, vm);
      return { site, userId, result: { vms } };
    } catch (e) {
      return { site, userId, result: { error: e instanceof Error ? e.message : String(e) } };
    }
  }
}

/** The metrics outcome of a failed call. */
export function outcomeOf(e: unknown): CallOutcome {
  return isCloudError(e) ? e.kind : "error";
}
