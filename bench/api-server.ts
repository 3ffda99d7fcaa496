/**
 * One server of the API benchmark, run as its own process so the load generator does not share
 * its event loop:
 *   node dist/bench/api-server.js phantom        Phantom with 20 groups × 10 instances seeded
 *   node dist/bench/api-server.js bare FILE      a bare node:http server answering FILE's bytes
 * Prints one JSON line with what the load generator needs, then serves until killed.
 */
import { createServer } from "node:http";
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
  process.stdout.write(
    JSON.stringify({ url: phantom.url, accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey }) + "\n",
  );
} else {
  process.stderr.write("usage: api-server.js phantom [nocache] | bare FILE\n");
  process.exit(2);
}
