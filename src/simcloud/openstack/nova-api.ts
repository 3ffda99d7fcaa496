/**
 * The face's Nova: version discovery (`GET /` and `GET /v2.1/`), microversions, and the
 * subset Phantom and the `openstack` command use — servers (`nova-servers.ts`), flavors and
 * key pairs. Every call but discovery needs a token from the face's Keystone.
 *
 * Microversions 2.1 to {@link MAX_MICROVERSION} are served: the one asked for (in
 * `OpenStack-API-Version: compute X` or `X-OpenStack-Nova-API-Version`, `latest` for the
 * newest; 2.1 when none is asked) shapes the answer and is echoed in both headers; one
 * outside that range is refused with 406.
 */
import type { KeystoneApi } from "./keystone-api.js";
import { json, jsonBody, OpenStackApiError, serve, type FaceRequest, type FaceResponse } from "./openstack-http.js";
import { FLAVORS, type Flavor } from "./openstack-resources.js";
import type { NovaKeypairs } from "./nova-keypairs.js";
import { MAX_LIMIT, type NovaContext, type NovaServers } from "./nova-servers.js";

/** The newest microversion served: 2.47 (flavors described in servers). */
export const MAX_MICROVERSION = 47;
const VERSION = /^2\.(\d{1,3})$/;

/** Nova for the face. */
export class NovaApi {
  constructor(
    private readonly keystone: KeystoneApi,
    private readonly servers: NovaServers,
    private readonly keypairs: NovaKeypairs,
    private readonly clock: () => Date,
  ) {}

  /** Answers a request below `/compute`; never throws. */
  async handle(request: FaceRequest): Promise<FaceResponse> {
    let version = 1;
    const response = await serve("compute", request.base, () => {
      version = microversionOf(request.headers);
      return this.#route(request, version);
    });
    return {
      ...response,
      headers: {
        ...response.headers,
        "openstack-api-version": `compute 2.${version}`,
        "x-openstack-nova-api-version": `2.${version}`,
        vary: "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
      },
    };
  }

  async #route(request: FaceRequest, version: number): Promise<FaceResponse> {
    const path = request.path.replace(/\/+$/, "");
    const method = request.method;
    if (path === "" && method === "GET") return json(200, { versions: [versionDoc(request.base)] });
    if (path === "/v2.1" && method === "GET") return json(200, { version: versionDoc(request.base) });
    if (!path.startsWith("/v2.1/")) throw new OpenStackApiError(404, "The resource could not be found.");
    const ctx: NovaContext = { token: this.keystone.authenticate(request.headers), version, base: request.base };
    const parts = path.slice("/v2.1/".length).split("/").map(decodeSegment);
    const [collection, id, more] = parts;
    if (parts.length > 3) throw new OpenStackApiError(404, "The resource could not be found.");
    if (more !== undefined) {
      // A flavor's extra specs (none here): `openstack flavor list` reads them.
      if (collection === "flavors" && more === "os-extra_specs" && method === "GET") {
        flavorOf(id!);
        return json(200, { extra_specs: {} });
      }
      throw new OpenStackApiError(404, "The resource could not be found.");
    }
    switch (collection) {
      case "servers":
        if (id === undefined) {
          if (method === "GET") return this.servers.list(ctx, request.query, false);
          if (method === "POST") return this.servers.create(ctx, jsonBody(request));
        } else if (id === "detail") {
          if (method === "GET") return this.servers.list(ctx, request.query, true);
        } else {
          if (method === "GET") return this.servers.show(ctx, id);
          if (method === "DELETE") return this.servers.delete(ctx, id);
        }
        break;
      case "flavors":
        if (method === "GET") return flavors(ctx, id, request.query);
        break;
      case "os-keypairs": {
        const user = ctx.token.user.id;
        if (id === undefined) {
          if (method === "GET") return this.keypairs.list(user, version);
          if (method === "POST") return this.keypairs.create(user, jsonBody(request), version, this.clock());
        } else {
          if (method === "GET") return this.keypairs.show(user, id, version);
          if (method === "DELETE") return this.keypairs.delete(user, id, version);
        }
        break;
      }
      default:
        throw new OpenStackApiError(404, "The resource could not be found.");
    }
    throw new OpenStackApiError(405, `The method ${method} is not allowed for this resource.`);
  }
}

/** The minor number of the microversion asked for. @throws OpenStackApiError 400 malformed, 406 not served */
function microversionOf(headers: ReadonlyMap<string, string>): number {
  const standard = headers
    .get("openstack-api-version")
    ?.split(",")
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === "compute")?.[1];
  const asked = standard ?? headers.get("x-openstack-nova-api-version")?.trim();
  if (asked === undefined) return 1;
  if (asked.toLowerCase() === "latest") return MAX_MICROVERSION;
  const match = VERSION.exec(asked);
  if (match === null) {
    throw new OpenStackApiError(400, `API Version String ${asked.slice(0, 40)} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
  const minor = Number(match[1]);
  if (minor < 1 || minor > MAX_MICROVERSION) {
    throw new OpenStackApiError(406, `Version 2.${minor} is not supported by the API. Minimum is 2.1 and maximum is 2.${MAX_MICROVERSION}.`);
  }
  return minor;
}

function versionDoc(base: string) {
  return {
    id: "v2.1",
    links: [
      { href: `${base}/compute/v2.1/`, rel: "self" },
      { href: "http://docs.openstack.org/", rel: "describedby", type: "text/html" },
    ],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" }],
    status: "CURRENT",
    version: `2.${MAX_MICROVERSION}`,
    min_version: "2.1",
    updated: "2013-07-23T11:33:21Z",
  };
}

/** `GET /flavors`, `GET /flavors/detail` and `GET /flavors/{id}`, as `flavors/*.json` show them. */
function flavors(ctx: NovaContext, id: string | undefined, query: URLSearchParams): FaceResponse {
  const brief = (f: Flavor) => ({ id: f.id, links: flavorLinks(ctx.base, f.id), name: f.name });
  const detail = (f: Flavor) => ({
    "OS-FLV-DISABLED:disabled": false,
    disk: f.disk,
    "OS-FLV-EXT-DATA:ephemeral": 0,
    "os-flavor-access:is_public": true,
    id: f.id,
    links: flavorLinks(ctx.base, f.id),
    name: f.name,
    ram: f.ram,
    swap: "",
    vcpus: f.vcpus,
    rxtx_factor: 1.0,
  });
  if (id !== undefined && id !== "detail") return json(200, { flavor: detail(flavorOf(id)) });
  const marker = query.get("marker");
  let start = 0;
  if (marker !== null) {
    start = FLAVORS.findIndex((f) => f.id === marker) + 1;
    if (start === 0) throw new OpenStackApiError(400, `marker [${marker}] not found`);
  }
  const limitParam = query.get("limit");
  if (limitParam !== null && !/^\d{1,9}$/.test(limitParam)) throw new OpenStackApiError(400, "limit param must be an integer");
  const limit = Math.min(limitParam === null ? MAX_LIMIT : Number(limitParam), MAX_LIMIT);
  const page = FLAVORS.slice(start, start + limit);
  const body: Record<string, unknown> = { flavors: page.map(id === "detail" ? detail : brief) };
  if (page.length > 0 && page.length === limit) {
    const next = new URLSearchParams(query);
    next.set("marker", page[page.length - 1]!.id);
    body.flavors_links = [{ href: `${ctx.base}/compute/v2.1/flavors${id === "detail" ? "/detail" : ""}?${next}`, rel: "next" }];
  }
  return json(200, body);
}

/** @throws OpenStackApiError 404 for an unknown flavor */
function flavorOf(id: string): Flavor {
  const flavor = FLAVORS.find((f) => f.id === id);
  if (flavor === undefined) throw new OpenStackApiError(404, `Flavor ${id} could not be found.`);
  return flavor;
}

function flavorLinks(base: string, id: string) {
  return [
    { href: `${base}/compute/v2.1/flavors/${id}`, rel: "self" },
    { href: `${base}/compute/flavors/${id}`, rel: "bookmark" },
  ];
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OpenStackApiError(404, "The resource could not be found.");
  }
}
