/**
 * simcloud's OpenStack face: the simulated cloud served through Keystone v3 (`/identity`),
 * Nova (`/compute`), Glance (`/image`) and Neutron (`/network`), beside the EC2 face on the
 * same port and the same cloud. Each path prefix goes to its service; everything else is the
 * EC2 face's. Links and the catalog point at the address the client used (its `Host`), so a
 * client that reached the face by any name keeps reaching it.
 */
import type { SimulatedCloud } from "../../clouds/simulated/simulated-cloud.js";
import { GlanceApi } from "./glance-api.js";
import { KeystoneApi } from "./keystone-api.js";
import { NeutronApi } from "./neutron-api.js";
import { NovaApi } from "./nova-api.js";
import { NovaKeypairs } from "./nova-keypairs.js";
import { NovaServers } from "./nova-servers.js";
import type { FaceRequest, FaceResponse } from "./openstack-http.js";

/** How the face behaves. */
export interface OpenStackFaceOptions {
  /** The catalog's region; default `RegionOne`. */
  readonly region?: string | undefined;
  /** How long tokens are good for; default an hour, as Keystone's. */
  readonly tokenLifetimeSeconds?: number | undefined;
  /** The clock tokens expire by; default the system clock. */
  readonly clock?: (() => Date) | undefined;
}

/** One HTTP request as the server hands it over. */
export interface RawFaceRequest {
  readonly method: string;
  /** The request target: path and query. */
  readonly url: string;
  /** Node's `rawHeaders`: names and values alternating. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly bodyTooLarge: boolean;
  /** The server's own URL, for clients that send no usable `Host`. */
  readonly serverUrl: string;
}

const PREFIXES = ["/identity", "/compute", "/image", "/network"] as const;
type Prefix = (typeof PREFIXES)[number];
/** A `Host` header safe to write into URLs: a name or an IP literal, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** The OpenStack services over one simulated cloud. */
export class OpenStackFace {
  /** The face's Keystone, for operators and tests (`revokeTokens`). */
  readonly keystone: KeystoneApi;
  readonly #nova: NovaApi;
  readonly #glance: GlanceApi;
  readonly #neutron: NeutronApi;

  constructor(cloud: SimulatedCloud, options: OpenStackFaceOptions = {}) {
    const clock = options.clock ?? (() => new Date());
    this.keystone = new KeystoneApi({
      region: options.region ?? "RegionOne",
      tokenLifetimeMs: (options.tokenLifetimeSeconds ?? 3600) * 1000,
      clock,
    });
    const keypairs = new NovaKeypairs();
    this.#nova = new NovaApi(this.keystone, new NovaServers(cloud, keypairs), keypairs, clock);
    this.#glance = new GlanceApi(this.keystone);
    this.#neutron = new NeutronApi(this.keystone);
  }

  /** Whether the request target belongs to the face rather than to the EC2 face. */
  static owns(url: string): boolean {
    return prefixOf(pathOf(url)) !== undefined;
  }

  /** Answers one request; never throws for anything a client sends. */
  async handle(raw: RawFaceRequest): Promise<FaceResponse> {
    const path = pathOf(raw.url);
    const prefix = prefixOf(path)!;
    const q = raw.url.indexOf("?");
    const headers = new Map<string, string>();
    for (let i = 0; i + 1 < raw.rawHeaders.length; i += 2) {
      const name = raw.rawHeaders[i]!.toLowerCase();
      if (!headers.has(name)) headers.set(name, raw.rawHeaders[i + 1]!);
    }
    const host = headers.get("host");
    const request: FaceRequest = {
      method: raw.method,
      path: path.slice(prefix.length),
      query: new URLSearchParams(q < 0 ? "" : raw.url.slice(q + 1)),
      headers,
      body: raw.body,
      bodyTooLarge: raw.bodyTooLarge,
      base: host !== undefined && HOST.test(host) ? `http://${host}` : raw.serverUrl,
    };
    switch (prefix) {
      case "/identity":
        return this.keystone.handle(request);
      case "/compute":
        return this.#nova.handle(request);
      case "/image":
        return this.#glance.handle(request);
      case "/network":
        return this.#neutron.handle(request);
    }
  }
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

function prefixOf(path: string): Prefix | undefined {
  return PREFIXES.find((p) => path === p || path.startsWith(`${p}/`));
}
