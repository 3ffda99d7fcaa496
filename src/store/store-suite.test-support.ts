/**
 * The conformance suite of {@link Store}: every implementation and database runs these same
 * tests (`sqlite-store.test.ts`, `postgres-store.test.ts`), so the two databases cannot drift
 * apart in ordering, pagination, errors or transactions.
 */
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Group } from "../core/types.js";
import {
  AlreadyExistsError,
  InvalidNextTokenError,
  ResourceInUseError,
  ValidationError,
} from "../core/errors.js";
import type { Page, PageOf, Store } from "./store.js";
import { controllerStoreCases } from "./controller-store-suite.test-support.js";
import {
  accessKeyOf,
  activity,
  addUser,
  backoff,
  credentials,
  group,
  instance,
  intent,
  launchConfiguration,
  managedInstance,
  putNew,
  snapshotGroup,
  userRecord,
} from "./store-fixtures.test-support.js";

/** A database that the suite runs against. */
export interface StoreTarget {
  /** Shown in the suite's name. */
  readonly name: string;
  /** When set, every test is skipped with this reason. */
  readonly skip?: string | undefined;
  /**
   * Opens a store on a new, empty database. `reopen` opens one more store on that same
   * database (null where none can be shared, as with `:memory:`). `options` go to `openStore`.
   */
  fresh(options?: FreshOptions): Promise<{ store: Store; reopen: (() => Promise<Store>) | null }>;
  /**
   * Whether stores opened by `reopen` may keep write transactions open at the same time in one
   * process. Not on SQLite: better-sqlite3 waits for a lock synchronously, blocking the very
   * thread that would release it (several processes are fine).
   */
  readonly concurrentWriters?: boolean;
}

/** Options of the stores a {@link StoreTarget} opens (see `OpenStoreOptions`). */
export interface FreshOptions {
  readonly changeLogRetention?: number;
}

/** Registers the conformance tests for `target`. */
export function storeCases(target: StoreTarget): void {
  describe(`Store conformance on ${target.name}`, { skip: target.skip ?? false }, () => {
    controllerStoreCases(target);

    /** A fresh store, closed when the test ends. */
    async function open(t: TestContext): Promise<Store> {
      const { store } = await target.fresh();
      t.after(() => store.close());
      return store;
    }

    /** A fresh store with user `alice` owning the launch configuration `web@s1`. */
    async function openWithUser(t: TestContext): Promise<{ store: Store; userId: string }> {
      const store = await open(t);
      const userId = await addUser(store, "alice");
      await store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("web", "s1")));
      return { store, userId };
    }

    describe("users and credentials", () => {
      it("creates, finds and lists users ordered by name", async (t) => {
        const store = await open(t);
        for (const name of ["bob", "Alice", "_ops", "alice"]) await addUser(store, name);
        const alice = await store.users.findUserByName("alice");
        assert.deepEqual(alice, userRecord("alice"));
        assert.deepEqual(await store.users.findUserByAccessKey(accessKeyOf("bob")), userRecord("bob"));
        assert.equal(await store.users.findUserByName("nobody"), null);
        assert.equal(await store.users.findUserByAccessKey("AKNOBODY"), null);
        assert.deepEqual(
          (await store.users.listUsers()).map((u) => u.name),
          ["Alice", "_ops", "alice", "bob"],
        );
      });

      it("refuses a taken name or access key with AlreadyExistsError", async (t) => {
        const store = await open(t);
        await addUser(store, "alice");
        await rejectsWith(
          store.users.createUser({ ...userRecord("alice"), id: randomUUID(), accessKeyId: "AKOTHER" }),
          AlreadyExistsError,
          "user alice already exists",
        );
        await rejectsWith(
          store.users.createUser({ ...userRecord("carol"), accessKeyId: accessKeyOf("alice") }),
          AlreadyExistsError,
          `access key ${accessKeyOf("alice")} is already in use`,
        );
      });

      it("removes a user with their configurations, activities and credentials; refuses while they own groups", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("g1");
        await store.write(userId, async (tx) => {
          await tx.insertGroup(g);
          await tx.insertActivity(activity("a1", g, 1000));
        });
        await store.users.setCredentials(credentials(userId, "s1"));
        await rejectsWith(store.users.removeUser("alice"), ResourceInUseError, /alice still owns 1 /);
        assert.notEqual(await store.users.findUserByName("alice"), null);

        await store.write(userId, (tx) => tx.deleteGroup(g.id));
        assert.equal(await store.users.removeUser("alice"), true);
        assert.equal(await store.users.removeUser("alice"), false);
        assert.equal(await store.users.findUserByName("alice"), null);
        assert.equal(await store.users.getCredentials(userId, "s1"), null);
        // The same id again sees nothing of the removed user.
        await store.users.createUser(userRecord("alice"));
        const reads = store.reads(userId);
        assert.equal(await reads.countLaunchConfigurations(), 0);
        assert.deepEqual((await reads.listActivities({ includeDeletedGroups: true }, { limit: 10 })).items, []);
      });

      it("sets, replaces and gets cloud credentials per site", async (t) => {
        const store = await open(t);
        const userId = await addUser(store, "alice");
        assert.equal(await store.users.getCredentials(userId, "s1"), null);
        await store.users.setCredentials(credentials(userId, "s1"));
        await store.users.setCredentials({ ...credentials(userId, "s2"), keyName: "k2" });
        assert.deepEqual(await store.users.getCredentials(userId, "s1"), credentials(userId, "s1"));
        const replaced = { ...credentials(userId, "s1"), accessKeyId: "AKNEW", secretSealed: "sealed-new", keyName: "k" };
        await store.users.setCredentials(replaced);
        assert.deepEqual(await store.users.getCredentials(userId, "s1"), replaced);
        assert.equal((await store.users.getCredentials(userId, "s2"))?.keyName, "k2");
        await assert.rejects(store.users.setCredentials(credentials("no-such-user", "s1")), /no user with id/);
      });
    });

    describe("launch configurations", () => {
      it("inserts, lists, counts and finds them by base name", async (t) => {
        const { store, userId } = await openWithUser(t);
        const s2 = launchConfiguration("web", "s2");
        await store.write(userId, async (tx) => {
          await tx.insertLaunchConfiguration(s2);
          await tx.insertLaunchConfiguration(launchConfiguration("webx", "s1"));
        });
        const reads = store.reads(userId);
        assert.equal(await reads.countLaunchConfigurations(), 3);
        assert.deepEqual(await reads.launchConfigurationsByBase("web"), [launchConfiguration("web", "s1"), s2]);
        assert.deepEqual(await reads.launchConfigurationsByBase("nothing"), []);
        const listed = await reads.listLaunchConfigurations(["webx@s1", "missing@s1", "web@s2"], { limit: 10 });
        assert.deepEqual(listed, { items: [s2, launchConfiguration("webx", "s1")], next: null });
        assert.deepEqual(await reads.listLaunchConfigurations([], { limit: 10 }), { items: [], next: null });
      });

      it("refuses a taken name with AWS's message", async (t) => {
        const { store, userId } = await openWithUser(t);
        await rejectsWith(
          store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("web", "s1"))),
          AlreadyExistsError,
          "Launch Configuration by this name already exists - A launch configuration already exists with the name web@s1",
        );
      });

      it("deletes one; refuses while a group uses it and changes nothing", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("users-of-web");
        await store.write(userId, (tx) => tx.insertGroup(g));
        const before = await store.generation(userId);
        await rejectsWith(
          store.write(userId, (tx) => tx.deleteLaunchConfiguration("web@s1")),
          ResourceInUseError,
          "Cannot delete launch configuration web@s1 because it is attached to AutoScalingGroup users-of-web",
        );
        assert.equal(await store.generation(userId), before);
        assert.equal(await store.reads(userId).countLaunchConfigurations(), 1);
        assert.deepEqual(await store.reads(userId).getGroup("users-of-web"), g);

        await store.write(userId, (tx) => tx.deleteGroup(g.id));
        assert.equal(await store.write(userId, (tx) => tx.deleteLaunchConfiguration("web@s1")), true);
        assert.equal(await store.write(userId, (tx) => tx.deleteLaunchConfiguration("web@s1")), false);
        assert.equal(await store.reads(userId).countLaunchConfigurations(), 0);
      });

      it("lists in byte order and pages without gaps or repeats", async (t) => {
        const store = await open(t);
        const userId = await addUser(store, "alice");
        await store.write(userId, async (tx) => {
          for (const base of ODD_NAMES) await tx.insertLaunchConfiguration(launchConfiguration(base, "s1"));
        });
        const expected = byteOrder(ODD_NAMES.map((n) => `${n}@s1`));
        for (const limit of [1, 3, ODD_NAMES.length, 100]) {
          const names = await collect((page) => store.reads(userId).listLaunchConfigurations(null, page), limit);
          assert.deepEqual(names.map((lc) => lc.name), expected, `limit ${limit}`);
        }
      });
    });

    describe("groups", () => {
      it("round-trips a group with its tags sorted by key", async (t) => {
        const { store, userId } = await openWithUser(t);
        await store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("web", "s2")));
        const g = group("g1", {
          launchConfigurationName: "web@s2",
          definition: "error_overflow_n_preserving",
          clouds: [
            { site: "s2", max: 3 },
            { site: "s1", max: -1 },
          ],
          tags: [
            { key: "b", value: "2", propagateAtLaunch: true },
            { key: "B", value: "", propagateAtLaunch: false },
            { key: "a", value: "1", propagateAtLaunch: false },
          ],
          status: "deleting",
          extra: { TerminationPolicies: ["Default"], NewInstancesProtectedFromScaleIn: true },
        });
        await store.write(userId, (tx) => tx.insertGroup(g));
        const expected = { ...g, tags: [g.tags[1], g.tags[2], g.tags[0]] };
        assert.deepEqual(await store.reads(userId).getGroup("g1"), expected);
        assert.deepEqual(await store.write(userId, (tx) => tx.getGroupForUpdate("g1")), expected);
        assert.equal(await store.reads(userId).getGroup("G1"), null);
        assert.equal(await store.reads(userId).countGroups(), 1);
      });

      it("refuses a group whose launch configuration is missing, writing nothing", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("g1", { clouds: [{ site: "s1", max: 1 }, { site: "s9", max: -1 }] });
        await rejectsWith(
          store.write(userId, (tx) => tx.insertGroup(g)),
          ValidationError,
          "Launch configuration web@s9 does not exist; create it with CreateLaunchConfiguration first",
        );
        assert.equal(await store.reads(userId).countGroups(), 0);
      });

      it("refuses a taken name with AWS's message", async (t) => {
        const { store, userId } = await openWithUser(t);
        await store.write(userId, (tx) => tx.insertGroup(group("g1")));
        await rejectsWith(
          store.write(userId, (tx) => tx.insertGroup(group("g1"))),
          AlreadyExistsError,
          "AutoScalingGroup by this name already exists - A group with the name g1 already exists",
        );
      });

      it("updates a group with its tags and launch configuration references", async (t) => {
        const { store, userId } = await openWithUser(t);
        await store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("api", "s1")));
        const g = group("g1", { tags: [{ key: "old", value: "1", propagateAtLaunch: true }] });
        await store.write(userId, (tx) => tx.insertGroup(g));
        const updated: Group = {
          ...g,
          launchConfigurationName: "api",
          launchConfigurationBase: "api",
          minSize: 2,
          maxSize: 9,
          desiredCapacity: 5,
          tags: [{ key: "new", value: "2", propagateAtLaunch: false }],
          extra: { TerminationPolicies: ["OldestInstance"] },
        };
        await store.write(userId, async (tx) => {
          const current = await tx.getGroupForUpdate("g1");
          assert.deepEqual(current, g);
          await tx.updateGroup(updated);
        });
        assert.deepEqual(await store.reads(userId).getGroup("g1"), updated);
        // The group now uses api@s1 and no longer web@s1.
        await rejectsWith(store.write(userId, (tx) => tx.deleteLaunchConfiguration("api@s1")), ResourceInUseError, /api@s1/);
        assert.equal(await store.write(userId, (tx) => tx.deleteLaunchConfiguration("web@s1")), true);
        await rejectsWith(
          store.write(userId, (tx) => tx.updateGroup({ ...updated, launchConfigurationBase: "gone" })),
          ValidationError,
          /gone@s1 does not exist/,
        );
        const stranger = group("never-inserted", { launchConfigurationBase: "api" });
        await assert.rejects(store.write(userId, (tx) => tx.updateGroup(stranger)), /no group with id/);
      });

      it("deletes a group with its tags, instances and references; its activities remain", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("g1", { tags: [{ key: "k", value: "v", propagateAtLaunch: true }] });
        await store.write(userId, async (tx) => {
          await tx.insertGroup(g);
          await tx.insertActivity(activity("a1", g, 1000));
        });
        await putNew(store, [managedInstance("i-1", g, userId)]);
        await store.write(userId, (tx) => tx.deleteGroup(g.id));
        const reads = store.reads(userId);
        assert.equal(await reads.getGroup("g1"), null);
        assert.equal(await reads.getInstance("i-1"), null);
        assert.deepEqual((await reads.listTags({}, { limit: 10 })).items, []);
        assert.deepEqual((await reads.listActivities({ includeDeletedGroups: false }, { limit: 10 })).items, []);
        assert.deepEqual(
          (await reads.listActivities({ includeDeletedGroups: true }, { limit: 10 })).items.map((a) => a.id),
          ["a1"],
        );
        // No reference is left behind to hold the launch configuration.
        assert.equal(await store.write(userId, (tx) => tx.deleteLaunchConfiguration("web@s1")), true);
      });

      it("lists in byte order, pages, and narrows by names", async (t) => {
        const { store, userId } = await openWithUser(t);
        await store.write(userId, async (tx) => {
          for (const name of ODD_NAMES) {
            await tx.insertGroup(group(name, { tags: [{ key: "n", value: name, propagateAtLaunch: false }] }));
          }
        });
        const reads = store.reads(userId);
        for (const limit of [1, 4, 100]) {
          const groups = await collect((page) => reads.listGroups(null, null, page), limit);
          assert.deepEqual(groups.map((g) => g.name), byteOrder(ODD_NAMES), `limit ${limit}`);
          assert.ok(groups.every((g) => g.tags.length === 1 && g.tags[0]?.value === g.name));
        }
        const some = await reads.listGroups(["z", "a", "nope", "😀"], null, { limit: 10 });
        assert.deepEqual(some.items.map((g) => g.name), ["a", "z", "😀"]);
        const second = await reads.listGroups(["z", "a", "😀"], null, { limit: 1, after: "a" });
        assert.deepEqual([second.items.map((g) => g.name), second.next], [["z"], "z"]);
        assert.deepEqual(await reads.listGroups([], null, { limit: 10 }), { items: [], next: null });
      });

      it("filters by tag key, tag value and key with values, all conditions together", async (t) => {
        const { store, userId } = await openWithUser(t);
        const tagged = {
          g1: { env: "prod", team: "a" },
          g2: { env: "dev", team: "b" },
          g3: { env: "prod" },
          g4: { owner: "prod" },
          g5: {},
        };
        await store.write(userId, async (tx) => {
          for (const [name, tags] of Object.entries(tagged)) {
            const list = Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
            await tx.insertGroup(group(name, { tags: list }));
          }
        });
        const reads = store.reads(userId);
        const names = async (tags: Parameters<typeof reads.listGroups>[1], limit = 10) =>
          (await collect((page) => reads.listGroups(null, tags, page), limit)).map((g) => g.name);
        assert.deepEqual(await names({ keys: ["team"] }), ["g1", "g2"]);
        assert.deepEqual(await names({ keys: ["team", "owner"] }), ["g1", "g2", "g4"]);
        assert.deepEqual(await names({ values: ["prod"] }), ["g1", "g3", "g4"]);
        assert.deepEqual(await names({ pairs: [{ key: "env", values: ["prod", "dev"] }] }), ["g1", "g2", "g3"]);
        assert.deepEqual(await names({ pairs: [{ key: "env", values: ["prod"] }], keys: ["team"] }), ["g1"]);
        assert.deepEqual(
          await names({ pairs: [{ key: "env", values: ["prod"] }, { key: "team", values: ["b"] }] }),
          [],
        );
        assert.deepEqual(await names({ values: ["prod"] }, 1), ["g1", "g3", "g4"]);
        assert.deepEqual(await names({}), ["g1", "g2", "g3", "g4", "g5"]);
        assert.deepEqual(await names({ keys: [] }), []);
        // A filtered group still comes with all its tags.
        const [g1] = (await reads.listGroups(null, { keys: ["team"] }, { limit: 1 })).items;
        assert.deepEqual(g1?.tags.map((tag) => tag.key), ["env", "team"]);
      });

      it("lists tags ordered by group then key, with filters and pagination", async (t) => {
        const { store, userId } = await openWithUser(t);
        await store.write(userId, async (tx) => {
          await tx.insertGroup(group("b", { tags: [{ key: "x", value: "1", propagateAtLaunch: true }] }));
          await tx.insertGroup(
            group("a", {
              tags: [
                { key: "y", value: "2", propagateAtLaunch: false },
                { key: "X", value: "1", propagateAtLaunch: true },
                { key: "x", value: "3", propagateAtLaunch: true },
              ],
            }),
          );
          await tx.insertGroup(group("a_", { tags: [{ key: "", value: "4", propagateAtLaunch: true }] }));
        });
        const reads = store.reads(userId);
        const all = [
          { groupName: "a", key: "X", value: "1", propagateAtLaunch: true },
          { groupName: "a", key: "x", value: "3", propagateAtLaunch: true },
          { groupName: "a", key: "y", value: "2", propagateAtLaunch: false },
          { groupName: "a_", key: "", value: "4", propagateAtLaunch: true },
          { groupName: "b", key: "x", value: "1", propagateAtLaunch: true },
        ];
        for (const limit of [1, 2, 10]) {
          assert.deepEqual(await collect((page) => reads.listTags({}, page), limit), all, `limit ${limit}`);
        }
        const rows = async (filter: Parameters<typeof reads.listTags>[0]) =>
          (await reads.listTags(filter, { limit: 10 })).items.map((r) => `${r.groupName}/${r.key}`);
        assert.deepEqual(await rows({ groupNames: ["b", "a_"] }), ["a_/", "b/x"]);
        assert.deepEqual(await rows({ keys: ["x"] }), ["a/x", "b/x"]);
        assert.deepEqual(await rows({ values: ["1"] }), ["a/X", "b/x"]);
        assert.deepEqual(await rows({ propagateAtLaunch: false }), ["a/y"]);
        assert.deepEqual(await rows({ keys: ["x", "X"], values: ["1"], propagateAtLaunch: true }), ["a/X", "b/x"]);
        assert.deepEqual(await rows({ values: [] }), []);
      });
    });

    describe("instances", () => {
      it("gets and lists the instances the controller recorded, in the API's view", async (t) => {
        const { store, userId } = await openWithUser(t);
        const ga = group("a");
        const gb = group("B");
        await store.write(userId, async (tx) => {
          await tx.insertGroup(ga);
          await tx.insertGroup(gb);
        });
        await putNew(store, [
          ...["i-3", "i-1"].map((id) => managedInstance(id, ga, userId)),
          ...["i-2", "i-10"].map((id) => managedInstance(id, gb, userId)),
        ]);
        const reads = store.reads(userId);
        assert.deepEqual(await reads.getInstance("i-1"), instance("i-1", ga));
        assert.equal(await reads.getInstance("i-404"), null);

        // By group name ("B" sorts before "a"), then id.
        assert.deepEqual(
          (await reads.instancesOfGroups([ga.id, gb.id])).map((i) => `${i.groupName}/${i.id}`),
          ["B/i-10", "B/i-2", "a/i-1", "a/i-3"],
        );
        assert.deepEqual(await reads.instancesOfGroups([]), []);
        for (const limit of [1, 3, 10]) {
          const ids = (await collect((page) => reads.listInstances(null, page), limit)).map((i) => i.id);
          assert.deepEqual(ids, ["i-1", "i-10", "i-2", "i-3"]);
        }
        const some = await reads.listInstances(["i-3", "i-2", "i-9"], { limit: 10 });
        assert.deepEqual(some.items.map((i) => i.id), ["i-2", "i-3"]);
        assert.deepEqual(await reads.listInstances([], { limit: 10 }), { items: [], next: null });
      });

      it("sets health and marks terminating with a reason, bumping the version; false for unknown ids", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("g1");
        await store.write(userId, (tx) => tx.insertGroup(g));
        await putNew(store, [managedInstance("i-1", g, userId)]);
        assert.equal(await store.write(userId, (tx) => tx.setInstanceHealth("i-1", "Unhealthy", "user said so")), true);
        assert.deepEqual(await store.reads(userId).getInstance("i-1"), { ...instance("i-1", g), healthStatus: "Unhealthy" });
        assert.equal(await store.write(userId, (tx) => tx.markInstanceTerminating("i-1", "user request")), true);
        assert.deepEqual(await store.reads(userId).getInstance("i-1"), {
          ...instance("i-1", g),
          healthStatus: "Unhealthy",
          lifecycleState: "Terminating",
        });
        const [stored] = (await snapshotGroup(store, g.id)).instances;
        assert.deepEqual(stored, {
          ...managedInstance("i-1", g, userId),
          healthStatus: "Unhealthy",
          healthReason: "user said so",
          lifecycleState: "Terminating",
          terminationReason: "user request",
          version: 2,
        });
        assert.equal(await store.write(userId, (tx) => tx.setInstanceHealth("i-1", "Healthy", null)), true);
        assert.equal((await snapshotGroup(store, g.id)).instances[0]?.healthReason, null);
        assert.equal(await store.write(userId, (tx) => tx.setInstanceHealth("i-404", "Healthy", null)), false);
        assert.equal(await store.write(userId, (tx) => tx.markInstanceTerminating("i-404", "x")), false);
      });

      it("counts a user's VMs by site, state and health, and lists their site backoffs", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("g1");
        await store.write(userId, (tx) => tx.insertGroup(g));
        await putNew(store, [
          managedInstance("i-1", g, userId),
          managedInstance("i-2", g, userId),
          managedInstance("i-3", g, userId, { site: "s2", lifecycleState: "Pending", healthStatus: "Unhealthy" }),
        ]);
        const other = await addUser(store, "other");
        await store.controller.apply({ putBackoffs: [backoff(userId, "s2", 2), backoff(other, "s1")] });
        const reads = store.reads(userId);
        const counts = (await reads.instanceCountsBySite()).sort((a, b) => a.site.localeCompare(b.site));
        assert.deepEqual(counts, [
          { site: "s1", lifecycleState: "InService", healthStatus: "Healthy", count: 2 },
          { site: "s2", lifecycleState: "Pending", healthStatus: "Unhealthy", count: 1 },
        ]);
        assert.deepEqual(await reads.siteBackoffs(), [backoff(userId, "s2", 2)]);
        assert.deepEqual(await store.reads(other).instanceCountsBySite(), []);
      });

      it("counts the pending launches of groups", async (t) => {
        const { store, userId } = await openWithUser(t);
        const [g1, g2, g3] = [group("g1"), group("g2"), group("g3")];
        await store.write(userId, async (tx) => {
          for (const g of [g1, g2, g3]) await tx.insertGroup(g);
        });
        await store.controller.apply({
          insertIntents: [intent("t1", g1, userId), intent("t2", g1, userId), intent("t3", g2, userId)],
        });
        const reads = store.reads(userId);
        assert.equal(await reads.pendingLaunches([g1.id]), 2);
        assert.equal(await reads.pendingLaunches([g1.id, g2.id, g3.id]), 3);
        assert.equal(await reads.pendingLaunches([g3.id]), 0);
        assert.equal(await reads.pendingLaunches([]), 0);
        assert.equal(await store.reads("user-nobody").pendingLaunches([g1.id]), 0);
        // A group with an unfinished launch cannot go: its VMs would belong to no group.
        await assert.rejects(store.write(userId, (tx) => tx.deleteGroup(g2.id)));
        assert.notEqual(await reads.getGroup("g2"), null);
      });
    });

    describe("activities", () => {
      it("lists newest first, breaking ties by id, and pages by (time, id)", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g = group("g1");
        const activities = [
          activity("a", g, 2000),
          activity("c", g, 2000, { endTime: new Date(2500), statusCode: "Successful", statusMessage: "done", progress: 100 }),
          activity("b", g, 2000),
          activity("d", g, 1000),
          activity("e", g, 3000),
        ];
        await store.write(userId, async (tx) => {
          await tx.insertGroup(g);
          for (const a of activities) await tx.insertActivity(a);
        });
        const reads = store.reads(userId);
        for (const limit of [1, 2, 10]) {
          const listed = await collect((page) => reads.listActivities({ includeDeletedGroups: false }, page), limit);
          assert.deepEqual(listed.map((a) => a.id), ["e", "c", "b", "a", "d"], `limit ${limit}`);
        }
        const byId = await reads.listActivities({ ids: ["c", "d", "zz"], includeDeletedGroups: false }, { limit: 10 });
        assert.deepEqual(byId.items, [activities[1], activities[3]]);
        assert.deepEqual((await reads.listActivities({ ids: [], includeDeletedGroups: true }, { limit: 10 })).items, []);
      });

      it("keeps a deleted group's activities apart from those of a new group of that name", async (t) => {
        const { store, userId } = await openWithUser(t);
        const old = group("g1");
        const other = group("g2");
        await store.write(userId, async (tx) => {
          await tx.insertGroup(old);
          await tx.insertGroup(other);
          await tx.insertActivity(activity("old", old, 1000));
          await tx.insertActivity(activity("other", other, 1500));
          await tx.deleteGroup(old.id);
        });
        const renewed = group("g1");
        await store.write(userId, async (tx) => {
          await tx.insertGroup(renewed);
          await tx.insertActivity(activity("new", renewed, 2000));
        });
        const ids = async (query: ActivityQuery) =>
          (await store.reads(userId).listActivities(query, { limit: 10 })).items.map((a) => a.id);
        assert.deepEqual(await ids({ includeDeletedGroups: false }), ["new", "other"]);
        assert.deepEqual(await ids({ includeDeletedGroups: true }), ["new", "other", "old"]);
        assert.deepEqual(await ids({ groupName: "g1", includeDeletedGroups: false }), ["new"]);
        assert.deepEqual(await ids({ groupName: "g1", includeDeletedGroups: true }), ["new", "old"]);
        assert.deepEqual(await ids({ groupName: "gone", includeDeletedGroups: true }), []);
      });
    });

    describe("pagination keys", () => {
      it("rejects keys it did not issue with InvalidNextTokenError", async (t) => {
        const { store, userId } = await openWithUser(t);
        const reads = store.reads(userId);
        for (const after of ["nope", "[1]", '["a", 2]', "{}"]) {
          await assert.rejects(reads.listTags({}, { after, limit: 1 }), InvalidNextTokenError);
          await assert.rejects(reads.listActivities({ includeDeletedGroups: true }, { after, limit: 1 }), InvalidNextTokenError);
        }
        await assert.rejects(reads.listGroups(null, null, { limit: 0 }), RangeError);
      });
    });

    describe("isolation, transactions and concurrency", () => {
      it("keeps users apart even with equal names", async (t) => {
        const { store, userId: alice } = await openWithUser(t);
        const bob = await addUser(store, "bob");
        const ga = group("shared", { tags: [{ key: "owner", value: "alice", propagateAtLaunch: true }] });
        await store.write(alice, async (tx) => {
          await tx.insertGroup(ga);
          await tx.insertActivity(activity("act-alice", ga, 1000));
        });
        await putNew(store, [managedInstance("i-1", ga, alice)]);
        const rb = store.reads(bob);
        assert.equal(await rb.getGroup("shared"), null);
        assert.equal(await rb.getInstance("i-1"), null);
        assert.deepEqual(await rb.instancesOfGroups([ga.id]), []);
        assert.deepEqual((await rb.listGroups(null, null, { limit: 10 })).items, []);
        assert.deepEqual((await rb.listTags({}, { limit: 10 })).items, []);
        assert.deepEqual((await rb.listActivities({ includeDeletedGroups: true }, { limit: 10 })).items, []);
        assert.equal(await rb.countLaunchConfigurations(), 0);
        // Bob's deletes do not reach Alice's rows.
        assert.equal(await store.write(bob, (tx) => tx.deleteLaunchConfiguration("web@s1")), false);
        await store.write(bob, (tx) => tx.deleteGroup(ga.id));
        assert.notEqual(await store.reads(alice).getGroup("shared"), null);
        // An instance cannot be put into another user's group, nor can Bob change Alice's.
        const intruder = await store.controller.apply({ putInstances: [managedInstance("i-2", ga, bob)] });
        assert.deepEqual(intruder.conflictedGroupIds, [ga.id]);
        assert.equal(await store.write(bob, (tx) => tx.setInstanceHealth("i-1", "Unhealthy", "no")), false);
        assert.equal(await store.write(bob, (tx) => tx.markInstanceTerminating("i-1", "no")), false);
        assert.deepEqual(await store.reads(alice).getInstance("i-1"), instance("i-1", ga));

        // Bob may use the same names, and each sees their own.
        const gb = group("shared", { tags: [{ key: "owner", value: "bob", propagateAtLaunch: true }] });
        await store.write(bob, async (tx) => {
          await tx.insertLaunchConfiguration(launchConfiguration("web", "s1"));
          await tx.insertGroup(gb);
        });
        await putNew(store, [managedInstance("i-1", gb, bob)]);
        assert.equal((await store.reads(alice).getGroup("shared"))?.id, ga.id);
        assert.equal((await rb.getGroup("shared"))?.id, gb.id);
        assert.equal((await rb.getInstance("i-1"))?.groupId, gb.id);
        assert.equal((await store.reads(alice).getInstance("i-1"))?.groupId, ga.id);
        assert.deepEqual((await rb.listTags({}, { limit: 10 })).items.map((r) => r.value), ["bob"]);
      });

      it("rolls back everything when fn throws, and the generation and change log with it", async (t) => {
        const { store, userId } = await openWithUser(t);
        const before = await store.generation(userId);
        const { changeSeq } = await store.controller.loadSnapshot();
        await assert.rejects(
          store.write(userId, async (tx) => {
            await tx.insertLaunchConfiguration(launchConfiguration("api", "s1"));
            const g = group("g1", { tags: [{ key: "k", value: "v", propagateAtLaunch: true }] });
            await tx.insertGroup(g);
            await tx.insertActivity(activity("a1", g, 1000));
            assert.equal(await tx.countGroups(), 1);
            throw new Error("boom");
          }),
          /boom/,
        );
        const reads = store.reads(userId);
        assert.equal(await reads.countGroups(), 0);
        assert.equal(await reads.countLaunchConfigurations(), 1);
        assert.deepEqual((await reads.listActivities({ includeDeletedGroups: true }, { limit: 10 })).items, []);
        assert.equal(await store.generation(userId), before);
        assert.deepEqual(await store.controller.changesSince(changeSeq), { changeSeq, groups: [], goneGroupIds: [] });
      });

      it("keeps the transaction usable after a typed error", async (t) => {
        const { store, userId } = await openWithUser(t);
        await store.write(userId, async (tx) => {
          await assert.rejects(tx.insertLaunchConfiguration(launchConfiguration("web", "s1")), AlreadyExistsError);
          await tx.insertGroup(group("g1"));
          await assert.rejects(tx.insertGroup(group("g1")), AlreadyExistsError);
          await assert.rejects(tx.deleteLaunchConfiguration("web@s1"), ResourceInUseError);
          await tx.insertLaunchConfiguration(launchConfiguration("api", "s1"));
        });
        assert.equal(await store.reads(userId).countLaunchConfigurations(), 2);
        assert.equal(await store.reads(userId).countGroups(), 1);
      });

      it("lets exactly one of two concurrent creates of one name succeed", async (t) => {
        const { store, userId } = await openWithUser(t);
        const attempts = await Promise.allSettled([
          store.write(userId, (tx) => tx.insertGroup(group("race"))),
          store.write(userId, (tx) => tx.insertGroup(group("race"))),
          store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("race", "s1"))),
          store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("race", "s1"))),
        ]);
        assertOneWinner(attempts.slice(0, 2));
        assertOneWinner(attempts.slice(2));
        assert.equal(await store.reads(userId).countGroups(), 1);
        assert.equal(await store.reads(userId).countLaunchConfigurations(), 2);
      });

      it("increases the generation with each write and not with reads", async (t) => {
        const { store, userId } = await openWithUser(t);
        const g0 = await store.generation(userId);
        await store.reads(userId).listGroups(null, null, { limit: 10 });
        await store.write(userId, (tx) => tx.countGroups());
        const g1 = await store.generation(userId);
        assert.ok(g1 > g0);
        await store.reads(userId).getGroup("x");
        await store.users.listUsers();
        assert.equal(await store.generation(userId), g1);
        await store.write(userId, (tx) => tx.insertGroup(group("g1")));
        assert.ok((await store.generation(userId)) > g1);
        await assert.rejects(store.write("no-such-user", () => Promise.resolve()), /no user with id no-such-user/);
        await assert.rejects(store.generation("no-such-user"), /no user with id no-such-user/);
      });

      it("keeps the data when the database is opened again (migrations are idempotent)", async (t) => {
        const { store, reopen } = await target.fresh();
        t.after(() => store.close());
        if (reopen === null) {
          t.skip(`${target.name} cannot be opened twice`);
          return;
        }
        const userId = await addUser(store, "alice");
        await store.write(userId, (tx) => tx.insertLaunchConfiguration(launchConfiguration("web", "s1")));
        const again = await reopen();
        t.after(() => again.close());
        assert.equal(await again.reads(userId).countLaunchConfigurations(), 1);
        const third = await reopen();
        t.after(() => third.close());
        await third.write(userId, (tx) => tx.insertGroup(group("g1")));
        assert.equal(await store.reads(userId).countGroups(), 1);
      });
    });
  });
}

type ActivityQuery = Parameters<ReturnType<Store["reads"]>["listActivities"]>[0];

/**
 * Names that sort differently by locale, by UTF-16 code unit and by UTF-8 byte: mixed case,
 * digits, `_`, `@`, a space, accents, CJK, and U+FF01 against an astral emoji (U+1F600 comes
 * before U+FF01 in UTF-16 but after it in UTF-8).
 */
const ODD_NAMES = ["b", "B", "a", "A", "_", "@", "1", "10", "9", "a_b", "a@b", "ab", "a b", "é", "e", "日本", "😀", "\uFF01", "z"];

/** The order both databases must produce: the bytes of the UTF-8 text. */
function byteOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Follows `next` until the listing ends, checking the page contract on the way. */
async function collect<T>(fetch: (page: Page) => Promise<PageOf<T>>, limit: number): Promise<T[]> {
  const all: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await fetch({ after, limit });
    assert.ok(page.items.length <= limit, "a page longer than its limit");
    all.push(...page.items);
    if (page.next === null) return all;
    assert.equal(page.items.length, limit, "a short page with a next key");
    after = page.next;
    assert.ok(all.length < 10_000, "pagination does not end");
  }
}

async function rejectsWith(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

function assertOneWinner(attempts: PromiseSettledResult<unknown>[]): void {
  const failures = attempts.filter((a) => a.status === "rejected");
  assert.equal(failures.length, 1, `expected one failure, got ${failures.length}`);
  assert.ok(failures[0]?.reason instanceof AlreadyExistsError, String(failures[0]?.reason));
}
