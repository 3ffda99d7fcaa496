/**
 * Metrics benchmark, in two parts.
 *
 * 1. PutMetricData over HTTP: a Phantom (started with `startPhantom` on a SQLite file, in its
 *    own process pinned to CPU 1 when `taskset` exists, as bench/api.ts does) takes
 *    PutMetricData requests signed with SigV4 (service `monitoring`), each with 20 MetricData
 *    members: `Bench/CPUUtilization` of `InstanceId=i-…` for a rotating set of VMs, 300 series
 *    in all. autocannon (here, on CPU 0) cycles through 15 pre-signed bodies for `--seconds` at
 *    1, 16 and 64 connections; a bare node:http server answering the same response body is
 *    measured at 16 connections in the same run. Prints requests/s, values/s, p50/p99 latency,
 *    the ratio to bare, each server's CPU time per request (its own `process.cpuUsage` over
 *    the measured seconds: steadier than requests/s on a machine other work loads), and the
 *    metric_points / metric_series rows and the server's RSS after the run (one row per series
 *    and minute, whatever the rate). `--api-only` stops after this part.
 *
 * 2. The controller's metric step: `--groups` groups × `--vms` VMs over five simulated sites with
 *    zero latency, seeded as bench/controller.ts seeds them, in this process on a SQLite file.
 *    - steady passes with plain groups (`error_overflow_n_preserving`, no metrics);
 *    - the same groups turned into `sensor_engine` groups (`metric=Bench/Load`, thresholds 20
 *      and 80) with group-level points `AutoScalingGroupName=<group>` for the last 5 minutes
 *      at 50 (within the thresholds), and (with `--instance-series`) `InstanceId=<vm>` points
 *      too: steady passes, the metric step alone (`MetricScaler.decide`) and its query
 *      (`MetricStore.recent`) alone, with the rows read;
 *    - one pass in which every group crosses its up-threshold: N capacity changes (and N
 *      launches of one VM) written in one batch.
 *
 *   npm run bench:metrics [-- --seconds 10 --groups 10000 --vms 10 --passes 3 --instance-series --api-only]
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import SQLite from "better-sqlite3";
import autocannon, { type Result } from "autocannon";
import { SimulatedCloud } from "../src/clouds/simulated/simulated-cloud.js";
import { SimulatedDriver } from "../src/clouds/simulated/simulated-driver.js";
import { seededRandom } from "../src/clouds/simulated/seeded-random.js";
import { parseConfig } from "../src/config/config.js";
import { startPhantom } from "../src/app/start-phantom.js";
import { CloudAccess } from "../src/controller/cloud-access.js";
import { systemClock } from "../src/controller/clock.js";
import { MetricScaler } from "../src/controller/metric-scaler.js";
import { Reconciler, type PassReport } from "../src/controller/reconciler.js";
import { soleReplicaShards } from "../src/test-support/sole-replica.js";
import { minuteOf } from "../src/core/metric-data.js";
import type { Group, MetricPoint } from "../src/core/types.js";
import { createLogger } from "../src/observability/logger.js";
import { SecretBox } from "../src/secrets/secret-box.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { addUser } from "../src/users/user-accounts.js";
import { flagOption, numberOption } from "./options.js";
import { median, timed } from "./timing.js";
import { benchGroup, insertLaunchConfigurations, seedRunningVms } from "./seed.js";
import { signedPost } from "./sign.js";

const SECONDS = numberOption("seconds", 10);
const GROUPS = numberOption("groups", 10_000);
const VMS_PER_GROUP = numberOption("vms", 10);
const PASSES = numberOption("passes", 3);
const INSTANCE_SERIES = flagOption("instance-series");
const API_ONLY = flagOption("api-only");

const ms = (n: number) => `${n.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const int = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * `f` run up to `--passes` times, fewer once `budgetMs` of wall time is spent (at least once):
 * a step of many seconds is not repeated. Medians of wall and CPU, and each run's.
 */
async function repeated<T>(f: () => Promise<T>, check: (value: T, k: number) => void, budgetMs = 10_000): Promise<PassFigures> {
  const all: { wallMs: number; cpuMs: number }[] = [];
  let spent = 0;
  for (let k = 0; k < PASSES && (k === 0 || spent < budgetMs); k++) {
    const t = await timed(f);
    check(t.value, k);
    all.push({ wallMs: t.wallMs, cpuMs: t.cpuMs });
    spent += t.wallMs;
  }
  return { wallMs: median(all.map((p) => p.wallMs)), cpuMs: median(all.map((p) => p.cpuMs)), all };
}

// ══ The Phantom server of part 1, run as a child: `node dist/bench/metrics.js serve` ═══════════

async function serve(): Promise<void> {
  // Exit normally when stopped (SIGINT lets `--cpu-prof` write its profile), removing the database.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
  const dir = mkdtempSync(join(tmpdir(), "phantom-bench-metrics-api-"));
  const dbPath = join(dir, "phantom.db");
  const config = parseConfig(
    { listen: "127.0.0.1:0", db: `sqlite:${dbPath}`, sites: { hotel: { driver: "simulated" }, ec2: { driver: "simulated" } } },
    "benchmark",
  );
  const phantom = await startPhantom(config, { logger: createLogger("warn"), masterKey: randomBytes(32).toString("hex") });
  const user = await addUser(phantom.store, phantom.box, "bench");
  const reader = new SQLite(dbPath, { readonly: true });
  const count = (table: string) => (reader.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  process.stdout.write(JSON.stringify({ url: phantom.url, accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey }) + "\n");
  // Each line on stdin asks for the figures of the moment.
  for await (const _line of createInterface({ input: process.stdin })) {
    const minutes = reader.prepare("select count(distinct minute) as n from metric_points").get() as { n: number };
    process.stdout.write(
      JSON.stringify({
        points: count("metric_points"),
        series: count("metric_series"),
        minutes: minutes.n,
        rss: process.memoryUsage().rss,
        cpuUs: process.cpuUsage().user + process.cpuUsage().system,
        maxRss: process.resourceUsage().maxRSS * 1024,
      }) + "\n",
    );
  }
}

// ══ Part 1: PutMetricData over HTTP ══════════════════════════════════════════════════════════

const VALUES_PER_REQUEST = 20;
const API_SERIES = 300;
const CONCURRENCY = [1, 16, 64];
const BARE_CONCURRENCY = 16;

/** The PutMetricData bodies: body k has the VMs 20k … 20k+19 of 300, each with a value. */
export function putBodies(): string[] {
  const bodies: string[] = [];
  for (let k = 0; k < API_SERIES / VALUES_PER_REQUEST; k++) {
    const params = new URLSearchParams({ Action: "PutMetricData", Version: "2010-08-01", Namespace: "Bench" });
    for (let m = 1; m <= VALUES_PER_REQUEST; m++) {
      const vm = k * VALUES_PER_REQUEST + m - 1;
      const p = `MetricData.member.${m}`;
      params.set(`${p}.MetricName`, "CPUUtilization");
      params.set(`${p}.Dimensions.member.1.Name`, "InstanceId");
      params.set(`${p}.Dimensions.member.1.Value`, `i-${vm.toString(16).padStart(17, "0")}`);
      params.set(`${p}.Value`, String(((vm * 37) % 1000) / 10));
      params.set(`${p}.Unit`, "Percent");
    }
    bodies.push(params.toString());
  }
  return bodies;
}

interface ServerStats {
  /** CPU time the server used so far, user + system. */
  cpuUs: number;
  points: number;
  series: number;
  minutes: number;
  rss: number;
  maxRss: number;
}

/** A measured run: autocannon's figures and the server's CPU time per request. */
interface LoadRun {
  result: Result;
  cpuUsPerRequest: number;
}

interface ApiFigures {
  bodyBytes: number;
  runs: ({ connections: number } & LoadRun)[];
  bare: LoadRun;
  before: ServerStats;
  after: ServerStats;
}

async function apiPart(): Promise<ApiFigures> {
  const hasTaskset = spawnSync("taskset", ["-p", String(process.pid)]).status === 0;
  if (hasTaskset) spawnSync("taskset", ["-cp", "0", String(process.pid)]);
  const children: ChildProcess[] = [];
  const killChildren = () => children.forEach((c) => c.kill());
  process.on("exit", killChildren);
  const start = (script: string, args: string[]) => {
    const command = hasTaskset ? ["taskset", "-c", "1", process.execPath] : [process.execPath];
    const child = spawn(command[0]!, [...command.slice(1), script, ...args], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
    return { child, next };
  };

  const server = start(new URL(import.meta.url).pathname, ["serve"]);
  const phantom = (await server.next()) as { url: string; accessKeyId: string; secretAccessKey: string };
  const stats = async () => {
    server.child.stdin!.write("stats\n");
    return (await server.next()) as unknown as ServerStats;
  };
  const bodies = putBodies();
  const signAll = () => Promise.all(bodies.map(async (body) => ({ method: "POST", path: "/", body, headers: await signedPost(phantom.url, body, phantom, "monitoring") })));

  // One request by hand: it must succeed, and its answer is what the bare server sends.
  const [first] = await signAll();
  const sample = await fetch(phantom.url, { method: "POST", headers: first!.headers, body: first!.body });
  const sampleBody = await sample.text();
  if (sample.status !== 200 || !sampleBody.includes("PutMetricDataResponse")) {
    throw new Error(`unexpected PutMetricData response ${sample.status}: ${sampleBody.slice(0, 300)}`);
  }
  const bodyFile = join(mkdtempSync(join(tmpdir(), "phantom-bench-")), "body.xml");
  writeFileSync(bodyFile, sampleBody);
  const bare = start(new URL("./api-server.js", import.meta.url).pathname, ["bare", bodyFile]);
  const bareUrl = ((await bare.next()) as { url: string }).url;
  const bareCpu = async () => {
    bare.child.stdin!.write("cpu\n");
    return ((await bare.next()) as { cpuUs: number }).cpuUs;
  };
  const phantomCpu = async () => (await stats()).cpuUs;

  const load = async (url: string, connections: number, cpuUs: () => Promise<number>): Promise<LoadRun> => {
    // Signed just before each run, so no signature gets old.
    const requests = await signAll();
    // autocannon's `requests`: each connection cycles through them (bench/autocannon.d.ts lacks it).
    const options = (duration: number) => ({ url, connections, duration, requests }) as Parameters<typeof autocannon>[0];
    await autocannon(options(2)); // warm-up
    const cpu0 = await cpuUs();
    const r = await autocannon(options(SECONDS));
    const cpuUsPerRequest = ((await cpuUs()) - cpu0) / r.requests.total;
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return { result: r, cpuUsPerRequest };
  };
  const before = await stats();
  const bareRun = await load(bareUrl, BARE_CONCURRENCY, bareCpu);
  const runs: ApiFigures["runs"] = [];
  for (const connections of CONCURRENCY) runs.push({ connections, ...(await load(phantom.url, connections, phantomCpu)) });
  const after = await stats();
  killChildren();
  rmSync(join(bodyFile, ".."), { recursive: true, force: true });
  return { bodyBytes: bodies[0]!.length, runs, bare: bareRun, before, after };
}

// ══ Part 2: the metric step of the reconcile pass ════════════════════════════════════════════

/** Room for everything: no site ever answers InsufficientInstanceCapacity. */
const CAPACITY = 1_000_000;
const SITES = ["s1", "s2", "s3", "s4", "s5"];
/** Each group fills the first four sites up to 2 VMs and puts the rest on the last. */
const GROUP_CLOUDS = SITES.map((site, i) => ({ site, max: i === SITES.length - 1 ? -1 : 2 }));
const NAMESPACE = "Bench";
const METRIC = "Load";
const UP = 80;
const DOWN = 20;
const CALM = 50;
/** Minutes of points seeded per series (the step reads the last two or three). */
const SEEDED_MINUTES = 5;
const PUT_CHUNK = 1_000;

/** The groups in the store, and their VMs launched on the clouds and recorded as in service (as bench/controller.ts). */
async function seed(store: Store, userId: string, clouds: ReadonlyMap<string, SimulatedCloud>, shards: number): Promise<{ groups: Group[]; vms: Map<string, string[]> }> {
  const groups = Array.from({ length: GROUPS }, (_, g) => benchGroup(`group-${String(g).padStart(5, "0")}`, GROUP_CLOUDS, VMS_PER_GROUP));
  await store.write(userId, async (tx) => {
    await insertLaunchConfigurations(tx, SITES);
    for (const g of groups) await tx.insertGroup(g);
  });
  const vms = await seedRunningVms(store, userId, groups, clouds, shards);
  return { groups, vms };
}

/** The group as a `sensor_engine` group of `Bench/Load` (thresholds 20 and 80), as CreateAutoScalingGroup makes it. */
function asSensorGroup(g: Group): Group {
  return {
    ...g,
    definition: "sensor_engine",
    tags: [
      { key: "PHANTOM_DEFINITION", value: "sensor_engine", propagateAtLaunch: false },
      { key: "clouds", value: g.clouds.map((c) => `${c.site}:${c.max}`).join(","), propagateAtLaunch: false },
      { key: "env", value: "bench", propagateAtLaunch: true },
      { key: "metric", value: `${NAMESPACE}/${METRIC}`, propagateAtLaunch: false },
      { key: "scale_down_threshold", value: String(DOWN), propagateAtLaunch: false },
      { key: "scale_up_threshold", value: String(UP), propagateAtLaunch: false },
      { key: "team", value: "infra", propagateAtLaunch: true },
    ],
  };
}

function point(dimension: { name: string; value: string }, minute: number, value: number): MetricPoint {
  return {
    namespace: NAMESPACE,
    metricName: METRIC,
    dimensions: [dimension],
    minute: new Date(minute),
    unit: "Percent",
    sampleCount: 1,
    sum: value,
    minimum: value,
    maximum: value,
  };
}

/**
 * One point per series for each of the given minutes, put in chunks as PutMetricData would
 * (CloudWatch takes at most 1,000 values a request). Returns the time it took and the points.
 */
async function putPoints(store: Store, userId: string, series: { name: string; value: string }[], minutes: number[], value: number) {
  let n = 0;
  const t = await timed(async () => {
    let chunk: MetricPoint[] = [];
    for (const minute of minutes) {
      for (const d of series) {
        chunk.push(point(d, minute, value));
        if (chunk.length === PUT_CHUNK) {
          await store.metrics.put(userId, chunk, new Date(), Number.MAX_SAFE_INTEGER);
          n += chunk.length;
          chunk = [];
        }
      }
    }
    if (chunk.length > 0) await store.metrics.put(userId, chunk, new Date(), Number.MAX_SAFE_INTEGER);
    n += chunk.length;
  });
  return { points: n, wallMs: t.wallMs };
}

interface PassFigures {
  wallMs: number;
  cpuMs: number;
  all: { wallMs: number; cpuMs: number }[];
}

interface ControllerFigures {
  seedMs: number;
  plain: PassFigures;
  convertMs: number;
  series: number;
  seedPut: { points: number; wallMs: number };
  refreshPut: { points: number; wallMs: number };
  reloadMs: number;
  sensor: PassFigures;
  step: PassFigures;
  recent: PassFigures;
  rowsRead: number;
  pointsRows: number;
  rss: number;
  plainRss: number;
  maxRss: number;
  upDecide: { wallMs: number; cpuMs: number; changes: number } | null;
  upPass: { wallMs: number; cpuMs: number; report: PassReport; desired: number; vms: number; activities: number };
}

async function controllerPart(): Promise<ControllerFigures> {
  const dir = mkdtempSync(join(tmpdir(), "phantom-bench-metrics-"));
  const dbPath = join(dir, "phantom.db");
  const config = parseConfig(
    { db: `sqlite:${dbPath}`, sites: Object.fromEntries(SITES.map((site) => [site, { driver: "simulated", capacity: CAPACITY, boot_seconds: 0 }])) },
    "benchmark",
  );
  const store = await openStore(config.db);
  const box = new SecretBox(randomBytes(32));
  const user = await addUser(store, box, "bench");
  const random = seededRandom(1);
  const clouds = new Map(SITES.map((site) => [site, new SimulatedCloud({ capacity: CAPACITY, bootSeconds: 0, random })]));
  const drivers = new Map(SITES.map((site) => [site, new SimulatedDriver(site, clouds.get(site)!)]));
  const access = new CloudAccess(config.sites, drivers, store, box, () => {});
  const logger = createLogger("warn");
  const retentionMs = config.metrics.retentionMs;
  const settings = { ...config.controller, leaseMs: 7_200_000 };
  const shards = await soleReplicaShards(store, systemClock, settings, { holder: "bench" });
  const reconciler = new Reconciler({ store, clouds: access, clock: systemClock, settings, logger, metricRetentionMs: retentionMs, shards });
  const reader = new SQLite(dbPath, { readonly: true });
  const count = (table: string) => (reader.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

  const steadyPasses = (what: string) =>
    repeated(
      () => reconciler.runPass(),
      (r, k) => {
        if (r.launchRequests + r.terminated + r.orphansTerminated + r.failures > 0) throw new Error(`${what} pass ${k + 1} is not steady: ${JSON.stringify(r)}`);
      },
    );

  // ── Plain groups ─────────────────────────────────────────────────────────────────────────
  let t0 = performance.now();
  const { groups, vms } = await seed(store, user.id, clouds, settings.shards);
  const seedMs = performance.now() - t0;
  console.log(`seeded ${int(GROUPS)} groups × ${VMS_PER_GROUP} VMs over ${SITES.length} sites in ${ms(seedMs)}`);
  await reconciler.runPass(); // loads the snapshot
  const plain = await steadyPasses("plain");
  const plainRss = process.memoryUsage().rss;
  console.log(`steady pass, plain groups (median of ${plain.all.length}): ${ms(plain.wallMs)} wall, ${ms(plain.cpuMs)} CPU`);

  // ── The same groups as sensor groups, with metrics within their thresholds ───────────────
  t0 = performance.now();
  await store.write(user.id, async (tx) => {
    for (const g of groups) await tx.updateGroup(asSensorGroup(g));
  });
  const convertMs = performance.now() - t0;
  const series = groups.map((g) => ({ name: "AutoScalingGroupName", value: g.name }));
  if (INSTANCE_SERIES) for (const ids of vms.values()) for (const id of ids) series.push({ name: "InstanceId", value: id });
  const nowMinute = minuteOf(Date.now());
  const minutes = Array.from({ length: SEEDED_MINUTES }, (_, k) => nowMinute - (SEEDED_MINUTES - 1 - k) * 60_000);
  const seedPut = await putPoints(store, user.id, series, minutes, CALM);
  console.log(
    `turned them into sensor_engine groups in ${ms(convertMs)}; put ${int(seedPut.points)} points (${int(series.length)} series × ` +
      `${SEEDED_MINUTES} minutes) in ${ms(seedPut.wallMs)}`,
  );
  // A new value of the current minute for every series, as agents keep sending: the window
  // always holds this minute, whenever the benchmark crosses a minute boundary.
  const refreshPut = await putPoints(store, user.id, series, [minuteOf(Date.now())], CALM);
  // The model reloads the 10,000 changed groups (rather than read them from the change log).
  reconciler.reset();
  const reload = await timed(() => reconciler.runPass());
  const refresh = () => putPoints(store, user.id, series, [minuteOf(Date.now())], CALM);
  await refresh();
  const sensor = await steadyPasses("sensor");
  // Before this benchmark loads its own copy of the model for the step alone.
  const rss = process.memoryUsage().rss;
  console.log(`steady pass, sensor groups (median of ${sensor.all.length}): ${ms(sensor.wallMs)} wall, ${ms(sensor.cpuMs)} CPU`);

  // ── The metric step alone, and its query alone ───────────────────────────────────────────
  const snapshot = await store.controller.loadSnapshot();
  const scaler = new MetricScaler({ store, retentionMs, logger });
  // The first decide of a scaler prunes old metrics: done here, with no groups, untimed.
  await scaler.decide([], new Date());
  await refresh();
  const step = await repeated(
    () => scaler.decide(snapshot.groups, new Date()),
    (out) => {
      if (out.groups.length > 0) throw new Error(`the metric step changed ${out.groups.length} groups in steady state`);
    },
  );
  // As decide() asks: the minutes since now − sample period − 60 s.
  let rowsRead = 0;
  const recent = await repeated(
    () => store.metrics.recent(new Date(Date.now() - 120_000)),
    (rows) => void (rowsRead = rows.length),
  );
  console.log(`metric step alone (median of ${step.all.length}): ${ms(step.wallMs)} wall, ${ms(step.cpuMs)} CPU; its query: ${ms(recent.wallMs)}, ${int(rowsRead)} rows`);

  // ── Every group crosses its up-threshold ─────────────────────────────────────────────────
  // 1,000 in the current minute lifts the window's Average far above 80.
  await putPoints(store, user.id, series.slice(0, GROUPS), [minuteOf(Date.now())], 1_000);
  // The decisions alone first (nothing written), unless the step takes long: then it costs
  // about what the steady step does, and the run would outgrow its few minutes.
  let upDecide: ControllerFigures["upDecide"] = null;
  if (step.wallMs < 5_000) {
    const probe = new MetricScaler({ store, retentionMs, logger });
    await probe.decide([], new Date());
    const t = await timed(() => probe.decide(snapshot.groups, new Date()));
    upDecide = { wallMs: t.wallMs, cpuMs: t.cpuMs, changes: t.value.groups.length };
  }
  const activitiesBefore = count("activities");
  const up = await timed(() => reconciler.runPass());
  const after = await store.controller.loadSnapshot();
  const upPass = {
    wallMs: up.wallMs,
    cpuMs: up.cpuMs,
    report: up.value,
    desired: after.groups.filter((g) => g.group.desiredCapacity === VMS_PER_GROUP + 1 && g.group.scaledAt !== null).length,
    vms: after.groups.reduce((n, g) => n + g.instances.length, 0),
    activities: count("activities") - activitiesBefore,
  };
  console.log(
    `pass in which all ${int(GROUPS)} groups cross scale_up_threshold: ${ms(upPass.wallMs)} wall, ${ms(upPass.cpuMs)} CPU; ` +
      `${int(upPass.desired)} groups at ${VMS_PER_GROUP + 1}, ${int(upPass.report.launched)} VMs launched in ${int(upPass.report.launchRequests)} launch requests`,
  );
  const figures: ControllerFigures = {
    seedMs,
    plain,
    convertMs,
    series: series.length,
    seedPut,
    refreshPut,
    reloadMs: reload.wallMs,
    sensor,
    step,
    recent,
    rowsRead,
    pointsRows: count("metric_points"),
    rss,
    plainRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    upDecide,
    upPass,
  };
  reader.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return figures;
}

// ══ Main ═════════════════════════════════════════════════════════════════════════════════════

async function main(): Promise<void> {
  const commandLine = `node ${relative(process.cwd(), process.argv[1]!)} ${process.argv.slice(2).join(" ")}`.trim();
  const startedAt = performance.now();
  // Other work on the machine shows here: the wall times stretch beyond the CPU times.
  const loadBefore = loadavg()[0]!.toFixed(2);
  const api = await apiPart();
  const row = (name: string, { result: r, cpuUsPerRequest }: LoadRun, values = true) =>
    `${name.padEnd(26)} ${int(r.requests.average).padStart(7)} req/s  ${values ? `${int(r.requests.average * VALUES_PER_REQUEST).padStart(8)} values/s` : "".padStart(17)}` +
    `   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   ${cpuUsPerRequest.toFixed(0).padStart(4)} µs CPU/req`;
  console.log(`PutMetricData, ${VALUES_PER_REQUEST} values a request (${api.bodyBytes}-byte body), ${API_SERIES} series, SigV4, SQLite file, ${SECONDS} s each`);
  console.log(row(`bare node:http, ${BARE_CONCURRENCY} conn`, api.bare, false));
  for (const run of api.runs) console.log(row(`phantom, ${run.connections} conn`, run));
  const at16 = api.runs.find((r) => r.connections === BARE_CONCURRENCY)!;
  const apiRatio = at16.result.requests.average / api.bare.result.requests.average;
  const cpuRatio = api.bare.cpuUsPerRequest / at16.cpuUsPerRequest;
  console.log(`ratio phantom / bare at ${BARE_CONCURRENCY} connections: ${apiRatio.toFixed(2)} in req/s, ${cpuRatio.toFixed(2)} in server CPU per request (bare / phantom)`);
  const totalRequests = api.runs.reduce((n, r) => n + r.result.requests.total, 0);
  console.log(
    `after ${int(totalRequests)} measured requests (${int(totalRequests * VALUES_PER_REQUEST)} values, plus warm-ups): ` +
      `${int(api.after.points)} metric_points rows (${api.after.series} series, ${api.after.minutes} distinct minutes), ` +
      `server RSS ${mib(api.after.rss)} (was ${mib(api.before.rss)}; max ${mib(api.after.maxRss)})`,
  );
  if (API_ONLY) {
    console.log(`load average before / after: ${loadBefore} / ${loadavg()[0]!.toFixed(2)} (${cpus().length} CPUs)`);
    return;
  }

  const c = await controllerPart();
  const totalMs = performance.now() - startedAt;

  const lines: [string, string][] = [
    [`PutMetricData req/s (values/s), 1 / 16 / 64 conn`, api.runs.map((r) => `${int(r.result.requests.average)} (${int(r.result.requests.average * VALUES_PER_REQUEST)})`).join(" / ")],
    [`PutMetricData p50 / p99, 1 / 16 / 64 conn`, api.runs.map((r) => `${r.result.latency.p50}/${r.result.latency.p99} ms`).join(", ")],
    [`bare node:http req/s, ${BARE_CONCURRENCY} conn`, int(api.bare.result.requests.average)],
    [`ratio PutMetricData / bare, ${BARE_CONCURRENCY} conn`, apiRatio.toFixed(2)],
    [`server CPU per request, bare / PutMetricData at ${BARE_CONCURRENCY} conn`, `${api.bare.cpuUsPerRequest.toFixed(0)} / ${at16.cpuUsPerRequest.toFixed(0)} µs (ratio ${cpuRatio.toFixed(2)})`],
    [`metric_points rows after the API run`, `${int(api.after.points)} (${api.after.series} series, ${api.after.minutes} distinct minutes)`],
    [`API server RSS after the run (max)`, `${mib(api.after.rss)} (${mib(api.after.maxRss)})`],
    [`steady pass, ${int(GROUPS)} plain groups`, `${ms(c.plain.wallMs)} wall, ${ms(c.plain.cpuMs)} CPU (median of ${c.plain.all.length})`],
    [`steady pass, ${int(GROUPS)} sensor groups`, `${ms(c.sensor.wallMs)} wall, ${ms(c.sensor.cpuMs)} CPU (median of ${c.sensor.all.length})`],
    [`ratio sensor pass / plain pass, wall (CPU)`, `${(c.sensor.wallMs / c.plain.wallMs).toFixed(2)} (${(c.sensor.cpuMs / c.plain.cpuMs).toFixed(2)})`],
    [`metric step alone (MetricScaler.decide)`, `${ms(c.step.wallMs)} wall, ${ms(c.step.cpuMs)} CPU (median of ${c.step.all.length})`],
    [`  of which its query (MetricStore.recent)`, `${ms(c.recent.wallMs)} wall, ${int(c.rowsRead)} rows read (+ policies: 0)`],
    [`metric step / sensor pass, CPU`, (c.step.cpuMs / c.sensor.cpuMs).toFixed(2)],
    [`metric series / metric_points rows`, `${int(c.series)} / ${int(c.pointsRows)}`],
    [`put ${int(c.refreshPut.points)} points (1 minute, chunks of ${PUT_CHUNK})`, ms(c.refreshPut.wallMs)],
    [`RSS steady, plain / sensor groups (max)`, `${mib(c.plainRss)} / ${mib(c.rss)} (${mib(c.maxRss)})`],
    [
      `all groups cross up-threshold: decide alone`,
      c.upDecide === null ? "not run (the steady step took ≥ 5 s)" : `${ms(c.upDecide.wallMs)} wall, ${ms(c.upDecide.cpuMs)} CPU, ${int(c.upDecide.changes)} changes`,
    ],
    [`all groups cross up-threshold: the pass`, `${ms(c.upPass.wallMs)} wall, ${ms(c.upPass.cpuMs)} CPU`],
    [`  its writes`, `${int(c.upPass.desired)} groups scaled, ${int(c.upPass.activities)} activities, ${int(c.upPass.report.launched)} VMs launched`],
    [`first sensor pass after reset (loads snapshot)`, ms(c.reloadMs)],
    [`total run time; load average before / after`, `${(totalMs / 1000).toFixed(0)} s; ${loadBefore} / ${loadavg()[0]!.toFixed(2)} (${cpus().length} CPUs)`],
  ];
  console.log("");
  console.log(`summary — ${commandLine}`);
  console.log(`(${int(GROUPS)} groups × ${VMS_PER_GROUP} VMs, ${PASSES} passes each, ${INSTANCE_SERIES ? "group- and instance-level" : "group-level"} series)`);
  const width = Math.max(...lines.map(([k]) => k.length));
  console.log(`| ${"figure".padEnd(width)} | value |`);
  console.log(`|${"-".repeat(width + 2)}|-------|`);
  for (const [k, v] of lines) console.log(`| ${k.padEnd(width)} | ${v} |`);
}

// Imported by bench/metric-puts.ts for its bodies: then it runs nothing.
if (process.argv[1] !== fileURLToPath(import.meta.url)) {
  // imported
} else if (process.argv[2] === "serve") {
  await serve();
} else {
  await main();
  process.exit(0);
}
