/**
 * The OpenStack driver over a scripted port (no HTTP): tokens and their renewal, retries,
 * classification, idempotent launches, state mapping, paging and deletes. The same driver
 * against simcloud's OpenStack face over HTTP is in `openstack-simcloud.*.test.ts`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CloudError, isCloudError, VM_TAGS, type OpenStackCredentials } from "../driver.js";
import { classifyOpenStackError } from "./openstack-errors.js";
import { novaMetadata, OpenStackDriver, SERVER_PAGE } from "./openstack-driver.js";
import {
  OpenStackHttpError,
  OpenStackProtocolError,
  type KeystoneToken,
  type Named,
  type NovaServer,
  type NovaServerCreate,
  type OpenStackPort,
  type ServerPage,
  type ServiceSession,
} from "./openstack-port.js";

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const alice: OpenStackCredentials = { kind: "openstack", auth: { method: "application_credential", id: "alice", secret: "s" }, keyName: "alice-key" };
const COMPUTE = "https://nova.example/v2.1";

type Method = "issueToken" | "listServers" | "createServer" | "deleteServer" | "listFlavors" | "findImages" | "findNetworks";

/** A port over an in-memory project, with errors queued per call and every call recorded. */
class ScriptedPort implements OpenStackPort {
  readonly calls: { method: Method; arg?: unknown; token?: string }[] = [];
  readonly errors = new Map<Method, unknown[]>();
  servers: NovaServer[] = [];
  tokenLifetimeMs = HOUR;
  /** Servers per page, when smaller than asked. */
  pageSize = Infinity;
  #tokens = 0;
  #ids = 0;

  constructor(private readonly now: () => number) {}

  fail(method: Method, ...errors: unknown[]): void {
    this.errors.set(method, [...(this.errors.get(method) ?? []), ...errors]);
  }

  #record(method: Method, session?: ServiceSession, arg?: unknown): void {
    this.calls.push({ method, arg, ...(session && { token: session.token }) });
    const queued = this.errors.get(method);
    if (queued !== undefined && queued.length > 0) throw queued.shift();
  }

  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  async issueToken(): Promise<KeystoneToken> {
    this.#record("issueToken");
    return {
      id: `token-${++this.#tokens}`,
      expiresAtMs: this.now() + this.tokenLifetimeMs,
      projectId: "p1",
      catalog: [
        { type: "compute", endpoints: [{ interface: "public", region: "RegionOne", url: `${COMPUTE}/` }] },
        { type: "image", endpoints: [{ interface: "public", region: "RegionOne", url: "https://glance.example" }] },
        { type: "network", endpoints: [{ interface: "internal", region: "RegionOne", url: "https://neutron.internal" }, { interface: "public", region: "RegionOne", url: "https://neutron.example" }] },
      ],
    };
  }

  async listServers(compute: ServiceSession, query: { name: string; limit: number; marker?: string | undefined }): Promise<ServerPage> {
    this.#record("listServers", compute, query);
    const pattern = new RegExp(query.name);
    const all = this.servers.filter((s) => pattern.test(s.name));
    const start = query.marker === undefined ? 0 : all.findIndex((s) => s.id === query.marker) + 1;
    const page = all.slice(start, start + Math.min(query.limit, this.pageSize));
    return { servers: page, nextMarker: start + page.length < all.length ? page[page.length - 1]!.id : undefined };
  }

  async createServer(compute: ServiceSession, server: NovaServerCreate): Promise<string> {
    this.#record("createServer", compute, server);
    const ids: string[] = [];
    for (let i = 1; i <= server.max_count; i++) {
      const id = `srv-${++this.#ids}`;
      ids.push(id);
      this.servers.push(novaServer(id, server.max_count > 1 ? `${server.name}-${i}` : server.name, "BUILD", server.metadata));
    }
    return ids[0]!;
  }

  async deleteServer(compute: ServiceSession, id: string): Promise<void> {
    this.#record("deleteServer", compute, id);
    const before = this.servers.length;
    this.servers = this.servers.filter((s) => s.id !== id);
    if (this.servers.length === before) throw new OpenStackHttpError(404, "itemNotFound", `Instance ${id} could not be found.`, undefined);
  }

  async listFlavors(compute: ServiceSession): Promise<Named[]> {
    this.#record("listFlavors", compute);
    return [
      { id: "1", name: "m1.tiny" },
      { id: "2", name: "m1.small" },
      { id: "3", name: "dup" },
      { id: "4", name: "dup" },
    ];
  }

  async findImages(image: ServiceSession, name: string): Promise<Named[]> {
    this.#record("findImages", image, name);
    return name === "cirros" ? [{ id: "img-1", name: "cirros" }] : [];
  }

  async findNetworks(network: ServiceSession, name: string): Promise<Named[]> {
    this.#record("findNetworks", network, name);
    return name === "public" ? [{ id: "net-1", name: "public" }] : [];
  }
}

function novaServer(id: string, name: string, status: string, metadata: Record<string, string> = {}, more: Partial<NovaServer> = {}): NovaServer {
  return { id, name, status, taskState: null, created: "2026-01-01T00:00:00Z", flavor: "m1.small", metadata, fault: null, ...more };
}

function setup(site: { network?: string | null; region?: string } = {}) {
  let now = T0;
  const port = new ScriptedPort(() => now);
  const sleeps: number[] = [];
  const driver = new OpenStackDriver(
    { name: "jetstream", authUrl: "https://keystone.example:5000", region: site.region ?? "RegionOne", network: site.network ?? null },
    { port, clock: () => new Date(now), sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  );
  return { port, driver, sleeps, advance: (ms: number) => void (now += ms) };
}

const spec = { imageId: "cirros", instanceType: "m1.small" };
const tags = { [VM_TAGS.deployment]: "d", [VM_TAGS.group]: "g", [VM_TAGS.token]: "tok" };
const launch = (driver: OpenStackDriver, count: number, token = "tok") => driver.launch({ credentials: alice, spec, count, token, tags: { ...tags, [VM_TAGS.token]: token } });
const http = (status: number, message = "boom", name?: string, retryAfterMs?: number) => new OpenStackHttpError(status, name, message, retryAfterMs);

describe("OpenStackDriver", () => {
  describe("tokens", () => {
    it("issues one token per credentials, shared by concurrent calls and reused until shortly before it expires", async () => {
      const { port, driver, advance } = setup();
      await Promise.all([driver.describe(alice, { tag: { key: "g", values: ["x"] } }), driver.describe(alice, { ids: ["a"] })]);
      assert.equal(port.count("issueToken"), 1);
      advance(HOUR - 3 * 60_000);
      await driver.describe(alice, { ids: ["a"] });
      assert.equal(port.count("issueToken"), 1, "still good three minutes before it expires");
      advance(2 * 60_000);
      await driver.describe(alice, { ids: ["a"] });
      assert.equal(port.count("issueToken"), 2, "renewed within two minutes of expiring");
      await driver.describe({ ...alice, auth: { method: "application_credential", id: "alice", secret: "rotated" } }, { ids: ["a"] });
      assert.equal(port.count("issueToken"), 3, "a changed secret gets a token of its own");
    });

    it("renews a cached token once when a service answers 401, and gives up with auth when a fresh one is refused", async () => {
      const { port, driver } = setup();
      await driver.describe(alice, { ids: ["a"] });
      port.fail("listServers", http(401, "The request you have made requires authentication."));
      await driver.describe(alice, { ids: ["a"] });
      assert.deepEqual(
        port.calls.filter((c) => c.method === "listServers").map((c) => c.token),
        ["token-1", "token-1", "token-2"],
      );
      port.fail("listServers", http(401, "no", "Unauthorized"), http(401, "no", "Unauthorized"));
      await assert.rejects(driver.describe(alice, { ids: ["a"] }), (e) => isCloudError(e, "auth") && e.code === "Unauthorized");
      assert.equal(port.count("issueToken"), 3, "one renewal, not two");
    });

    it("does not renew a token it has just been given: 401 then is auth", async () => {
      const { port, driver } = setup();
      port.fail("listServers", http(401));
      await assert.rejects(driver.describe(alice, { ids: ["a"] }), (e) => isCloudError(e, "auth"));
      assert.equal(port.count("issueToken"), 1);
    });

    it("reports Keystone refusing the credentials as auth, and a region without compute as config", async () => {
      const refused = setup();
      refused.port.fail("issueToken", http(401, "The request you have made requires authentication.", "Unauthorized"));
      await assert.rejects(refused.driver.describe(alice, { ids: ["a"] }), (e) => isCloudError(e, "auth"));
      const elsewhere = setup({ region: "RegionTwo" });
      await assert.rejects(
        elsewhere.driver.describe(alice, { ids: ["a"] }),
        (e) => isCloudError(e, "config") && e.code === "EndpointNotFound" && /region RegionTwo; its public compute endpoints are in RegionOne/.test(e.message),
      );
    });

    it("refuses calls without credentials or with an access key, as auth, before any call", async () => {
      const { port, driver } = setup();
      await assert.rejects(driver.describe(null, { ids: ["a"] }), (e) => isCloudError(e, "auth") && e.code === "MissingCredentials");
      await assert.rejects(driver.terminate({ accessKeyId: "AK", secretAccessKey: "S" }, ["a"]), (e) => isCloudError(e, "auth") && e.code === "WrongCredentials");
      assert.deepEqual(port.calls, []);
    });
  });

  describe("retries", () => {
    it("retries idempotent calls that fail transiently or are throttled, with jittered waits growing, Retry-After honored", async () => {
      const { port, driver, sleeps } = setup();
      port.fail("listServers", http(503), http(429, "slow down", "overLimit", 1_500), new TypeError("fetch failed"));
      await driver.describe(alice, { ids: ["a"] });
      assert.equal(port.count("listServers"), 4);
      // Equal jitter at random 0.5: 150 (of 200), 300 (of 400) but Retry-After asks 1,500, 600 (of 800).
      assert.deepEqual(sleeps, [150, 1_500, 600]);
    });

    it("gives up after four attempts with the last error's kind", async () => {
      const { port, driver } = setup();
      port.fail("deleteServer", http(500), http(500), http(502), http(503, "down", "serviceUnavailable"));
      await assert.rejects(driver.terminate(alice, ["srv-1"]), (e) => isCloudError(e, "transient") && e.code === "serviceUnavailable");
      assert.equal(port.count("deleteServer"), 4);
    });

    it("never repeats a POST /servers: its outcome is unknown, and the next pass re-drives it", async () => {
      const { port, driver, sleeps } = setup();
      port.fail("createServer", http(503));
      await assert.rejects(launch(driver, 1), (e) => isCloudError(e, "transient"));
      assert.equal(port.count("createServer"), 1);
      assert.deepEqual(sleeps, []);
    });

    it("does not retry what retrying cannot fix", async () => {
      const { port, driver } = setup();
      port.fail("listServers", http(400, "bad filter", "badRequest"));
      await assert.rejects(driver.describe(alice, { ids: ["a"] }), (e) => isCloudError(e, "config"));
      assert.equal(port.count("listServers"), 1);
    });
  });

  describe("launch", () => {
    it("sends Nova's request: image, flavor and network resolved by name, the user's key, user data, groups and Phantom's metadata", async () => {
      const { port, driver } = setup({ network: "public" });
      const vms = await driver.launch({
        credentials: alice,
        spec: { ...spec, keyName: "lc-key", userData: "aGk=", securityGroups: ["web", "default"] },
        count: 1,
        token: "tok",
        tags,
      });
      const post = port.calls.find((c) => c.method === "createServer")!.arg as NovaServerCreate;
      assert.deepEqual(post, {
        name: "phantom-tok",
        imageRef: "img-1",
        flavorRef: "2",
        networks: [{ uuid: "net-1" }],
        min_count: 1,
        max_count: 1,
        metadata: tags,
        key_name: "alice-key",
        user_data: "aGk=",
        security_groups: [{ name: "web" }, { name: "default" }],
      });
      assert.deepEqual(vms.map((v) => [v.id, v.state, v.instanceType, v.tags]), [["srv-1", "pending", "m1.small", tags]]);
      // The image service and the network service are those of the catalog's public interface.
      assert.equal(port.calls.find((c) => c.method === "findNetworks")?.arg, "public");
    });

    it("caches what it resolved by name for ten minutes, per project", async () => {
      const { port, driver, advance } = setup({ network: "public" });
      await launch(driver, 1, "a");
      await launch(driver, 1, "b");
      assert.deepEqual([port.count("listFlavors"), port.count("findImages"), port.count("findNetworks")], [1, 1, 1]);
      advance(10 * 60_000);
      await launch(driver, 1, "c");
      assert.deepEqual([port.count("listFlavors"), port.count("findImages"), port.count("findNetworks")], [2, 2, 2]);
    });

    it("takes ids as they are: an image UUID, a flavor id, a network UUID; networks default to auto", async () => {
      const image = "70a599e0-31e7-49b7-b260-868f441e862b";
      const { port, driver } = setup();
      await driver.launch({ credentials: alice, spec: { imageId: image, instanceType: "1" }, count: 1, token: "tok", tags });
      const post = port.calls.find((c) => c.method === "createServer")!.arg as NovaServerCreate;
      assert.deepEqual([post.imageRef, post.flavorRef, post.networks], [image, "1", "auto"]);
      assert.equal(port.count("findImages"), 0);
    });

    it("refuses what it cannot resolve as config, before POST /servers", async () => {
      for (const [site, lc, code] of [
        [{}, { imageId: "nope", instanceType: "m1.small" }, "UnknownImage"],
        [{}, { imageId: "cirros", instanceType: "m9.huge" }, "UnknownFlavor"],
        [{}, { imageId: "cirros", instanceType: "dup" }, "UnknownFlavor"],
        [{ network: "private" }, spec, "UnknownNetwork"],
      ] as const) {
        const { port, driver } = setup(site);
        await assert.rejects(
          driver.launch({ credentials: alice, spec: lc, count: 1, token: "tok", tags }),
          (e) => isCloudError(e, "config") && e.code === code,
        );
        assert.equal(port.count("createServer"), 0);
      }
    });

    it("lists the token's servers before (re-)driving and asks only for the missing ones", async () => {
      const { port, driver } = setup();
      const first = await launch(driver, 3);
      assert.deepEqual(first.map((v) => v.id), ["srv-1", "srv-2", "srv-3"], "Nova names only the first: all three are listed");
      assert.deepEqual(port.servers.map((s) => s.name), ["phantom-tok-1", "phantom-tok-2", "phantom-tok-3"]);
      // A crash took one (say, the POST made only two): re-driving makes the third, not three more.
      port.servers.splice(2, 1);
      port.servers.push(novaServer("other", "phantom-tok2", "ACTIVE"), novaServer("mine-not", "phantom-tok-x", "ACTIVE"));
      const again = await launch(driver, 3);
      assert.deepEqual(again.map((v) => v.id).sort(), ["srv-1", "srv-2", "srv-4"]);
      assert.deepEqual((port.calls.filter((c) => c.method === "createServer").at(-1)!.arg as NovaServerCreate).max_count, 1);
      const complete = await launch(driver, 3);
      assert.deepEqual(complete.map((v) => v.id).sort(), ["srv-1", "srv-2", "srv-4"]);
      assert.equal(port.count("createServer"), 2, "nothing missing: no POST");
    });

    it("refuses a bad count or a token that cannot be a server name", async () => {
      const { driver } = setup();
      await assert.rejects(launch(driver, 0), RangeError);
      await assert.rejects(launch(driver, 1, "a*b"), RangeError);
      await assert.rejects(launch(driver, 1, "x".repeat(65)), RangeError);
    });
  });

  describe("describe", () => {
    it("maps Nova's statuses; ERROR is terminated with its fault, kept until deleted; deleted servers are gone", async () => {
      const { port, driver } = setup();
      const rows: [NovaServer, string, string | undefined, boolean | undefined][] = [
        [novaServer("a", "phantom-1", "BUILD"), "pending", undefined, undefined],
        [novaServer("b", "phantom-2", "ACTIVE"), "running", undefined, undefined],
        [novaServer("c", "phantom-3", "REBOOT"), "running", undefined, undefined],
        [novaServer("d", "phantom-4", "SHUTOFF"), "stopped", undefined, undefined],
        [novaServer("e", "phantom-5", "SUSPENDED"), "stopped", undefined, undefined],
        [novaServer("f", "phantom-6", "PAUSED"), "stopped", undefined, undefined],
        [novaServer("g", "phantom-7", "ERROR", {}, { fault: "No valid host was found. " }), "terminated", "No valid host was found. ", true],
        [novaServer("h", "phantom-8", "ACTIVE", {}, { taskState: "deleting" }), "shutting-down", undefined, undefined],
        [novaServer("i", "phantom-9", "ERROR", {}, { taskState: "deleting", fault: "x" }), "shutting-down", undefined, undefined],
        [novaServer("j", "phantom-10", "UNKNOWN"), "pending", undefined, undefined],
      ];
      port.servers = [...rows.map(([s]) => s), novaServer("k", "phantom-11", "DELETED"), novaServer("l", "phantom-12", "SOFT_DELETED")];
      const vms = await driver.describe(alice, { ids: port.servers.map((s) => s.id) });
      assert.deepEqual(
        vms.map((v) => [v.id, v.state, v.reason, v.awaitsDelete]),
        rows.map(([s, state, reason, awaits]) => [s.id, state, reason, awaits]),
      );
      assert.deepEqual(vms[0]!.launchedAt, new Date("2026-01-01T00:00:00Z"));
    });

    it("makes one listing, of Phantom's servers by name, following every page, and filters by metadata or ids", async () => {
      const { port, driver } = setup();
      port.pageSize = 2;
      for (let i = 0; i < 5; i++) port.servers.push(novaServer(`s${i}`, `phantom-t${i}`, "ACTIVE", { [VM_TAGS.group]: i % 2 === 0 ? "even" : "odd" }));
      port.servers.push(novaServer("theirs", "web-1", "ACTIVE", { [VM_TAGS.group]: "even" }));
      const even = await driver.describe(alice, { tag: { key: VM_TAGS.group, values: ["even"] } });
      assert.deepEqual(even.map((v) => v.id), ["s0", "s2", "s4"]);
      const listed = port.calls.filter((c) => c.method === "listServers").map((c) => c.arg);
      assert.deepEqual(listed, [
        { name: "^phantom-", limit: SERVER_PAGE, marker: undefined },
        { name: "^phantom-", limit: SERVER_PAGE, marker: "s1" },
        { name: "^phantom-", limit: SERVER_PAGE, marker: "s3" },
      ]);
      assert.deepEqual((await driver.describe(alice, { ids: ["s3", "nope"] })).map((v) => v.id), ["s3"]);
      assert.deepEqual(await driver.describe(alice, { ids: [] }), []);
      assert.equal(port.count("listServers"), 6, "no call for an empty id list");
    });

    it("reports an answer not in Nova's shape as transient", async () => {
      const { port, driver } = setup();
      port.fail("listServers", new OpenStackProtocolError("servers is not a list"), new OpenStackProtocolError("again"), new OpenStackProtocolError("and again"), new OpenStackProtocolError("still"));
      await assert.rejects(driver.describe(alice, { ids: ["a"] }), (e) => isCloudError(e, "transient") && e.code === "BadResponse");
    });
  });

  describe("terminate", () => {
    it("deletes each server once; a server already gone is success; other refusals surface", async () => {
      const { port, driver } = setup();
      port.servers = [novaServer("a", "phantom-a", "ACTIVE"), novaServer("b", "phantom-b", "ERROR")];
      await driver.terminate(alice, ["a", "b", "a", "gone"]);
      assert.deepEqual(port.calls.filter((c) => c.method === "deleteServer").map((c) => c.arg).sort(), ["a", "b", "gone"]);
      assert.deepEqual(port.servers, []);
      port.servers = [novaServer("c", "phantom-c", "ACTIVE")];
      port.fail("deleteServer", http(409, "Instance c is locked", "conflictingRequest"));
      await assert.rejects(driver.terminate(alice, ["c"]), (e) => isCloudError(e, "config"));
      await driver.terminate(alice, []);
    });
  });
});

describe("classifyOpenStackError", () => {
  const rows: [unknown, string, string][] = [
    [http(403, "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances", "forbidden"), "capacity", "QuotaExceeded"],
    [http(413, "Quota exceeded for cores: Requested 4, but already used 20 of 20 cores", "overLimit"), "capacity", "QuotaExceeded"],
    [http(403, "Policy doesn't allow os_compute_api:servers:create to be performed.", "forbidden"), "auth", "forbidden"],
    [http(401, "The request you have made requires authentication.", "Unauthorized"), "auth", "Unauthorized"],
    [http(400, "Invalid flavorRef provided.", "badRequest"), "config", "badRequest"],
    [http(400, "Invalid key_name provided.", "badRequest"), "config", "badRequest"],
    [http(404, "Flavor 9 could not be found.", "itemNotFound"), "config", "itemNotFound"],
    [http(409, "Multiple possible networks found, use a Network ID to be more specific.", "conflictingRequest"), "config", "conflictingRequest"],
    [http(406, "Version 2.47 is not supported by the API.", "notAceptable"), "config", "notAceptable"],
    [http(413, "This request was rate-limited.", "overLimit"), "throttled", "overLimit"],
    [http(429, "Too many requests"), "throttled", "HTTP429"],
    [http(500, "Unexpected API Error.", "computeFault"), "transient", "computeFault"],
    [http(503, "<html>Service Unavailable</html>"), "transient", "HTTP503"],
    [new OpenStackProtocolError("no X-Subject-Token"), "transient", "BadResponse"],
    [Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }), "transient", "ECONNREFUSED"],
    [new DOMException("The operation was aborted due to timeout", "TimeoutError"), "transient", "TimeoutError"],
  ];
  for (const [error, kind, code] of rows) {
    it(`${String((error as Error).message).slice(0, 50)} → ${kind} ${code}`, () => {
      const classified = classifyOpenStackError(error, "jetstream", "POST /servers");
      assert.deepEqual([classified.kind, classified.code], [kind, code]);
      assert.ok(classified.message.includes(code), classified.message);
      assert.equal(classified.cause, error);
    });
  }
  it("keeps a CloudError as it is", () => {
    const e = new CloudError("config", "UnknownImage", "x");
    assert.equal(classifyOpenStackError(e, "jetstream", "GET /v2/images"), e);
  });
});

describe("novaMetadata", () => {
  it("keeps Phantom's tags first and leaves out what Nova would refuse", () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${String(i).padStart(3, "0")}`, "v"]));
    const metadata = novaMetadata({ ...many, "bad/key": "v", long: "x".repeat(256), [VM_TAGS.token]: "t", [VM_TAGS.group]: "g" });
    assert.equal(Object.keys(metadata).length, 128);
    assert.deepEqual(Object.keys(metadata).slice(0, 3), [VM_TAGS.token, VM_TAGS.group, "k000"]);
    assert.ok(!("bad/key" in metadata) && !("long" in metadata));
  });
});
