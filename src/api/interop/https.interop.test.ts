/**
 * HTTPS: with `tls: { cert, key }` Phantom serves the API, `/ui/` and `/metrics` over TLS on its
 * one address. A certificate is made here with openssl; the AWS CLI (`--ca-bundle`), boto3
 * (`verify=`) and boto 2 (`ca_certificates_file`) call the API with it and verify it, and refuse
 * to talk without it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";
import { startPhantom } from "../../app/start-phantom.js";
import { parseConfig } from "../../config/config.js";
import { createLogger } from "../../observability/logger.js";
import { AWS_CLI, makeClientHome, probeClient, run, skipUnlessInstalled, SYSTEM_PYTHON, type ClientHome } from "./interop.test-support.js";

const awscli = await probeClient("AWS CLI", AWS_CLI, ["--version"], "apt-get install -y awscli");
const boto3 = await probeClient("boto3", SYSTEM_PYTHON, ["-c", "import boto3"], "apt-get install -y python3-boto3");
const boto2 = await probeClient("boto 2", SYSTEM_PYTHON, ["-c", "import boto"], "apt-get install -y python3-boto");

/** GET over HTTPS trusting `ca` only. */
function httpsGet(url: string, ca: Buffer | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describe("HTTPS with tls: { cert, key }", () => {
  let phantom: TestPhantom;
  let home: ClientHome;
  let cert: string;
  let port: string;

  before(async () => {
    home = await makeClientHome();
    cert = join(home.dir, "cert.pem");
    const key = join(home.dir, "key.pem");
    // As the README says: a self-signed certificate for localhost and 127.0.0.1.
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key, "-out", cert,
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], { stdio: "ignore" });
    phantom = await startTestPhantom({ tls: { cert, key } }, { controller: true });
    port = new URL(phantom.url).port;
  });
  after(async () => {
    await phantom?.close();
    await home?.remove();
  });

  it("serves the API, /ui/ and /metrics over HTTPS on the one address, and nothing in clear", async () => {
    assert.match(phantom.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = Buffer.from(await import("node:fs/promises").then((fs) => fs.readFile(cert)));
    assert.equal((await httpsGet(`${phantom.url}/ui/`, ca)).status, 200);
    assert.match((await httpsGet(`${phantom.url}/metrics`, ca)).body, /phantom_controller/);
    const unsigned = await httpsGet(`${phantom.url}/?Action=DescribeAutoScalingGroups&Version=2011-01-01`, ca);
    assert.equal(unsigned.status, 403);
    await assert.rejects(httpsGet(`${phantom.url}/healthz`, undefined), /self[- ]signed/);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  it("works with the AWS CLI given --ca-bundle, which refuses it without", { skip: skipUnlessInstalled(awscli) }, async () => {
    const env = home.env(phantom.alice);
    const args = ["autoscaling", "describe-account-limits", "--endpoint-url", `https://localhost:${port}`, "--output", "json"];
    const trusted = await run(AWS_CLI, [...args, "--ca-bundle", cert], env);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(JSON.parse(trusted.stdout).MaxNumberOfAutoScalingGroups, 500);
    const untrusted = await run(AWS_CLI, args, env);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /SSL|certificate/i);
  });

  it("works with boto3 given verify=, which refuses it without", { skip: skipUnlessInstalled(boto3) }, async () => {
    const script = `
import sys, boto3, botocore.exceptions
def limits(verify):
    c = boto3.client("autoscaling", endpoint_url="https://127.0.0.1:${port}", verify=verify)
    return c.describe_account_limits()["MaxNumberOfLaunchConfigurations"]
print(limits("${cert}"))
try:
    limits(True)
    print("accepted")
except botocore.exceptions.SSLError:
    print("refused")
`;
    const result = await run(SYSTEM_PYTHON, ["-c", script], home.env(phantom.alice));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split("\n"), ["200", "refused"]);
  });

  it("works with boto 2 (is_secure, validate_certs with ca_certificates_file)", { skip: skipUnlessInstalled(boto2) }, async () => {
    const botoConfig = join(home.dir, "boto-tls.cfg");
    writeFileSync(botoConfig, `[Boto]\nhttps_validate_certificates = True\nca_certificates_file = ${cert}\n`);
    const script = `
from boto.ec2.autoscale import AutoScaleConnection
from boto.regioninfo import RegionInfo
c = AutoScaleConnection(region=RegionInfo(name="phantom", endpoint="localhost"), port=${port}, is_secure=True, validate_certs=True)
print(c.get_all_autoscaling_instances() == [], c.get_all_groups() == [])
`;
    const result = await run(SYSTEM_PYTHON, ["-c", script], { ...home.env(phantom.alice), BOTO_CONFIG: botoConfig });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "True True");
  });

  it("works with phantom status given NODE_EXTRA_CA_CERTS", async () => {
    const main = fileURLToPath(new URL("../../cli/main.js", import.meta.url));
    const env = { ...home.env(phantom.alice), NODE_EXTRA_CA_CERTS: cert };
    const result = await run(process.execPath, [main, "status", "--json", "--endpoint", `https://localhost:${port}`], env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), []);
  });

  it("refuses to start with a missing or unusable certificate, naming the file", async () => {
    const logger = createLogger("silent");
    const config = (tls: { cert: string; key: string }) =>
      parseConfig({ listen: "127.0.0.1:0", db: "sqlite::memory:", sites: { hotel: { driver: "simulated" } }, tls }, "test");
    await assert.rejects(startPhantom(config({ cert: join(home.dir, "absent.pem"), key: cert }), { logger, masterKey: "a".repeat(64), controller: false }), /cannot read tls\.cert .*absent\.pem: ENOENT/);
    await assert.rejects(startPhantom(config({ cert, key: cert }), { logger, masterKey: "a".repeat(64), controller: false }), /cannot use tls\.cert .* with tls\.key/);
    assert.throws(() => parseConfig({ sites: { hotel: { driver: "simulated" } }, tls: { cert, key: cert, ca: cert } }, "test"), /tls/);
  });
});
