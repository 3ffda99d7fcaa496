/**
 * The OpenStack driver's port: only the HTTP calls it makes — a Keystone token, Nova's servers
 * and flavors, an image and a network looked up by name — in the shapes of their JSON, so unit
 * tests stub the cloud without HTTP (as `ec2-port.ts` does for EC2). {@link fetchOpenStackPort}
 * is the real one, on Node's built-in `fetch`.
 *
 * The port makes one attempt per call and reports what came back: an answer that is not a
 * success is an {@link OpenStackHttpError} with the status and the service's own message; no
 * answer at all (refused, reset, timed out) is whatever `fetch` threw. Retrying, renewing a
 * token and classifying errors are the driver's.
 */
import type { OpenStackAuth } from "../driver.js";

/**
 * The compute API microversion the driver asks for: 2.37 lets a server ask for `auto`
 * networking, 2.47 lists a server's flavor by name.
 */
export const COMPUTE_MICROVERSION = "2.47";

/** A token and what it was issued for. */
export interface KeystoneToken {
  /** The `X-Subject-Token`. */
  readonly id: string;
  /** `expires_at`, in epoch milliseconds. */
  readonly expiresAtMs: number;
  readonly projectId: string;
  readonly catalog: readonly CatalogService[];
}

/** One service of a token's catalog. */
export interface CatalogService {
  readonly type: string;
  readonly endpoints: readonly { readonly interface: string; readonly region: string; readonly url: string }[];
}

/** Where a call goes: a service endpoint from the catalog, and the token to show it. */
export interface ServiceSession {
  readonly url: string;
  readonly token: string;
}

/** A server as Nova lists it (the members the driver reads). */
export interface NovaServer {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly taskState: string | null;
  /** `created`, as sent. */
  readonly created: string;
  /** The flavor's name (microversion 2.47 on), else its id. */
  readonly flavor: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The fault's message, for a server in ERROR. */
  readonly fault: string | null;
}

/** What `POST /servers` is sent (Nova's names). */
export interface NovaServerCreate {
  readonly name: string;
  readonly imageRef: string;
  readonly flavorRef: string;
  readonly networks: "auto" | readonly { readonly uuid: string }[];
  readonly min_count: number;
  readonly max_count: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly key_name?: string;
  readonly user_data?: string;
  readonly security_groups?: readonly { readonly name: string }[];
}

/** A page of `GET /servers/detail`: its servers, and the marker of the next page if any. */
export interface ServerPage {
  readonly servers: readonly NovaServer[];
  readonly nextMarker: string | undefined;
}

/** Something with an id and a name: a flavor, an image, a network. */
export interface Named {
  readonly id: string;
  readonly name: string;
}

/** The calls the driver makes. */
export interface OpenStackPort {
  /** `POST {authUrl}/auth/tokens`, scoped by the credentials (a project, or the application credential's). */
  issueToken(authUrl: string, auth: OpenStackAuth): Promise<KeystoneToken>;
  /** One page of `GET /servers/detail`, servers whose name matches `name` (a regular expression, as Nova reads it). */
  listServers(compute: ServiceSession, query: { readonly name: string; readonly limit: number; readonly marker?: string | undefined }): Promise<ServerPage>;
  /** `POST /servers`; returns the first server's id (Nova names only one, however many it made). */
  createServer(compute: ServiceSession, server: NovaServerCreate): Promise<string>;
  /** `DELETE /servers/{id}`. */
  deleteServer(compute: ServiceSession, id: string): Promise<void>;
  /** `GET /flavors` (every page). */
  listFlavors(compute: ServiceSession): Promise<Named[]>;
  /** `GET /v2/images?name=…` of the image service. */
  findImages(image: ServiceSession, name: string): Promise<Named[]>;
  /** `GET /v2.0/networks?name=…` of the network service. */
  findNetworks(network: ServiceSession, name: string): Promise<Named[]>;
}

/** An answer that was not a success. */
export class OpenStackHttpError extends Error {
  override readonly name = "OpenStackHttpError";
  constructor(
    readonly status: number,
    /** The kind of error as the body names it (Nova's `forbidden`, `badRequest`, …; Keystone's title), if it does. */
    readonly errorName: string | undefined,
    message: string,
    /** From `Retry-After`, when sent. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/** An answer that came back successful but not in the shape the API documents. */
export class OpenStackProtocolError extends Error {
  override readonly name = "OpenStackProtocolError";
}

/** How long the real port waits for an answer (connection included). */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Most bytes of an error body kept for its message. */
const MAX_ERROR_TEXT = 2_000;
/** The most pages of flavors read, so a cloud answering in circles cannot loop us. */
const MAX_FLAVOR_PAGES = 100;

/** The real port, on `fetch`, each request bounded by `timeoutMs`. */
export function fetchOpenStackPort(options: { readonly timeoutMs?: number } = {}): OpenStackPort {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  async function call(method: string, url: string, init: { token?: string; body?: unknown; compute?: boolean } = {}) {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.token !== undefined) headers["x-auth-token"] = init.token;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.compute === true) {
      headers["openstack-api-version"] = `compute ${COMPUTE_MICROVERSION}`;
      headers["x-openstack-nova-api-version"] = COMPUTE_MICROVERSION;
    }
    const response = await fetch(url, {
      method,
      headers,
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw httpError(response, text);
    return { headers: response.headers, json: text === "" ? undefined : parseJson(text, method, url) };
  }

  return {
    async issueToken(authUrl, auth) {
      const { headers, json } = await call("POST", `${authUrl}/auth/tokens`, { body: tokenRequest(auth) });
      const id = headers.get("x-subject-token");
      if (id === null || id === "") throw new OpenStackProtocolError("Keystone answered without X-Subject-Token");
      return parseToken(id, json);
    },
    async listServers(compute, query) {
      const params = new URLSearchParams({ name: query.name, limit: String(query.limit) });
      if (query.marker !== undefined) params.set("marker", query.marker);
      const { json } = await call("GET", `${compute.url}/servers/detail?${params}`, { token: compute.token, compute: true });
      const body = record(json, "the server list");
      return { servers: list(body.servers, "servers").map(parseServer), nextMarker: nextMarker(body.servers_links) };
    },
    async createServer(compute, server) {
      const { json } = await call("POST", `${compute.url}/servers`, { token: compute.token, body: { server }, compute: true });
      return text(record(record(json, "the created server").server, "server").id, "server.id");
    },
    async deleteServer(compute, id) {
      await call("DELETE", `${compute.url}/servers/${encodeURIComponent(id)}`, { token: compute.token, compute: true });
    },
    async listFlavors(compute) {
      const out: Named[] = [];
      let marker: string | undefined;
      for (let page = 0; page < MAX_FLAVOR_PAGES; page++) {
        const params = new URLSearchParams(marker === undefined ? {} : { marker });
        const { json } = await call("GET", `${compute.url}/flavors?${params}`, { token: compute.token, compute: true });
        const body = record(json, "the flavor list");
        out.push(...list(body.flavors, "flavors").map(parseNamed));
        const next = nextMarker(body.flavors_links);
        if (next === undefined || next === marker) return out;
        marker = next;
      }
      return out;
    },
    async findImages(image, name) {
      const { json } = await call("GET", `${versioned(image.url, "v2")}/images?${new URLSearchParams({ name })}`, { token: image.token });
      return list(record(json, "the image list").images, "images").map(parseNamed);
    },
    async findNetworks(network, name) {
      const { json } = await call("GET", `${versioned(network.url, "v2.0")}/networks?${new URLSearchParams({ name })}`, { token: network.token });
      return list(record(json, "the network list").networks, "networks").map(parseNamed);
    },
  };
}

/** Keystone v3's request body for the credentials: a project-scoped password, or an application credential. */
function tokenRequest(auth: OpenStackAuth): unknown {
  if (auth.method === "application_credential") {
    return { auth: { identity: { methods: ["application_credential"], application_credential: { id: auth.id, secret: auth.secret } } } };
  }
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { name: auth.username, domain: { name: auth.userDomain }, password: auth.password } },
      },
      scope: { project: { name: auth.project, domain: { name: auth.projectDomain } } },
    },
  };
}

/** A service URL with its API version: catalogs list Glance and Neutron without one. */
function versioned(url: string, version: string): string {
  const base = url.replace(/\/+$/, "");
  return base.endsWith(`/${version}`) ? base : `${base}/${version}`;
}

function httpError(response: Response, body: string): OpenStackHttpError {
  const { name, message } = errorOf(body);
  const retryAfter = response.headers.get("retry-after");
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  return new OpenStackHttpError(
    response.status,
    name,
    message ?? (body.slice(0, MAX_ERROR_TEXT).trim() || response.statusText),
    Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined,
  );
}

/**
 * The name and message of an error body: Nova's `{"forbidden": {"code": 403, "message": …}}`,
 * Keystone's `{"error": {"code": 401, "title": "Unauthorized", "message": …}}`, Neutron's
 * `{"NeutronError": {"type": …, "message": …}}`; nothing for other bodies (Glance's text).
 */
function errorOf(body: string): { name: string | undefined; message: string | undefined } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { name: undefined, message: undefined };
  }
  if (typeof json !== "object" || json === null) return { name: undefined, message: undefined };
  for (const [key, value] of Object.entries(json)) {
    if (typeof value !== "object" || value === null) continue;
    const inner = value as Record<string, unknown>;
    if (typeof inner.message !== "string") continue;
    const name = key === "error" && typeof inner.title === "string" ? inner.title : typeof inner.type === "string" ? inner.type : key;
    return { name, message: inner.message.slice(0, MAX_ERROR_TEXT) };
  }
  return { name: undefined, message: undefined };
}

function parseJson(body: string, method: string, url: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new OpenStackProtocolError(`${method} ${new URL(url).pathname} answered with a body that is not JSON`);
  }
}

function parseToken(id: string, json: unknown): KeystoneToken {
  const token = record(record(json, "the token").token, "token");
  const expiresAtMs = Date.parse(text(token.expires_at, "token.expires_at"));
  if (Number.isNaN(expiresAtMs)) throw new OpenStackProtocolError(`token.expires_at is not a time: ${String(token.expires_at)}`);
  const project = record(token.project, "token.project");
  const catalog = list(token.catalog ?? [], "token.catalog").map((entry): CatalogService => {
    const service = record(entry, "a catalog entry");
    return {
      type: text(service.type, "catalog type"),
      endpoints: list(service.endpoints, "catalog endpoints").map((e) => {
        const endpoint = record(e, "an endpoint");
        return {
          interface: text(endpoint.interface, "endpoint interface"),
          region: typeof endpoint.region_id === "string" ? endpoint.region_id : typeof endpoint.region === "string" ? endpoint.region : "",
          url: text(endpoint.url, "endpoint url"),
        };
      }),
    };
  });
  return { id, expiresAtMs, projectId: text(project.id, "token.project.id"), catalog };
}

function parseServer(value: unknown): NovaServer {
  const server = record(value, "a server");
  const flavor = server.flavor === undefined || server.flavor === null ? {} : record(server.flavor, "server.flavor");
  const metadata = server.metadata === undefined || server.metadata === null ? {} : record(server.metadata, "server.metadata");
  const fault = server.fault === undefined || server.fault === null ? null : record(server.fault, "server.fault");
  const taskState = server["OS-EXT-STS:task_state"];
  return {
    id: text(server.id, "server.id"),
    name: typeof server.name === "string" ? server.name : "",
    status: text(server.status, "server.status"),
    taskState: typeof taskState === "string" ? taskState : null,
    created: typeof server.created === "string" ? server.created : "",
    flavor: typeof flavor.original_name === "string" ? flavor.original_name : typeof flavor.id === "string" ? flavor.id : "",
    metadata: Object.fromEntries(Object.entries(metadata).filter((e): e is [string, string] => typeof e[1] === "string")),
    fault: fault !== null && typeof fault.message === "string" ? fault.message : null,
  };
}

function parseNamed(value: unknown): Named {
  const item = record(value, "an item");
  return { id: text(item.id, "id"), name: typeof item.name === "string" ? item.name : "" };
}

/** The `marker` of a `rel: next` link, if the links have one. */
function nextMarker(links: unknown): string | undefined {
  if (!Array.isArray(links)) return undefined;
  for (const link of links) {
    if (typeof link !== "object" || link === null) continue;
    const { rel, href } = link as Record<string, unknown>;
    if (rel !== "next" || typeof href !== "string") continue;
    try {
      return new URL(href, "http://link.invalid").searchParams.get("marker") ?? undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OpenStackProtocolError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new OpenStackProtocolError(`${what} is not a list`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw new OpenStackProtocolError(`${what} is missing`);
  return value;
}
