import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isCloudError, type VmState } from "../driver.js";
import { QuotaExceededError, SimulatedCloud, type SimulatedCloudOptions, type RunInstancesRequest } from "./simulated-cloud.js";
import { seededRandom } from "./seeded-random.js";

const T0 = Date.UTC(2025, 0, 1);
const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** A cloud on a virtual clock that only `advance` moves. */
function cloudAt(options: Partial<SimulatedCloudOptions> = {}) {
  let now = T0;
  const cloud = new SimulatedCloud({
    capacity: Infinity,
    bootSeconds: 30,
    clock: () => new Date(now),
    random: seededRandom(42),
    ...options,
  });
  return { cloud, advance: (ms: number) => void (now += ms), now: () => now };
}

function run(count: number, more: Partial<RunInstancesRequest> = {}): RunInstancesRequest {
  return { imageId: "ami-1", instanceType: "m1.small", count, tags: { group: "g" }, ...more };
}

const states = (vms: readonly { state: VmState }[]) => vms.map((v) => v.state);

describe("SimulatedCloud", () => {
  describe("launching and booting", () => {
    it("launches pending VMs with EC2-shaped ids that run once the boot time has passed", async () => {
      const { cloud, advance } = cloudAt();
      const vms = await cloud.runInstances("a", run(3, { keyName: "k", userData: "dXNlcg==", securityGroups: ["web"], token: "t" }));
      assert.deepEqual(states(vms), ["pending", "pending", "pending"]);
      for (const vm of vms) assert.match(vm.id, /^i-[0-9a-f]{17}$/);
      assert.match(vms[0]!.reservationId, /^r-[0-9a-f]{17}$/);
      assert.deepEqual(
        vms.map((v) => [v.launchIndex, v.imageId, v.instanceType, v.keyName, v.userData, v.securityGroups, v.clientToken, v.account]),
        [0, 1, 2].map((i) => [i, "ami-1", "m1.small", "k", "dXNlcg==", ["web"], "t", "a"]),
      );
      assert.deepEqual(vms[0]!.launchedAt, new Date(T0));
      advance(30 * SECOND - 1);
      assert.deepEqual(states(await cloud.describeInstances("a", { tag: { key: "group", values: ["g"] } })), ["pending", "pending", "pending"]);
      advance(1);
      assert.deepEqual(states(await cloud.describeInstances("a", { tag: { key: "group", values: ["g"] } })), ["running", "running", "running"]);
    });

    it("gives unique ids across a large launch and the same ids for the same seed", async () => {
      const first = await cloudAt().cloud.runInstances("a", run(20_000));
      assert.equal(new Set(first.map((v) => v.id)).size, 20_000);
      const again = await cloudAt().cloud.runInstances("a", run(3));
      assert.deepEqual(again.map((v) => v.id), first.slice(0, 3).map((v) => v.id));
    });

    it("returns the first launch's VMs for a repeated token, whatever the count, but only in the same account", async () => {
      const { cloud } = cloudAt();
      const first = await cloud.runInstances("a", run(2, { token: "tok" }));
      const again = await cloud.runInstances("a", run(5, { token: "tok" }));
      assert.deepEqual(again.map((v) => v.id), first.map((v) => v.id));
      assert.equal(cloud.counts("a").pending, 2);
      const otherAccount = await cloud.runInstances("b", run(1, { token: "tok" }));
      assert.notEqual(otherAccount[0]!.id, first[0]!.id);
      assert.equal((await cloud.runInstances("a", run(1))).length, 1, "no token: a new launch");
      assert.equal(cloud.counts("a").pending, 3);
    });

    it("refuses malformed requests with a config error before acting", async () => {
      const { cloud } = cloudAt();
      for (const request of [run(0), run(1.5), run(1, { imageId: "" }), run(1, { instanceType: "" }), run(1, { token: "x".repeat(65) }), run(1, { token: "é" })]) {
        await assert.rejects(cloud.runInstances("a", request), (e) => isCloudError(e, "config") && e.code === "InvalidParameterValue");
      }
      assert.deepEqual(cloud.instances(), []);
    });

    it("rejects options out of range", () => {
      for (const bad of [{ capacity: -1 }, { capacity: 1.5 }, { bootSeconds: -1 }, { launchFailureRate: 1.1 }, { apiErrorRate: -0.1 }, { apiErrorRate: NaN }, { deathRatePerHour: Infinity }, { quotaPerAccount: -1 }]) {
        assert.throws(() => cloudAt(bad), RangeError, JSON.stringify(bad));
      }
    });
  });

  describe("capacity", () => {
    it("is shared by all accounts: launches what fits, then refuses with InsufficientInstanceCapacity", async () => {
      const { cloud } = cloudAt({ capacity: 5 });
      assert.equal((await cloud.runInstances("a", run(3))).length, 3);
      assert.equal((await cloud.runInstances("b", run(4))).length, 2);
      await assert.rejects(
        cloud.runInstances("a", run(1)),
        (e) => isCloudError(e, "capacity") && e.code === "InsufficientInstanceCapacity" && /InsufficientInstanceCapacity: .*5 of 5/.test(e.message),
      );
    });

    it("counts pending and running VMs, not terminated ones", async () => {
      const { cloud, advance } = cloudAt({ capacity: 2 });
      const [a] = await cloud.runInstances("a", run(1));
      advance(60 * SECOND);
      await cloud.runInstances("a", run(1));
      await assert.rejects(cloud.runInstances("a", run(1)), (e) => isCloudError(e, "capacity"));
      await cloud.terminateInstances("a", [a!.id]);
      assert.equal((await cloud.runInstances("a", run(1))).length, 1);
    });

    it("can be changed: lowering it keeps the VMs already there and refuses new ones", async () => {
      const { cloud } = cloudAt({ capacity: 4 });
      await cloud.runInstances("a", run(4));
      cloud.setCapacity(2);
      await assert.rejects(cloud.runInstances("a", run(1)), (e) => isCloudError(e, "capacity"));
      assert.equal(cloud.counts().pending, 4);
      cloud.setCapacity(6);
      assert.equal((await cloud.runInstances("a", run(5))).length, 2);
      assert.throws(() => cloud.setCapacity(-1), RangeError);
    });
  });

  describe("the OpenStack face's launches", () => {
    it("when full, takes every VM and fails those without room at once with Nova's No valid host, freeing nothing", async () => {
      const { cloud, advance } = cloudAt({ capacity: 3 });
      await cloud.runInstances("a", run(1));
      const vms = await cloud.runInstances("b", run(4, { whenFull: "fail" }));
      assert.deepEqual(states(vms), ["pending", "pending", "terminated", "terminated"]);
      assert.deepEqual(vms[2]!.stateReason, { code: "Server.InsufficientInstanceCapacity", message: "No valid host was found. There are not enough hosts available." });
      assert.equal(vms[3]!.deletedByOwner, false);
      advance(30 * SECOND);
      assert.deepEqual(cloud.counts(), { pending: 0, running: 3, stopping: 0, stopped: 0, "shutting-down": 0, terminated: 2 });
      const failed = await cloud.runInstances("b", run(1, { whenFull: "fail" }));
      assert.deepEqual(states(failed), ["terminated"]);
      await assert.rejects(cloud.runInstances("b", run(1)), (e) => isCloudError(e, "capacity") && e.code === "InsufficientInstanceCapacity");
    });

    it("gives UUIDs, keeps the face's attributes and the launch's size, and marks what its owner deleted", async () => {
      const { cloud } = cloudAt({ capacity: 1 });
      const vms = await cloud.runInstances("a", run(2, { idFormat: "uuid", whenFull: "fail", attributes: { name: "web" } }));
      for (const vm of vms) {
        assert.match(vm.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.deepEqual([vm.attributes, vm.launchSize, vm.deletedByOwner], [{ name: "web" }, 2, false]);
      }
      await cloud.terminateInstances("a", vms.map((v) => v.id));
      const after = await cloud.describeInstances("a", { ids: vms.map((v) => v.id) });
      assert.deepEqual(after.map((v) => [v.state, v.deletedByOwner]), [["terminated", true], ["terminated", true]]);
      assert.equal(after[1]!.stateReason?.code, "Server.InsufficientInstanceCapacity", "deleting a failed VM keeps why it failed");
      assert.deepEqual((await cloud.runInstances("a", run(1))).map((v) => v.attributes), [{}]);
    });

    it("quotaPerAccount: cuts a launch to fit the account's quota, then refuses with the numbers Nova quotes", async () => {
      const { cloud } = cloudAt({ quotaPerAccount: 3 });
      assert.equal((await cloud.runInstances("a", run(2))).length, 2);
      assert.equal((await cloud.runInstances("a", run(5))).length, 1);
      const refused = await cloud.runInstances("a", run(2)).then(
        () => assert.fail("over quota"),
        (e: unknown) => e,
      );
      assert.ok(refused instanceof QuotaExceededError && isCloudError(refused, "capacity") && refused.code === "InstanceLimitExceeded");
      assert.deepEqual([refused.requested, refused.used, refused.allowed], [2, 3, 3]);
      assert.equal((await cloud.runInstances("b", run(3))).length, 3, "each account has its own quota");
      const [first] = await cloud.describeInstances("a");
      await cloud.terminateInstances("a", [first!.id]);
      assert.equal((await cloud.runInstances("a", run(5))).length, 1, "a terminated VM frees its quota");
    });

    it("quotaPerAccount: OpenStack's launches count failed servers until they are deleted", async () => {
      const { cloud } = cloudAt({ capacity: 1, quotaPerAccount: 2 });
      const openstack = run(1, { whenFull: "fail" });
      await cloud.runInstances("p", openstack);
      const [failed] = await cloud.runInstances("p", openstack);
      assert.equal(failed!.state, "terminated");
      await assert.rejects(cloud.runInstances("p", openstack), (e) => e instanceof QuotaExceededError && e.used === 2);
      await cloud.terminateInstances("p", [failed!.id]);
      await cloud.terminateInstances("p", [failed!.id]);
      assert.equal((await cloud.runInstances("p", openstack)).length, 1, "deleted: its quota is free, once");
      await assert.rejects(cloud.runInstances("p", openstack), (e) => e instanceof QuotaExceededError);
    });

    it("setLaunchFailureRate changes the launches that follow", async () => {
      const { cloud, advance } = cloudAt();
      await cloud.runInstances("a", run(1, { tags: { when: "before" } }));
      cloud.setLaunchFailureRate(1);
      await cloud.runInstances("a", run(1, { tags: { when: "after" } }));
      advance(30 * SECOND);
      assert.deepEqual(states(await cloud.describeInstances("a", { tag: { key: "when", values: ["before"] } })), ["running"]);
      assert.deepEqual(states(await cloud.describeInstances("a", { tag: { key: "when", values: ["after"] } })), ["terminated"]);
      assert.throws(() => cloud.setLaunchFailureRate(2), RangeError);
    });
  });

  describe("describing", () => {
    it("keeps accounts apart and finds VMs by tag, by ids (in the order asked, once each) or all", async () => {
      const { cloud } = cloudAt();
      const g = await cloud.runInstances("a", run(2, { tags: { group: "g", user: "u" } }));
      const h = await cloud.runInstances("a", run(1, { tags: { group: "h", user: "u" } }));
      await cloud.runInstances("b", run(1, { tags: { group: "g", user: "u" } }));
      const ids = (vms: readonly { id: string }[]) => vms.map((v) => v.id);
      assert.deepEqual(ids(await cloud.describeInstances("a", { tag: { key: "group", values: ["g"] } })), ids(g));
      assert.deepEqual(ids(await cloud.describeInstances("a", { tag: { key: "user", values: ["u"] } })), ids([...g, ...h]));
      assert.deepEqual(await cloud.describeInstances("a", { tag: { key: "group", values: ["nope"] } }), []);
      assert.deepEqual(ids(await cloud.describeInstances("a", { ids: [h[0]!.id, "i-00000000000000000", g[0]!.id, h[0]!.id] })), [h[0]!.id, g[0]!.id]);
      assert.deepEqual(await cloud.describeInstances("a", { ids: [] }), []);
      assert.deepEqual(ids(await cloud.describeInstances("a")), ids([...g, ...h]));
      assert.deepEqual(await cloud.describeInstances("b", { ids: ids(g) }), [], "another account's ids are unknown");
      assert.deepEqual(await cloud.describeInstances("nobody"), []);
    });
  });

  describe("terminating", () => {
    it("reports the previous and current state of each id asked, unknown ones as null, and is idempotent", async () => {
      const { cloud, advance } = cloudAt();
      const [p, r] = await cloud.runInstances("a", run(2));
      advance(30 * SECOND);
      const [q] = await cloud.runInstances("a", run(1));
      const [theirs] = await cloud.runInstances("b", run(1));
      assert.deepEqual(await cloud.terminateInstances("a", [p!.id, q!.id, p!.id, "i-0123456789abcdef0", theirs!.id]), [
        { id: p!.id, previousState: "running", currentState: "terminated" },
        { id: q!.id, previousState: "pending", currentState: "terminated" },
        { id: "i-0123456789abcdef0", previousState: null, currentState: null },
        { id: theirs!.id, previousState: null, currentState: null },
      ]);
      assert.deepEqual(await cloud.terminateInstances("a", [p!.id]), [{ id: p!.id, previousState: "terminated", currentState: "terminated" }]);
      const [listed] = await cloud.describeInstances("a", { ids: [p!.id] });
      assert.equal(listed!.state, "terminated");
      assert.deepEqual(listed!.stateReason?.code, "Client.UserInitiatedShutdown");
      assert.deepEqual(listed!.terminatedAt, new Date(T0 + 30 * SECOND));
      assert.equal(cloud.counts("a").running, 1, `${r!.id} still runs`);
      assert.equal(cloud.counts("b").pending, 1, "another account's VM is untouched");
    });

    it("lists terminated VMs until the retention ends, then forgets them and their token", async () => {
      const { cloud, advance } = cloudAt({ terminatedRetentionSeconds: 600 });
      const [vm] = await cloud.runInstances("a", run(1, { token: "t" }));
      await cloud.terminateInstances("a", [vm!.id]);
      advance(600 * SECOND - 1);
      assert.deepEqual(states(await cloud.describeInstances("a", { tag: { key: "group", values: ["g"] } })), ["terminated"]);
      assert.deepEqual((await cloud.runInstances("a", run(1, { token: "t" }))).map((v) => v.id), [vm!.id], "the token still names it");
      advance(1);
      assert.deepEqual(await cloud.describeInstances("a", { tag: { key: "group", values: ["g"] } }), []);
      assert.deepEqual(await cloud.describeInstances("a", { ids: [vm!.id] }), []);
      assert.deepEqual(cloud.counts("a"), { pending: 0, running: 0, stopping: 0, stopped: 0, "shutting-down": 0, terminated: 0 });
      assert.deepEqual(await cloud.terminateInstances("a", [vm!.id]), [{ id: vm!.id, previousState: null, currentState: null }]);
      const relaunched = await cloud.runInstances("a", run(1, { token: "t" }));
      assert.notEqual(relaunched[0]!.id, vm!.id, "a forgotten token launches anew");
    });

    it("kills a VM behind its owner's back, freeing its room", async () => {
      const { cloud, advance } = cloudAt({ capacity: 1 });
      const [vm] = await cloud.runInstances("a", run(1));
      advance(30 * SECOND);
      assert.equal(cloud.kill("b", vm!.id), false, "not another account's");
      assert.equal(cloud.kill("a", vm!.id), true);
      assert.equal(cloud.kill("a", vm!.id), false, "already dead");
      const [listed] = await cloud.describeInstances("a", { ids: [vm!.id] });
      assert.equal(listed!.state, "terminated");
      assert.equal(listed!.stateReason?.code, "Server.InternalError");
      assert.equal((await cloud.runInstances("a", run(1))).length, 1);
    });
  });

  describe("fault knobs", () => {
    it("launchFailureRate: that share of VMs goes from pending straight to terminated at boot time", async () => {
      const { cloud, advance } = cloudAt({ launchFailureRate: 0.3 });
      await cloud.runInstances("a", run(2000));
      advance(30 * SECOND - 1);
      assert.equal(cloud.counts().pending, 2000, "nothing fails before boot time");
      advance(1);
      const counts = cloud.counts();
      assert.equal(counts.running + counts.terminated, 2000);
      assert.ok(counts.terminated > 2000 * 0.25 && counts.terminated < 2000 * 0.35, `${counts.terminated} failed of 2000`);
      const failed = cloud.instances().filter((v) => v.state === "terminated");
      assert.ok(failed.every((v) => v.stateReason?.code === "Server.InternalError" && v.terminatedAt?.getTime() === T0 + 30 * SECOND));
    });

    it("launchFailureRate 1 fails every boot and frees the room; 0 fails none", async () => {
      const all = cloudAt({ launchFailureRate: 1, bootSeconds: 0, capacity: 10 });
      const vms = await all.cloud.runInstances("a", run(10));
      assert.deepEqual(new Set(states(vms)), new Set(["terminated"]), "with no boot time they fail at once");
      assert.equal((await all.cloud.runInstances("a", run(10))).length, 10);
      const none = cloudAt({ launchFailureRate: 0 });
      await none.cloud.runInstances("a", run(1000));
      none.advance(30 * SECOND);
      assert.equal(none.cloud.counts().running, 1000);
    });

    it("deathRatePerHour: running VMs die as 1 − exp(−rate·hours), and not before they boot", async () => {
      // Kept listed long enough that every death is still counted.
      const { cloud, advance } = cloudAt({ deathRatePerHour: 0.5, bootSeconds: 3600, terminatedRetentionSeconds: 24 * 3600 });
      await cloud.runInstances("a", run(4000));
      advance(HOUR);
      assert.equal(cloud.counts().running, 4000, "no deaths while pending");
      advance(2 * HOUR);
      const dead = cloud.counts().terminated / 4000;
      const expected = 1 - Math.exp(-0.5 * 2);
      assert.ok(Math.abs(dead - expected) < 0.03, `${dead} died, expected about ${expected}`);
      const died = cloud.instances().filter((v) => v.state === "terminated");
      assert.ok(died.every((v) => v.stateReason?.code === "Server.InternalError" && v.terminatedAt!.getTime() > T0 + HOUR));
    });

    it("deathRatePerHour: deaths do not depend on how often anyone looks", async () => {
      const often = cloudAt({ deathRatePerHour: 1, bootSeconds: 0 });
      const seldom = cloudAt({ deathRatePerHour: 1, bootSeconds: 0 });
      await often.cloud.runInstances("a", run(500));
      await seldom.cloud.runInstances("a", run(500));
      for (let i = 0; i < 60; i++) {
        often.advance(60 * SECOND);
        often.cloud.counts();
      }
      seldom.advance(HOUR);
      assert.deepEqual(often.cloud.instances(), seldom.cloud.instances());
    });

    it("apiErrorRate: that share of calls fails with a transient InternalError or Unavailable, acting on nothing", async () => {
      const { cloud } = cloudAt({ apiErrorRate: 0.25 });
      const codes = new Map<string, number>();
      let ok = 0;
      for (let i = 0; i < 2000; i++) {
        try {
          await cloud.runInstances("a", run(1));
          ok++;
        } catch (e) {
          assert.ok(isCloudError(e, "transient"), String(e));
          assert.ok(e.message.startsWith(`${e.code}: `));
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
      }
      const failed = 2000 - ok;
      assert.ok(failed > 2000 * 0.2 && failed < 2000 * 0.3, `${failed} of 2000 calls failed`);
      assert.deepEqual([...codes.keys()].sort(), ["InternalError", "Unavailable"]);
      assert.equal(cloud.instances().length, ok, "failed calls launched nothing");
      const always = cloudAt({ apiErrorRate: 1 }).cloud;
      await assert.rejects(always.describeInstances("a"), (e) => isCloudError(e, "transient"));
      await assert.rejects(always.terminateInstances("a", ["i-0123456789abcdef0"]), (e) => isCloudError(e, "transient"));
    });

    it("apiLatencyMs: every API call waits that long first; helpers do not", async () => {
      const waits: number[] = [];
      const { cloud } = cloudAt({ apiLatencyMs: 40, sleep: async (ms) => void waits.push(ms) });
      const [vm] = await cloud.runInstances("a", run(1));
      await cloud.describeInstances("a", { ids: [vm!.id] });
      await cloud.terminateInstances("a", [vm!.id]);
      cloud.counts();
      cloud.instances();
      cloud.kill("a", vm!.id);
      assert.deepEqual(waits, [40, 40, 40]);
    });

    it("launchAnswerDelayMs: a launch that made VMs waits after making them; a repeated token does not", async () => {
      const waits: { ms: number; vmsMeanwhile: number }[] = [];
      const { cloud } = cloudAt({
        launchAnswerDelayMs: 200,
        sleep: async (ms) => void waits.push({ ms, vmsMeanwhile: cloud.instances().length }),
      });
      assert.equal((await cloud.runInstances("a", run(2, { token: "t1" }))).length, 2);
      await cloud.runInstances("a", run(2, { token: "t1" }));
      await cloud.describeInstances("a");
      assert.deepEqual(waits, [{ ms: 200, vmsMeanwhile: 2 }], "one wait, with the VMs already made");
    });

    it("apiLatencyMs: by default waits on real timers", async () => {
      const cloud = new SimulatedCloud({ capacity: 1, bootSeconds: 0, apiLatencyMs: 30 });
      const started = performance.now();
      await cloud.describeInstances("a");
      assert.ok(performance.now() - started >= 25);
    });
  });

  it("holds 100,000 VMs in one account and finds them all by tag", async () => {
    const { cloud, advance } = cloudAt({ capacity: 100_000 });
    for (let i = 0; i < 100; i++) await cloud.runInstances("a", run(1000, { tags: { owner: "me", group: `g${i % 10}` } }));
    advance(30 * SECOND);
    const all = await cloud.describeInstances("a", { tag: { key: "owner", values: ["me"] } });
    assert.equal(all.length, 100_000);
    assert.ok(all.every((v) => v.state === "running"));
    assert.equal((await cloud.describeInstances("a", { tag: { key: "group", values: ["g3"] } })).length, 10_000);
    await assert.rejects(cloud.runInstances("b", run(1)), (e) => isCloudError(e, "capacity"));
  });
});
