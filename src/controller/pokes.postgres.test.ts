// Pokes between replicas on PostgreSQL: two Phantoms (two stores, one schema) share the shards;
// their passes run every 10 s. Groups created through the first replica right after a timed
// pass of the second get their VMs from the second (for the groups of its shard) within
// well under those 10 s only because the API's write poked it (LISTEN/NOTIFY). Also the pokes themselves: delivered to other stores of the schema, not to
// the sender, not to another schema, and again after the listening connection was cut.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CreateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import pg from "pg";
import { startPhantom, type RunningPhantom } from "../app/start-phantom.js";
import { parseConfig } from "../config/config.js";
import { shardOf } from "../core/shards.js";
import { createLogger } from "../observability/logger.js";
import { openStore } from "../store/open-store.js";
import { pokesApplicationName } from "../store/shard-pokes.js";
import type { Store } from "../store/store.js";
import { postgresTestSchemas } from "../test-support/postgres-test-schemas.js";
import { createLaunchConfigurations, describeGroup, phantomTags, sdkClient } from "../test-support/sdk-client.js";
import { TEST_SITES } from "../test-support/test-phantom.js";
import { addUser } from "../users/user-accounts.js";

const { url, skip, newSchema } = postgresTestSchemas("poke tests");
const SHARDS = 2;
/** Timed passes this far apart: a VM that comes much sooner came from a poke. */
const INTERVAL_S = 30;

/** Resolves with the first value `next` yields that is not undefined, or rejects after `ms`. */
async function within<T>(ms: number, what: string, next: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await next();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("pokes between PostgreSQL replicas", { skip }, () => {
  describe("two replicas whose timed passes run every 30 s", () => {
    const schema = skip === undefined ? newSchema() : "";
    const masterKey = randomBytes(32).toString("hex");
    let replicas: RunningPhantom[] = [];
    const user = { accessKeyId: "AKIDPOKEXXXXXXXX", secretAccessKey: "poke-secret-key" };

    const start = () =>
      startPhantom(
        parseConfig(
          {
            listen: "127.0.0.1:0",
            db: url,
            sites: TEST_SITES,
            master_key_file: "/nonexistent/unused",
            controller: { interval_seconds: INTERVAL_S, lease_seconds: INTERVAL_S * 2, shards: SHARDS },
          },
          "test configuration",
        ),
        { logger: createLogger(process.env.PHANTOM_TEST_LOG_LEVEL ?? "silent"), masterKey, schema },
      );

    before(async () => {
      replicas = [await start(), await start()];
      await addUser(replicas[0]!.store, replicas[0]!.box, "pat", user);
    });
    after(() => Promise.all(replicas.map((r) => r.close())));

    /** Which replica's holder holds each shard, from the lease rows. */
    const holders = async (): Promise<Map<number, string>> => {
      const pool = new pg.Pool({ connectionString: url });
      try {
        const { rows } = await pool.query<{ shard: number; holder: string | null }>(`select shard, holder from ${schema}.controller_shards`);
        return new Map(rows.flatMap((r) => (r.holder === null ? [] : [[r.shard, r.holder]])));
      } finally {
        await pool.end();
      }
    };

    it("a group created through one replica gets its VMs within a second from the replica holding its shard", async () => {
      // Wait until the shards are shared: each replica holds half of them.
      await within(INTERVAL_S * 1000 * 3, "shards shared", async () => {
        const held = await holders();
        const counts = new Map<string, number>();
        for (const h of held.values()) counts.set(h, (counts.get(h) ?? 0) + 1);
        return held.size === SHARDS && counts.size === 2 && [...counts.values()].every((n) => n === SHARDS / 2) ? true : undefined;
      });
      // Right after a timed pass of the second replica, its next one is INTERVAL_S away.
      const passes = async () => {
        const body = await (await fetch(`${replicas[1]!.url}/metrics`)).text();
        return Number(/^phantom_reconcile_duration_seconds_count (\d+)/m.exec(body)?.[1] ?? 0);
      };
      const before = await passes();
      await within(INTERVAL_S * 1000 + 5_000, "a timed pass of the second replica", async () => ((await passes()) > before ? true : undefined));
      const viaFirst = sdkClient(replicas[0]!, user);
      await createLaunchConfigurations(viaFirst, ["web@hotel"]);
      const names = Array.from({ length: 8 }, (_, k) => `poked-${k}`);
      const latencies: number[] = [];
      await Promise.all(
        names.map(async (name) => {
          const sent = performance.now();
          await viaFirst.send(
            new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 0, MaxSize: 2, DesiredCapacity: 1, Tags: phantomTags("hotel:-1", 1) }),
          );
          await within(INTERVAL_S * 1000, `${name} has its VM`, async () => ((await describeGroup(viaFirst, name)).Instances?.length === 1 ? true : undefined));
          latencies.push(performance.now() - sent);
        }),
      );
      // The groups whose shard the other replica holds: only a poke through PostgreSQL woke it.
      const held = await holders();
      const describeAll = await Promise.all(names.map((n) => describeGroup(viaFirst, n)));
      const shards = describeAll.map((g) => shardOf(/autoScalingGroup:([^:]+):/.exec(g.AutoScalingGroupARN ?? "")![1]!, SHARDS));
      assert.ok(new Set(shards.map((s) => held.get(s))).size === 2, "the groups fell on both replicas' shards");
      const slowest = Math.max(...latencies);
      // Well under a second on a quiet machine; half the interval leaves room for a loaded one
      // and still tells a poked pass from a timed one.
      assert.ok(slowest < (INTERVAL_S * 1000) / 2, `a group waited ${Math.round(slowest)} ms for its VM (timed passes are ${INTERVAL_S} s apart)`);
      console.log(`# create → VM in Describe, 8 groups over two replicas: slowest ${Math.round(slowest)} ms`);
    });

    it("counts passes per shard on /metrics: each replica for a shard it held, no label outside the shards", async () => {
      for (const replica of replicas) {
        const body = await (await fetch(`${replica.url}/metrics`)).text();
        const counts = new Map([...body.matchAll(/^phantom_controller_shard_passes_total\{shard="(\d+)"\} (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]));
        assert.ok([...counts.keys()].every((shard) => shard < SHARDS), `shard labels ${[...counts.keys()]}`);
        assert.ok([...counts.values()].some((n) => n > 0), "the replica counted its passes over a shard");
      }
    });
  });

  describe("the pokes", () => {
    let stores: Store[] = [];
    let other: Store;
    let schema = "";
    before(async () => {
      schema = newSchema();
      stores = [await openStore(url, { schema }), await openStore(url, { schema })];
      other = await openStore(url, { schema: newSchema() });
    });
    after(() => Promise.all([...stores, other].map((s) => s.close())));

    it("reach the schema's other stores, not the sender nor another schema, and survive a cut connection", async () => {
      const [a, b] = stores as [Store, Store];
      const heard: { by: string; shard: number }[] = [];
      const stops = await Promise.all([
        a.pokes.listen((shard) => heard.push({ by: "a", shard })),
        b.pokes.listen((shard) => heard.push({ by: "b", shard })),
        other.pokes.listen((shard) => heard.push({ by: "other", shard })),
      ]);
      try {
        await a.pokes.send(5);
        await within(1_000, "b hears shard 5", async () => (heard.some((h) => h.by === "b" && h.shard === 5) ? true : undefined));
        // Cut the schema's listening connections (named for it): the listeners reconnect.
        const admin = new pg.Pool({ connectionString: url });
        try {
          const { rows } = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [pokesApplicationName(schema)]);
          assert.equal(rows.length, 2, "a and b each had a listening connection");
        } finally {
          await admin.end();
        }
        await within(5_000, "b hears shard 7 after reconnecting", async () => {
          await a.pokes.send(7);
          return heard.some((h) => h.by === "b" && h.shard === 7) ? true : undefined;
        });
        assert.deepEqual(
          heard.filter((h) => h.by !== "b"),
          [],
          "the sender and another schema's store hear nothing",
        );
      } finally {
        await Promise.all(stops.map((stop) => stop()));
      }
    });
  });
});
