/**
 * Controller benchmark: 10,000 groups × 10 VMs over five simulated sites with zero latency, one
 * user, a SQLite file. The VMs are seeded into the clouds (launched with tokens and Phantom's
 * tags, as the controller launches them) and recorded in the store as in service, so the first
 * pass already finds the steady state. Prints:
 * - the steady-state pass: wall time and CPU (`process.cpuUsage`), and the cloud API calls it
 *   made (counted by the CloudAccess observer);
 * - RSS once steady;
 * - SetDesiredCapacity 0 → 1,000 on one more group, through the API handler and the controller
 *   loop's poke: the time until all 1,000 launches are requested, and how many RunInstances
 *   calls asked for them.
 *
 * With `--openstack`, site s1 is an `openstack` site: its cloud is `phantom simcloud
 * --openstack` in a child process (`openstack-face.ts`, so that the face's work is not counted
 * as the controller's CPU), reached over HTTP by the OpenStack driver with the user's Keystone
 * credentials; the HTTP requests it makes per steady pass are printed too (its one listing, in
 * pages of 1,000 servers).
 *
 * - every group crossing its threshold at once (each group's desired capacity one higher, in one
 *   transaction): the pass that launches a VM for each, and its launch calls;
 * - one group of `--huge` VMs (default 100,000) scaled to 0, and another deleted with
 *   ForceDelete: the pass that decides and asks for the terminations, and the one that
 *   confirms them.
 *
 *   npm run bench:controller [-- --groups 10000 --vms 10 --passes 5 --huge 100000] [--openstack]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ActionContext } from "../src/api/actions/action.js";
import { AUTOSCALING_ACTIONS } from "../src/api/actions/index.js";
import type { CloudDriver, LaunchRequest, OpenStackCredentials } from "../src/clouds/driver.js";
import { OpenStackDriver } from "../src/clouds/openstack/openstack-driver.js";
import { fetchOpenStackPort, type OpenStackPort } from "../src/clouds/openstack/openstack-port.js";
import { fork } from "node:child_process";
import { hashId } from "../src/simcloud/openstack/keystone-api.js";
import { projectAccount } from "../src/simcloud/openstack/nova-servers.js";
import { IMAGES, NETWORKS } from "../src/simcloud/openstack/openstack-resources.js";
import { setCloudCredentials } from "../src/users/user-accounts.js";
import { SimulatedCloud } from "../src/clouds/simulated/simulated-cloud.js";
import { ANONYMOUS_ACCOUNT, SimulatedDriver } from "../src/clouds/simulated/simulated-driver.js";
import { seededRandom } from "../src/clouds/simulated/seeded-random.js";
import { parseConfig } from "../src/config/config.js";
import { CloudAccess } from "../src/controller/cloud-access.js";
import { systemClock } from "../src/controller/clock.js";
import { ControllerLoop } from "../src/controller/controller-loop.js";
import { Reconciler, type PassReport } from "../src/controller/reconciler.js";
import { soleReplicaShards } from "../src/test-support/sole-replica.js";
import type { Group } from "../src/core/types.js";
import { createLogger } from "../src/observability/logger.js";
import { SecretBox } from "../src/secrets/secret-box.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { addUser } from "../src/users/user-accounts.js";
import { flagOption, numberOption } from "./options.js";
import { median, timed } from "./timing.js";
import type { FaceCommand, SeededVm } from "./openstack-face.js";
import { benchGroup, insertLaunchConfigurations, seedRunningVms, type Launcher } from "./seed.js";

const GROUPS = numberOption("groups", 10_000);
const VMS_PER_GROUP = numberOption("vms", 10);
const PASSES = numberOption("passes", 5);
/** s1 as an `openstack` site over HTTP. */
const OPENSTACK = flagOption("openstack");
const OPENSTACK_SITE = "s1";
const SCALE_UP = 1_000;
/** The VMs of the one huge group scaled to 0, and of the one deleted. */
const HUGE = numberOption("huge", 100_000);
/** Room for everything: no site ever answers InsufficientInstanceCapacity. */
const CAPACITY = 1_000_000;
const SITES = ["s1", "s2", "s3", "s4", "s5"];
/** Each group fills the first four sites up to 2 VMs and puts the rest on the last. */
const GROUP_CLOUDS = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : 2 }));
/** The scaled group: 200 per site, so 1,000 VMs take one RunInstances per site. */
const BIG_CLOUDS = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : SCALE_UP / SITES.length }));

/** A site's driver that notes every launch it is asked for. */
class WatchedDriver implements CloudDriver {
  constructor(
    private readonly inner: CloudDriver,
    private readonly onLaunch: (request: LaunchRequest) => void,
  ) {}
  get site(): string {
    return this.inner.site;
  }
  launch(request: LaunchRequest) {
    this.onLaunch(request);
    return this.inner.launch(request);
  }
  describe(...args: Parameters<CloudDriver["describe"]>) {
    return this.inner.describe(...args);
  }
  terminate(...args: Parameters<CloudDriver["terminate"]>) {
    return this.inner.terminate(...args);
  }
  close(): void {
    this.inner.close();
  }
}

/**
 * The groups in the store, and their VMs launched on the clouds (tagged and tokened as the
 * controller launches them) and recorded in the store as in service.
 */
async function seed(store: Store, userId: string, clouds: ReadonlyMap<string, Launcher>): Promise<{ big: Group; groups: Group[] }> {
  const groups = Array.from({ length: GROUPS }, (_, g) => benchGroup(`group-${String(g).padStart(5, "0")}`, GROUP_CLOUDS, VMS_PER_GROUP));
  const big = benchGroup("big", BIG_CLOUDS, 0, SCALE_UP);
  await store.write(userId, async (tx) => {
    // The OpenStack face knows its own images, by name.
    await insertLaunchConfigurations(tx, SITES, (site) => (OPENSTACK && site === OPENSTACK_SITE ? IMAGES[0]!.name : "ami-12345678"));
    for (const g of [...groups, big]) await tx.insertGroup(g);
  });
  await seedRunningVms(store, userId, groups, clouds, config.controller.shards, (site, token) =>
    OPENSTACK && site === OPENSTACK_SITE
      ? {
          account: BENCH_PROJECT,
          extra: {
            imageId: IMAGES[0]!.id,
            instanceType: "2",
            idFormat: "uuid",
            whenFull: "fail",
            attributes: { name: `phantom-${token}`, userId, networkId: NETWORKS[0]!.id, availabilityZone: "nova", description: "" },
          },
        }
      : { account: ANONYMOUS_ACCOUNT, extra: {} },
  );
  return { big, groups };
}

/** The OpenStack face in a child process: its URL, and launches and counts through IPC. */
async function startFace(): Promise<Launcher & { url: string; count(account: string): Promise<number>; stop(): void }> {
  const child = fork(new URL("./openstack-face.js", import.meta.url), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map<number, (result: unknown) => void>();
  let next = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (message: { type?: string; url?: string; id?: number; result?: unknown }) => {
      if (message.type === "ready") resolve(message.url!);
      else waiting.get(message.id!)?.(message.result);
    });
  });
  const ask = <T>(command: FaceCommand & { id: number }) =>
    new Promise<T>((resolve) => {
      waiting.set(command.id, (result) => {
        waiting.delete(command.id);
        resolve(result as T);
      });
      child.send(command);
    });
  return {
    url,
    runInstances: async (account, request) =>
      (await ask<SeededVm[]>({ type: "launch", id: next++, account, request })).map((vm) => ({ ...vm, launchedAt: new Date(vm.launchedAt) })),
    count: (account) => ask<number>({ type: "count", id: next++, account }),
    stop: () => child.send({ type: "stop" } satisfies FaceCommand),
  };
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const dir = mkdtempSync(join(tmpdir(), "phantom-bench-controller-"));
const random = seededRandom(1);
const clouds = new Map(SITES.map((site) => [site, new SimulatedCloud({ capacity: CAPACITY, bootSeconds: 0, random })]));
const face = OPENSTACK ? await startFace() : null;
/** The account of the benchmark user's project on the face. */
const BENCH_PROJECT = projectAccount(hashId("project", "default/bench"));
const config = parseConfig(
  {
    db: `sqlite:${join(dir, "phantom.db")}`,
    sites: Object.fromEntries(
      SITES.map((site) => [
        site,
        face !== null && site === OPENSTACK_SITE
          ? { driver: "openstack", auth_url: `${face.url}/identity/v3`, network: "public" }
          : { driver: "simulated", capacity: CAPACITY, boot_seconds: 0 },
      ]),
    ),
  },
  "benchmark",
);
const store = await openStore(config.db);
const box = new SecretBox(randomBytes(32));
const user = await addUser(store, box, "bench");
const keystone: OpenStackCredentials = {
  kind: "openstack",
  auth: { method: "password", username: "bench", password: "bench-password", userDomain: "Default", project: "bench", projectDomain: "Default" },
};
if (OPENSTACK) await setCloudCredentials(store, box, SITES, "bench", OPENSTACK_SITE, keystone);

/** The OpenStack site's HTTP requests, by the port's call: `listServers`, `issueToken`, …. */
const http = new Map<string, number>();
/** The real port, counting its calls. */
function countingPort(): OpenStackPort {
  const real = fetchOpenStackPort();
  const counted = {} as Record<string, unknown>;
  for (const [name, call] of Object.entries(real) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    counted[name] = (...args: unknown[]) => {
      http.set(name, (http.get(name) ?? 0) + 1);
      return call(...args);
    };
  }
  return counted as unknown as OpenStackPort;
}

let launchRequests: LaunchRequest[] = [];
let onLaunch: () => void = () => {};
const drivers = new Map(
  config.sites.map((site) => [
    site.name,
    new WatchedDriver(
      site.driver === "openstack" ? new OpenStackDriver(site, { port: countingPort() }) : new SimulatedDriver(site.name, clouds.get(site.name)!),
      (request) => {
        launchRequests.push(request);
        onLaunch();
      },
    ),
  ]),
);
/** `http` summed up, e.g. `20 listServers`. */
const httpTally = () => [...http].map(([call, n]) => `${n} ${call}`).join(" + ");
/** Cloud calls as the controller's observer counts them: `call:outcome`. */
const calls: string[] = [];
const access = new CloudAccess(config.sites, drivers, store, box, (_site, call, outcome) => calls.push(`${call}:${outcome}`));
/** `calls` summed up, e.g. `5 describe:ok + 5 launch:ok`. */
const tally = () => {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${n} ${c}`).join(" + ");
};
// The controller's documented defaults (interval 5 s, …): a pass runs only when the bench asks.
// One replica holding every shard; its leases outlast the benchmark.
const settings = { ...config.controller, leaseMs: 7_200_000 };
const shards = await soleReplicaShards(store, systemClock, settings, { holder: "bench" });
const reconciler = new Reconciler({ store, clouds: access, clock: systemClock, settings, logger: createLogger("warn"), shards });

let started = performance.now();
const launchers = new Map<string, Launcher>(clouds);
if (face !== null) launchers.set(OPENSTACK_SITE, face);
const { big, groups } = await seed(store, user.id, launchers);
console.log(`seeded ${GROUPS} groups × ${VMS_PER_GROUP} VMs over ${SITES.length} sites in ${ms(performance.now() - started)}`);

// ── Steady state ──────────────────────────────────────────────────────────────────────────
started = performance.now();
const first = await reconciler.runPass();
console.log(`first pass (loads the snapshot): ${ms(performance.now() - started)}, ${first.instances} VMs in the model`);
const steady: { wallMs: number; cpuMs: number; calls: number; tally: string; http: string; report: PassReport }[] = [];
for (let k = 0; k < PASSES; k++) {
  calls.length = 0;
  http.clear();
  const { wallMs, cpuMs, report } = await timedPass();
  steady.push({ wallMs, cpuMs, calls: calls.length, tally: tally(), http: httpTally(), report });
  if (report.launchRequests + report.terminated + report.orphansTerminated + report.failures > 0) {
    throw new Error(`pass ${k + 2} is not steady: ${JSON.stringify(report)}`);
  }
}
/** One pass run directly (no loop), with its wall time and CPU. */
async function timedPass(): Promise<{ wallMs: number; cpuMs: number; report: PassReport }> {
  const { value: report, wallMs, cpuMs } = await timed(() => reconciler.runPass());
  return { wallMs, cpuMs, report };
}
const wall = median(steady.map((s) => s.wallMs));
const cpu = median(steady.map((s) => s.cpuMs));
const callsPerPass = Math.max(...steady.map((s) => s.calls));
const openstackServers = face === null ? 0 : await face.count(BENCH_PROJECT);
const rss = process.memoryUsage().rss;

// ── SetDesiredCapacity 0 → 1,000, through the API handler and the loop's poke ────────────
let onPassDone: () => void = () => {};
const passDone = () => new Promise<void>((resolve) => (onPassDone = resolve));
const loop = new ControllerLoop(reconciler, shards, {
  // No timed pass during the measurement: the poke alone runs it.
  intervalMs: 3_600_000,
  logger: createLogger("warn"),
  onPass: () => onPassDone(),
});
const idle = passDone();
loop.start();
await idle;
launchRequests = [];
calls.length = 0;
http.clear();
const allRequested = new Promise<number>((resolve) => {
  onLaunch = () => {
    if (launchRequests.reduce((n, r) => n + r.count, 0) >= SCALE_UP) resolve(performance.now());
  };
});
const ctx: ActionContext = {
  user,
  store,
  settings: { region: "phantom", catalog: { names: SITES, defaultSite: null }, limits: { launchConfigurations: 200, groups: GROUPS + 1 }, metrics: { retentionMs: 7_200_000, maxSeriesPerUser: 10_000 } },
  now: new Date(),
  groupChanged: () => loop.poke(),
};
const recorded = passDone();
started = performance.now();
await AUTOSCALING_ACTIONS.SetDesiredCapacity!.handle({ AutoScalingGroupName: big.name, DesiredCapacity: SCALE_UP }, ctx);
const requestedMs = (await allRequested) - started;
await recorded;
const recordedMs = performance.now() - started;
await loop.stop();
const runInstances = launchRequests.length;
const scaleUpCalls = tally();
const bigVms = (await store.reads(user.id).instancesOfGroups([big.id])).length;

console.log(`steady-state pass (median of ${PASSES}): ${ms(wall)} wall, ${ms(cpu)} CPU`);
console.log(`  per pass: ${steady.map((s) => `${ms(s.wallMs)}/${ms(s.cpuMs)} CPU`).join(", ")}`);
console.log(`cloud API calls per steady pass: ${callsPerPass} (${steady[0]!.tally}; ${SITES.length} sites, 1 user, ${GROUPS * VMS_PER_GROUP} VMs)`);
if (OPENSTACK) {
  console.log(
    `  ${OPENSTACK_SITE} (openstack → simcloud over HTTP, ${openstackServers} servers): HTTP requests per steady pass: ${steady.map((s) => s.http).join("; ")}`,
  );
}
console.log(`RSS when steady: ${mib(rss)} (max RSS ${mib(process.resourceUsage().maxRSS * 1024)})`);
console.log(
  `SetDesiredCapacity 0 → ${SCALE_UP}: all launches requested after ${ms(requestedMs)} in ${runInstances} RunInstances ` +
    `(${launchRequests.map((r) => r.count).join(" + ")} VMs); ${bigVms} VMs recorded after ${ms(recordedMs)}; ` +
    `that pass's cloud calls: ${scaleUpCalls}${OPENSTACK ? `; ${OPENSTACK_SITE}'s HTTP requests: ${httpTally()}` : ""}`,
);
console.log("ratios to the targets (≤ 1 is met):");
console.log(`  steady-state pass / 1 s:          ${(wall / 1000).toFixed(2)}`);
console.log(`  RSS / 1 GiB:                      ${(rss / 2 ** 30).toFixed(2)}`);
console.log(`  1,000 launches requested / 1 s:   ${(requestedMs / 1000).toFixed(2)}`);
console.log(`  cloud calls per pass / sites:     ${(callsPerPass / SITES.length).toFixed(2)}`);

// ── Every group crosses its threshold at once: one more VM for each ──────────────────────
// As when all of them cross a sensor threshold in one pass: each group's desired capacity
// rises by one (written in one transaction, as the metric step's batch does), and one pass
// launches a VM for each on its last site, s5. The loop gave the shards up when it stopped:
// take them again and reload the model first.
await shards.round();
await timedPass();
await store.write(user.id, async (tx) => {
  for (const g of groups) await tx.updateGroup({ ...g, desiredCapacity: g.desiredCapacity + 1 });
});
launchRequests = [];
calls.length = 0;
const crossing = await timedPass();
const crossingCalls = tally();
const crossingRequests = launchRequests.length;

// ── One group of HUGE VMs scaled to 0, and another deleted ────────────────────────────────
const hugeClouds = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : Math.floor(HUGE / SITES.length) }));
/** Seeds a group of HUGE VMs in service and runs the pass that loads it (steady). */
async function seedHuge(name: string): Promise<{ group: Group; loadMs: number }> {
  const group = benchGroup(name, hugeClouds, HUGE, HUGE);
  await store.write(user.id, (tx) => tx.insertGroup(group));
  await seedRunningVms(store, user.id, [group], launchers, config.controller.shards);
  const loaded = await timedPass();
  if (loaded.report.launchRequests + loaded.report.terminated > 0) throw new Error(`${name} is not steady: ${JSON.stringify(loaded.report)}`);
  return { group, loadMs: loaded.wallMs };
}
const shrink = await seedHuge("huge-shrink");
await AUTOSCALING_ACTIONS.SetDesiredCapacity!.handle({ AutoScalingGroupName: shrink.group.name, DesiredCapacity: 0 }, ctx);
const toZero = await timedPass();
const toZeroConfirmed = await timedPass();
const removal = await seedHuge("huge-delete");
await AUTOSCALING_ACTIONS.DeleteAutoScalingGroup!.handle({ AutoScalingGroupName: removal.group.name, ForceDelete: true }, ctx);
const deleting = await timedPass();
const deleted = await timedPass();
const hugeLeft = (await store.reads(user.id).instancesOfGroups([shrink.group.id, removal.group.id])).length;
const removalGone = (await store.reads(user.id).getGroup(removal.group.name)) === null;
const passFigures = (p: { wallMs: number; cpuMs: number; report: PassReport }, what: keyof PassReport) =>
  `${ms(p.wallMs)} wall, ${ms(p.cpuMs)} CPU, ${p.report[what]} ${what}`;
console.log(
  `${GROUPS} groups cross their threshold at once (desired +1 each): the pass ${passFigures(crossing, "launched")} ` +
    `in ${crossingRequests} launch calls (${crossingCalls})`,
);
console.log(`one group of ${HUGE} VMs: the pass that loads it ${ms(shrink.loadMs)}`);
console.log(`  scaled to 0: the pass ${passFigures(toZero, "terminated")}; the next (confirms) ${passFigures(toZeroConfirmed, "instances")}`);
console.log(
  `  another deleted (ForceDelete): the pass ${passFigures(deleting, "terminated")}; the next ${passFigures(deleted, "instances")}; ` +
    `${hugeLeft} VMs left, group ${removalGone ? "gone" : "still there"}`,
);

for (const driver of drivers.values()) driver.close();
face?.stop();
await store.close();
rmSync(dir, { recursive: true, force: true });
