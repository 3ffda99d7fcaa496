/**
 * Replicas sharing the controller, end to end on PostgreSQL: two, then three `phantom serve`
 * processes on one database against one `phantom simcloud`, with short leases and few groups.
 *
 * - Pause: a replica is frozen with SIGSTOP a random moment after the groups grew (mid-pass:
 *   listing, recording intents or launching), the others take its shards once its leases run
 *   out and drive its groups, then it is let go with SIGCONT. It wakes with decisions made on a
 *   stale view; fencing must keep it from recording or launching them.
 * - Crash: a replica is killed with SIGKILL; the others take its shards within the lease's
 *   lifetime plus a round and drive them.
 * Checked at the cloud itself (simcloud logs every launch that makes VMs): each token made
 * VMs once, the cloud made exactly as many VMs as the groups ever wanted (they only grow, so
 * a VM made on a stale view would show as one too many even after orphan collection reaped
 * it), the cloud holds exactly the desired VMs, and Describe shows exactly them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test, type TestContext } from "node:test";
import pg from "pg";
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingInstancesCommand,
  SetDesiredCapacityCommand,
  type AutoScalingInstanceDetails,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { seededRandom } from "../clouds/simulated/seeded-random.js";
import { CliProcess, launchesByToken, runCli, startSimcloudProcess } from "../test-support/phantom-processes.js";
import { postgresTestSchemas } from "../test-support/postgres-test-schemas.js";
import { walkPages } from "../test-support/sdk-client.js";

const pgTest = postgresTestSchemas("replica tests");
const INTERVAL_S = 0.2;
const LEASE_S = 1.5;
const GROUPS = 4;
const CLOUD_KEYS = { accessKeyId: "AKIDREPLICACLOUD", secretAccessKey: "replica-cloud-secret" };
const MASTER_KEY = "cd".repeat(32);
const random = seededRandom(Number(process.env.PHANTOM_REPLICA_SEED ?? 20261205));

const dir = mkdtempSync(join(tmpdir(), "phantom-replicas-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One `phantom serve` and a client of its API. */
interface Replica {
  readonly process: CliProcess;
  readonly client: AutoScalingClient;
}

/** A database, a cloud, and replicas of Phantom on them. */
class Cluster {
  readonly replicas: Replica[] = [];
  readonly desired = new Map<string, number>();
  #config = "";

  private constructor(
    readonly db: pg.Pool,
    readonly simcloud: CliProcess,
    readonly ec2: EC2Client,
  ) {}

  static async start(t: TestContext, name: string, shards: number): Promise<Cluster> {
    const schema = pgTest.newSchema();
    const admin = new pg.Pool({ connectionString: pgTest.url });
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const url = `${pgTest.url}${pgTest.url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const db = new pg.Pool({ connectionString: url });
    const cloud = await startSimcloudProcess({ capacity: 1000, bootSeconds: 0.5, latencyMs: 40 });
    // Clients here live through the whole test and may sit idle past a server's 5 s keep-alive;
    // a request on a socket the server is closing hangs up, and is retried as SDKs do by default
    // (the calls are reads and SetDesiredCapacity, which may be repeated).
    const ec2 = new EC2Client({ endpoint: cloud.url, region: "us-east-1", credentials: CLOUD_KEYS, maxAttempts: 3 });
    const c = new Cluster(db, cloud.process, ec2);
    t.after(async () => {
      for (const r of c.replicas) r.client.destroy();
      ec2.destroy();
      await db.end();
    });
    c.#config = join(dir, `${name}.yaml`);
    writeFileSync(
      c.#config,
      [
        "listen: 127.0.0.1:0",
        `db: '${url}'`,
        `master_key_file: ${join(dir, "unused.key")}`,
        "sites:",
        `  alpha: { driver: ec2, endpoint: '${cloud.url}' }`,
        "controller:",
        `  interval_seconds: ${INTERVAL_S}`,
        "  boot_timeout_seconds: 30",
        "  missing_grace_seconds: 1",
        "  orphan_grace_seconds: 1",
        "  backoff_initial_seconds: 0.5",
        "  backoff_max_seconds: 2",
        `  lease_seconds: ${LEASE_S}`,
        `  shards: ${shards}`,
        "",
      ].join("\n"),
    );
    return c;
  }

  /** Adds a user with cloud credentials; returns the user's API keys. */
  async addUser(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const admin = (args: string[]) => runCli([...args, "--config", this.#config], { PHANTOM_MASTER_KEY: MASTER_KEY });
    const keys = JSON.parse(await admin(["user", "add", "rep", "--json"])) as { accessKeyId: string; secretAccessKey: string };
    await admin(["credentials", "set", "rep", "alpha", "--access-key", CLOUD_KEYS.accessKeyId, "--secret-key", CLOUD_KEYS.secretAccessKey]);
    return keys;
  }

  async startReplica(keys: { accessKeyId: string; secretAccessKey: string }): Promise<Replica> {
    const child = new CliProcess(["serve", "--config", this.#config], { PHANTOM_MASTER_KEY: MASTER_KEY, PHANTOM_LOG_LEVEL: "info" });
    const url = (await child.waitFor("serving")).url as string;
    const replica = { process: child, client: new AutoScalingClient({ endpoint: url, region: "us-east-1", credentials: keys, maxAttempts: 3 }) };
    this.replicas.push(replica);
    return replica;
  }

  /** Shards held, by the pid of their holder (`host:pid:…`); 0 for free or expired ones. */
  async holders(): Promise<Map<number, number>> {
    const { rows } = await this.db.query<{ holder: string | null; live: boolean }>(
      "select holder, expires_at > floor(extract(epoch from clock_timestamp()) * 1000) as live from controller_shards",
    );
    const out = new Map<number, number>();
    for (const r of rows) {
      const pid = r.holder !== null && r.live ? Number(r.holder.split(":")[1]) : 0;
      out.set(pid, (out.get(pid) ?? 0) + 1);
    }
    return out;
  }

  /** Waits until `check` holds of the shard holders; returns how long it took. */
  async untilHolders(what: string, check: (holders: Map<number, number>) => boolean, timeoutMs = 60_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const holders = await this.holders();
      if (check(holders)) return performance.now() - started;
      if (performance.now() - started > timeoutMs) assert.fail(`${what}: shard holders ${JSON.stringify([...holders])}`);
      await sleep(50);
    }
  }

  async setDesired(via: Replica, group: string, n: number): Promise<void> {
    await via.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: n }));
    this.desired.set(group, n);
  }

  /** The VMs alive at the cloud. */
  async alive(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(new DescribeInstancesCommand({ MaxResults: 1000, NextToken: token }));
      for (const r of page.Reservations ?? []) {
        for (const vm of r.Instances ?? []) if (vm.State?.Name !== "terminated" && vm.State?.Name !== "shutting-down") ids.push(vm.InstanceId!);
      }
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return ids.sort();
  }

  async described(via: Replica): Promise<AutoScalingInstanceDetails[]> {
    const { items } = await walkPages(50, async (MaxRecords, NextToken) => {
      const page = await via.client.send(new DescribeAutoScalingInstancesCommand({ MaxRecords, NextToken }));
      return { items: page.AutoScalingInstances ?? [], next: page.NextToken };
    });
    return items;
  }

  /** Waits until the cloud holds exactly the desired VMs, all in service, and Describe shows exactly them. */
  async converged(via: Replica, what: string): Promise<number> {
    const started = performance.now();
    const total = [...this.desired.values()].reduce((a, b) => a + b, 0);
    let last = "";
    for (;;) {
      const [alive, described] = await Promise.all([this.alive(), this.described(via)]);
      const ids = described.map((i) => i.InstanceId!).sort();
      const perGroup = new Map<string, number>();
      for (const i of described) perGroup.set(i.AutoScalingGroupName!, (perGroup.get(i.AutoScalingGroupName!) ?? 0) + 1);
      if (
        alive.length === total &&
        JSON.stringify(ids) === JSON.stringify(alive) &&
        described.every((i) => i.LifecycleState === "InService") &&
        [...this.desired].every(([g, n]) => (perGroup.get(g) ?? 0) === n)
      ) {
        return performance.now() - started;
      }
      last = `alive ${alive.length}, described ${ids.length}, desired ${total}`;
      if (performance.now() - started > 60_000) {
        assert.fail(`${what}: not converged in 60 s (${last})\n${this.replicas.map((r) => r.process.output()).join("\n")}`);
      }
      await sleep(100);
    }
  }

  /** Launches counted at the cloud: every token made VMs once, and they add up to `made`. */
  assertLaunches(made: number): void {
    const launches = launchesByToken(this.simcloud);
    for (const [token, counts] of launches) assert.equal(counts.length, 1, `token ${token} launched ${counts.length} times at the cloud`);
    const total = [...launches.values()].flat().reduce((a, b) => a + b, 0);
    assert.equal(total, made, `the cloud made ${total} VMs; the groups only ever wanted ${made}`);
  }
}

/**
 * Brings `count` replicas up on `shards` shards with the groups converged; returns the
 * cluster and the replicas' API keys.
 */
async function cluster(t: TestContext, name: string, count: number, shards: number): Promise<Cluster> {
  const c = await Cluster.start(t, name, shards);
  const keys = await c.addUser();
  for (let k = 0; k < count; k++) await c.startReplica(keys);
  const pids = c.replicas.map((r) => r.process.pid);
  await c.untilHolders("every replica holds shards", (h) => pids.every((pid) => (h.get(pid) ?? 0) > 0) && !h.has(0));
  const api = c.replicas[0]!;
  await api.client.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@alpha", ImageId: "ami-alpha", InstanceType: "m1.small" }));
  for (let g = 0; g < GROUPS; g++) {
    const group = `g${g}`;
    await api.client.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: group,
        LaunchConfigurationName: "web",
        MinSize: 0,
        MaxSize: 100,
        Tags: [
          { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
          { Key: "clouds", Value: "alpha:-1" },
          { Key: "n_preserve", Value: "2" },
        ],
      }),
    );
    c.desired.set(group, 2);
  }
  await c.converged(api, "start");
  return c;
}

/** Freezes `victim` mid-pass after the groups grow, lets the others take over, then wakes it. */
async function pauseCycle(t: TestContext, c: Cluster, victim: Replica): Promise<void> {
  const others = c.replicas.filter((r) => r !== victim);
  const api = others[0]!;
  for (const [g, n] of c.desired) await c.setDesired(api, g, n + 2);
  // The victim learns of the change from the change log within an interval, then lists,
  // records intents and launches, each cloud call taking 40 ms: a random moment in there.
  const delay = 50 + Math.floor(random() * 350);
  await sleep(delay);
  victim.process.signal("SIGSTOP");
  const takeoverMs = await c.untilHolders("the others take the paused replica's shards", (h) => !h.has(victim.process.pid) && !h.has(0));
  await c.converged(api, "while the victim is paused");
  victim.process.signal("SIGCONT");
  // Awake, it finds its leases gone: its stale decisions are refused, then it gets shards back.
  await c.untilHolders("the woken replica holds shards again", (h) => (h.get(victim.process.pid) ?? 0) > 0 && !h.has(0));
  await c.converged(api, "after the victim woke");
  t.diagnostic(`paused ${delay} ms after the change; shards taken over ${Math.round(takeoverMs)} ms after the pause`);
}

/** Kills `victim`; returns how long until its shards were held by others, and until its groups were driven. */
async function killCycle(t: TestContext, c: Cluster, victim: Replica): Promise<void> {
  const api = c.replicas.find((r) => r !== victim)!;
  for (const [g, n] of c.desired) await c.setDesired(api, g, n + 1);
  const killed = performance.now();
  await victim.process.kill("SIGKILL");
  c.replicas.splice(c.replicas.indexOf(victim), 1);
  await c.untilHolders("the others take the killed replica's shards", (h) => !h.has(victim.process.pid) && !h.has(0));
  const takeoverMs = performance.now() - killed;
  await c.converged(api, "after the kill");
  const drivenMs = performance.now() - killed;
  t.diagnostic(`SIGKILL: shards taken over after ${Math.round(takeoverMs)} ms, its groups driven after ${Math.round(drivenMs)} ms`);
  // Its leases end at most a lease after its last renewal; the others look every third of a
  // lease. Slack for a loaded machine.
  assert.ok(takeoverMs <= (LEASE_S + LEASE_S / 3 + INTERVAL_S) * 1000 + 2_000, `takeover took ${Math.round(takeoverMs)} ms`);
}

for (const count of [2, 3]) {
  test(`${count} replicas on PostgreSQL: a paused replica launches nothing twice, a killed one's shards are taken over`, { skip: pgTest.skip, timeout: 240_000 }, async (t) => {
    const c = await cluster(t, `r${count}`, count, 2 * count);
    await pauseCycle(t, c, c.replicas[0]!);
    await pauseCycle(t, c, c.replicas[count - 1]!);
    await killCycle(t, c, c.replicas[count - 1]!);
    // The groups only grew: every VM the cloud ever made is one the groups wanted.
    c.assertLaunches([...c.desired.values()].reduce((a, b) => a + b, 0));
    for (const r of [...c.replicas]) await r.process.kill("SIGTERM");
    await c.simcloud.kill("SIGTERM");
  });
}
