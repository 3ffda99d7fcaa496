/**
 * Nova's servers over the simulated cloud: create (`POST /servers`), list (`GET /servers`,
 * `GET /servers/detail`, paged with `limit` and `marker`, filtered by `name` and `status`),
 * show and delete, in the shapes of Nova's API samples for the microversion asked.
 *
 * A project is an account of the cloud, so projects never see each other's servers. Servers
 * the cloud has no room for are taken and fail at once (ERROR, "No valid host was found"), as
 * Nova's scheduler fails them; a project at its quota is refused with 403 "Quota exceeded for
 * instances". A server that failed stays listed in ERROR, with its fault, until it is
 * deleted; a deleted one is gone (404).
 */
import { createHash, randomBytes } from "node:crypto";
import { CloudError } from "../../clouds/driver.js";
import { QuotaExceededError, type SimulatedCloud, type SimulatedVm } from "../../clouds/simulated/simulated-cloud.js";
import type { TokenInfo } from "./keystone-api.js";
import { empty, isoMicros, isoSeconds, json, objectAt, OpenStackApiError, type FaceResponse } from "./openstack-http.js";
import { flavorById, FLAVORS, imageById, NETWORKS, networkById, type Flavor } from "./openstack-resources.js";
import type { NovaKeypairs } from "./nova-keypairs.js";

/** What a call knows of its caller: the token, the microversion's minor number, and the face's URL. */
export interface NovaContext {
  readonly token: TokenInfo;
  readonly version: number;
  readonly base: string;
}

/** The cloud's account of an OpenStack project. */
export function projectAccount(projectId: string): string {
  return `openstack:${projectId}`;
}

/** `CONF.api.max_limit`: the most servers one page holds. */
export const MAX_LIMIT = 1000;
const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const MAX_METADATA_ITEMS = 128;
const MAX_USER_DATA = 65_535;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The members `POST /servers` takes at the microversions served, those the face uses and those it accepts and ignores. */
const CREATE_MEMBERS = new Set([
  "name",
  "imageRef",
  "flavorRef",
  "networks",
  "min_count",
  "max_count",
  "metadata",
  "key_name",
  "user_data",
  "security_groups",
  "availability_zone",
  "adminPass",
  "OS-DCF:diskConfig",
  "accessIPv4",
  "accessIPv6",
  "config_drive",
  "block_device_mapping",
  "block_device_mapping_v2",
  "personality",
  "return_reservation_id",
]);
/** Members added by later microversions: accepted from that one on. */
const CREATE_MEMBERS_SINCE: Readonly<Record<string, number>> = { description: 19 };

/** Nova's attributes the face keeps with a launch (the cloud's `attributes`). */
interface ServerAttributes {
  readonly name: string;
  readonly userId: string;
  /** The network's id, or "" for `networks: none`. */
  readonly networkId: string;
  readonly availabilityZone: string;
  readonly description: string;
}

/** Nova's servers for the face. */
export class NovaServers {
  constructor(
    private readonly cloud: SimulatedCloud,
    private readonly keypairs: NovaKeypairs,
  ) {}

  /** `POST /servers`. */
  async create(ctx: NovaContext, body: Record<string, unknown>): Promise<FaceResponse> {
    const server = objectAt(body, "server", "server");
    for (const key of Object.keys(server)) {
      const since = CREATE_MEMBERS_SINCE[key];
      if (!CREATE_MEMBERS.has(key) && !(since !== undefined && ctx.version >= since)) {
        throw new OpenStackApiError(400, `Invalid input for field/attribute server. Additional properties are not allowed ('${key}' was unexpected)`);
      }
    }
    const name = stringMember(server, "name", 1, 255, true)!;
    const flavor = this.#flavor(server.flavorRef);
    const imageId = this.#image(server.imageRef);
    const networkId = this.#network(server.networks, ctx.version);
    const minCount = countMember(server, "min_count");
    const maxCount = countMember(server, "max_count", minCount);
    if (minCount > maxCount) throw new OpenStackApiError(400, "min_count must be <= max_count");
    const metadata = metadataMember(server.metadata);
    const keyName = stringMember(server, "key_name", 1, 255, false);
    if (keyName !== undefined && !this.keypairs.has(ctx.token.user.id, keyName)) throw new OpenStackApiError(400, "Invalid key_name provided.");
    const userData = stringMember(server, "user_data", 0, MAX_USER_DATA, false);
    if (userData !== undefined && !BASE64.test(userData)) throw new OpenStackApiError(400, "User data needs to be valid base 64.");
    const securityGroups = securityGroupsMember(server.security_groups);
    const attributes: ServerAttributes = {
      name,
      userId: ctx.token.user.id,
      networkId,
      availabilityZone: stringMember(server, "availability_zone", 1, 255, false) ?? "nova",
      description: ctx.version >= 19 ? (stringMember(server, "description", 0, 255, false) ?? "") : "",
    };
    let vms: SimulatedVm[];
    try {
      vms = await this.cloud.runInstances(projectAccount(ctx.token.project.id), {
        imageId,
        instanceType: flavor.id,
        count: maxCount,
        minCount,
        tags: metadata,
        keyName,
        userData,
        securityGroups: securityGroups ?? ["default"],
        whenFull: "fail",
        idFormat: "uuid",
        attributes: { ...attributes },
      });
    } catch (e) {
      if (e instanceof QuotaExceededError) {
        const requested = minCount === maxCount ? String(minCount) : `${minCount}-${maxCount}`;
        throw new OpenStackApiError(403, `Quota exceeded for instances: Requested ${requested}, but already used ${e.used} of ${e.allowed} instances`);
      }
      throw asApiError(e);
    }
    if (server.return_reservation_id === true || server.return_reservation_id === "True") {
      return json(202, { reservation_id: vms[0]!.reservationId });
    }
    const first = vms[0]!;
    return json(202, {
      server: {
        id: first.id,
        links: links(ctx.base, "servers", first.id),
        "OS-DCF:diskConfig": server["OS-DCF:diskConfig"] === "AUTO" ? "AUTO" : "MANUAL",
        security_groups: (securityGroups ?? ["default"]).map((g) => ({ name: g })),
        adminPass: typeof server.adminPass === "string" ? server.adminPass : randomBytes(9).toString("base64url"),
      },
    });
  }

  /** `GET /servers` (`detail` false) and `GET /servers/detail`. */
  async list(ctx: NovaContext, query: URLSearchParams, detail: boolean): Promise<FaceResponse> {
    const view = detail ? this.#detailView(ctx) : (vm: SimulatedVm) => this.#brief(ctx, vm);
    const limit = limitOf(query);
    const nameFilter = query.has("name") ? namePattern(query.get("name")!) : null;
    const status = query.get("status")?.toUpperCase();
    let servers = (await this.#visible(ctx)).reverse();
    if (nameFilter !== null) servers = servers.filter((vm) => nameFilter.test(serverName(vm)));
    if (status !== undefined) servers = servers.filter((vm) => statusOf(vm) === status);
    const marker = query.get("marker");
    let start = 0;
    if (marker !== null) {
      const at = servers.findIndex((vm) => vm.id === marker);
      if (at < 0) throw new OpenStackApiError(400, `marker [${marker}] not found`);
      start = at + 1;
    }
    const page = servers.slice(start, start + limit);
    const body: Record<string, unknown> = { servers: page.map(view) };
    if (page.length > 0 && page.length === limit) {
      const next = new URLSearchParams(query);
      next.set("limit", String(limit));
      next.set("marker", page[page.length - 1]!.id);
      body.servers_links = [{ href: `${ctx.base}/compute/v2.1/servers${detail ? "/detail" : ""}?${next}`, rel: "next" }];
    }
    return json(200, body);
  }

  /** `GET /servers/{id}`. */
  async show(ctx: NovaContext, id: string): Promise<FaceResponse> {
    return json(200, { server: this.#detailView(ctx)(await this.#one(ctx, id)) });
  }

  /** `DELETE /servers/{id}`. */
  async delete(ctx: NovaContext, id: string): Promise<FaceResponse> {
    await this.#one(ctx, id);
    try {
      await this.cloud.terminateInstances(projectAccount(ctx.token.project.id), [id]);
    } catch (e) {
      throw asApiError(e);
    }
    return empty(204);
  }

  /** The project's servers that are not deleted, in launch order. */
  async #visible(ctx: NovaContext): Promise<SimulatedVm[]> {
    try {
      return (await this.cloud.describeInstances(projectAccount(ctx.token.project.id))).filter(isVisible);
    } catch (e) {
      throw asApiError(e);
    }
  }

  async #one(ctx: NovaContext, id: string): Promise<SimulatedVm> {
    let vm: SimulatedVm | undefined;
    try {
      [vm] = await this.cloud.describeInstances(projectAccount(ctx.token.project.id), { ids: [id] });
    } catch (e) {
      throw asApiError(e);
    }
    if (vm === undefined || !isVisible(vm)) throw new OpenStackApiError(404, `Instance ${id} could not be found.`);
    return vm;
  }

  #flavor(ref: unknown): Flavor {
    const id = typeof ref === "number" ? String(ref) : typeof ref === "string" ? lastSegment(ref) : undefined;
    const flavor = id === undefined ? undefined : flavorById(id);
    if (flavor === undefined) throw new OpenStackApiError(400, "Invalid flavorRef provided.");
    return flavor;
  }

  #image(ref: unknown): string {
    if (typeof ref !== "string" || ref === "") throw new OpenStackApiError(400, "Missing imageRef attribute");
    const image = imageById(lastSegment(ref));
    if (image === undefined) throw new OpenStackApiError(400, "Can not find requested image");
    return image.id;
  }

  /** The network the server gets: from 2.37 on `networks` is required (`auto`, `none` or a list). */
  #network(value: unknown, version: number): string {
    if (value === undefined) {
      if (version >= 37) throw new OpenStackApiError(400, "Invalid input for field/attribute server. 'networks' is a required property");
      return NETWORKS[0]!.id;
    }
    if (value === "auto") return NETWORKS[0]!.id;
    if (value === "none") return "";
    if (!Array.isArray(value)) throw new OpenStackApiError(400, "Invalid input for field/attribute networks. Value must be 'auto', 'none' or a list");
    if (value.length === 0) return NETWORKS[0]!.id;
    if (value.length > 1) throw new OpenStackApiError(400, "The face of phantom simcloud attaches one network per server");
    const [entry] = value as unknown[];
    const uuid = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>).uuid : undefined;
    if (typeof uuid !== "string") throw new OpenStackApiError(400, "Bad networks format: network uuid is not in proper format");
    if (networkById(uuid) === undefined) throw new OpenStackApiError(400, `Network ${uuid} could not be found.`);
    return uuid;
  }

  #brief(ctx: NovaContext, vm: SimulatedVm) {
    return { id: vm.id, links: links(ctx.base, "servers", vm.id), name: serverName(vm) };
  }

  /** Shows servers of the caller's project in the shape of `servers/server-get-resp.json` for the microversion. */
  #detailView(ctx: NovaContext): (vm: SimulatedVm) => Record<string, unknown> {
    const project = ctx.token.project.id;
    // Nova's host id: the host hashed with the project, so projects cannot compare hosts. One host here.
    const hostId = createHash("sha224").update(`${project}host`).digest("hex");
    return (vm) => this.#detail(ctx, vm, project, hostId);
  }

  #detail(ctx: NovaContext, vm: SimulatedVm, project: string, hostId: string): Record<string, unknown> {
    const attributes = attributesOf(vm);
    const status = statusOf(vm);
    const flavor = flavorById(vm.instanceType) ?? FLAVORS[0]!;
    const image = imageById(vm.imageId);
    const network = networkById(attributes.networkId);
    const failed = status === "ERROR" && vm.stateReason !== null;
    return {
      id: vm.id,
      name: serverName(vm),
      status,
      tenant_id: project,
      user_id: attributes.userId,
      metadata: vm.tags,
      hostId: status === "ACTIVE" ? hostId : "",
      image: image === undefined ? "" : { id: image.id, links: [{ href: `${ctx.base}/compute/images/${image.id}`, rel: "bookmark" }] },
      flavor:
        ctx.version >= 47
          ? { vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: 0, swap: 0, original_name: flavor.name }
          : { id: flavor.id, links: [{ href: `${ctx.base}/compute/flavors/${flavor.id}`, rel: "bookmark" }] },
      created: isoSeconds(vm.launchedAt),
      updated: isoSeconds(vm.terminatedAt ?? vm.launchedAt),
      addresses: status === "ACTIVE" && network !== undefined ? { [network.name]: [address(vm.id, network.prefix)] } : {},
      accessIPv4: "",
      accessIPv6: "",
      links: links(ctx.base, "servers", vm.id),
      "OS-DCF:diskConfig": "MANUAL",
      progress: 0,
      "OS-EXT-AZ:availability_zone": attributes.availabilityZone,
      config_drive: "",
      key_name: vm.keyName,
      "OS-SRV-USG:launched_at": status === "ACTIVE" ? isoMicros(vm.launchedAt) : null,
      "OS-SRV-USG:terminated_at": null,
      "OS-EXT-STS:task_state": status === "BUILD" ? "spawning" : null,
      "OS-EXT-STS:vm_state": status === "BUILD" ? "building" : status === "ERROR" ? "error" : "active",
      "OS-EXT-STS:power_state": status === "ACTIVE" ? 1 : 0,
      "os-extended-volumes:volumes_attached": [],
      security_groups: vm.securityGroups.map((g) => ({ name: g })),
      ...(failed && { fault: { code: 500, created: isoSeconds(vm.terminatedAt ?? vm.launchedAt), message: vm.stateReason!.message } }),
      ...(ctx.version >= 9 && { locked: false }),
      ...(ctx.version >= 19 && { description: attributes.description === "" ? null : attributes.description }),
      ...(ctx.version >= 26 && { tags: [] }),
    };
  }
}

/** A server not deleted by its owner: a failed one stays until deleted, as in Nova. */
function isVisible(vm: SimulatedVm): boolean {
  return !(vm.state === "terminated" && vm.deletedByOwner);
}

/** Nova's status of a server the model holds. */
function statusOf(vm: SimulatedVm): string {
  switch (vm.state) {
    case "pending":
      return "BUILD";
    case "running":
    case "shutting-down":
      return "ACTIVE";
    case "stopping":
    case "stopped":
      return "SHUTOFF";
    case "terminated":
      return vm.deletedByOwner ? "DELETED" : "ERROR";
  }
}

function attributesOf(vm: SimulatedVm): ServerAttributes {
  const a = vm.attributes;
  return {
    name: a.name ?? "",
    userId: a.userId ?? "",
    networkId: a.networkId ?? "",
    availabilityZone: a.availabilityZone ?? "nova",
    description: a.description ?? "",
  };
}

/** Nova's names of servers made together: `name-1`, `name-2`, … (`multi_instance_display_name_template`). */
function serverName(vm: SimulatedVm): string {
  const name = vm.attributes.name ?? "";
  return vm.launchSize > 1 ? `${name}-${vm.launchIndex + 1}` : name;
}

/** A fixed address derived from the server's id (FNV-1a): the same server always has the same one. */
function address(id: string, prefix: string) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  const byte = (k: number) => ((hash >>> (8 * k)) & 0xff).toString(16).padStart(2, "0");
  return {
    version: 4,
    addr: `${prefix}.${(hash >>> 24) & 0xff}.${((hash >>> 16) & 0xff) % 254 + 1}`,
    "OS-EXT-IPS:type": "fixed",
    "OS-EXT-IPS-MAC:mac_addr": `fa:16:3e:${byte(2)}:${byte(1)}:${byte(0)}`,
  };
}

function links(base: string, collection: string, id: string) {
  return [
    { href: `${base}/compute/v2.1/${collection}/${id}`, rel: "self" },
    { href: `${base}/compute/${collection}/${id}`, rel: "bookmark" },
  ];
}

/** The last path segment of a reference that may be an id or a URL (`http://…/flavors/1`). */
function lastSegment(ref: string): string {
  return ref.slice(ref.lastIndexOf("/") + 1);
}

/**
 * Nova's `name` filter is a regular expression; the face reads a safe part of one: `^` and `$`
 * anchors, `.` for any character, everything else (and anything after `\`) literally.
 */
export function namePattern(pattern: string): RegExp {
  let source = "";
  let rest = pattern.slice(0, 255);
  const anchoredStart = rest.startsWith("^");
  if (anchoredStart) rest = rest.slice(1);
  const anchoredEnd = rest.endsWith("$") && !rest.endsWith("\\$");
  if (anchoredEnd) rest = rest.slice(0, -1);
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === "\\" && i + 1 < rest.length) source += escapeRegExp(rest[++i]!);
    else source += c === "." ? "." : escapeRegExp(c);
  }
  return new RegExp(`${anchoredStart ? "^" : ""}${source}${anchoredEnd ? "$" : ""}`, "s");
}

function escapeRegExp(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

function limitOf(query: URLSearchParams): number {
  const raw = query.get("limit");
  if (raw === null) return MAX_LIMIT;
  if (!/^\d{1,9}$/.test(raw)) throw new OpenStackApiError(400, "limit param must be an integer");
  return Math.min(Number(raw), MAX_LIMIT);
}

function stringMember(value: Record<string, unknown>, key: string, min: number, max: number, required: boolean): string | undefined {
  const member = value[key];
  if (member === undefined && !required) return undefined;
  if (typeof member !== "string" || member.length < min || member.length > max) {
    throw new OpenStackApiError(400, `Invalid input for field/attribute ${key}. Value must be a string of ${min} to ${max} characters`);
  }
  return member;
}

/** `min_count` or `max_count`: a whole number ≥ 1, possibly as a string (Nova takes both); default `fallback`. */
function countMember(value: Record<string, unknown>, key: string, fallback = 1): number {
  const member = value[key];
  if (member === undefined) return fallback;
  const n = typeof member === "string" && /^\d{1,9}$/.test(member) ? Number(member) : member;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw new OpenStackApiError(400, `Invalid input for field/attribute ${key}. Value: ${JSON.stringify(member)}. ${JSON.stringify(member)} is less than the minimum of 1`);
  }
  return n;
}

function metadataMember(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OpenStackApiError(400, "Invalid input for field/attribute metadata. Value must be an object");
  }
  const entries = Object.entries(value);
  for (const [key, v] of entries) {
    if (!METADATA_KEY.test(key) || typeof v !== "string" || v.length > 255) {
      throw new OpenStackApiError(400, `Invalid input for field/attribute metadata. Value: ${key.slice(0, 255)}`);
    }
  }
  if (entries.length > MAX_METADATA_ITEMS) throw new OpenStackApiError(403, `Maximum number of metadata items exceeds ${MAX_METADATA_ITEMS}`);
  return Object.fromEntries(entries) as Record<string, string>;
}

function securityGroupsMember(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > 100) throw new OpenStackApiError(400, "Invalid input for field/attribute security_groups.");
  return value.map((g: unknown) => {
    const name = typeof g === "object" && g !== null ? (g as Record<string, unknown>).name : undefined;
    if (typeof name !== "string" || name === "" || name.length > 255) throw new OpenStackApiError(400, "Invalid input for field/attribute security_groups.");
    return name;
  });
}

/** A failure of the cloud (its injected faults) as Nova answers it. */
function asApiError(e: unknown): unknown {
  if (!(e instanceof CloudError)) return e;
  if (e.kind === "config") return new OpenStackApiError(400, e.message);
  return e.code === "Unavailable"
    ? new OpenStackApiError(503, "The server is currently unavailable. Please try again at a later time.")
    : new OpenStackApiError(500, "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.");
}
