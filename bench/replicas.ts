/**
 * Controller replicas on PostgreSQL: 30,000 groups × 10 VMs over five simulated sites (seeded
 * in service, as in `bench:controller`), 64 shards, leases of 9 s. For 1, 2 and 3 replicas,
 * each wired as `phantom serve` wires its controller (`wireController`: its own store and
 * connection pool, cloud access, shard leases, reconciler, loop) over the same database and
 * the same in-process clouds, it prints:
 * - how long the replicas took to share the shards evenly (each at most its fair share);
 * - per replica, the snapshot of its shards (`ControllerStore.loadSnapshot`, wall and CPU), the
 *   first pass (which loads it again), and steady passes (wall and CPU, median);
 * - with 2 and 3 replicas, the takeover after one is killed: how long until the survivors
 *   hold every shard it held, and until they have run a pass over each of them.
 *
 * The replicas share one process, so one thread and one `process.cpuUsage`. Snapshots and
 * passes are therefore timed one replica at a time, the others idle but for their lease rounds
 * (a few statements every 3 s): the CPU of a pass is that replica's, plus such a round now and
 * then. PostgreSQL runs beside them on the same machine; its CPU is not counted.
 *
 * A kill is emulated as SIGKILL leaves things: the replica's lease rounds stop at once, it
 * releases nothing (its store's `releaseShards` does nothing once killed), and its connections
 * close. Its leases run out on the database's clock and the survivors claim them, as in
 * `controller/replicas.e2e.test.ts` with real processes. During the takeover every replica's
 * loop runs on its own timer (interval 3 s), as in production.
 *
 *   npm run bench:replicas [-- --groups 30000 --vms 10 --passes 5 --replicas 1,2,3 --shards 64 --lease 9 --interval 3 --orphan-grace 120]
 *
 * The database is `PHANTOM_BENCH_DATABASE_URL` or postgres://postgres@127.0.0.1:5432/test; the
 * benchmark makes a schema of its own there and drops it at the end.
 */
import { loadavg } from "node:os";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { wireController, type ControllerReplica } from "../src/app/start-phantom.js";
import { SimulatedCloud } from "../src/clouds/simulated/simulated-cloud.js";
import { SimulatedDriver } from "../src/clouds/simulated/simulated-driver.js";
import { seededRandom } from "../src/clouds/simulated/seeded-random.js";
import { parseConfig } from "../src/config/config.js";
import { systemClock } from "../src/controller/clock.js";
import type { PassReport } from "../src/controller/reconciler.js";
import { fairShare } from "../src/core/shards.js";
import { createLogger } from "../src/observability/logger.js";
import { SecretBox } from "../src/secrets/secret-box.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { addUser } from "../src/users/user-accounts.js";
import { numberOption } from "./options.js";
import { median, timed } from "./timing.js";
import { benchGroup, insertLaunchConfigurations, seedRunningVms } from "./seed.js";

const GROUPS = numberOption("groups", 30_000);
const VMS_PER_GROUP = numberOption("vms", 10);
const PASSES = numberOption("passes", 5);
const SHARDS = numberOption("shards", 64);
const LEASE_S = numberOption("lease", 9);
/** The loops' interval during the takeover (a lease must last two intervals at least). */
const INTERVAL_S = numberOption("interval", 3);
/**
 * `controller.orphan_grace_seconds`: a replica lists the whole deployment every half of it and
 * only its shards' VMs otherwise; 0 makes every pass list the whole deployment.
 */
const ORPHAN_GRACE_S = numberOption("orphan-grace", 120);
const REPLICA_COUNTS = (process.argv.includes("--replicas") ? process.argv[process.argv.indexOf("--replicas") + 1]! : "1,2,3")
  .split(",")
  .map(Number);
const SITES = ["s1", "s2", "s3", "s4", "s5"];
/** Each group fills the first four sites up to 2 VMs and puts the rest on the last. */
const GROUP_CLOUDS = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : 2 }));
const CAPACITY = 10_000_000;
/** Groups written per transaction while seeding. */
const SEED_CHUNK = 1_000;
/** Longest wait for the shards to settle or be taken over (generous: a loaded machine is slow). */
const WAIT_LIMIT_MS = 180_000;

const DATABASE_URL = process.env.PHANTOM_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `phantom_bench_replicas_${randomBytes(4).toString("hex")}`;

const ms = (n: number) => `${n.toFixed(0)} ms`;
const s1 = (n: number) => `${(n / 1000).toFixed(1)} s`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
const logger = createLogger(process.env.PHANTOM_BENCH_LOG_LEVEL ?? "warn");

const random = seededRandom(1);
const clouds = new Map(SITES.map((site) => [site, new SimulatedCloud({ capacity: CAPACITY, bootSeconds: 0, random })]));
const config = parseConfig(
  {
    db: DATABASE_URL,
    sites: Object.fromEntries(SITES.map((site) => [site, { driver: "simulated", capacity: CAPACITY, boot_seconds: 0 }])),
    controller: { interval_seconds: INTERVAL_S, lease_seconds: LEASE_S, shards: SHARDS, orphan_grace_seconds: ORPHAN_GRACE_S },
  },
  "benchmark",
);
const box = new SecretBox(randomBytes(32));

/** A replica: its own store (pool), its controller as the app wires it, and what it reports. */
interface Replica {
  readonly name: string;
  readonly store: Store;
  readonly controller: ControllerReplica;
  /** Passes the loop ran (takeover phase): when each ended, over which shards. */
  readonly passes: { endedAt: number; durationMs: number; report: PassReport }[];
  /** Emulates SIGKILL: lease rounds stop, nothing is released, connections close. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Opens a store of its own and wires a controller on it; the controller is not started. */
async function openReplica(name: string): Promise<Replica> {
  const real = await openStore(DATABASE_URL, { schema: SCHEMA });
  let killed = false;
  // The same store, except that a killed replica's release does nothing (SIGKILL releases nothing).
  const controllerStore = new Proxy(real.controller, {
    get(target, key) {
      if (key === "releaseShards") return async (holder: string) => (killed ? undefined : target.releaseShards(holder));
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const store = new Proxy(real, {
    get(target, key) {
      if (key === "controller") return controllerStore;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const passes: Replica["passes"] = [];
  const controller = wireController(config, store, box, systemClock, {
    logger,
    createDriver: (site) => new SimulatedDriver(site.name, clouds.get(site.name)!),
    onPass: (report, durationMs) => passes.push({ endedAt: performance.now(), durationMs, report }),
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await controller.stop();
    await real.close();
  };
  return {
    name,
    store,
    controller,
    passes,
    async kill() {
      killed = true;
      // Rounds stop first: a killed process renews nothing, not even while its pass ends.
      await controller.shards.stop();
      await close();
    },
    stop: close,
  };
}

/** Polls `done` every 50 ms; returns how long it took. @throws Error past {@link WAIT_LIMIT_MS}. */
async function waitFor(what: string, done: () => boolean | Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (!(await done())) {
    if (performance.now() - started > WAIT_LIMIT_MS) throw new Error(`${what}: not done after ${s1(WAIT_LIMIT_MS)}`);
    await sleep(50);
  }
  return performance.now() - started;
}

/** The groups and their VMs, in the store and on the clouds, all in service. */
async function seed(): Promise<void> {
  const store = await openStore(DATABASE_URL, { schema: SCHEMA });
  try {
    const user = await addUser(store, box, "bench");
    const groups = Array.from({ length: GROUPS }, (_, g) => benchGroup(`group-${String(g).padStart(5, "0")}`, GROUP_CLOUDS, VMS_PER_GROUP));
    await store.write(user.id, (tx) => insertLaunchConfigurations(tx, SITES));
    for (let at = 0; at < groups.length; at += SEED_CHUNK) {
      await store.write(user.id, async (tx) => {
        for (const g of groups.slice(at, at + SEED_CHUNK)) await tx.insertGroup(g);
      });
    }
    await seedRunningVms(store, user.id, groups, clouds, SHARDS);
  } finally {
    await store.close();
  }
}

/** One line of figures per replica count, for the summary at the end. */
const summary: string[] = [];

/** Runs the phases for `count` replicas; see the file's comment. */
async function measure(count: number): Promise<void> {
  console.log(`\n── ${count} replica${count === 1 ? "" : "s"} (load average ${load()}) ──`);
  const replicas: Replica[] = [];
  for (let r = 0; r < count; r++) replicas.push(await openReplica(`r${r + 1}`));
  try {
    // Leases first, without passes: rounds every third of the lease, as the loop would run them.
    const rounds = replicas.map((r) => setInterval(() => void r.controller.shards.round(), (LEASE_S * 1000) / 3));
    await Promise.all(replicas.map((r) => r.controller.shards.round()));
    const share = fairShare(SHARDS, count);
    const settleMs = await waitFor("shards shared out", () => {
      const held = replicas.map((r) => r.controller.shards.held().size);
      return held.reduce((a, b) => a + b, 0) === SHARDS && held.every((h) => h <= share);
    });
    console.log(`shards shared out evenly after ${s1(settleMs)}: ${replicas.map((r) => `${r.name} ${r.controller.shards.held().size}`).join(", ")}`);

    // Snapshot and passes, one replica at a time.
    const steady = new Map<Replica, { wallMs: number; cpuMs: number; value: PassReport }[]>();
    const figures = new Map<Replica, { snapshot: { wallMs: number; cpuMs: number }; first: number; vms: number; groups: number }>();
    for (const r of replicas) {
      const shards = [...r.controller.shards.held().keys()];
      // Counted, then let go: the reconciler loads its own.
      const snapshot = await timed(async () => {
        const loaded = await r.store.controller.loadSnapshot({ count: SHARDS, shards });
        return { groups: loaded.groups.length, vms: loaded.groups.reduce((n, g) => n + g.instances.length, 0) };
      });
      const { groups, vms } = snapshot.value;
      const first = await timed(() => r.controller.reconciler.runPass());
      figures.set(r, { snapshot: { wallMs: snapshot.wallMs, cpuMs: snapshot.cpuMs }, first: first.wallMs, vms, groups });
      steady.set(r, []);
      console.log(
        `${r.name}: ${shards.length} shards, ${groups} groups, ${vms} VMs; snapshot ${ms(snapshot.wallMs)} wall, ${ms(snapshot.cpuMs)} CPU; ` +
          `first pass (loads it again) ${ms(first.wallMs)}`,
      );
    }
    for (let k = 0; k < PASSES; k++) {
      for (const r of replicas) {
        const pass = await timed(() => r.controller.reconciler.runPass());
        const p = pass.value;
        if (p.launchRequests + p.terminated + p.orphansTerminated + p.failures > 0) throw new Error(`${r.name}'s pass ${k + 2} is not steady: ${JSON.stringify(p)}`);
        steady.get(r)!.push(pass);
      }
    }
    for (const r of replicas) {
      const passes = steady.get(r)!;
      console.log(
        `${r.name}: steady pass (median of ${PASSES}) ${ms(median(passes.map((p) => p.wallMs)))} wall, ${ms(median(passes.map((p) => p.cpuMs)))} CPU; ` +
          `each ${passes.map((p) => `${ms(p.wallMs)}/${ms(p.cpuMs)}${p.value.fullListing ? " (whole listing)" : ""}`).join(", ")}`,
      );
    }
    const perReplica = replicas.map((r) => {
      const f = figures.get(r)!;
      const passes = steady.get(r)!;
      return `${r.name}: ${f.vms} VMs, snapshot ${s1(f.snapshot.wallMs)}, pass ${ms(median(passes.map((p) => p.wallMs)))} (${ms(median(passes.map((p) => p.cpuMs)))} CPU)`;
    });
    summary.push(`${count} replica${count === 1 ? "" : "s"}: ${perReplica.join("; ")}`);
    for (const timer of rounds) clearInterval(timer);

    if (count < 2) return;
    // Takeover: every loop on its own timer, then the last replica dies.
    for (const r of replicas) await r.controller.start();
    await waitFor("a pass by every replica's loop", () => replicas.every((r) => r.passes.length > 0));
    await sleep(INTERVAL_S * 1000 * random());
    const victim = replicas[replicas.length - 1]!;
    const survivors = replicas.slice(0, -1);
    const orphaned = [...victim.controller.shards.held().keys()];
    const killedAt = performance.now();
    await victim.kill();
    replicas.pop();
    await waitFor("the victim's shards taken over", () => {
      const held = new Set(survivors.flatMap((r) => [...r.controller.shards.held().keys()]));
      return orphaned.every((shard) => held.has(shard));
    });
    const heldMs = performance.now() - killedAt;
    await waitFor("the victim's shards driven", () => {
      const driven = new Set(survivors.flatMap((r) => r.passes.filter((p) => p.endedAt > killedAt).flatMap((p) => p.report.shards)));
      return orphaned.every((shard) => driven.has(shard));
    });
    const drivenMs = performance.now() - killedAt;
    const passesAfter = survivors.map(
      (r) => `${r.name} ${r.controller.shards.held().size} shards, passes ${r.passes.filter((p) => p.endedAt > killedAt).map((p) => ms(p.durationMs)).join(", ")}`,
    );
    console.log(
      `${victim.name} killed holding ${orphaned.length} shards: all held by survivors after ${s1(heldMs)}, ` +
        `each driven by a survivor's pass after ${s1(drivenMs)} (lease ${LEASE_S} s, interval ${INTERVAL_S} s)`,
    );
    console.log(`  survivors: ${passesAfter.join("; ")}`);
    summary.push(`  takeover after a kill (${orphaned.length} shards): held after ${s1(heldMs)}, driven after ${s1(drivenMs)}`);
  } finally {
    for (const r of replicas) await r.stop();
  }
}

console.log(`PostgreSQL schema ${SCHEMA}; load average ${load()}`);
try {
  const seeded = await timed(seed);
  console.log(`seeded ${GROUPS} groups × ${VMS_PER_GROUP} VMs over ${SITES.length} sites in ${s1(seeded.wallMs)}`);
  for (const count of REPLICA_COUNTS) await measure(count);
  console.log(`\nsummary (${SHARDS} shards, lease ${LEASE_S} s, orphan grace ${ORPHAN_GRACE_S} s; load average at the end ${load()}):`);
  for (const line of summary) console.log(`  ${line}`);
} finally {
  const admin = new pg.Pool({ connectionString: DATABASE_URL });
  await admin.query(`drop schema if exists ${SCHEMA} cascade`);
  await admin.end();
}
