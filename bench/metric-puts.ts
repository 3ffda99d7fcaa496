/**
 * PutMetricData without HTTP, in this process, in two parts, each by 1 and by 64 callers at
 * once, on a SQLite file, over the 300 series of `bench:metrics` (20 values a request):
 *
 * 1. the store alone: `MetricStore.put` of the points of each request;
 * 2. the whole pipeline but HTTP: `QueryEndpoint.handle` of the signed request as
 *    `bench:metrics` sends it (SigV4 check, parameters, decoding, CloudWatch's checks, store,
 *    the XML answer).
 *
 * Prints the wall time and the CPU time (`process.cpuUsage`) per put or request; with 64
 * callers the puts made together share a transaction (group commit). CPU per put is what the
 * machine's other work disturbs least.
 *
 *   npm run bench:metric-puts [-- --puts 6000 --runs 3]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pointsToPut } from "../src/core/metric-data.js";
import { apiSettings } from "../src/app/start-phantom.js";
import { QueryEndpoint, type RawRequest } from "../src/api/query-endpoint.js";
import { UserDirectory } from "../src/api/user-directory.js";
import { parseConfig } from "../src/config/config.js";
import { createLogger } from "../src/observability/logger.js";
import { putBodies } from "./metrics.js";
import { signedPost } from "./sign.js";
import { SecretBox } from "../src/secrets/secret-box.js";
import { openStore } from "../src/store/open-store.js";
import { addUser } from "../src/users/user-accounts.js";
import { numberOption } from "./options.js";

const PUTS = numberOption("puts", 6000);
const RUNS = numberOption("runs", 3);
const CALLERS = [1, 64];

/** Runs `one(i)` for i < PUTS by 1 and by 64 callers at once, `--runs` times each, and prints the time per call. */
async function measure(one: (i: number) => Promise<void>, unit: string): Promise<void> {
  for (const callers of CALLERS) {
    for (let run = 1; run <= RUNS; run++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (next < PUTS) await one(next++);
        }),
      );
      const wallUs = ((performance.now() - t0) * 1000) / PUTS;
      const cpu = process.cpuUsage(cpu0);
      const cpuUs = (cpu.user + cpu.system) / PUTS;
      console.log(`${String(callers).padStart(2)} caller(s), run ${run}: ${wallUs.toFixed(0).padStart(4)} µs wall, ${cpuUs.toFixed(0).padStart(4)} µs CPU per ${unit}`);
    }
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "phantom-bench-puts-"));
  const path = join(dir, "phantom.db");
  const store = await openStore(`sqlite:${path}`);
  try {
    const box = new SecretBox(randomBytes(32));
    const user = await addUser(store, box, "bench");
    const now = new Date();
    const requests = Array.from({ length: 15 }, (_, k) =>
      pointsToPut(
        "Bench",
        Array.from({ length: 20 }, (_, m) => ({ MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: `i-${k * 20 + m}` }], Value: m, Unit: "Percent" })),
        now,
        { retentionMs: 7200_000 },
      ),
    );
    // The series exist, as in a steady stream.
    for (let i = 0; i < 300; i++) await store.metrics.put(user.id, requests[i % requests.length]!, now, 10_000);
    console.log(`MetricStore.put, 20 points a put, 300 series, SQLite file; ${PUTS} puts a run`);
    await measure(async (i) => store.metrics.put(user.id, requests[i % requests.length]!, now, 10_000), "put");

    const config = parseConfig({ listen: "127.0.0.1:0", db: `sqlite:${path}`, sites: { hotel: { driver: "simulated" } } }, "benchmark");
    const endpoint = new QueryEndpoint({
      store,
      users: new UserDirectory(store, box),
      settings: apiSettings(config),
      clock: () => new Date(),
      groupChanged: () => {},
      logger: createLogger("warn"),
      responseCache: null,
    });
    const url = "http://127.0.0.1:8445";
    const raws: RawRequest[] = await Promise.all(
      putBodies().map(async (body) => {
        const headers = await signedPost(url, body, user, "monitoring");
        return {
          method: "POST",
          path: "/",
          rawQuery: "",
          rawHeaders: Object.entries(headers).flat(),
          contentType: headers["content-type"],
          body: Buffer.from(body),
          bodyTooLarge: false,
        };
      }),
    );
    console.log(`QueryEndpoint.handle of signed PutMetricData requests (20 values, SigV4, Query protocol), no HTTP; ${PUTS} requests a run`);
    await measure(async (i) => {
      const response = await endpoint.handle(raws[i % raws.length]!);
      if (response.status !== 200) throw new Error(`PutMetricData answered ${response.status}: ${String(response.body)}`);
    }, "request");
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
