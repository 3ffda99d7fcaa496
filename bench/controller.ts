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
 *   npm run bench:controller [-- --groups 10000 --vms 10 --passes 5]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ActionContext } from "../src/api/actions/action.js";
import { AUTOSCALING_ACTIONS } from "../src/api/actions/index.js";
import type { CloudDriver, LaunchRequest } from "../src/clouds/driver.js";
import { SimulatedCloud } from "../src/clouds/simulated/simulated-cloud.js";
import { SimulatedDriver } from "../src/clouds/simulated/simulated-driver.js";
import { seededRandom } from "../src/clouds/simulated/seeded-random.js";
import { parseConfig } from "../src/config/config.js";
import { CloudAccess } from "../src/controller/cloud-access.js";
import { systemClock } from "../src/controller/clock.js";
import { ControllerLoop } from "../src/controller/controller-loop.js";
import { Reconciler, type PassReport } from "../src/controller/reconciler.js";
import type { Group } from "../src/core/types.js";
import { createLogger } from "../src/observability/logger.js";
import { SecretBox } from "../src/secrets/secret-box.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { addUser } from "../src/users/user-accounts.js";
import { numberOption } from "./options.js";
import { benchGroup, insertLaunchConfigurations, seedRunningVms } from "./seed.js";

const GROUPS = numberOption("groups", 10_000);
const VMS_PER_GROUP = numberOption("vms", 10);
const PASSES = numberOption("passes", 5);
const SCALE_UP = 1_000;
/** Room for everything: no site ever answers InsufficientInstanceCapacity. */
const CAPACITY = 1_000_000;
const SITES = ["s1", "s2", "s3", "s4", "s5"];
/** Each group fills the first four sites up to 2 VMs and puts the rest on the last. */
const GROUP_CLOUDS = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : 2 }));
/** The scaled group: 200 per site, so 1,000 VMs take one RunInstances per site. */
const BIG_CLOUDS = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : SCALE_UP / SITES.length }));

/** A simulated site's driver that notes every launch it is asked for. */
class WatchedDriver implements CloudDriver {
  constructor(
    private readonly inner: SimulatedDriver,
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
  close(): void {}
}

/**
 * The groups in the store, and their VMs launched on the clouds (tagged and tokened as the
 * controller launches them) and recorded in the store as in service.
 */
async function seed(store: Store, userId: string, clouds: ReadonlyMap<string, SimulatedCloud>): Promise<Group> {
  const groups = Array.from({ length: GROUPS }, (_, g) => benchGroup(`group-${String(g).padStart(5, "0")}`, GROUP_CLOUDS, VMS_PER_GROUP));
  const big = benchGroup("big", BIG_CLOUDS, 0, SCALE_UP);
  await store.write(userId, async (tx) => {
    await insertLaunchConfigurations(tx, SITES);
    for (const g of [...groups, big]) await tx.insertGroup(g);
  });
  await seedRunningVms(store, userId, groups, clouds);
  return big;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const dir = mkdtempSync(join(tmpdir(), "phantom-bench-controller-"));
const config = parseConfig(
  {
    db: `sqlite:${join(dir, "phantom.db")}`,
    sites: Object.fromEntries(SITES.map((site) => [site, { driver: "simulated", capacity: CAPACITY, boot_seconds: 0 }])),
  },
  "benchmark",
);
const store = await openStore(config.db);
const box = new SecretBox(randomBytes(32));
const user = await addUser(store, box, "bench");
const random = seededRandom(1);
const clouds = new Map(SITES.map((site) => [site, new SimulatedCloud({ capacity: CAPACITY, bootSeconds: 0, random })]));

let launchRequests: LaunchRequest[] = [];
let onLaunch: () => void = () => {};
const drivers = new Map(
  SITES.map((site) => [
    site,
    new WatchedDriver(new SimulatedDriver(site, clouds.get(site)!), (request) => {
      launchRequests.push(request);
      onLaunch();
    }),
  ]),
);
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
const reconciler = new Reconciler({ store, clouds: access, clock: systemClock, settings: config.controller, logger: createLogger("warn") });

let started = performance.now();
const big = await seed(store, user.id, clouds);
console.log(`seeded ${GROUPS} groups × ${VMS_PER_GROUP} VMs over ${SITES.length} sites in ${ms(performance.now() - started)}`);

// ── Steady state ──────────────────────────────────────────────────────────────────────────
started = performance.now();
const first = await reconciler.runPass();
console.log(`first pass (loads the snapshot): ${ms(performance.now() - started)}, ${first.instances} VMs in the model`);
const steady: { wallMs: number; cpuMs: number; calls: number; tally: string; report: PassReport }[] = [];
for (let k = 0; k < PASSES; k++) {
  calls.length = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const report = await reconciler.runPass();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  steady.push({ wallMs, cpuMs: (used.user + used.system) / 1000, calls: calls.length, tally: tally(), report });
  if (report.launchRequests + report.terminated + report.orphansTerminated + report.failures > 0) {
    throw new Error(`pass ${k + 2} is not steady: ${JSON.stringify(report)}`);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const wall = median(steady.map((s) => s.wallMs));
const cpu = median(steady.map((s) => s.cpuMs));
const callsPerPass = Math.max(...steady.map((s) => s.calls));
const rss = process.memoryUsage().rss;

// ── SetDesiredCapacity 0 → 1,000, through the API handler and the loop's poke ────────────
let onPassDone: () => void = () => {};
const passDone = () => new Promise<void>((resolve) => (onPassDone = resolve));
const loop = new ControllerLoop(reconciler, store.controller, {
  holder: "bench",
  // No timed pass during the measurement: the poke alone runs it.
  intervalMs: 3_600_000,
  leaseMs: 7_200_000,
  clock: systemClock,
  logger: createLogger("warn"),
  onPass: () => onPassDone(),
});
const idle = passDone();
loop.start();
await idle;
launchRequests = [];
calls.length = 0;
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
console.log(`RSS when steady: ${mib(rss)} (max RSS ${mib(process.resourceUsage().maxRSS * 1024)})`);
console.log(
  `SetDesiredCapacity 0 → ${SCALE_UP}: all launches requested after ${ms(requestedMs)} in ${runInstances} RunInstances ` +
    `(${launchRequests.map((r) => r.count).join(" + ")} VMs); ${bigVms} VMs recorded after ${ms(recordedMs)}; ` +
    `that pass's cloud calls: ${scaleUpCalls}`,
);
console.log("ratios to the targets (≤ 1 is met):");
console.log(`  steady-state pass / 1 s:          ${(wall / 1000).toFixed(2)}`);
console.log(`  RSS / 1 GiB:                      ${(rss / 2 ** 30).toFixed(2)}`);
console.log(`  1,000 launches requested / 1 s:   ${(requestedMs / 1000).toFixed(2)}`);
console.log(`  cloud calls per pass / sites:     ${(callsPerPass / SITES.length).toFixed(2)}`);

await store.close();
rmSync(dir, { recursive: true, force: true });
