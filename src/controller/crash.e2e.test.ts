/**
 * Crash safety, end to end: Phantom killed with SIGKILL at many points neither leaks a VM nor
 * launches one twice.
 *
 * Everything runs as a user runs it: two `phantom simcloud` processes (site `alpha` small, so
 * groups overflow to `bravo` on real `InsufficientInstanceCapacity` answers), and `phantom serve`
 * on a SQLite file with two `ec2` sites pointing at them, a user made with `phantom user add` and
 * cloud credentials set with `phantom credentials set`. The test creates, resizes and deletes
 * groups through the API and kills Phantom a few milliseconds to a few hundred after each call
 * (delays from a seeded PRNG: `PHANTOM_CRASH_SEED` replays a run), so kills land before, during
 * and after launch calls and their recording; a few kills are timed on the clouds' own
 * "launched" lines (the clouds answer a launch 100 ms after making its VMs), so some surely fall
 * between a launch and its recording; then restarts it. At the end, with a stable
 * configuration, it waits for Phantom to converge and checks the clouds directly:
 * - the live VMs are exactly the groups' VMs as `DescribeAutoScalingInstances` lists them, each
 *   group at its desired size and in service, each VM tagged with its group and on its site;
 * - deleted groups have no VM left, and no VM of this deployment is an orphan;
 * - every VM the clouds ever launched was recorded by Phantom (its launch activity exists), so
 *   none was launched under a token Phantom lost; each token launched once (one reservation)
 *   and no more VMs than its intent asked for;
 * - launched = alive (and owned) + terminated.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test, type TestContext } from "node:test";
import Database from "better-sqlite3";
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  type Activity,
  type AutoScalingGroup,
  type AutoScalingInstanceDetails,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, type Instance } from "@aws-sdk/client-ec2";
import { seededRandom } from "../clouds/simulated/seeded-random.js";
import { walkPages } from "../test-support/sdk-client.js";
import { VM_TAGS } from "../clouds/driver.js";
import { CliProcess, launchesByToken, runCli, startSimcloudProcess } from "../test-support/phantom-processes.js";

const SEED = Number(process.env.PHANTOM_CRASH_SEED ?? 20260611);
/** Kill-and-restart cycles. */
const CYCLES = 24;
/** From the last restart; a termination left waiting for its 30s retry would miss it. */
const CONVERGE_TIMEOUT_MS = 20_000;
/** `alpha` holds this many VMs of all groups together, so groups overflow to `bravo`. */
const ALPHA_CAPACITY = 10;
const CLOUDS = "alpha:8,bravo:-1";
/** Each simcloud call waits this long: wide enough for kills to land inside a launch call. */
const CLOUD_LATENCY_MS = 15;
/**
 * A launch answers this long after making its VMs: the window between a launch and its
 * recording, in which the targeted kills land (a kill on the cloud's "launched" line).
 */
const LAUNCH_ANSWER_DELAY_MS = 100;
/** Kills timed on a launch the cloud has made and Phantom not yet recorded. */
const TARGETED_KILLS = 3;
const USER = "crash";
const CLOUD_KEYS = { accessKeyId: "AKIDCRASHCLOUD", secretAccessKey: "crash-cloud-secret" };

const dir = mkdtempSync(join(tmpdir(), "phantom-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A simcloud process and a client of it as the user's cloud account. */
async function startSimcloud(capacity: number): Promise<{ url: string; ec2: EC2Client; process: CliProcess }> {
  const { process, url } = await startSimcloudProcess({
    capacity,
    bootSeconds: 0.3,
    latencyMs: CLOUD_LATENCY_MS,
    launchAnswerDelayMs: LAUNCH_ANSWER_DELAY_MS,
  });
  // Read-only calls, retried as every SDK retries them: this client may sit idle past the
  // cloud's 5 s keep-alive, and a request on a socket the server is closing hangs up.
  return { url, process, ec2: new EC2Client({ endpoint: url, region: "us-east-1", credentials: CLOUD_KEYS, maxAttempts: 3 }) };
}

/** A VM as a simcloud lists it, with the launch (reservation) that made it. */
interface ListedVm {
  readonly vm: Instance;
  readonly reservationId: string;
}

/** Every VM the account ever had on a simcloud (terminated ones stay listed for an hour). */
async function cloudVms(ec2: EC2Client): Promise<ListedVm[]> {
  const out: ListedVm[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(new DescribeInstancesCommand({ MaxResults: 1000, NextToken: token }));
    for (const r of page.Reservations ?? []) for (const vm of r.Instances ?? []) out.push({ vm, reservationId: r.ReservationId! });
    token = page.NextToken || undefined;
  } while (token !== undefined);
  return out;
}

function tag(vm: Instance, key: string): string | undefined {
  return vm.Tags?.find((t) => t.Key === key)?.Value;
}

function isAlive(vm: Instance): boolean {
  return vm.State?.Name !== "terminated" && vm.State?.Name !== "shutting-down";
}

/** `phantom serve`, started until killed. */
class Phantom {
  readonly #child: CliProcess;
  client!: AutoScalingClient;

  private constructor(config: string, masterKey: string) {
    this.#child = new CliProcess(["serve", "--config", config], { PHANTOM_MASTER_KEY: masterKey, PHANTOM_LOG_LEVEL: "info" });
  }

  /** Starts Phantom and waits until it serves and holds shards. */
  static async start(config: string, masterKey: string, keys: { accessKeyId: string; secretAccessKey: string }): Promise<Phantom> {
    const p = new Phantom(config, masterKey);
    const leased = p.#child.waitFor("shards changed");
    const url = (await p.#child.waitFor("serving")).url as string;
    await leased;
    p.client = new AutoScalingClient({ endpoint: url, region: "us-east-1", credentials: keys, maxAttempts: 1 });
    running = p;
    return p;
  }

  async kill(): Promise<void> {
    this.client.destroy();
    await this.#child.kill("SIGKILL");
  }

  output(): string {
    return this.#child.output();
  }
}

async function allGroups(client: AutoScalingClient): Promise<AutoScalingGroup[]> {
  const { items } = await walkPages(100, async (MaxRecords, NextToken) => {
    const page = await client.send(new DescribeAutoScalingGroupsCommand({ MaxRecords, NextToken }));
    return { items: page.AutoScalingGroups ?? [], next: page.NextToken };
  });
  return items;
}

async function allInstances(client: AutoScalingClient): Promise<AutoScalingInstanceDetails[]> {
  const { items } = await walkPages(50, async (MaxRecords, NextToken) => {
    const page = await client.send(new DescribeAutoScalingInstancesCommand({ MaxRecords, NextToken }));
    return { items: page.AutoScalingInstances ?? [], next: page.NextToken };
  });
  return items;
}

async function allActivities(client: AutoScalingClient): Promise<Activity[]> {
  const { items } = await walkPages(100, async (MaxRecords, NextToken) => {
    const page = await client.send(new DescribeScalingActivitiesCommand({ IncludeDeletedGroups: true, MaxRecords, NextToken }));
    return { items: page.Activities ?? [], next: page.NextToken };
  });
  return items;
}

/** The group's id, from its ARN (`…:autoScalingGroup:<id>:autoScalingGroupName/<name>`). */
function groupIdOf(group: AutoScalingGroup): string {
  const m = /:autoScalingGroup:([^:]+):autoScalingGroupName\//.exec(group.AutoScalingGroupARN ?? "");
  assert.ok(m, `no group id in ${group.AutoScalingGroupARN}`);
  return m[1]!;
}

/** What the store holds at a kill, read while no Phantom runs. */
function unfinishedWork(db: string): { intents: { token: string; cause: string; created_at: number }[]; terminating: string[] } {
  const sqlite = new Database(db);
  try {
    return {
      intents: sqlite.prepare("select token, cause, created_at from launch_intents").all() as { token: string; cause: string; created_at: number }[],
      terminating: (sqlite.prepare("select id from instances where lifecycle_state = 'Terminating'").all() as { id: string }[]).map((r) => r.id),
    };
  } finally {
    sqlite.close();
  }
}

/** The Phantom running now: its log is shown with an error that is not an assertion. */
let running: Phantom | undefined;

test("a Phantom killed with SIGKILL at any moment neither leaks a VM nor launches one twice", { timeout: 480_000 }, async (t) => {
  try {
    await killAndConverge(t);
  } catch (e) {
    if (e instanceof assert.AssertionError || running === undefined) throw e;
    throw new Error(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\nPhantom's log:\n${running.output().slice(-4000)}`, { cause: e });
  }
});

async function killAndConverge(t: TestContext): Promise<void> {
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // Log-uniform from 5 ms to 400 ms: as many kills at 5–20 ms as at 100–400 ms.
  const killDelay = () => Math.round(5 * Math.exp(random() * Math.log(400 / 5)));
  t.diagnostic(`seed ${SEED} (PHANTOM_CRASH_SEED replays it)`);
  const started = performance.now();

  const [alpha, bravo] = await Promise.all([startSimcloud(ALPHA_CAPACITY), startSimcloud(1000)]);
  const clouds = { alpha: alpha.ec2, bravo: bravo.ec2 };
  const dbFile = join(dir, "phantom.db");
  const config = join(dir, "phantom.yaml");
  writeFileSync(
    config,
    [
      "listen: 127.0.0.1:0",
      `db: sqlite:${dbFile}`,
      `master_key_file: ${join(dir, "unused.key")}`,
      "sites:",
      `  alpha: { driver: ec2, endpoint: '${alpha.url}' }`,
      `  bravo: { driver: ec2, endpoint: '${bravo.url}' }`,
      "controller:",
      "  interval_seconds: 0.1",
      "  boot_timeout_seconds: 30",
      "  missing_grace_seconds: 1",
      "  orphan_grace_seconds: 1",
      "  backoff_initial_seconds: 0.5",
      "  backoff_max_seconds: 2",
      // A restarted Phantom waits out its dead predecessor's lease before it drives the clouds.
      "  lease_seconds: 0.5",
      "",
    ].join("\n"),
  );
  const masterKey = "ab".repeat(32);
  const admin = (args: string[]) => runCli([...args, "--config", config], { PHANTOM_MASTER_KEY: masterKey });
  const keys = JSON.parse(await admin(["user", "add", USER, "--json"])) as { accessKeyId: string; secretAccessKey: string };
  for (const site of ["alpha", "bravo"]) {
    await admin(["credentials", "set", USER, site, "--access-key", CLOUD_KEYS.accessKeyId, "--secret-key", CLOUD_KEYS.secretAccessKey]);
  }

  let phantom = await Phantom.start(config, masterKey, keys);
  for (const site of ["alpha", "bravo"]) {
    await phantom.client.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `web@${site}`, ImageId: `ami-${site}`, InstanceType: "m1.small" }));
  }

  const live: string[] = [];
  const deleted: string[] = [];
  let groupNumber = 0;
  const createGroup = async (desired: number) => {
    const name = `g${++groupNumber}`;
    await phantom.client.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchConfigurationName: "web",
        MinSize: 0,
        MaxSize: 40,
        Tags: [
          { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
          { Key: "clouds", Value: CLOUDS },
          { Key: "n_preserve", Value: String(desired) },
        ],
      }),
    );
    live.push(name);
  };
  const setDesired = (name: string, desired: number) =>
    phantom.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired }));

  // ── Kill, restart, repeat ─────────────────────────────────────────────────────────────
  const stats = { kills: 0, withIntents: 0, launchedNotRecorded: 0, withTerminations: 0, terminationsNotSent: 0 };
  /** Kills Phantom after `delay` ms, notes what it left unfinished, and starts it again. */
  const crash = async (delay: number) => {
    await sleep(delay);
    await phantom.kill();
    stats.kills++;
    const left = unfinishedWork(dbFile);
    if (left.intents.length > 0) stats.withIntents++;
    if (left.terminating.length > 0) stats.withTerminations++;
    if (left.intents.length + left.terminating.length > 0) {
      const vms = [...(await cloudVms(clouds.alpha)), ...(await cloudVms(clouds.bravo))];
      const tokens = new Set(vms.map(({ vm }) => tag(vm, VM_TAGS.token)));
      if (left.intents.some((i) => tokens.has(i.token))) stats.launchedNotRecorded++;
      const running = new Set(vms.filter(({ vm }) => isAlive(vm)).map(({ vm }) => vm.InstanceId));
      if (left.terminating.some((id) => running.has(id))) stats.terminationsNotSent++;
    }
    phantom = await Phantom.start(config, masterKey, keys);
  };
  const ops: string[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const roll = random();
    if (live.length < 2 || (roll < 0.25 && live.length < 3)) {
      const n = between(6, 20);
      await createGroup(n);
      ops.push(`create ${live.at(-1)} ${n}`);
    } else if (roll < 0.4) {
      const name = pick(live);
      await phantom.client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
      live.splice(live.indexOf(name), 1);
      deleted.push(name);
      ops.push(`delete ${name}`);
    } else if (roll < 0.9) {
      const name = pick(live);
      const n = between(0, 24);
      await setDesired(name, n);
      ops.push(`desired ${name} ${n}`);
    } else {
      ops.push("nothing");
    }
    const delay = killDelay();
    ops[ops.length - 1] += ` +${delay}ms`;
    await crash(delay);
  }

  // Kills timed on the clouds' own "launched" lines, so that some kills surely fall between a
  // launch and its recording (random delays alone may miss that window on a loaded machine).
  for (let k = 0; k < TARGETED_KILLS; k++) {
    const launched = [alpha.process, bravo.process].map((cloud) => cloud.waitFor("launched"));
    for (const line of launched) line.catch(() => undefined);
    await createGroup(between(6, 12));
    await Promise.race(launched);
    ops.push(`create ${live.at(-1)} and kill on its launch`);
    await crash(0);
  }

  // ── A final, stable configuration, and convergence ────────────────────────────────────
  // Set with kills in between, so the last restarts find its launches and terminations unfinished.
  const final = new Map<string, number>();
  for (const name of live) {
    const n = between(3, 14);
    await setDesired(name, n);
    final.set(name, n);
    const delay = killDelay();
    ops.push(`desired ${name} ${n} +${delay}ms`);
    await crash(delay);
  }
  t.diagnostic(`operations: ${ops.join(", ")}`);
  // Groups return VMs to alpha while it has room: the end state has it as full as the groups allow.
  const alphaWanted = Math.min(ALPHA_CAPACITY, [...final.values()].reduce((sum, n) => sum + Math.min(n, 8), 0));

  type View = { groups: AutoScalingGroup[]; instances: AutoScalingInstanceDetails[]; vms: Map<string, ListedVm[]> };
  const look = async (): Promise<View> => ({
    groups: await allGroups(phantom.client),
    instances: await allInstances(phantom.client),
    vms: new Map([
      ["alpha", await cloudVms(clouds.alpha)],
      ["bravo", await cloudVms(clouds.bravo)],
    ]),
  });
  const aliveIds = (view: View) =>
    [...view.vms.values()]
      .flat()
      .filter(({ vm }) => isAlive(vm))
      .map(({ vm }) => vm.InstanceId!)
      .sort();
  const converged = (view: View): boolean =>
    view.groups.length === final.size &&
    view.groups.every(
      (g) =>
        g.Status === undefined &&
        g.DesiredCapacity === final.get(g.AutoScalingGroupName!) &&
        g.Instances?.length === g.DesiredCapacity &&
        (g.Instances ?? []).every((i) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy"),
    ) &&
    view.vms.get("alpha")!.filter(({ vm }) => isAlive(vm)).length === alphaWanted &&
    JSON.stringify(aliveIds(view)) === JSON.stringify(view.instances.map((i) => i.InstanceId!).sort());

  const finalStarted = performance.now();
  let view = await look();
  const deadline = performance.now() + CONVERGE_TIMEOUT_MS;
  while (!converged(view)) {
    if (performance.now() > deadline) {
      assert.fail(
        `Phantom did not converge in ${CONVERGE_TIMEOUT_MS / 1000}s: groups ${JSON.stringify(
          view.groups.map((g) => [g.AutoScalingGroupName, g.Status, g.DesiredCapacity, g.Instances?.map((i) => i.LifecycleState)]),
        )}; alive in the clouds ${aliveIds(view).length}, known to Phantom ${view.instances.length}\n${phantom.output()}`,
      );
    }
    await sleep(200);
    view = await look();
  }
  const convergedAfterMs = performance.now() - finalStarted;
  // Stable: past the orphan and missing grace periods nothing more happens.
  await sleep(2_500);
  const settled = await look();
  assert.deepEqual(aliveIds(settled), aliveIds(view), `the clouds changed after convergence\n${phantom.output()}`);
  view = settled;
  // Groups keep trying to move VMs back to alpha, which is full: each try is an intent that its
  // pass ends at once (alpha answers InsufficientInstanceCapacity). None may outlive its pass.
  const stuck = unfinishedWork(dbFile).intents.filter((i) => Date.now() - i.created_at > 2_000);

  // ── The clouds hold exactly the desired VMs ───────────────────────────────────────────
  const groupsByName = new Map(view.groups.map((g) => [g.AutoScalingGroupName!, g]));
  const liveGroupIds = new Set(view.groups.map(groupIdOf));
  const known = new Map(view.instances.map((i) => [i.InstanceId!, i]));
  const everything = [...view.vms].flatMap(([site, vms]) => vms.map((v) => ({ site, ...v })));
  for (const [name, n] of final) {
    const g = groupsByName.get(name);
    assert.ok(g, `group ${name} is gone`);
    assert.equal(g.Instances?.length, n, `${name}: ${g.Instances?.length} VMs, desired ${n}`);
  }
  for (const name of deleted) assert.equal(groupsByName.has(name), false, `deleted group ${name} is still listed`);
  for (const { site, vm } of everything.filter(({ vm }) => isAlive(vm))) {
    const id = vm.InstanceId!;
    const mine = known.get(id);
    assert.ok(mine, `${id} on ${site} runs but Phantom does not know it (group tag ${tag(vm, VM_TAGS.groupName)})`);
    assert.equal(tag(vm, VM_TAGS.groupName), mine.AutoScalingGroupName, `${id} is tagged with another group`);
    assert.equal(mine.AvailabilityZone, site, `${id} runs on ${site}, Phantom says ${mine.AvailabilityZone}`);
    assert.ok(liveGroupIds.has(tag(vm, VM_TAGS.group) ?? ""), `${id} is an orphan: its group ${tag(vm, VM_TAGS.group)} is not live`);
    assert.ok(!deleted.includes(mine.AutoScalingGroupName!), `${id} belongs to deleted group ${mine.AutoScalingGroupName}`);
  }
  assert.equal(known.size, [...final.values()].reduce((a, b) => a + b, 0), "Phantom knows more VMs than desired");
  assert.deepEqual(stuck, [], "launch intents are left unfinished at convergence");

  // ── Every VM ever launched was recorded once, and each token launched once ───────────
  const activities = await allActivities(phantom.client);
  const launchCause = new Map<string, string>();
  for (const a of activities) {
    const m = /^Launching a new EC2 instance: (i-[0-9a-f]+)$/.exec(a.Description ?? "");
    if (m) launchCause.set(m[1]!, a.Cause ?? "");
  }
  const byToken = new Map<string, (ListedVm & { site: string })[]>();
  for (const entry of everything) {
    const id = entry.vm.InstanceId!;
    assert.ok(launchCause.has(id), `${id} (${entry.vm.State?.Name} on ${entry.site}) was launched but never recorded by Phantom`);
    const token = tag(entry.vm, VM_TAGS.token) ?? "";
    byToken.set(token, [...(byToken.get(token) ?? []), entry]);
  }
  for (const [token, entries] of byToken) {
    const reservations = new Set(entries.map((e) => e.reservationId));
    assert.equal(reservations.size, 1, `token ${token} launched ${reservations.size} times`);
    const m = /(?:launching|moving) (\d+) (?:on|back)/.exec(launchCause.get(entries[0]!.vm.InstanceId!) ?? "");
    assert.ok(m, `no count in the cause of ${entries[0]!.vm.InstanceId}: ${launchCause.get(entries[0]!.vm.InstanceId!)}`);
    assert.ok(entries.length <= Number(m[1]), `token ${token} made ${entries.length} VMs; its intent asked for ${m[1]}`);
  }

  // Counted at the clouds themselves: each token made VMs in one launch, and every VM the
  // clouds ever made is one of those listed above.
  const atClouds = [alpha.process, bravo.process].map(launchesByToken);
  for (const launches of atClouds) {
    for (const [token, counts] of launches) assert.equal(counts.length, 1, `token ${token} launched ${counts.length} times at the cloud`);
  }
  const madeAtClouds = atClouds.flatMap((m) => [...m.values()].flat()).reduce((a, b) => a + b, 0);
  assert.equal(madeAtClouds, everything.length, "the clouds made exactly the VMs listed");
  const launched = everything.length;
  const terminated = everything.filter(({ vm }) => !isAlive(vm)).length;
  const alive = launched - terminated;
  assert.equal(alive, known.size, "every launched VM is alive and owned, or terminated");
  t.diagnostic(
    `${stats.kills} kills (${stats.withIntents} with launch intents unfinished, ${stats.launchedNotRecorded} after a launch call ` +
      `and before its recording, ${stats.withTerminations} with terminations unconfirmed, ${stats.terminationsNotSent} of them not yet sent); ` +
      `VMs launched ${launched}, ` +
      `terminated ${terminated}, alive ${alive}; on alpha ${view.vms.get("alpha")!.length}, bravo ${view.vms.get("bravo")!.length}; ` +
      `converged ${(convergedAfterMs / 1000).toFixed(1)}s after the last restart; ${((performance.now() - started) / 1000).toFixed(1)}s in all`,
  );
  assert.ok(stats.kills >= 20);
  assert.ok(stats.launchedNotRecorded >= 1, "no kill fell between a launch call and its recording: the kills missed the launches");
  assert.ok(view.vms.get("alpha")!.length > 0 && view.vms.get("bravo")!.length > 0, "both sites were used (overflow)");
  await phantom.kill();
}
