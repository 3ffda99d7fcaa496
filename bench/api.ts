/**
 * API benchmark: DescribeAutoScalingGroups for a user with 20 groups × 10 instances at 16
 * connections, against Phantom and, in the same run, against a bare node:http server answering
 * a body of the same size. Prints both, the ratio, and the CPU cost of one warm SigV4 check.
 *
 *   npm run bench:api [-- --seconds 10]
 *
 * Each server runs in its own process pinned to CPU 1 when `taskset` exists; the load generator
 * runs here, pinned to CPU 0.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon, { type Result } from "autocannon";
import { authenticate } from "../src/aws-wire/auth/authenticate.js";
import { parseParams } from "../src/aws-wire/query/params.js";
import { signedPost } from "./sign.js";
import { numberOption } from "./options.js";
import { pinLoadGenerator, startServer } from "./server-process.js";

const seconds = numberOption("seconds", 10);
pinLoadGenerator();

const BODY = "Action=DescribeAutoScalingGroups&Version=2011-01-01";

async function load(url: string, headers: Record<string, string>) {
  await autocannon({ url, connections: 16, duration: 2, method: "POST", headers, body: BODY }); // warm-up
  const r = await autocannon({ url, connections: 16, duration: seconds, method: "POST", headers, body: BODY });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

const phantom = (await startServer(["phantom"])).info;
const credentials = { accessKeyId: phantom.accessKeyId!, secretAccessKey: phantom.secretAccessKey! };
const headers = await signedPost(phantom.url!, BODY, credentials);
const sample = await fetch(phantom.url!, { method: "POST", headers, body: BODY });
const sampleBody = await sample.text();
if (sample.status !== 200 || (sampleBody.match(/<AutoScalingGroupName>/g) ?? []).length !== 20) {
  throw new Error(`unexpected sample response ${sample.status}: ${sampleBody.slice(0, 300)}`);
}
const bodyFile = join(mkdtempSync(join(tmpdir(), "phantom-bench-")), "body.xml");
writeFileSync(bodyFile, sampleBody);
const uncached = (await startServer(["phantom", "nocache"])).info;
const uncachedHeaders = await signedPost(uncached.url!, BODY, { accessKeyId: uncached.accessKeyId!, secretAccessKey: uncached.secretAccessKey! });
const bare = (await startServer(["bare", bodyFile])).info;

const results = {
  bare: await load(bare.url!, headers),
  phantom: await load(phantom.url!, headers),
  phantomUncached: await load(uncached.url!, uncachedHeaders),
};

// One warm SigV4 check, in this process: the same request verified many times.
const rawHeaders = Object.entries(headers).flat();
const request = {
  method: "POST",
  path: "/",
  rawQuery: "",
  rawHeaders,
  body: Buffer.from(BODY),
  params: parseParams("", Buffer.from(BODY), headers["content-type"], "POST"),
};
const lookup = async () => credentials.secretAccessKey;
const now = new Date();
for (let i = 0; i < 2000; i++) await authenticate(request, now, lookup);
const n = 50_000;
const before = process.cpuUsage();
for (let i = 0; i < n; i++) await authenticate(request, now, lookup);
const cpu = process.cpuUsage(before);
const sigv4Micros = (cpu.user + cpu.system) / n;

const row = (name: string, r: Result) =>
  `${name.padEnd(28)} ${r.requests.average.toFixed(0).padStart(8)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms`;
console.log(`DescribeAutoScalingGroups, 20 groups × 10 instances, ${sampleBody.length} bytes, 16 connections, ${seconds} s`);
console.log(row("bare node:http", results.bare));
console.log(row("phantom (response cache)", results.phantom));
console.log(row("phantom (no response cache)", results.phantomUncached));
console.log(`ratio phantom / bare:            ${(results.phantom.requests.average / results.bare.requests.average).toFixed(2)}`);
console.log(`ratio phantom uncached / bare:   ${(results.phantomUncached.requests.average / results.bare.requests.average).toFixed(2)}`);
console.log(`warm SigV4 verification:         ${sigv4Micros.toFixed(1)} µs CPU`);
process.exit(0);
