/**
 * The OpenStack driver: one OpenStack site (Jetstream2, Chameleon, a campus cloud, `phantom
 * simcloud --openstack`) through Keystone v3 and Nova, as each user, with the user's own
 * Keystone credentials for the site (a password scoped to a project, or an application
 * credential).
 *
 * - `launch` has no client token to lean on: every server of a launch is named
 *   `phantom-<token>` (Nova adds `-1`, `-2`, … when one request makes several). Before
 *   (re-)driving a launch the driver lists the token's servers and asks only for the missing
 *   ones, so a launch re-driven after a crash between the POST and the record never yields
 *   more servers than asked. One `POST /servers` with `min_count` 1 and `max_count` the
 *   count (Nova cuts it to the quota); its image, flavor and network are resolved by name
 *   through the catalog's image, compute and network services, and cached.
 * - `describe` is one paged `GET /servers/detail` (Phantom's servers, by name), filtered here
 *   by tag (metadata) or ids. States: BUILD → pending, ACTIVE → running, SHUTOFF, SUSPENDED,
 *   PAUSED, SHELVED → stopped, ERROR → terminated with its fault as the reason and kept until
 *   deleted, being deleted → shutting-down; DELETED and SOFT_DELETED are gone.
 * - `terminate` is one `DELETE /servers/{id}` per server; 404 is success.
 * - Idempotent calls (lists, deletes, tokens) are retried with jittered backoff when
 *   throttled or failing transiently; a `POST /servers` is not (the next pass re-drives it).
 *   A token refused with 401 is renewed once. Errors are classified once
 *   (`openstack-errors.ts`).
 */
import {
  CloudError,
  VM_TAGS,
  type CloudDriver,
  type CloudVm,
  type DescribeFilter,
  type DriverCredentials,
  type LaunchRequest,
  type OpenStackCredentials,
  type VmState,
} from "../driver.js";
import { jitteredDelay, type RetryPolicy } from "../retry-backoff.js";
import { catalogEndpoint, KeystoneTokens } from "./keystone-tokens.js";
import { classifyOpenStackError } from "./openstack-errors.js";
import {
  fetchOpenStackPort,
  OpenStackHttpError,
  type KeystoneToken,
  type Named,
  type NovaServer,
  type NovaServerCreate,
  type OpenStackPort,
  type ServiceSession,
} from "./openstack-port.js";

/** One configured OpenStack site. */
export interface OpenStackSite {
  readonly name: string;
  /** Keystone's v3 URL; `/v3` is added when missing. */
  readonly authUrl: string;
  readonly region: string;
  /** A network name or id; null lets Nova pick (`auto`). */
  readonly network: string | null;
}

/** Retries of idempotent calls unless configured otherwise: 4 calls over about 3 s at most. */
const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 2_000 };

/** Servers per page of `GET /servers/detail` (Nova's default largest). */
export const SERVER_PAGE = 1000;
/** How long a flavor, image or network found by name is trusted. */
const LOOKUP_TTL_MS = 10 * 60_000;
/** The prefix of every server Phantom launches; the launch token follows. */
export const SERVER_NAME_PREFIX = "phantom-";
/** Most pages of one listing: 10 million servers. */
const MAX_PAGES = 10_000;
/** Deletes sent at once. */
const DELETE_CONCURRENCY = 8;
/** Nova's metadata: keys of these characters, keys and values up to 255, at most 128 items (the default quota). */
const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const METADATA_VALUE_MAX = 255;
const METADATA_ITEMS_MAX = 128;
/** Tokens go into server names and a name filter (a regular expression): plain characters only. */
const TOKEN = /^[A-Za-z0-9._-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Most names remembered per kind of lookup. */
const LOOKUP_CACHE_MAX = 1_000;

const STATES: Readonly<Record<string, VmState>> = {
  BUILD: "pending",
  ACTIVE: "running",
  REBOOT: "running",
  HARD_REBOOT: "running",
  PASSWORD: "running",
  REBUILD: "running",
  RESIZE: "running",
  VERIFY_RESIZE: "running",
  REVERT_RESIZE: "running",
  MIGRATING: "running",
  RESCUE: "running",
  SHUTOFF: "stopped",
  SUSPENDED: "stopped",
  PAUSED: "stopped",
  SHELVED: "stopped",
  SHELVED_OFFLOADED: "stopped",
  ERROR: "terminated",
};
const GONE_STATUSES: ReadonlySet<string> = new Set(["DELETED", "SOFT_DELETED"]);

/** What tests (and nothing else) replace. */
export interface OpenStackDriverOptions {
  /** The HTTP calls; the real `fetch` port by default. */
  readonly port?: OpenStackPort;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): the jitter. */
  readonly random?: () => number;
  /** Token lifetimes, lookups' ages, and VMs a cloud reports without a creation time. */
  readonly clock?: () => Date;
}

/** Where one user's calls go, under one token. */
interface Scope {
  readonly token: KeystoneToken;
  readonly compute: ServiceSession;
  readonly credentials: OpenStackCredentials;
}

/** A {@link CloudDriver} for one OpenStack site. */
export class OpenStackDriver implements CloudDriver {
  readonly site: string;
  readonly #target: OpenStackSite;
  readonly #authUrl: string;
  readonly #port: OpenStackPort;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #clock: () => Date;
  readonly #tokens: KeystoneTokens;
  /** Flavors of each project, images and networks found by name: `project\0name` → id. */
  readonly #flavors = new Map<string, { readonly atMs: number; readonly flavors: readonly Named[] }>();
  readonly #images = new Map<string, { readonly atMs: number; readonly id: string }>();
  readonly #networks = new Map<string, { readonly atMs: number; readonly id: string }>();

  constructor(site: OpenStackSite, options: OpenStackDriverOptions = {}) {
    this.site = site.name;
    this.#target = site;
    const base = site.authUrl.replace(/\/+$/, "");
    this.#authUrl = base.endsWith("/v3") ? base : `${base}/v3`;
    this.#port = options.port ?? fetchOpenStackPort();
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? (() => new Date());
    this.#tokens = new KeystoneTokens(
      (credentials) => this.#call("POST /v3/auth/tokens", true, () => this.#port.issueToken(this.#authUrl, credentials.auth)),
      this.#clock,
    );
  }

  /** {@inheritDoc CloudDriver.launch} */
  async launch(request: LaunchRequest): Promise<CloudVm[]> {
    const { spec, count, token } = request;
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`launch count must be a positive integer, not ${count}`);
    if (!TOKEN.test(token)) throw new RangeError(`launch token must be 1 to 64 letters, digits, '.', '_' or '-': '${token}'`);
    const credentials = this.#credentials(request.credentials);
    const name = SERVER_NAME_PREFIX + token;
    const ofToken = (s: NovaServer) => s.name === name || (s.name.startsWith(`${name}-`) && /^\d+$/.test(s.name.slice(name.length + 1)));
    return this.#withScope(credentials, async (scope) => {
      // Servers an earlier drive of this launch made (before a crash, or an answer lost).
      const made = (await this.#listServers(scope, `^${name.replaceAll(".", "\\.")}`)).filter(ofToken);
      const missing = count - made.length;
      if (missing <= 0) return made.map((s) => this.#vm(s));
      const server: NovaServerCreate = {
        name,
        imageRef: await this.#imageId(scope, spec.imageId),
        flavorRef: await this.#flavorId(scope, spec.instanceType),
        networks: this.#target.network === null ? "auto" : [{ uuid: await this.#networkId(scope, this.#target.network) }],
        min_count: 1,
        max_count: missing,
        metadata: novaMetadata(request.tags),
        ...nonEmpty("key_name", credentials.keyName ?? spec.keyName),
        ...nonEmpty("user_data", spec.userData),
        ...((spec.securityGroups ?? []).length > 0 && { security_groups: spec.securityGroups!.map((g) => ({ name: g })) }),
      };
      const id = await this.#call("POST /servers", false, () => this.#port.createServer(scope.compute, server));
      if (missing === 1) {
        const launched: CloudVm = { id, state: "pending", launchedAt: this.#clock(), instanceType: spec.instanceType, tags: server.metadata };
        return [...made.map((s) => this.#vm(s)), launched];
      }
      // Nova names only the first of several servers it made: list them all.
      const all = (await this.#listServers(scope, `^${name.replaceAll(".", "\\.")}`)).filter(ofToken);
      return all.map((s) => this.#vm(s));
    });
  }

  /** {@inheritDoc CloudDriver.describe} */
  async describe(credentials: DriverCredentials | null, filter: DescribeFilter): Promise<CloudVm[]> {
    const openstack = this.#credentials(credentials);
    if (("ids" in filter ? filter.ids : filter.tag.values).length === 0) return [];
    const servers = await this.#withScope(openstack, (scope) => this.#listServers(scope, `^${SERVER_NAME_PREFIX}`));
    const wanted =
      "tag" in filter
        ? ((key: string, values: ReadonlySet<string>) => (s: NovaServer) => values.has(s.metadata[key] ?? ""))(filter.tag.key, new Set(filter.tag.values))
        : ((ids: ReadonlySet<string>) => (s: NovaServer) => ids.has(s.id))(new Set(filter.ids));
    return servers.filter(wanted).map((s) => this.#vm(s));
  }

  /** {@inheritDoc CloudDriver.terminate} */
  async terminate(credentials: DriverCredentials | null, ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const openstack = this.#credentials(credentials);
    await this.#withScope(openstack, async (scope) => {
      for (let i = 0; i < unique.length; i += DELETE_CONCURRENCY) {
        await Promise.all(unique.slice(i, i + DELETE_CONCURRENCY).map((id) => this.#delete(scope, id)));
      }
    });
  }

  /** Nothing to release: `fetch` pools its own connections. */
  close(): void {}

  async #delete(scope: Scope, id: string): Promise<void> {
    try {
      await this.#call("DELETE /servers/{id}", true, () => this.#port.deleteServer(scope.compute, id));
    } catch (e) {
      // Already gone, or never there.
      if (statusOf(e) === 404) return;
      throw e;
    }
  }

  /** Every page of the servers whose name matches `name`, in one listing. */
  async #listServers(scope: Scope, name: string): Promise<NovaServer[]> {
    const out: NovaServer[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const at = marker;
      const { servers, nextMarker } = await this.#call("GET /servers/detail", true, () =>
        this.#port.listServers(scope.compute, { name, limit: SERVER_PAGE, marker: at }),
      );
      for (const s of servers) if (!GONE_STATUSES.has(s.status)) out.push(s);
      if (nextMarker === undefined || nextMarker === marker || servers.length === 0) return out;
      marker = nextMarker;
    }
    throw new CloudError("transient", "TooManyPages", `${this.site}: GET /servers/detail went on for more than ${MAX_PAGES} pages`);
  }

  async #flavorId(scope: Scope, wanted: string): Promise<string> {
    const key = scope.token.projectId;
    let cached = this.#flavors.get(key);
    if (cached === undefined || this.#stale(cached.atMs)) {
      const flavors = await this.#call("GET /flavors", true, () => this.#port.listFlavors(scope.compute));
      cached = { atMs: this.#clock().getTime(), flavors };
      remember(this.#flavors, key, cached);
    }
    const byId = cached.flavors.find((f) => f.id === wanted);
    if (byId !== undefined) return byId.id;
    return this.#one("flavor", wanted, cached.flavors.filter((f) => f.name === wanted));
  }

  async #imageId(scope: Scope, wanted: string): Promise<string> {
    if (UUID.test(wanted)) return wanted;
    return this.#lookup(this.#images, scope, "image", wanted, async (session) =>
      this.#call("GET /v2/images", true, () => this.#port.findImages(session, wanted)),
    );
  }

  async #networkId(scope: Scope, wanted: string): Promise<string> {
    if (UUID.test(wanted)) return wanted;
    return this.#lookup(this.#networks, scope, "network", wanted, async (session) =>
      this.#call("GET /v2.0/networks", true, () => this.#port.findNetworks(session, wanted)),
    );
  }

  /** An image or network id by name, through the catalog's service of that type; cached. */
  async #lookup(
    cache: Map<string, { readonly atMs: number; readonly id: string }>,
    scope: Scope,
    type: "image" | "network",
    wanted: string,
    find: (session: ServiceSession) => Promise<Named[]>,
  ): Promise<string> {
    const key = `${scope.token.projectId}\0${wanted}`;
    const cached = cache.get(key);
    if (cached !== undefined && !this.#stale(cached.atMs)) return cached.id;
    const url = catalogEndpoint(scope.token, type, this.#target.region, this.site);
    const id = this.#one(type, wanted, (await find({ url, token: scope.token.id })).filter((n) => n.name === wanted));
    remember(cache, key, { atMs: this.#clock().getTime(), id });
    return id;
  }

  #one(type: string, wanted: string, found: readonly Named[]): string {
    if (found.length === 1) return found[0]!.id;
    const detail = found.length === 0 ? `no ${type} named or with id '${wanted}'` : `${found.length} ${type}s are named '${wanted}': use the id`;
    const code = `Unknown${type[0]!.toUpperCase()}${type.slice(1)}`;
    throw new CloudError("config", code, `${this.site}: ${code}: ${detail}`);
  }

  #stale(atMs: number): boolean {
    return this.#clock().getTime() - atMs >= LOOKUP_TTL_MS;
  }

  /**
   * Runs `fn` with a token for the credentials and the compute endpoint. A cached token that
   * a service refuses with 401 is dropped and `fn` runs once more with a fresh one; a fresh
   * token refused is an `auth` error.
   */
  async #withScope<T>(credentials: OpenStackCredentials, fn: (scope: Scope) => Promise<T>): Promise<T> {
    const first = await this.#tokens.get(credentials);
    try {
      return await fn(this.#scope(first.token, credentials));
    } catch (e) {
      if (first.fresh || statusOf(e) !== 401) throw e;
      this.#tokens.drop(credentials, first.token);
      const renewed = await this.#tokens.get(credentials);
      return await fn(this.#scope(renewed.token, credentials));
    }
  }

  #scope(token: KeystoneToken, credentials: OpenStackCredentials): Scope {
    return { token, credentials, compute: { url: catalogEndpoint(token, "compute", this.#target.region, this.site), token: token.id } };
  }

  /**
   * Runs one call and classifies what it throws. An idempotent call that is throttled or
   * fails transiently is tried again after a jittered wait, a few times.
   */
  async #call<T>(what: string, idempotent: boolean, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        const error = classifyOpenStackError(e, this.site, what);
        const retryable = idempotent && (error.kind === "transient" || error.kind === "throttled");
        if (!retryable || attempt >= this.#retry.attempts) throw error;
        await this.#sleep(this.#backoff(attempt, error));
      }
    }
  }

  /** The wait after the `attempt`-th failure: jittered, or the cloud's `Retry-After` when it asks for longer, up to the maximum. */
  #backoff(attempt: number, error: CloudError): number {
    const jittered = jitteredDelay(attempt, this.#retry, this.#random);
    const asked = error.cause instanceof OpenStackHttpError ? (error.cause.retryAfterMs ?? 0) : 0;
    return Math.max(jittered, Math.min(asked, this.#retry.maxDelayMs));
  }

  #credentials(credentials: DriverCredentials | null): OpenStackCredentials {
    if (credentials === null) {
      throw new CloudError("auth", "MissingCredentials", `${this.site} needs the user's credentials: phantom credentials set USER ${this.site} …`);
    }
    if (credentials.kind !== "openstack") {
      throw new CloudError(
        "auth",
        "WrongCredentials",
        `${this.site} is an OpenStack site and takes Keystone credentials: phantom credentials set USER ${this.site} --application-credential-id … (or --username …)`,
      );
    }
    return credentials;
  }

  /** A Nova server as a {@link CloudVm}; a status Phantom does not know counts as `pending` (the boot timeout decides). */
  #vm(server: NovaServer): CloudVm {
    const created = Date.parse(server.created);
    const deleting = server.taskState === "deleting";
    const state: VmState = deleting ? "shutting-down" : (STATES[server.status] ?? "pending");
    return {
      id: server.id,
      state,
      launchedAt: Number.isNaN(created) ? this.#clock() : new Date(created),
      instanceType: server.flavor,
      tags: server.metadata,
      ...(server.status === "ERROR" && !deleting && { awaitsDelete: true, ...(server.fault !== null && { reason: server.fault }) }),
    };
  }
}

/**
 * Tags as Nova's metadata: Phantom's own first, then the rest, leaving out what Nova would
 * refuse (keys outside its characters, values over 255 characters, items past 128).
 */
export function novaMetadata(tags: Readonly<Record<string, string>>): Record<string, string> {
  const own = new Set<string>(Object.values(VM_TAGS));
  const ordered = [...Object.entries(tags).filter(([k]) => own.has(k)), ...Object.entries(tags).filter(([k]) => !own.has(k))];
  const out: Record<string, string> = {};
  let items = 0;
  for (const [key, value] of ordered) {
    if (items >= METADATA_ITEMS_MAX || !METADATA_KEY.test(key) || value.length > METADATA_VALUE_MAX) continue;
    out[key] = value;
    items++;
  }
  return out;
}

function nonEmpty<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === "" ? {} : ({ [key]: value } as Record<K, string>);
}

/** The HTTP status behind a classified error, if there was an answer. */
function statusOf(e: unknown): number | undefined {
  const cause = e instanceof CloudError ? e.cause : e;
  return cause instanceof OpenStackHttpError ? cause.status : undefined;
}

/** Sets `key` in a bounded cache, forgetting the oldest entry when full. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > LOOKUP_CACHE_MAX) cache.delete(cache.keys().next().value!);
}
