/**
 * Keystone tokens for one site: one per set of credentials, cached until shortly before it
 * expires, shared by the calls that ask for it at once, and dropped when a service refuses it
 * (the driver then asks for a fresh one, once). Also where a token's catalog is read: the
 * public endpoint of a service type in the site's region.
 */
import { CloudError, credentialsIdentity, type OpenStackCredentials } from "../driver.js";
import type { KeystoneToken } from "./openstack-port.js";

/** A token, and whether it was issued for this very request rather than taken from the cache. */
export interface TokenLease {
  readonly token: KeystoneToken;
  readonly fresh: boolean;
}

/** Renew at most this long before `expires_at` (less for short-lived tokens: a quarter of their life). */
const RENEW_BEFORE_MS = 120_000;
/** How often tokens due for renewal are dropped from the cache. */
const SWEEP_INTERVAL_MS = 60_000;

interface Entry {
  /** The credentials the entry was made with, whole: changed credentials get a new token. */
  readonly auth: string;
  readonly token: KeystoneToken;
  readonly renewAtMs: number;
}

/** The token cache of one site. */
export class KeystoneTokens {
  readonly #entries = new Map<string, Entry>();
  /** Token requests in flight, by credentials, so concurrent calls share one. */
  readonly #pending = new Map<string, { readonly auth: string; readonly promise: Promise<KeystoneToken> }>();
  /** When tokens due for renewal are next dropped: credentials no longer used are forgotten. */
  #sweepAtMs = 0;

  constructor(
    private readonly issue: (credentials: OpenStackCredentials) => Promise<KeystoneToken>,
    private readonly clock: () => Date,
  ) {}

  /** A token for the credentials: the cached one while it is good, else a new one. */
  async get(credentials: OpenStackCredentials): Promise<TokenLease> {
    const key = credentialsIdentity(credentials);
    const auth = JSON.stringify(credentials.auth);
    const now = this.clock().getTime();
    if (now >= this.#sweepAtMs) {
      // A token due for renewal is never handed out again: dropping it changes nothing but memory.
      for (const [k, entry] of this.#entries) if (now >= entry.renewAtMs) this.#entries.delete(k);
      this.#sweepAtMs = now + SWEEP_INTERVAL_MS;
    }
    const cached = this.#entries.get(key);
    if (cached !== undefined && cached.auth === auth && now < cached.renewAtMs) return { token: cached.token, fresh: false };
    let pending = this.#pending.get(key);
    if (pending === undefined || pending.auth !== auth) {
      const promise = this.issue(credentials).finally(() => {
        if (this.#pending.get(key)?.promise === promise) this.#pending.delete(key);
      });
      pending = { auth, promise };
      this.#pending.set(key, pending);
    }
    const token = await pending.promise;
    const lifetime = token.expiresAtMs - now;
    this.#entries.set(key, { auth, token, renewAtMs: token.expiresAtMs - Math.min(RENEW_BEFORE_MS, lifetime / 4) });
    return { token, fresh: true };
  }

  /** How many tokens are cached now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets `token` (a service answered 401 to it), unless a newer one replaced it already. */
  drop(credentials: OpenStackCredentials, token: KeystoneToken): void {
    const key = credentialsIdentity(credentials);
    if (this.#entries.get(key)?.token === token) this.#entries.delete(key);
  }
}

/**
 * The public endpoint of a service `type` in `region`, from the token's catalog, without a
 * trailing slash.
 * @throws CloudError `config` when the catalog has none (the site's region is wrong, or the
 *   cloud offers no such service)
 */
export function catalogEndpoint(token: KeystoneToken, type: string, region: string, site: string): string {
  const services = token.catalog.filter((s) => s.type === type);
  for (const service of services) {
    const endpoint = service.endpoints.find((e) => e.interface === "public" && e.region === region);
    if (endpoint !== undefined) return endpoint.url.replace(/\/+$/, "");
  }
  const regions = [...new Set(services.flatMap((s) => s.endpoints.filter((e) => e.interface === "public").map((e) => e.region)))];
  const offered = regions.length === 0 ? `the catalog has no ${type} service` : `its public ${type} endpoints are in ${regions.join(", ")}`;
  throw new CloudError("config", "EndpointNotFound", `${site}: EndpointNotFound: no public ${type} endpoint in region ${region}; ${offered}`);
}
