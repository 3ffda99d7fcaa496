/**
 * The API under a hostile flood (issue #9's bar): while a few connections send nothing but
 * hostile requests — gzip bombs, parameter and list floods, nesting 50,000 deep, unsigned
 * routing headers, forged signatures, oversized bodies — a legitimate client's signed
 * DescribeAutoScalingGroups must keep its p99 under 100 ms and the server's RSS under 300 MiB,
 * and every hostile request must get a 4xx (a 5xx or a broken connection is a finding).
 *
 *   npm run bench:hostile [-- --seconds 10] [--connections 8]
 *
 * The server (`api-server.js phantom`: user "bench" with 20 groups × 10 instances, user
 * "other" with none) runs in its own process pinned to CPU 1 when `taskset` exists; the flood
 * runs here on CPU 0, the legitimate client in a worker thread of this process. The legitimate
 * client's latency is measured first with no flood (baseline), then during the flood, for
 * `--seconds` each. The server's RSS is read from /proc/PID/status (VmRSS sampled, VmHWM its
 * peak since start). Hostile requests are signed once, before the flood (signatures are
 * valid for 15 minutes).
 */
import { Agent, request } from "node:http";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { gzipSync } from "node:zlib";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { formEncode, signV4, type SigningKeys } from "../src/test-support/sign-v4.js";
import { numberOption } from "./options.js";
import { hasTaskset, pinLoadGenerator, startServer } from "./server-process.js";

/** One HTTP request as sent on the wire. */
interface Wire {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** How one request ended: its HTTP status and AWS error code, or the socket error's code. */
type Outcome = { readonly status: number; readonly code: string; readonly body: string } | { readonly error: string };

const MIB = 1024 * 1024;
const FORM = "application/x-www-form-urlencoded; charset=utf-8";
const DESCRIBE: [string, string][] = [
  ["Action", "DescribeAutoScalingGroups"],
  ["Version", "2011-01-01"],
];
const REQUEST_TIMEOUT_MS = 30_000;
/** How many times each kind is sent alone, one after another, to time it before the flood. */
const PROBES = 20;

/** Sends `wire` over `agent`; `keepBody` keeps the answer's text (else it is only drained). */
function send(url: URL, agent: Agent, wire: Wire, keepBody = false): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: wire.method,
        path: wire.path,
        headers: { ...wire.headers, "content-length": String(wire.body.length) },
        agent,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          if (keepBody) chunks.push(chunk);
        });
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString();
          const code = String(res.headers["x-amzn-query-error"] ?? "").split(";")[0] || (/<Code>(\w+)<\/Code>/.exec(body)?.[1] ?? "");
          resolve({ status: res.statusCode ?? 0, code, body });
        });
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(wire.body);
  });
}

/** A signed Query form POST of `body` (gzipped when `gzip`, with the header signed). */
function signedForm(url: URL, keys: SigningKeys, body: Buffer, gzip = false): Wire {
  const sent = gzip ? gzipSync(body, { level: 9 }) : body;
  const headers: Record<string, string> = { host: url.host, "content-type": FORM };
  if (gzip) headers["content-encoding"] = "gzip";
  return { method: "POST", path: "/", headers: signV4({ method: "POST", path: "/", rawQuery: "", headers, body: sent }, keys), body: sent };
}

/** A signed CloudWatch request in JSON 1.0 or RPC v2 CBOR (every header it sends is signed). */
function signedRpc(url: URL, keys: SigningKeys, protocol: "json" | "cbor", operation: string, body: Buffer, gzip = false): Wire {
  const sent = gzip ? gzipSync(body, { level: 9 }) : body;
  const path = protocol === "cbor" ? `/service/GraniteServiceVersion20100801/operation/${operation}` : "/";
  const headers: Record<string, string> =
    protocol === "cbor"
      ? { host: url.host, "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor" }
      : { host: url.host, "x-amz-target": `GraniteServiceVersion20100801.${operation}`, "content-type": "application/x-amz-json-1.0" };
  if (gzip) headers["content-encoding"] = "gzip";
  return { method: "POST", path, headers: signV4({ method: "POST", path, rawQuery: "", headers, body: sent }, keys, { service: "monitoring" }), body: sent };
}

/** A CBOR map of one text key to `value`'s encoding. */
function cborMap(key: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xa1, 0x60 + key.length]), Buffer.from(key), value]);
}

/** The hostile requests of the flood, sent in rotation, each with the status it should get. */
function hostileKinds(url: URL, attacker: SigningKeys, victim: SigningKeys): { label: string; wire: Wire; expect: number }[] {
  const describe = Buffer.from(formEncode(DESCRIBE));
  const params = (n: number, name: (i: number) => string): Buffer =>
    Buffer.from(formEncode([...DESCRIBE, ...Array.from({ length: n }, (_, i): [string, string] => [name(i), `g${i}`])]));
  const bomb = Buffer.alloc(64 * MIB, "a");
  const cborText = Buffer.alloc(5);
  cborText[0] = 0x7a; // a text string with a 4-byte length
  cborText.writeUInt32BE(bomb.length, 1);
  const depth = 50_000;
  const getPath = `/?${formEncode(DESCRIBE)}`;
  const signedGet = signV4({ method: "GET", path: "/", rawQuery: formEncode(DESCRIBE), headers: { host: url.host }, body: "" }, attacker);
  return [
    { label: "gzip bomb, form (64 MiB inflated)", wire: signedForm(url, attacker, Buffer.concat([describe, Buffer.from("&Padding="), bomb]), true), expect: 413 },
    {
      label: "gzip bomb, CBOR (64 MiB inflated)",
      wire: signedRpc(url, attacker, "cbor", "ListMetrics", cborMap("Namespace", Buffer.concat([cborText, bomb])), true),
      expect: 413,
    },
    {
      label: "100,000 form parameters, unsigned",
      wire: { method: "POST", path: "/", headers: { host: url.host, "content-type": FORM }, body: Buffer.from(`${formEncode(DESCRIBE)}${"&p=1".repeat(100_000)}`) },
      expect: 400,
    },
    { label: "100,000 group names, gzipped", wire: signedForm(url, attacker, params(100_000, (i) => `AutoScalingGroupNames.member.${i + 1}`), true), expect: 413 },
    { label: "25,000 parameters (limit 20,000)", wire: signedForm(url, attacker, params(25_000, (i) => `p${i}`)), expect: 400 },
    { label: "5,000 group names (limit 1,000)", wire: signedForm(url, attacker, params(5_000, (i) => `AutoScalingGroupNames.member.${i + 1}`)), expect: 400 },
    {
      label: "JSON nested 50,000 deep",
      wire: signedRpc(url, attacker, "json", "ListMetrics", Buffer.from(`{"Namespace":${"[".repeat(depth)}${"]".repeat(depth)}}`)),
      expect: 400,
    },
    {
      label: "CBOR nested 50,000 deep",
      wire: signedRpc(url, attacker, "cbor", "ListMetrics", cborMap("Namespace", Buffer.concat([Buffer.alloc(depth, 0x81), Buffer.from([0])]))),
      expect: 400,
    },
    {
      label: "unsigned X-Amz-Target on a signed GET",
      wire: { method: "GET", path: getPath, headers: { ...signedGet, "x-amz-target": "GraniteServiceVersion20100801.ListMetrics" }, body: Buffer.alloc(0) },
      expect: 403,
    },
    { label: "bad signature (victim's key)", wire: signedForm(url, { accessKeyId: victim.accessKeyId, secretAccessKey: "not-the-secret" }, describe), expect: 403 },
    { label: "unknown access key", wire: signedForm(url, { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "whatever" }, describe), expect: 403 },
    {
      label: "2 MiB body",
      wire: { method: "POST", path: "/", headers: { host: url.host, "content-type": FORM }, body: Buffer.concat([describe, Buffer.from("&Padding="), Buffer.alloc(2 * MIB, "a")]) },
      expect: 413,
    },
  ];
}

/** The legitimate client's loop, in the worker: signed DescribeAutoScalingGroups, one at a time, for `seconds`. */
async function legitimateClient(url: URL, keys: SigningKeys, seconds: number): Promise<{ latencies: number[]; failures: string[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = Buffer.from(formEncode(DESCRIBE));
  const latencies: number[] = [];
  const failures: string[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    const headers = signV4({ method: "POST", path: "/", rawQuery: "", headers: { host: url.host, "content-type": FORM }, body }, keys);
    const outcome = await send(url, agent, { method: "POST", path: "/", headers, body });
    latencies.push(performance.now() - start);
    if ("error" in outcome) failures.push(outcome.error);
    else if (outcome.status !== 200) failures.push(`${outcome.status} ${outcome.code}`);
  }
  agent.destroy();
  return { latencies, failures };
}

if (!isMainThread) {
  const { url, keys } = workerData as { url: string; keys: SigningKeys };
  parentPort!.on("message", (seconds: number) => {
    void legitimateClient(new URL(url), keys, seconds).then((result) => parentPort!.postMessage(result));
  });
} else {
  await main();
}

/** The `VmRSS` and `VmHWM` of process `pid`, in MiB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const seconds = numberOption("seconds", 10);
  const connections = numberOption("connections", 8);
  pinLoadGenerator();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
  const loadBefore = load();

  const server = await startServer(["phantom"], { pipeStderr: true });
  const url = new URL(server.info.url!);
  const victim = { accessKeyId: server.info.accessKeyId!, secretAccessKey: server.info.secretAccessKey! };
  const attacker = { accessKeyId: server.info.otherAccessKeyId!, secretAccessKey: server.info.otherSecretAccessKey! };
  const kinds = hostileKinds(url, attacker, victim);

  // Each kind once, before anything is measured: what it is answered.
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const probes: string[] = [];
  for (const kind of kinds) {
    const outcome = await send(url, probeAgent, kind.wire, true);
    const answer = "error" in outcome ? `socket error ${outcome.error}` : `${outcome.status} ${outcome.code}`;
    const off = "error" in outcome || outcome.status !== kind.expect ? `   (expected ${kind.expect})` : "";
    const times: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      const start = performance.now();
      await send(url, probeAgent, kind.wire);
      times.push(performance.now() - start);
    }
    const median = percentile(times.sort((a, b) => a - b), 0.5);
    probes.push(`  ${kind.label.padEnd(40)} ${String(kind.wire.body.length).padStart(9)} B sent ${median.toFixed(1).padStart(7)} ms   ${answer}${off}`);
  }
  probeAgent.destroy();

  const worker = new Worker(new URL(import.meta.url), { workerData: { url: url.href, keys: victim } });
  const runLegitimate = (s: number) =>
    new Promise<{ latencies: number[]; failures: string[] }>((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(s);
    });
  await runLegitimate(2); // warm-up: JIT, the response cache, the signing-key cache

  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(server.pid).rss)), 50);
  const baseline = await runLegitimate(seconds);
  const rssBeforeFlood = memoryOf(server.pid).rss;
  peakRss = 0;

  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const statuses = new Map<string, number>();
  const perKind = kinds.map(() => new Map<string, number>());
  let sent = 0;
  let next = 0;
  let flooding = true;
  const floodStart = performance.now();
  const flooders = Array.from({ length: connections }, async () => {
    while (flooding) {
      const k = next++ % kinds.length;
      const outcome = await send(url, agent, kinds[k]!.wire);
      const key = "error" in outcome ? `socket error ${outcome.error}` : String(outcome.status);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      perKind[k]!.set(key, (perKind[k]!.get(key) ?? 0) + 1);
      sent++;
    }
  });
  const flood = await runLegitimate(seconds);
  flooding = false;
  await Promise.all(flooders);
  const floodSeconds = (performance.now() - floodStart) / 1000;
  clearInterval(sampler);
  agent.destroy();
  const { hwm } = memoryOf(server.pid);
  const after = await runLegitimate(0.5);
  await worker.terminate();
  const loadAfter = load();

  const nonClientErrors = [...statuses].filter(([key]) => !/^4\d\d$/.test(key)).reduce((n, [, count]) => n + count, 0);
  const stats = (latencies: number[]) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1]! };
  };
  const base = stats(baseline.latencies);
  const during = stats(flood.latencies);
  const ms = (v: number) => `${v.toFixed(1).padStart(6)} ms`;
  const row = (name: string, s: ReturnType<typeof stats>) => `${name.padEnd(30)} ${String(s.n).padStart(6)} requests   p50 ${ms(s.p50)}   p99 ${ms(s.p99)}   max ${ms(s.max)}`;
  const count = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key}×${n}`).join(" ");

  console.log(`API under a hostile flood: ${connections} hostile connections, ${kinds.length} kinds in rotation, ${seconds} s per phase`);
  console.log(`server pinned to CPU 1, flood and legitimate client on CPU 0: ${hasTaskset ? "yes" : "no (taskset missing)"}; ${cpus().length} CPUs`);
  console.log(`load average before: ${loadBefore}; after: ${loadAfter}`);
  console.log(`each kind alone before the flood (size, median round trip of ${PROBES} in a row, answer):`);
  for (const line of probes) console.log(line);
  console.log(`hostile requests sent:          ${sent} in ${floodSeconds.toFixed(1)} s (${(sent / floodSeconds).toFixed(0)}/s)`);
  console.log(`answers by status:              ${count(statuses)}`);
  kinds.forEach((kind, k) => console.log(`  ${kind.label.padEnd(40)} ${count(perKind[k]!)}`));
  console.log(`answers other than 4xx:         ${nonClientErrors} (must be 0)`);
  console.log(row("legitimate, no flood", base));
  console.log(row("legitimate, during the flood", during));
  console.log(`legitimate failures:            no flood ${baseline.failures.length}, flood ${flood.failures.length}, after ${after.failures.length} ${[...baseline.failures, ...flood.failures, ...after.failures].slice(0, 5).join(", ")}`);
  console.log(`server RSS: before the flood ${rssBeforeFlood.toFixed(0)} MiB, peak sampled during it ${peakRss.toFixed(0)} MiB, VmHWM ${hwm.toFixed(0)} MiB`);
  console.log(`server log lines (warn and above): ${server.stderrLines.length}`);
  for (const line of server.stderrLines.slice(0, 5)) console.log(`  ${line.slice(0, 300)}`);
  const bar = (name: string, value: number, limit: number) =>
    console.log(`${name.padEnd(40)} ${(value / limit).toFixed(2)}  ${value < limit ? "PASS" : "FAIL"}`);
  bar(`legitimate p99 during flood / 100 ms`, during.p99, 100);
  bar(`server RSS peak (VmHWM) / 300 MiB`, hwm, 300);
  process.exit(0);
}
