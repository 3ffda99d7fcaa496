/**
 * One server of the API benchmark, run as its own process so the load generator does not share
 * its event loop:
 *   node dist/bench/api-server.js phantom        Phantom with two users: "bench" with 20 groups ×
 *                                                10 instances seeded, and "other" with none
 *   node dist/bench/api-server.js bare FILE      a bare node:http server answering FILE's bytes
 * Prints one JSON line with what the load generator needs, then serves until killed. Each line
 * read on stdin (when it is a pipe) is answered with a JSON line of the CPU time used so far
 * (`{"cpuUs": …}`, user + system), so the load generator can take CPU per request.
 */
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { parseConfig } from "../src/config/config.js";
import { startPhantom } from "../src/app/start-phantom.js";
import { createLogger } from "../src/observability/logger.js";
import { addUser } from "../src/users/user-accounts.js";
import { seedGroups } from "./seed.js";

const [mode, arg] = process.argv.slice(2);
// Exit normally on SIGINT so `--cpu-prof` can write its profile.
process.on("SIGINT", () => process.exit(0));

/** Answers each line on stdin with the CPU time this process used so far. */
async function answerCpuQueries(): Promise<void> {
  for await (const _line of createInterface({ input: process.stdin })) {
    const { user, system } = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuUs: user + system }) + "\n");
  }
}

if (mode === "bare") {
  const body = readFileSync(arg!);
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/xml", "content-length": body.length });
      res.end(body);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }) + "\n");
    void answerCpuQueries();
  });
} else if (mode === "phantom") {
  const dir = mkdtempSync(join(tmpdir(), "phantom-bench-"));
  const config = parseConfig(
    {
      listen: "127.0.0.1:0",
      db: `sqlite:${join(dir, "phantom.db")}`,
      sites: { hotel: { driver: "simulated" }, ec2: { driver: "simulated" } },
    },
    "benchmark",
  );
  const phantom = await startPhantom(config, {
    logger: createLogger("warn"),
    masterKey: randomBytes(32).toString("hex"),
    responseCache: arg !== "nocache",
  });
  const user = await addUser(phantom.store, phantom.box, "bench");
  await seedGroups(phantom.store, user.id, { groups: 20, instancesPerGroup: 10, sites: ["hotel", "ec2"] });
  const other = await addUser(phantom.store, phantom.box, "other");
  process.stdout.write(
    JSON.stringify({
      url: phantom.url,
      accessKeyId: user.accessKeyId,
      secretAccessKey: user.secretAccessKey,
      otherAccessKeyId: other.accessKeyId,
      otherSecretAccessKey: other.secretAccessKey,
    }) + "\n",
  );
} else {
  process.stderr.write("usage: api-server.js phantom [nocache] | bare FILE\n");
  process.exit(2);
}
