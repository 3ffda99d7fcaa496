// Scheduled actions on PostgreSQL with two replicas (two stores, two pools, one schema): both
// find the same occurrence due at once, and it runs once; a restarted replica (nothing in
// memory) does not run it again; the next occurrence runs; a replica whose shard lease was
// taken over runs nothing, the new holder runs it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { ActionContext } from "../api/actions/action.js";
import { AUTOSCALING_ACTIONS } from "../api/actions/index.js";
import type { UserWithSecret } from "../core/types.js";
import { createLogger } from "../observability/logger.js";
import { SecretBox } from "../secrets/secret-box.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { postgresTestSchemas } from "../test-support/postgres-test-schemas.js";
import { addUser } from "../users/user-accounts.js";
import { ScheduledActionRunner } from "./scheduled-action-runner.js";

const { url, skip, newSchema } = postgresTestSchemas("scheduled action tests");
const logger = createLogger("silent");
const PUT_AT = new Date("2026-12-05T01:00:00Z");
/** A fence with no lease: these runners race on the occurrence record alone. */
const unfenced = () => ({ holder: "test", leases: [], now: new Date(0), stallLimitMs: 15_000 });

describe("scheduled actions on two PostgreSQL replicas", { skip }, () => {
  let replicas: Store[];
  let user: UserWithSecret;

  before(async () => {
    const schema = newSchema();
    replicas = [await openStore(url, { schema }), await openStore(url, { schema })];
    const store = replicas[0]!;
    user = await addUser(store, new SecretBox(randomBytes(32)), "pat");
    const ctx: ActionContext = {
      user,
      store,
      settings: {
        region: "test",
        catalog: { names: ["hotel"], defaultSite: null },
        limits: { launchConfigurations: 10, groups: 10 },
        metrics: { retentionMs: 3600_000, maxSeriesPerUser: 10 },
      },
      now: PUT_AT,
      groupChanged: () => {},
    };
    const api = (action: string, input: Record<string, unknown>) => AUTOSCALING_ACTIONS[action]!.handle(input, ctx);
    await api("CreateLaunchConfiguration", { LaunchConfigurationName: "lc@hotel", ImageId: "ami-1", InstanceType: "m1.small" });
    const tags = { PHANTOM_DEFINITION: "error_overflow_n_preserving", clouds: "hotel:-1", n_preserve: "10" };
    await api("CreateAutoScalingGroup", {
      AutoScalingGroupName: "g",
      LaunchConfigurationName: "lc",
      MinSize: 0,
      MaxSize: 20,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    });
    await api("PutScheduledUpdateGroupAction", { AutoScalingGroupName: "g", ScheduledActionName: "nightly", Recurrence: "0 2 * * *", DesiredCapacity: 2 });
  });
  after(() => Promise.all(replicas.map((s) => s.close())));

  /** What a replica's controller holds in memory, as loaded from its store. */
  const model = async (store: Store) => new Map((await store.controller.loadSnapshot()).groups.map((g) => [g.group.id, g]));
  const scheduledActivities = async () =>
    (await replicas[0]!.reads(user.id).listActivities({ groupName: "g", includeDeletedGroups: false }, { limit: 100 })).items.filter((a) => a.cause.includes("scheduled action nightly"));

  it("runs an occurrence once when both replicas find it due at the same moment, night after night", async () => {
    const runners = replicas.map((store) => new ScheduledActionRunner({ store, logger }));
    for (let night = 0; night < 10; night++) {
      // Set back by hand between nights, so each night has a change to make.
      await replicas[0]!.write(user.id, async (tx) => {
        const g = (await tx.getGroupForUpdate("g"))!;
        await tx.updateGroup({ ...g, desiredCapacity: 10, tags: g.tags.map((t) => (t.key === "n_preserve" ? { ...t, value: "10" } : t)) });
      });
      const models = await Promise.all(replicas.map(model));
      const now = new Date(Date.UTC(2026, 11, 5 + night, 2, 0, 1));
      const changed = await Promise.all(runners.map((r, k) => r.run(models[k]!, now, unfenced)));
      assert.equal(changed.flatMap((c) => c.changed).length, 1, `night ${night}`);
      assert.equal((await replicas[1]!.reads(user.id).getGroup("g"))?.desiredCapacity, 2);
      assert.equal((await scheduledActivities()).length, night + 1);
    }
  });

  it("does not run it again on a restarted replica, and runs the next night's", async () => {
    const restarted = replicas.map((store) => new ScheduledActionRunner({ store, logger }));
    const again = await Promise.all(restarted.map(async (r, k) => r.run(await model(replicas[k]!), new Date("2026-12-14T02:00:40Z"), unfenced)));
    assert.deepEqual(again.flatMap((c) => c.changed), []);
    assert.equal((await scheduledActivities()).length, 10);
    const next = await Promise.all(restarted.map(async (r, k) => r.run(await model(replicas[k]!), new Date("2026-12-15T02:00:02Z"), unfenced)));
    assert.equal(next.flatMap((c) => c.changed).length, 1);
    assert.equal((await scheduledActivities()).length, 11);
  });

  it("refuses the run of a replica whose shard lease was taken over; the new holder runs it", async () => {
    const [a, b] = replicas as [Store, Store];
    const round = (store: Store, holder: string, ttlMs: number) =>
      store.controller.leaseRound({ holder, shardCount: 1, ttlMs, now: new Date(), release: [] });
    const stale = (await round(a, "replica-a", 1)).held;
    assert.deepEqual(stale.map((l) => l.shard), [0]);
    await new Promise((r) => setTimeout(r, 20)); // a's lease runs out on the database's clock
    const fresh = (await round(b, "replica-b", 60_000)).held;
    assert.deepEqual(fresh.map((l) => l.shard), [0]);
    const now = new Date("2026-12-16T02:00:03Z");
    const runA = await new ScheduledActionRunner({ store: a, logger }).run(await model(a), now, () => ({ holder: "replica-a", leases: stale, now, stallLimitMs: 15_000 }));
    assert.deepEqual(runA, { changed: [], lostShards: [0] });
    assert.equal((await scheduledActivities()).length, 11);
    const runB = await new ScheduledActionRunner({ store: b, logger }).run(await model(b), now, () => ({ holder: "replica-b", leases: fresh, now, stallLimitMs: 15_000 }));
    assert.equal(runB.changed.length, 1);
    assert.equal((await scheduledActivities()).length, 12);
  });
});
