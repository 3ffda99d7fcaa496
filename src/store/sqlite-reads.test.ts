/**
 * `sqlite-reads.ts` against the Kysely queries it replaces: on one SQLite file, the store opened
 * by `openStore` (which reads groups and VMs through `SqliteGroupReads`) and a plain Kysely store
 * over the same file (which does not) must return equal records, page by page.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Group, LifecycleState } from "../core/types.js";
import { openStore } from "./open-store.js";
import { createKyselyStore } from "./kysely-store.js";
import type { Database } from "./schema.js";
import type { Page, PageOf, Store } from "./store.js";
import { SqliteGroupReads, MAX_IN_LIST } from "./sqlite-reads.js";
import { addUser, group, launchConfiguration, managedInstance, putNew } from "./store-fixtures.test-support.js";

const STATES: LifecycleState[] = ["Pending", "InService", "Terminating", "Terminated"];

describe("SQLite reads of DescribeAutoScalingGroups", () => {
  const dir = mkdtempSync(join(tmpdir(), "phantom-sqlite-reads-"));
  const path = join(dir, "phantom.db");
  let fast: Store;
  let plain: Store;
  let plainDb: Kysely<Database>;
  let userId: string;
  let otherId: string;
  const groups: Group[] = [];

  before(async () => {
    fast = await openStore(`sqlite:${path}`);
    userId = await addUser(fast, "alice");
    otherId = await addUser(fast, "bob");
    // 37 groups (more than 32, not a power of two); names out of insertion order and with an
    // upper-case one (binary order); 0 to 3 tags; 0 to 6 VMs in every state.
    for (let i = 0; i < 37; i++) {
      const name = i === 5 ? "Zeta" : `g-${String((i * 17) % 37).padStart(2, "0")}`;
      const tags = Array.from({ length: i % 4 }, (_, t) => ({ key: `k${(3 - t) % 4}`, value: `v${i}-${t}`, propagateAtLaunch: t % 2 === 0 }));
      groups.push(group(name, { tags, desiredCapacity: i % 5, maxSize: 10 }));
    }
    await fast.write(userId, async (tx) => {
      await tx.insertLaunchConfiguration(launchConfiguration("web", "s1"));
      await tx.insertLaunchConfiguration(launchConfiguration("web", "s2"));
      for (const g of groups) await tx.insertGroup(g);
    });
    // The other user has a group of the same name with VMs: never returned to alice.
    const theirs = group("g-00");
    await fast.write(otherId, async (tx) => {
      await tx.insertLaunchConfiguration(launchConfiguration("web", "s1"));
      await tx.insertGroup(theirs);
    });
    await putNew(fast, [managedInstance("i-theirs", theirs, otherId)]);
    await putNew(
      fast,
      groups.flatMap((g, i) =>
        Array.from({ length: i % 7 }, (_, v) =>
          managedInstance(`i-${String(i).padStart(2, "0")}-${(7 - v) % 7}`, g, userId, {
            lifecycleState: STATES[(i + v) % STATES.length]!,
            healthStatus: v % 3 === 0 ? "Unhealthy" : "Healthy",
            protectedFromScaleIn: v % 2 === 1,
            site: v % 2 === 0 ? "s1" : "s2",
            launchedAt: new Date(1_700_000_000_000 + i * 1000 + v),
          }),
        ),
      ),
    );
    plainDb = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
    plain = createKyselyStore(plainDb);
  });

  after(async () => {
    await plain.close();
    await fast.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pages(store: Store, names: readonly string[] | null, limit: number): Promise<PageOf<Group>[]> {
    const out: PageOf<Group>[] = [];
    let page: Page = { limit };
    for (;;) {
      const got = await store.reads(userId).listGroups(names, null, page);
      out.push(got);
      if (got.next === null) return out;
      page = { limit, after: got.next };
    }
  }

  it("lists the same groups, tags and pages as the Kysely queries", async () => {
    const some = groups.filter((_, i) => i % 3 === 0).map((g) => g.name);
    const nameLists = [null, some, [...some, "missing", "Zeta"], ["g-00"], ["missing"], groups.map((g) => g.name)];
    for (const names of nameLists) {
      for (const limit of [1, 2, 7, 16, 33, 37, 100]) {
        const expected = await pages(plain, names, limit);
        assert.deepEqual(await pages(fast, names, limit), expected, `names ${JSON.stringify(names)}, limit ${limit}`);
      }
    }
    // The fixture is what it claims: every group listed once, some with tags, some without.
    const all = (await pages(fast, null, 100))[0]!.items;
    assert.equal(all.length, 37);
    assert.ok(all.some((g) => g.tags.length === 0) && all.some((g) => g.tags.length === 3));
    assert.deepEqual(
      all.find((g) => g.name === groups[3]!.name)!.tags.map((t) => t.key),
      ["k1", "k2", "k3"],
    );
  });

  it("lists the same VMs as the Kysely query, in group name order, for any set of groups", async () => {
    const ids = groups.map((g) => g.id);
    const sets = [ids, ids.slice(0, 1), ids.slice(3, 20), ids.filter((_, i) => i % 2 === 1), [...ids].reverse(), ["not-a-group"]];
    for (const set of sets) {
      assert.deepEqual(await fast.reads(userId).instancesOfGroups(set), await plain.reads(userId).instancesOfGroups(set));
    }
    const vms = await fast.reads(userId).instancesOfGroups(ids);
    assert.equal(vms.length, groups.reduce((n, _, i) => n + (i % 7), 0));
    assert.deepEqual(new Set(vms.map((v) => v.lifecycleState)), new Set(STATES));
    assert.ok(!vms.some((v) => v.id === "i-theirs"));
    // The other user's group ids give alice nothing.
    const theirs = (await fast.reads(otherId).listGroups(null, null, { limit: 10 })).items.map((g) => g.id);
    assert.deepEqual(await fast.reads(userId).instancesOfGroups(theirs), []);
  });

  it("does not see a write transaction's uncommitted rows", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const wasInserted = new Promise<void>((resolve) => (inserted = resolve));
    const writing = fast.write(userId, async (tx) => {
      await tx.insertGroup(group("aaa-uncommitted"));
      inserted();
      await held;
      throw new Error("rolled back");
    });
    await wasInserted;
    const reading = fast.reads(userId).listGroups(null, null, { limit: 100 });
    release();
    await assert.rejects(writing, /rolled back/);
    const names = (await reading).items.map((g) => g.name);
    assert.equal(names.length, 37);
    assert.ok(!names.includes("aaa-uncommitted"));
  });

  it("prepares a bounded number of statements whatever the list lengths", () => {
    const database = new SQLite(path, { readonly: true });
    try {
      const reads = new SqliteGroupReads(database);
      const ids = groups.map((g) => g.id);
      const names = groups.map((g) => g.name);
      for (let n = 1; n <= 300; n++) {
        const list = Array.from({ length: n }, (_, i) => names[i % names.length]!);
        reads.groupsPage(userId, list, { limit: 10 }, 10);
        reads.groupsPage(userId, list, { limit: 10, after: "g-10" }, 10);
        reads.instancesOfGroups(userId, Array.from({ length: n }, (_, i) => ids[i % ids.length]!));
      }
      // Lists of 1 to 300 fall in the 10 buckets 1 to 512: per bucket a groups statement with and
      // one without `after`, one of group names and one of VMs; tags are read for pages of at
      // most 11 groups, buckets 1 to 16. 900 lists of 300 lengths, 45 statements.
      const grown = reads.preparedStatements;
      assert.equal(grown, 10 * 4 + 5);
      for (let n = 1; n <= 300; n++) reads.groupsPage(userId, names.slice(0, (n % 37) + 1), { limit: 10 }, 10);
      assert.equal(reads.preparedStatements, grown);
      // Padding repeats a value, which changes nothing: 5 names (bucket 8) give the 5 groups.
      assert.equal(reads.groupsPage(userId, names.slice(0, 5), { limit: 100 }, 100).length, 5);
      assert.throws(() => reads.groupsPage(userId, new Array<string>(MAX_IN_LIST + 1).fill("x"), { limit: 1 }, 1), RangeError);
    } finally {
      database.close();
    }
  });
});
