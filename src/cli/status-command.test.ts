/**
 * `phantom status` as a user runs it: a process with AWS credentials in the environment or a
 * profile, against a real Phantom whose controller placed the quick start's group; its text,
 * its JSON, its one-line errors, and `--watch` in a pseudo-terminal (`script`) redrawing in
 * place until Ctrl-C.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { CreateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, describeGroup, phantomTags, sdkClient, userIdOf } from "../test-support/sdk-client.js";

const MAIN = fileURLToPath(new URL("main.js", import.meta.url));
const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("phantom status", () => {
  let phantom: TestPhantom;
  let dir: string;

  /** The environment of a user: no PHANTOM_ or AWS_ variables of this machine, then `extra`. */
  function env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PHANTOM_") && !k.startsWith("AWS_")) out[k] = v;
    // No instance metadata lookups: this machine is not an EC2 instance, and they take seconds to time out.
    return { ...out, AWS_CONFIG_FILE: join(dir, "none"), AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"), AWS_EC2_METADATA_DISABLED: "true", ...extra };
  }
  const aliceEnv = () => env({ AWS_ACCESS_KEY_ID: phantom.alice.accessKeyId, AWS_SECRET_ACCESS_KEY: phantom.alice.secretAccessKey });

  function run(args: readonly string[], environment: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [MAIN, "status", "--endpoint", phantom.url, ...args], { env: environment });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "phantom-status-"));
    phantom = await startTestPhantom({ controller: { interval_seconds: 0.5 } }, { controller: true });
    const alice = sdkClient(phantom, phantom.alice);
    await createLaunchConfigurations(alice, ["mylaunch@hotel", "mylaunch@ec2"]);
    await alice.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "mygroup", LaunchConfigurationName: "mylaunch", MinSize: 0, MaxSize: 20, Tags: phantomTags("hotel:8,ec2:-1", 10) }),
    );
    const deadline = Date.now() + 20_000;
    while ((await describeGroup(alice, "mygroup")).Instances?.filter((i) => i.LifecycleState === "InService").length !== 10) {
      assert.ok(Date.now() < deadline, "the group did not converge");
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await phantom.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints a table per group: desired, per cloud in order InService/Pending/unhealthy and cap, backoff, last cause", async () => {
    const { code, stdout, stderr } = await run([], aliceEnv());
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const lines = stdout.split("\n");
    assert.match(lines[0]!, new RegExp(`^Phantom at ${phantom.url}, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`));
    assert.deepEqual(lines.slice(2, 6), [
      "mygroup  desired 10",
      "  CLOUD  INSERVICE  PENDING  UNHEALTHY  CAP  BACKOFF",
      "  hotel  8          0        0          8    -",
      "  ec2    2          0        0          -    -",
    ]);
    assert.match(lines[6]!, /^ {2}last activity: \d\d:\d\d:\d\d At .* an instance was started in response to a difference between desired and actual capacity/);
  });

  it("prints JSON for one group, with credentials from a profile, and a site's backoff from DescribePhantomSites", async () => {
    const until = new Date(Date.now() + 600_000);
    const userId = await userIdOf(phantom, phantom.alice);
    await phantom.store.controller.apply({ putBackoffs: [{ userId, site: "ec2", failures: 1, until, lastError: "InsufficientInstanceCapacity: full & busy" }] });
    writeFileSync(join(dir, "credentials"), `[phantom]\naws_access_key_id = ${phantom.alice.accessKeyId}\naws_secret_access_key = ${phantom.alice.secretAccessKey}\n`);
    const { code, stdout, stderr } = await run(["mygroup", "--json", "--profile", "phantom"], env({ AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials") }));
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const [group, ...rest] = JSON.parse(stdout) as { group: string; desired: number; clouds: unknown[] }[];
    assert.deepEqual(rest, []);
    assert.equal(group!.group, "mygroup");
    assert.equal(group!.desired, 10);
    assert.deepEqual(group!.clouds, [
      { site: "hotel", inService: 8, pending: 0, unhealthy: 0, cap: 8, backoff: null },
      { site: "ec2", inService: 2, pending: 0, unhealthy: 0, cap: null, backoff: { until: until.toISOString(), reason: "InsufficientInstanceCapacity: full & busy" } },
    ]);
  });

  it("fails with one line for an unknown group, a wrong secret, and no credentials", async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["nope"], aliceEnv(), /^phantom: no group named nope\n$/],
      [[], env({ AWS_ACCESS_KEY_ID: phantom.alice.accessKeyId, AWS_SECRET_ACCESS_KEY: "wrong" }), /^phantom: SignatureDoesNotMatch: The request signature we calculated does not match/],
      [[], env({}), /^phantom: CredentialsProviderError: Could not load credentials from any providers\n$/],
    ];
    for (const [args, environment, expected] of cases) {
      const { code, stdout, stderr } = await run(args, environment);
      assert.equal(code, 1, stderr);
      assert.equal(stdout, "");
      assert.match(stderr, expected);
      assert.equal(stderr.split("\n").length, 2, `one line: ${stderr}`);
    }
  });

  it("--watch redraws in place every 2 s in a terminal and exits cleanly on Ctrl-C", { skip: hasScript ? false : "no script(1) for a pseudo-terminal" }, async () => {
    // `script` runs the command through $SHELL (sh when unset, as in CI); `exec` leaves Phantom's
    // process alone in the terminal, so Ctrl-C reaches it and no shell that dies of SIGINT.
    const command = `exec ${[process.execPath, MAIN, "status", "--watch", "--endpoint", phantom.url].map((a) => `'${a}'`).join(" ")}`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: aliceEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const frames = () => out.split("\x1b[H\x1b[2J").length - 1;
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    while (frames() < 2) {
      assert.ok(Date.now() < deadline, `fewer than 2 frames: ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.stdin.write("\x03");
    const code = await exited;
    assert.equal(code, 0, `exit code ${code}: ${out}`);
    const drawn = out.split("\x1b[H\x1b[2J").slice(1);
    for (const frame of drawn) assert.match(frame, /mygroup {2}desired 10\r?\n/);
    assert.doesNotMatch(out, /phantom:|Error/);
  });
});
