/**
 * The OpenStack driver against simcloud's OpenStack face over real HTTP, for what the shared
 * conformance suite does not cover: a launch re-driven after its answer was lost (and after a
 * crash), quota and "No valid host was found", tokens renewed on 401 and before they expire,
 * names resolved through the catalog's services, paging, and timeouts.
 */
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { isCloudError, VM_TAGS, type CloudVm, type DriverCredentials, type VmSpec } from "../driver.js";
import { projectAccount } from "../../simcloud/openstack/nova-servers.js";
import { hashId } from "../../simcloud/openstack/keystone-api.js";
import { fetchOpenStackPort, type OpenStackPort } from "./openstack-port.js";
import { alice, bob, startOpenStackSimcloud, type OpenStackSimcloud } from "./openstack-simcloud.test-support.js";
import { OpenStackDriver } from "./openstack-driver.js";

const SPEC: VmSpec = { imageId: "cirros-0.6.2-x86_64-disk", instanceType: "m1.small" };
/** Alice's project on the face: `science` in the default domain. */
const ALICE_ACCOUNT = projectAccount(hashId("project", "default/science"));

/** The real port, counting calls by method, with `after` run once a call has been answered. */
function counted(after: Partial<Record<keyof OpenStackPort, () => void>> = {}) {
  const real = fetchOpenStackPort();
  const counts = new Map<string, number>();
  const port = Object.fromEntries(
    (Object.keys(real) as (keyof OpenStackPort)[]).map((method) => [
      method,
      async (...args: unknown[]) => {
        counts.set(method, (counts.get(method) ?? 0) + 1);
        const result = await (real[method] as (...a: unknown[]) => Promise<unknown>)(...args);
        after[method]?.();
        return result;
      },
    ]),
  ) as unknown as OpenStackPort;
  return { port, count: (method: keyof OpenStackPort) => counts.get(method) ?? 0 };
}

async function open(t: TestContext, options: Parameters<typeof startOpenStackSimcloud>[0] = {}): Promise<OpenStackSimcloud> {
  const sim = await startOpenStackSimcloud(options);
  t.after(() => sim.close());
  return sim;
}

function launchOf(driver: OpenStackDriver, count: number, token = randomUUID(), credentials: DriverCredentials = alice, spec = SPEC) {
  return driver.launch({ credentials, spec, count, token, tags: { [VM_TAGS.deployment]: "d", [VM_TAGS.group]: "g", [VM_TAGS.token]: token } });
}

const ids = (vms: readonly CloudVm[]) => vms.map((v) => v.id).sort();

describe("openstack → phantom simcloud --openstack", () => {
  describe("a launch re-driven without a client token", () => {
    for (const count of [1, 3]) {
      it(`when the answer to POST /servers is lost, the same token yields the same ${count} server(s), also from a restarted process`, async (t) => {
        const sim = await open(t);
        let lose = true;
        const lossy = counted();
        const port: OpenStackPort = {
          ...lossy.port,
          createServer: async (...args) => {
            const id = await lossy.port.createServer(...args);
            if (lose) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
            return id;
          },
        };
        const token = randomUUID();
        const driver = sim.driver({}, { port });
        await assert.rejects(launchOf(driver, count, token), (e) => isCloudError(e, "transient") && e.code === "ECONNRESET");
        lose = false;
        const made = sim.cloud.instances(ALICE_ACCOUNT).map((vm) => vm.id).sort();
        assert.equal(made.length, count, "the lost POST made the servers");
        assert.deepEqual(ids(await launchOf(driver, count, token)), made, "re-driven by the same driver");
        assert.deepEqual(ids(await launchOf(sim.driver(), count, token)), made, "re-driven after a restart");
        assert.equal(sim.cloud.instances().length, count, "never more servers than asked");
        assert.equal(lossy.count("createServer"), 1);
      });
    }

    it("a launch that got fewer servers than asked (quota) asks for the rest when re-driven, never more", async (t) => {
      const sim = await open(t, { quota: 2 });
      const driver = sim.driver();
      const token = randomUUID();
      assert.equal((await launchOf(driver, 3, token)).length, 2);
      await assert.rejects(launchOf(driver, 3, token), (e) => isCloudError(e, "capacity"));
      assert.equal(sim.cloud.instances().length, 2);
    });
  });

  describe("lack of room", () => {
    it("a project at its quota is refused with 403 Quota exceeded: a capacity error quoting Nova", async (t) => {
      const sim = await open(t, { quota: 2 });
      const driver = sim.driver();
      await launchOf(driver, 2);
      const error: unknown = await launchOf(driver, 1).catch((e: unknown) => e);
      assert.ok(isCloudError(error, "capacity"), String(error));
      assert.equal(error.code, "QuotaExceeded");
      assert.match(error.message, /^jetstream answered POST \/servers with QuotaExceeded \(403\): Quota exceeded for instances: Requested 1, but already used 2 of 2 instances$/);
      assert.equal((await launchOf(driver, 1, undefined, bob)).length, 1, "another project has its own quota");
    });

    it("a full cloud takes the launch and fails its servers: terminated, No valid host was found, kept until deleted", async (t) => {
      const sim = await open(t, { capacity: 1 });
      const driver = sim.driver();
      // Taken (202) whether or not there is room: Nova's scheduler fails the server later.
      const launched = await launchOf(driver, 2);
      assert.equal(launched.length, 2);
      sim.advance(30_000);
      const listed = await driver.describe(alice, { ids: ids(launched) });
      assert.deepEqual(listed.map((v) => [v.state, v.reason, v.awaitsDelete]).sort(), [
        ["running", undefined, undefined],
        ["terminated", "No valid host was found. There are not enough hosts available.", true],
      ]);
      const failed = listed.find((v) => v.state === "terminated")!;
      await driver.terminate(alice, [failed.id]);
      assert.deepEqual(ids(await driver.describe(alice, { ids: ids(launched) })), ids(listed.filter((v) => v !== failed)), "deleted: gone");
    });
  });

  describe("tokens", () => {
    it("one token serves every call until the cloud revokes it; then it is renewed once and the call goes through", async (t) => {
      const sim = await open(t);
      const { port, count } = counted();
      const driver = sim.driver({}, { port });
      await launchOf(driver, 1);
      await driver.describe(alice, { tag: { key: VM_TAGS.group, values: ["g"] } });
      assert.equal(count("issueToken"), 1);
      sim.simcloud.openstack!.keystone.revokeTokens();
      assert.equal((await driver.describe(alice, { tag: { key: VM_TAGS.group, values: ["g"] } })).length, 1);
      assert.equal(count("issueToken"), 2);
      // The launch's look for the token's servers, the first listing, and the one refused with 401, made again.
      assert.equal(count("listServers"), 4);
    });

    it("a token is renewed shortly before it expires, without a refused call", async (t) => {
      const sim = await open(t, { tokenLifetimeSeconds: 600 });
      const { port, count } = counted();
      const driver = sim.driver({}, { port });
      await driver.describe(alice, { ids: ["x"] });
      sim.advance(500_000);
      await driver.describe(alice, { ids: ["x"] });
      assert.equal(count("issueToken"), 2, "less than a quarter of its life left: renewed");
      assert.equal(count("listServers"), 2, "no call was refused");
    });

    it("credentials the cloud refuses are an auth error; a region the catalog lacks is a config error", async (t) => {
      const sim = await open(t);
      const nobody: DriverCredentials = { kind: "openstack", auth: { method: "application_credential", id: "x", secret: "" } };
      await assert.rejects(sim.driver().describe(nobody, { ids: ["x"] }), (e) => isCloudError(e, "auth") && e.code === "Unauthorized");
      const wrongRegion = sim.driver({ region: "RegionTwo" });
      await assert.rejects(wrongRegion.describe(alice, { ids: ["x"] }), (e) => isCloudError(e, "config") && e.code === "EndpointNotFound");
    });
  });

  describe("names resolved through the catalog", () => {
    it("an image by name or id, a flavor by name or id, the site's network by name, the user's key pair", async (t) => {
      const sim = await open(t);
      const keyed: DriverCredentials = { ...alice, keyName: "alice-key" };
      const token = await keystoneToken(sim);
      const created = await fetch(`${sim.simcloud.url}/compute/v2.1/os-keypairs`, {
        method: "POST",
        headers: { "x-auth-token": token, "content-type": "application/json" },
        body: JSON.stringify({ keypair: { name: "alice-key", public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvX9q6sH1BkqvF0v2t0c8qI5HbkmqGvXkYy5fmn9OrS alice" } }),
      });
      assert.equal(created.status, 200);
      const driver = sim.driver({ network: "public" });
      await launchOf(driver, 1, undefined, keyed, { imageId: "3b9d1c6a-8e2f-4a7b-b5c4-0f1e2d3c4b52", instanceType: "3" });
      await launchOf(driver, 1, undefined, keyed, { imageId: "ubuntu-24.04", instanceType: "m1.medium" });
      const vms = sim.cloud.instances(ALICE_ACCOUNT);
      assert.deepEqual(
        vms.map((vm) => [vm.imageId, vm.instanceType, vm.keyName, vm.attributes.networkId]),
        [0, 1].map(() => ["3b9d1c6a-8e2f-4a7b-b5c4-0f1e2d3c4b52", "3", "alice-key", "5a3c9e1f-2b4d-4c6e-8f0a-1b2c3d4e5f63"]),
      );
      sim.advance(30_000);
      assert.deepEqual((await driver.describe(alice, { tag: { key: VM_TAGS.group, values: ["g"] } })).map((v) => [v.state, v.instanceType]), [
        ["running", "m1.medium"],
        ["running", "m1.medium"],
      ]);
    });

    it("an unknown image, flavor, network or key pair is a config error, and nothing is launched", async (t) => {
      const sim = await open(t);
      const cases: [OpenStackDriver, DriverCredentials, VmSpec, string][] = [
        [sim.driver(), alice, { imageId: "no-such-image", instanceType: "m1.small" }, "UnknownImage"],
        [sim.driver(), alice, { imageId: "00000000-0000-4000-8000-000000000000", instanceType: "m1.small" }, "badRequest"],
        [sim.driver(), alice, { imageId: "cirros-0.6.2-x86_64-disk", instanceType: "m9.huge" }, "UnknownFlavor"],
        [sim.driver({ network: "private" }), alice, SPEC, "UnknownNetwork"],
        [sim.driver({ network: "00000000-0000-4000-8000-000000000000" }), alice, SPEC, "badRequest"],
        [sim.driver(), { ...alice, keyName: "nope" }, SPEC, "badRequest"],
      ];
      for (const [driver, credentials, spec, code] of cases) {
        await assert.rejects(launchOf(driver, 1, undefined, credentials, spec), (e) => isCloudError(e, "config") && e.code === code, code);
      }
      assert.deepEqual(sim.cloud.instances(), []);
    });
  });

  it("lists more servers than fit a page in one listing of two pages", async (t) => {
    const sim = await open(t);
    const { port, count } = counted();
    const driver = sim.driver({}, { port });
    assert.equal((await launchOf(driver, 1001)).length, 1001);
    const before = count("listServers");
    assert.equal((await driver.describe(alice, { tag: { key: VM_TAGS.group, values: ["g"] } })).length, 1001);
    assert.equal(count("listServers") - before, 2);
  });

  it("a cloud that does not answer in time is transient", async (t) => {
    // Takes connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address() as AddressInfo;
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const driver = new OpenStackDriver(
      { name: "slow", authUrl: `http://127.0.0.1:${address.port}/v3`, region: "RegionOne", network: null },
      { port: fetchOpenStackPort({ timeoutMs: 200 }), retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    );
    await assert.rejects(driver.describe(alice, { ids: ["x"] }), (e) => isCloudError(e, "transient") && e.code === "TimeoutError");
  });
});

/** A token for Alice, straight from the face's Keystone. */
async function keystoneToken(sim: OpenStackSimcloud): Promise<string> {
  const response = await fetch(`${sim.authUrl}/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "alice", domain: { name: "Default" }, password: "x" } } },
        scope: { project: { name: "science", domain: { name: "Default" } } },
      },
    }),
  });
  assert.equal(response.status, 201);
  return response.headers.get("x-subject-token")!;
}
