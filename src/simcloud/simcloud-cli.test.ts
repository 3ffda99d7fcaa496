// `phantom simcloud` as a user runs it: the compiled CLI in a child process, its options, and
// a clean stop on SIGTERM.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, type EC2ServiceException } from "@aws-sdk/client-ec2";

/** The compiled CLI: this test runs from dist/src/simcloud/. */
const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const START_TIMEOUT_MS = 60_000;

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** The environment without the machine's `PHANTOM_*` settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PHANTOM_")));
}

interface Running {
  readonly url: string;
  stdout(): string;
  stderr(): string;
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `phantom simcloud ARGS…` and waits for its "serving" log line. */
function start(args: readonly string[]): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, "simcloud", ...args], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" line in ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)), START_TIMEOUT_MS);
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const line = /^\{.*"msg":"serving".*\}$/m.exec(stdout);
      if (line === null) return;
      clearTimeout(timer);
      resolve({
        url: (JSON.parse(line[0]) as { url: string }).url,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: (signal) => (child.kill(signal), exited),
      });
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`phantom simcloud exited with ${code} before serving; stderr: ${stderr}`));
    });
  });
}

/** Runs `phantom simcloud ARGS…`, which must fail at once. */
function refused(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, "simcloud", ...args], { env: cleanEnv(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("phantom simcloud", { concurrency: true }, () => {
  test("serves the EC2 API with the given capacity, and stops cleanly on SIGTERM", async () => {
    const simcloud = await start(["--listen", "127.0.0.1:0", "--capacity", "2", "--boot-seconds", "0"]);
    assert.match(simcloud.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new EC2Client({ endpoint: simcloud.url, region: "us-east-1", credentials: { accessKeyId: "AKIDCLI", secretAccessKey: "s" }, maxAttempts: 1 });
    try {
      const launch = { ImageId: "ami-1", InstanceType: "t3.micro" as const, MinCount: 1, MaxCount: 3 };
      const reservation = await client.send(new RunInstancesCommand(launch));
      assert.equal(reservation.Instances!.length, 2, "--capacity 2");
      assert.deepEqual(reservation.Instances!.map((i) => i.State!.Name), ["running", "running"], "--boot-seconds 0");
      const full = (await client.send(new RunInstancesCommand(launch)).catch((e: unknown) => e)) as EC2ServiceException;
      assert.equal(full.name, "InsufficientInstanceCapacity");
      const listed = await client.send(new DescribeInstancesCommand({}));
      assert.equal(listed.Reservations!.flatMap((r) => r.Instances).length, 2);
    } finally {
      client.destroy();
    }
    const { code, signal } = await simcloud.stop("SIGTERM");
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, simcloud.stderr());
    assert.match(simcloud.stdout(), /"msg":"stopping"/);
    await assert.rejects(fetch(`${simcloud.url}/`), "nothing listens after the stop");
  });

  test("--openstack serves Keystone in the region asked and Nova with the per-project --quota, beside EC2", async () => {
    const simcloud = await start(["--listen", "127.0.0.1:0", "--openstack", "--region", "Campus", "--quota", "1", "--boot-seconds", "0"]);
    const serving = JSON.parse(/^\{.*"msg":"serving".*\}$/m.exec(simcloud.stdout())![0]) as { authUrl: string; region: string };
    assert.deepEqual(serving, { ...serving, authUrl: `${simcloud.url}/identity/v3`, region: "Campus" });
    const auth = {
      auth: {
        identity: { methods: ["password"], password: { user: { name: "u", domain: { name: "Default" }, password: "p" } } },
        scope: { project: { name: "p", domain: { name: "Default" } } },
      },
    };
    const issued = await fetch(`${serving.authUrl}/auth/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(auth) });
    assert.equal(issued.status, 201);
    const catalog = ((await issued.json()) as { token: { catalog: { endpoints: { region: string }[] }[] } }).token.catalog;
    assert.ok(catalog.every((s) => s.endpoints.every((e) => e.region === "Campus")));
    const create = () =>
      fetch(`${simcloud.url}/compute/v2.1/servers`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-auth-token": issued.headers.get("x-subject-token")! },
        body: JSON.stringify({ server: { name: "s", imageRef: "7f0a4b2e-5c1d-4e8f-9a3b-2d6c8e1f0a41", flavorRef: "1" } }),
      });
    assert.equal((await create()).status, 202);
    assert.equal((await create()).status, 403, "--quota 1");
    const { code } = await simcloud.stop("SIGTERM");
    assert.equal(code, 0);
  });

  test("refuses bad options with one line on stderr", async () => {
    for (const args of [[], ["--listen", "nowhere"], ["--listen", "127.0.0.1:0", "--capacity", "-1"], ["--listen", "127.0.0.1:0", "--api-error-rate", "2"], ["--listen", "127.0.0.1:0", "--quota", "x"]]) {
      const r = await refused(args);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^(error|phantom): /);
    }
  });
});
