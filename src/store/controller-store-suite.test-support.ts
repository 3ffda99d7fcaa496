/**
 * The conformance suite of {@link ControllerStore}, part of the store's suite
 * (`store-suite.test-support.ts`): every database runs it.
 */
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { Group, OwnedGroup } from "../core/types.js";
import { shardOf } from "../core/shards.js";
import type { ControllerChanges, ControllerStore, LeaseRoundResult, OwnedActivity } from "./controller-store.js";
import type { FreshOptions, StoreTarget } from "./store-suite.test-support.js";
import {
  activity,
  addUser,
  backoff,
  byId,
  group,
  intent,
  launchConfiguration,
  managedInstance,
  putNew,
  snapshotGroup,
} from "./store-fixtures.test-support.js";

/** Registers the controller store's tests for `target`. */
export function controllerStoreCases(target: StoreTarget): void {
  describe("controller store", () => {
    /** A fresh store (and, where the database allows, a way to open more on it). */
    async function open(t: TestContext, options?: FreshOptions) {
      const fresh = await target.fresh(options);
      t.after(() => fresh.store.close());
      const reopen = fresh.reopen;
      const more =
        reopen === null
          ? null
          : async () => {
              const store = await reopen();
              t.after(() => store.close());
              return store;
            };
      return { store: fresh.store, more };
    }

    /** A fresh store with users `names`, each owning the launch configuration `web@s1`. */
    async function openWithUsers(t: TestContext, names: readonly string[], options?: FreshOptions) {
      const opened = await open(t, options);
      const ids: string[] = [];
      for (const name of names) {
        const id = await addUser(opened.store, name);
        await opened.store.write(id, (tx) => tx.insertLaunchConfiguration(launchConfiguration("web", "s1")));
        ids.push(id);
      }
      return { ...opened, ids };
    }

    function owned(g: Group, userId: string, version = 0): OwnedGroup {
      return { ...g, userId, version };
    }

    describe("snapshot", () => {
      it("is empty at first, at position 0", async (t) => {
        const { store } = await open(t);
        assert.deepEqual(await store.controller.loadSnapshot(), { groups: [], intents: [], backoffs: [], changeSeq: 0 });
      });

      it("holds every group with its tags, every VM, intent and backoff, and the change position", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const tags = [
          { key: "z", value: "1", propagateAtLaunch: true },
          { key: "B", value: "2", propagateAtLaunch: false },
          { key: "a", value: "", propagateAtLaunch: true },
        ];
        const ga = group("ga", { tags, definition: "error_overflow_n_preserving", extra: { TerminationPolicies: ["Default"] } });
        const gb = group("gb", { status: "deleting" });
        await store.write(alice, (tx) => tx.insertGroup(ga));
        await store.write(bob, (tx) => tx.insertGroup(gb));
        const vms = [
          managedInstance("i-2", ga, alice),
          managedInstance("i-1", ga, alice, {
            cloudState: null,
            lastSeenAt: null,
            inServiceAt: null,
            missingSince: new Date(1_700_000_009_000),
            healthStatus: "Unhealthy",
            healthReason: "missing",
            lifecycleState: "Terminating",
            terminationReason: "unhealthy",
            terminateRequestedAt: new Date(1_700_000_010_000),
            protectedFromScaleIn: true,
          }),
          managedInstance("i-1", gb, bob, { launchToken: "", cloudState: "pending" }),
        ];
        await putNew(store, vms);
        const intents = [intent("t1", ga, alice, 3), intent("t2", gb, bob)];
        const backoffs = [backoff(alice, "s1", 2), backoff(bob, "s2")];
        await store.controller.apply({ insertIntents: intents, putBackoffs: backoffs });

        const snapshot = await store.controller.loadSnapshot();
        const groups = [...snapshot.groups].sort((x, y) => x.group.name.localeCompare(y.group.name));
        assert.deepEqual(
          groups.map((g) => ({ group: g.group, instances: byId(g.instances) })),
          [
            {
              group: owned({ ...ga, tags: [tags[1]!, tags[2]!, tags[0]!] }, alice),
              instances: [vms[1], vms[0]],
            },
            { group: owned(gb, bob), instances: [vms[2]] },
          ],
        );
        const byToken = [...snapshot.intents].sort((x, y) => x.token.localeCompare(y.token));
        assert.deepEqual(byToken, intents);
        assert.deepEqual(
          [...snapshot.backoffs].sort((x, y) => x.userId.localeCompare(y.userId)),
          backoffs,
        );
        assert.ok(snapshot.changeSeq > 0, "the API's inserts are in the change log");
        // Nothing changed since the snapshot.
        assert.deepEqual(await store.controller.changesSince(snapshot.changeSeq), {
          changeSeq: snapshot.changeSeq,
          groups: [],
          goneGroupIds: [],
        });
      });
    });

    describe("apply", () => {
      it("does nothing for an empty batch", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const before = await store.generation(ids[0]!);
        assert.deepEqual(await store.controller.apply({}), { conflictedGroupIds: [], lostShards: [] });
        assert.deepEqual(await store.controller.apply({ putInstances: [], deleteGroups: [] }), { conflictedGroupIds: [], lostShards: [] });
        assert.equal(await store.generation(ids[0]!), before);
      });

      it("applies every field, in the order of the fields", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const userId = ids[0]!;
        const g = group("g1", { tags: [{ key: "n_preserve", value: "1", propagateAtLaunch: false }] });
        const drained = group("drained");
        await store.write(userId, async (tx) => {
          await tx.insertGroup(g);
          await tx.insertGroup(drained);
          await tx.insertActivity(activity("old", drained, 500));
        });
        await store.write(userId, (tx) => tx.updateGroup({ ...drained, status: "deleting" }));
        await putNew(store, [managedInstance("i-1", g, userId), managedInstance("i-9", drained, userId)]);

        const launched = managedInstance("i-2", g, userId, { lifecycleState: "Pending", cloudState: "pending", inServiceAt: null });
        const running = managedInstance("i-1", g, userId, { version: 1, lastSeenAt: new Date(1_700_000_100_000) });
        const own = (a: ReturnType<typeof activity>): OwnedActivity => ({ ...a, userId });
        const result = await store.controller.apply({
          // An intent recorded and finished in one batch: inserted, then deleted.
          insertIntents: [intent("t1", g, userId), intent("t2", g, userId)],
          deleteIntents: ["t1"],
          putInstances: [launched, running],
          deleteInstances: [{ userId, id: "i-9" }],
          insertActivities: [own(activity("a1", g, 1000)), own(activity("a2", g, 2000))],
          completeActivities: [
            { userId, id: "a1", endTime: new Date(1500), statusCode: "Successful", statusMessage: null, progress: 100 },
          ],
          putBackoffs: [backoff(userId, "s1"), backoff(userId, "s2"), backoff(userId, "s2", 3)],
          clearBackoffs: [{ userId, site: "s1" }],
          putGroups: [
            owned({ ...g, desiredCapacity: 2, tags: [{ key: "n_preserve", value: "2", propagateAtLaunch: false }] }, userId, 1),
          ],
          deleteGroups: [{ userId, groupId: drained.id }],
        });
        assert.deepEqual(result, { conflictedGroupIds: [], lostShards: [] });

        const snapshot = await store.controller.loadSnapshot();
        assert.deepEqual(snapshot.intents.map((i) => i.token), ["t2"]);
        assert.deepEqual(snapshot.backoffs, [backoff(userId, "s2", 3)]);
        assert.equal(snapshot.groups.length, 1);
        const [stored] = snapshot.groups;
        assert.deepEqual(stored?.group, owned({ ...g, desiredCapacity: 2, tags: [{ key: "n_preserve", value: "2", propagateAtLaunch: false }] }, userId, 1));
        assert.deepEqual(byId(stored?.instances ?? []), [running, launched]);

        const reads = store.reads(userId);
        assert.equal((await reads.getGroup("g1"))?.desiredCapacity, 2);
        assert.equal(await reads.getGroup("drained"), null);
        const listed = await reads.listActivities({ includeDeletedGroups: true }, { limit: 10 });
        assert.deepEqual(listed.items, [
          activity("a2", g, 2000),
          activity("a1", g, 1000, { endTime: new Date(1500), statusCode: "Successful", progress: 100 }),
          activity("old", drained, 500),
        ]);
        // The drained group's activities are those of a deleted group now.
        const current = await reads.listActivities({ includeDeletedGroups: false }, { limit: 10 });
        assert.deepEqual(current.items.map((a) => a.id), ["a2", "a1"]);
        assert.deepEqual((await reads.listInstances(null, { limit: 10 })).items.map((i) => i.id), ["i-1", "i-2"]);
      });

      it("writes batches beyond the databases' parameter limits", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const userId = ids[0]!;
        const g = group("big");
        await store.write(userId, (tx) => tx.insertGroup(g));
        const count = 3_000;
        const vms = Array.from({ length: count }, (_, i) => managedInstance(`i-${String(i).padStart(5, "0")}`, g, userId));
        const activities = vms.map((vm, i): OwnedActivity => ({ ...activity(`a-${vm.id}`, g, i), userId }));
        assert.deepEqual(await store.controller.apply({ putInstances: vms, insertActivities: activities }), { conflictedGroupIds: [], lostShards: [] });
        const updated = vms.map((vm) => ({ ...vm, version: 1, cloudState: "stopped" as const }));
        const done = activities.map((a) => ({ userId, id: a.id, endTime: new Date(9), statusCode: "Failed" as const, statusMessage: "x", progress: 100 }));
        assert.deepEqual(await store.controller.apply({ putInstances: updated, completeActivities: done }), { conflictedGroupIds: [], lostShards: [] });
        const stored = await snapshotGroup(store, g.id);
        assert.deepEqual(stored.instances, updated);
        const page = await store.reads(userId).listActivities({ includeDeletedGroups: false }, { limit: 5 });
        assert.ok(page.items.every((a) => a.statusCode === "Failed" && a.statusMessage === "x"));
        await store.controller.apply({ deleteInstances: vms.map((vm) => ({ userId, id: vm.id })) });
        assert.deepEqual((await snapshotGroup(store, g.id)).instances, []);
      });

      it("reports rows the API changed meanwhile as conflicts and leaves them unchanged", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const userId = ids[0]!;
        const [g1, g2, g3] = [group("g1"), group("g2"), group("g3")];
        await store.write(userId, async (tx) => {
          for (const g of [g1, g2, g3]) await tx.insertGroup(g);
        });
        const vm = managedInstance("i-1", g1, userId);
        await putNew(store, [vm, managedInstance("i-2", g2, userId)]);
        // The API marks i-1 unhealthy (version 1) and changes g3 (version 1).
        await store.write(userId, (tx) => tx.setInstanceHealth("i-1", "Unhealthy", "user"));
        await store.write(userId, (tx) => tx.updateGroup({ ...g3, desiredCapacity: 3 }));

        const stale = { ...vm, version: 1, lastSeenAt: new Date(1_700_000_200_000) };
        const result = await store.controller.apply({
          putInstances: [
            stale,
            // Already recorded: a new VM must not replace it.
            managedInstance("i-2", g2, userId, { cloudState: "stopped" }),
            // Never recorded: an update has nothing to update.
            managedInstance("i-404", g2, userId, { version: 4 }),
          ],
          putGroups: [owned({ ...g3, desiredCapacity: 5 }, userId, 1)],
        });
        assert.deepEqual([...result.conflictedGroupIds].sort(), [g1.id, g2.id, g3.id].sort());
        const [g1Row, g2Row, g3Row] = await Promise.all([g1, g2, g3].map((g) => snapshotGroup(store, g.id)));
        assert.deepEqual(g1Row?.instances, [{ ...vm, healthStatus: "Unhealthy", healthReason: "user", version: 1 }]);
        assert.deepEqual(g2Row?.instances, [managedInstance("i-2", g2, userId)]);
        assert.deepEqual(g3Row?.group, owned({ ...g3, desiredCapacity: 3 }, userId, 1));

        // After reloading, the controller writes on top of the API's change.
        const reloaded = g1Row!.instances[0]!;
        const next = { ...reloaded, lifecycleState: "Terminating" as const, terminationReason: "unhealthy", version: 2 };
        assert.deepEqual(await store.controller.apply({ putInstances: [next], putGroups: [owned({ ...g3, desiredCapacity: 5 }, userId, 2)] }), {
          conflictedGroupIds: [],
          lostShards: [],
        });
        assert.deepEqual((await snapshotGroup(store, g1.id)).instances, [next]);
        assert.equal((await store.reads(userId).getGroup("g3"))?.desiredCapacity, 5);
      });

      it("records nothing for a group that no longer exists and reports it, applying the rest", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const [gone, kept] = [group("gone"), group("kept")];
        await store.write(alice, async (tx) => {
          await tx.insertGroup(gone);
          await tx.insertGroup(kept);
          await tx.deleteGroup(gone.id);
        });
        const result = await store.controller.apply({
          insertIntents: [intent("t-gone", gone, alice), intent("t-kept", kept, alice), intent("t-bob", kept, bob)],
          putInstances: [managedInstance("i-gone", gone, alice), managedInstance("i-kept", kept, alice)],
        });
        assert.deepEqual([...result.conflictedGroupIds].sort(), [gone.id, kept.id].sort());
        const snapshot = await store.controller.loadSnapshot();
        assert.deepEqual(snapshot.intents.map((i) => i.token), ["t-kept"]);
        assert.deepEqual(snapshot.groups.flatMap((g) => g.instances.map((i) => i.id)), ["i-kept"]);
        // Recording an intent again changes nothing.
        assert.deepEqual(await store.controller.apply({ insertIntents: [intent("t-kept", kept, alice, 7)] }), { conflictedGroupIds: [], lostShards: [] });
        assert.deepEqual((await store.controller.loadSnapshot()).intents, [intent("t-kept", kept, alice)]);
      });

      it("removes a group only while it is deleting with no VM and no intent left", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const userId = ids[0]!;
        const [active, withVm, withIntent, drained] = ["active", "with-vm", "with-intent", "drained"].map((n) => group(n, { status: "deleting" })) as [
          Group,
          Group,
          Group,
          Group,
        ];
        await store.write(userId, async (tx) => {
          await tx.insertGroup({ ...active, status: "active" });
          for (const g of [withVm, withIntent, drained]) await tx.insertGroup(g);
        });
        await putNew(store, [managedInstance("i-1", withVm, userId)]);
        await store.controller.apply({ insertIntents: [intent("t1", withIntent, userId)] });
        const { changeSeq } = await store.controller.loadSnapshot();

        const all = [active, withVm, withIntent, drained].map((g) => ({ userId, groupId: g.id }));
        const first = await store.controller.apply({ deleteGroups: all });
        assert.deepEqual([...first.conflictedGroupIds].sort(), [active.id, withVm.id, withIntent.id].sort());
        const names = async () => (await store.reads(userId).listGroups(null, null, { limit: 10 })).items.map((g) => g.name);
        assert.deepEqual(await names(), ["active", "with-intent", "with-vm"]);

        // The VM and the intent go first in the same batch (field order), then the groups.
        const second = await store.controller.apply({
          deleteIntents: ["t1"],
          deleteInstances: [{ userId, id: "i-1" }],
          deleteGroups: all,
        });
        // `drained` is gone already: no conflict for it.
        assert.deepEqual(second.conflictedGroupIds, [active.id]);
        assert.deepEqual(await names(), ["active"]);
        // The controller's own removals are not in the change log.
        assert.deepEqual(await store.controller.changesSince(changeSeq), { changeSeq, groups: [], goneGroupIds: [] });
      });

      it("bumps the generation of every user the batch names, once", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob", "carol"]);
        const [alice, bob, carol] = ids as [string, string, string];
        const g = group("g1");
        await store.write(alice, (tx) => tx.insertGroup(g));
        const before = await Promise.all(ids.map((id) => store.generation(id)));
        await store.controller.apply({
          putInstances: [managedInstance("i-1", g, alice), managedInstance("i-2", g, alice)],
          insertActivities: [{ ...activity("a1", g, 1), userId: alice }],
          putBackoffs: [backoff(bob, "s1")],
        });
        const after = await Promise.all(ids.map((id) => store.generation(id)));
        assert.deepEqual(
          after.map((n, i) => n - before[i]!),
          [1, 1, 0],
          `generations of ${[alice, bob, carol].join(", ")}`,
        );
      });
    });

    describe("shard leases", () => {
      const TTL = 400;
      const round = (store: { controller: ControllerStore }, holder: string, release: number[] = [], shardCount = 8) =>
        store.controller.leaseRound({ holder, shardCount, ttlMs: TTL, now: new Date(), release });
      const shardsOf = (r: LeaseRoundResult) => r.held.map((l) => l.shard);

      it("gives each shard one holder, at most a fair share each, the epoch bumped on every change of holder", async (t) => {
        const { store } = await open(t);
        const a1 = await round(store, "a");
        assert.deepEqual(a1, { held: [0, 1, 2, 3, 4, 5, 6, 7].map((shard) => ({ shard, epoch: 1 })), liveReplicas: 1 });
        const b1 = await round(store, "b");
        assert.deepEqual(b1, { held: [], liveReplicas: 2 }, "nothing free: b waits for a to hand shards over");
        const a2 = await round(store, "a", [4, 5, 6, 7]);
        assert.deepEqual(shardsOf(a2), [0, 1, 2, 3], "renewed what it kept");
        assert.ok(a2.held.every((l) => l.epoch === 1), "a renewal keeps the epoch");
        const b2 = await round(store, "b");
        assert.deepEqual(b2.held, [4, 5, 6, 7].map((shard) => ({ shard, epoch: 2 })));
        assert.deepEqual(shardsOf(await round(store, "c")), [], "three replicas: a fair share is 3, and none is free");
        await store.controller.releaseShards("a");
        assert.deepEqual(shardsOf(await round(store, "c")), [0, 1, 2, 3], "released shards are taken at once (two replicas live now)");
      });

      it("lets racing replicas claim disjoint shards", async (t) => {
        const { store, more } = await open(t);
        const stores = more === null ? [store, store, store] : [store, await more(), await more()];
        for (let k = 0; k < 3; k++) {
          const results = await Promise.all(stores.map((s, i) => round(s, `r${i}`, [], 12)));
          const all = results.flatMap(shardsOf);
          assert.equal(new Set(all).size, all.length, `round ${k}: a shard held twice: ${JSON.stringify(results)}`);
        }
      });

      it("expire on the store's clock: another replica takes them with a new epoch; the old holder's writes are refused", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        const g = group("g");
        await store.write(alice, (tx) => tx.insertGroup(g));
        const shard = shardOf(g.id, 8);
        const a = await round(store, "a");
        const lease = a.held.find((l) => l.shard === shard)!;
        const fence = (holder: string, epoch: number) => ({ holder, leases: [{ shard, epoch }], now: new Date(), stallLimitMs: 5_000 });
        assert.deepEqual(await store.controller.apply({ fence: fence("a", lease.epoch), insertIntents: [intent("t1", g, alice)] }), {
          conflictedGroupIds: [],
          lostShards: [],
        });
        await sleep(TTL + 100);
        const before = await store.generation(alice);
        assert.deepEqual(
          await store.controller.apply({ fence: fence("a", lease.epoch), insertIntents: [intent("t2", g, alice)] }),
          { conflictedGroupIds: [], lostShards: [shard] },
          "expired, though nobody took it yet",
        );
        const b = await round(store, "b");
        assert.deepEqual(shardsOf(b), [0, 1, 2, 3, 4, 5, 6, 7], "a's heartbeat expired too: b's fair share is all");
        assert.equal(b.held.find((l) => l.shard === shard)!.epoch, lease.epoch + 1);
        assert.deepEqual((await round(store, "a")).held, [], "a renews nothing it lost");
        assert.deepEqual(
          (await store.controller.apply({ fence: fence("a", lease.epoch), insertIntents: [intent("t3", g, alice)] })).lostShards,
          [shard],
        );
        assert.deepEqual(
          (await store.controller.apply({ fence: fence("b", lease.epoch), insertIntents: [intent("t4", g, alice)] })).lostShards,
          [shard],
          "the holder with a stale epoch is refused too",
        );
        assert.equal(await store.generation(alice), before, "refused batches wrote nothing");
        const tokens = (await store.controller.loadSnapshot()).intents.map((i) => i.token);
        assert.deepEqual(tokens, ["t1"]);
      });

      it("scope snapshots and changes to the shards asked for", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        const groups = Array.from({ length: 12 }, (_, k) => group(`g${k}`));
        for (const g of groups) await store.write(alice, (tx) => tx.insertGroup(g));
        for (const g of groups) await putNew(store, [managedInstance(`i-${g.name}`, g, alice)]);
        await store.controller.apply({ insertIntents: groups.map((g) => intent(`t-${g.name}`, g, alice)) });
        const scope = { count: 4, shards: [1, 3] };
        const inScope = groups.filter((g) => scope.shards.includes(shardOf(g.id, 4))).map((g) => g.name).sort();
        assert.ok(inScope.length > 0 && inScope.length < groups.length, "the fixture spreads over the shards");
        const snapshot = await store.controller.loadSnapshot(scope);
        assert.deepEqual(snapshot.groups.map((g) => g.group.name).sort(), inScope);
        assert.ok(snapshot.groups.every((g) => g.instances.length === 1 && g.instances[0]!.id === `i-${g.group.name}`));
        assert.deepEqual(snapshot.intents.map((i) => i.token.slice(2)).sort(), inScope);
        assert.deepEqual((await store.controller.loadSnapshot({ count: 4, shards: [] })).groups, []);
        const changes = await store.controller.changesSince(0, scope);
        assert.deepEqual(changes.groups.map((g) => g.group.name).sort(), inScope);
      });
    });

    it("loads the current rows of the groups asked for, leaving out those that are gone", async (t) => {
      const { store, ids } = await openWithUsers(t, ["alice"]);
      const [alice] = ids as [string];
      const [g1, g2] = [group("g1"), group("g2")];
      await store.write(alice, async (tx) => {
        await tx.insertGroup(g1);
        await tx.insertGroup(g2);
      });
      await putNew(store, [managedInstance("i-1", g1, alice)]);
      await store.write(alice, (tx) => tx.deleteGroup(g2.id));
      assert.deepEqual(await store.controller.loadGroups([g1.id, g2.id, "no-such-group"]), [
        { group: owned(g1, alice), instances: [managedInstance("i-1", g1, alice)] },
      ]);
      assert.deepEqual(await store.controller.loadGroups([]), []);
    });

    it("counts the VMs and unfinished launches on sites outside a list, per site, user and group, whatever their state", async (t) => {
      const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
      const [alice, bob] = ids as [string, string];
      const [web, db, api] = [group("web"), group("db"), group("api")];
      await store.write(alice, async (tx) => {
        await tx.insertGroup(web);
        await tx.insertGroup(db);
      });
      await store.write(bob, (tx) => tx.insertGroup(api));
      await putNew(store, [
        managedInstance("i-1", web, alice, { site: "s1" }),
        managedInstance("i-2", web, alice, { site: "gone" }),
        managedInstance("i-3", web, alice, { site: "gone", lifecycleState: "Terminating" }),
        managedInstance("i-4", db, alice, { site: "old" }),
        managedInstance("i-5", api, bob, { site: "gone" }),
      ]);
      // Unfinished launches may have made VMs there too: a site with only those is not empty.
      await store.controller.apply({
        insertIntents: [
          { ...intent("t-1", api, bob, 3), site: "gone" },
          { ...intent("t-2", api, bob, 2), site: "gone" },
          { ...intent("t-3", db, alice, 4), site: "new" },
          { ...intent("t-4", web, alice, 1), site: "s1" },
        ],
      });
      assert.deepEqual(await store.controller.vmsOutside(["s1"]), [
        { site: "gone", userName: "alice", groupName: "web", count: 2, launching: 0 },
        { site: "gone", userName: "bob", groupName: "api", count: 1, launching: 5 },
        { site: "new", userName: "alice", groupName: "db", count: 0, launching: 4 },
        { site: "old", userName: "alice", groupName: "db", count: 1, launching: 0 },
      ]);
      assert.deepEqual(await store.controller.vmsOutside(["s1", "gone", "old", "new"]), []);
      assert.equal((await store.controller.vmsOutside([])).length, 5);
    });

    it("keeps one deployment id for every store on the database", async (t) => {
      const { store, more } = await open(t);
      const stores = more === null ? [store, store] : [store, await more()];
      const ids = await Promise.all(stores.map((s) => s.controller.deploymentId()));
      assert.match(ids[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(ids[1], ids[0]);
      const later = more === null ? store : await more();
      assert.equal(await later.controller.deploymentId(), ids[0]);
    });

    describe("change log", () => {
      it("shows each group the API changed once, with its current rows, and the deleted ones as gone", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const [g1, g2, g3] = [group("g1"), group("g2"), group("g3")];
        const start = (await store.controller.loadSnapshot()).changeSeq;
        await store.write(alice, async (tx) => {
          await tx.insertGroup(g1);
          await tx.insertGroup(g2);
        });
        await store.write(bob, (tx) => tx.insertGroup(g3));
        const created = await store.controller.changesSince(start);
        assert.ok(created.changeSeq > start);
        assert.deepEqual(sorted(created), {
          changeSeq: created.changeSeq,
          groups: [
            { group: owned(g1, alice), instances: [] },
            { group: owned(g2, alice), instances: [] },
            { group: owned(g3, bob), instances: [] },
          ],
          goneGroupIds: [],
        });
        assert.deepEqual(await store.controller.changesSince(created.changeSeq), { ...created, groups: [], goneGroupIds: [] });

        // Controller writes are not logged; API writes to groups and VMs are, each group once.
        await putNew(store, [managedInstance("i-1", g1, alice), managedInstance("i-2", g2, alice)]);
        assert.deepEqual((await store.controller.changesSince(created.changeSeq)).groups, []);
        await store.write(alice, async (tx) => {
          await tx.updateGroup({ ...g1, desiredCapacity: 2 });
          await tx.setInstanceHealth("i-1", "Unhealthy", "user");
          await tx.markInstanceTerminating("i-2", "user");
          await tx.deleteGroup(g2.id);
        });
        await store.write(bob, (tx) => tx.deleteGroup(g3.id));
        // Activities and configurations are no group changes.
        await store.write(alice, (tx) => tx.insertActivity(activity("a1", g1, 1)));
        const changed = await store.controller.changesSince(created.changeSeq);
        assert.ok(changed.changeSeq > created.changeSeq);
        assert.deepEqual(sorted(changed), {
          changeSeq: changed.changeSeq,
          groups: [
            {
              group: owned({ ...g1, desiredCapacity: 2 }, alice, 1),
              instances: [managedInstance("i-1", g1, alice, { healthStatus: "Unhealthy", healthReason: "user", version: 1 })],
            },
          ],
          goneGroupIds: [g2.id, g3.id].sort(),
        });
        // A later reader starting from the first position sees the same.
        assert.deepEqual(sorted(await store.controller.changesSince(created.changeSeq)), sorted(changed));
      });

      it("prunes what the reader has read, keeping the retention, and refuses positions it no longer holds", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"], { changeLogRetention: 10 });
        const userId = ids[0]!;
        const groups = Array.from({ length: 40 }, (_, i) => group(`g${i}`));
        let position = (await store.controller.loadSnapshot()).changeSeq;
        const first = position;
        const seen = new Set<string>();
        for (const g of groups) {
          await store.write(userId, (tx) => tx.insertGroup(g));
          const changes = await store.controller.changesSince(position);
          for (const c of changes.groups) seen.add(c.group.id);
          position = changes.changeSeq;
        }
        assert.equal(seen.size, groups.length);
        // Within the retention a lagging reader still reads on; beyond it, it is told to reload.
        assert.equal((await store.controller.changesSince(position - 5)).groups.length, 5);
        await assert.rejects(store.controller.changesSince(first), /load a new snapshot/);
        const snapshot = await store.controller.loadSnapshot();
        assert.equal(snapshot.changeSeq, position);
        assert.deepEqual((await store.controller.changesSince(snapshot.changeSeq)).groups, []);
      });

      it("loses no change while API writes of many users commit in any order", async (t) => {
        // Six users, each changing each of its groups once while a reader follows the log: a
        // change the reader skipped would never show again. Writes of one user are serialized;
        // on PostgreSQL those of different users, through two more stores, commit in any
        // order, as the random pauses before their commits make sure.
        const users = ["u1", "u2", "u3", "u4", "u5", "u6"];
        const { store, ids, more } = await openWithUsers(t, users);
        const writers = more !== null && target.concurrentWriters === true ? [await more(), await more()] : [store, store];
        const groupsPerUser = 15;
        const vms = new Map<string, string>();
        for (const userId of ids) {
          const groups = Array.from({ length: groupsPerUser }, (_, i) => group(`g${i}`));
          await store.write(userId, async (tx) => {
            for (const g of groups) await tx.insertGroup(g);
          });
          await putNew(store, groups.map((g) => managedInstance(`i-${g.id}`, g, userId)));
          for (const g of groups) vms.set(g.id, `i-${g.id}`);
        }
        let position = (await store.controller.loadSnapshot()).changeSeq;
        const unhealthySeen = new Set<string>();
        let writing = true;
        const write = async () => {
          await Promise.all(
            ids.map(async (userId, u) => {
              const writer = writers[u % writers.length]!;
              for (const g of await store.reads(userId).listGroups(null, null, { limit: 100 }).then((p) => p.items)) {
                await writer.write(userId, async (tx) => {
                  await tx.setInstanceHealth(vms.get(g.id)!, "Unhealthy", "test");
                  await sleep(Math.random() * 8);
                });
              }
            }),
          );
          writing = false;
        };
        const read = async () => {
          for (let again = true; again; ) {
            again = writing;
            const changes = await store.controller.changesSince(position);
            assert.ok(changes.changeSeq >= position);
            for (const { group: g, instances } of changes.groups) {
              if (instances.every((i) => i.healthStatus === "Unhealthy")) unhealthySeen.add(g.id);
            }
            position = changes.changeSeq;
            await sleep(1);
          }
        };
        await Promise.all([write(), read()]);
        const missed = [...vms.keys()].filter((id) => !unhealthySeen.has(id));
        assert.deepEqual(missed, [], `${missed.length} of ${vms.size} changes never seen`);
      });
    });
  });
}

/** Changes with groups by name, instances by id and gone ids sorted, for comparison. */
function sorted(changes: ControllerChanges): ControllerChanges {
  return {
    changeSeq: changes.changeSeq,
    groups: [...changes.groups]
      .sort((a, b) => a.group.name.localeCompare(b.group.name))
      .map((g) => ({ group: g.group, instances: byId(g.instances) })),
    goneGroupIds: [...changes.goneGroupIds].sort(),
  };
}
