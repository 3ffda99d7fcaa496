/**
 * The command line as a user runs it: the compiled `phantom` (dist/src/cli/main.js) in child
 * processes, each in a temporary directory, with `PHANTOM_*` variables cleared so nothing of
 * the machine leaks in. Admin commands run against the same configuration as a live `serve`.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { formEncode, signV4, type SigningKeys } from "../test-support/sign-v4.js";

/** The compiled CLI: this test runs from dist/src/cli/, next to it. */
const MAIN = fileURLToPath(new URL("main.js", import.meta.url));

/** The environment without any `PHANTOM_*` setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PHANTOM_")) env[k] = v;
  return { ...env, ...extra };
}

const dirs: string[] = [];
const children = new Set<ChildProcess>();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "phantom-cli-"));
  dirs.push(dir);
  return dir;
}

after(() => {
  for (const child of children) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `phantom ARGS…` to completion. */
function phantom(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a command that must succeed; returns its stdout. */
async function ok(args: readonly string[], cwd: string): Promise<string> {
  const r = await phantom(args, cwd);
  assert.equal(r.code, 0, `phantom ${args.join(" ")} failed: ${r.stderr}`);
  assert.equal(r.stderr, "", `phantom ${args.join(" ")} wrote to stderr`);
  return r.stdout;
}

/** Asserts a failure as the CLI promises it: exit ≠ 0, one line on stderr, no stack trace. */
function assertOneLineError(r: Outcome, what: string, pattern?: RegExp): void {
  assert.notEqual(r.code, 0, `${what}: exit code 0`);
  assert.equal(r.signal, null, `${what}: killed by ${String(r.signal)}`);
  const lines = r.stderr.split("\n");
  assert.equal(lines.at(-1), "", `${what}: stderr does not end with a newline: ${JSON.stringify(r.stderr)}`);
  assert.equal(lines.length, 2, `${what}: not exactly one line on stderr: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^(phantom|error): \S/, `${what}: ${lines[0]}`);
  for (const out of [r.stderr, r.stdout]) assert.doesNotMatch(out, /\n\s+at |node:internal|\.js:\d+/, `${what}: a stack trace`);
  if (pattern) assert.match(lines[0]!, pattern, what);
}

/** A running `phantom serve`. */
interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `phantom serve ARGS…` and waits for its "serving" log line, whose `url` it reads. */
async function startServe(args: readonly string[], cwd: string): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
      for (const w of waiters) w();
    }),
  );
  const notify = (): void => waiters.forEach((w) => w());
  child.stdout!.on("data", (d: Buffer) => ((stdout += d.toString()), notify()));
  child.stderr!.on("data", (d: Buffer) => ((stderr += d.toString()), notify()));
  const waitFor = (pattern: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not print ${pattern} in 60 s; stdout: ${stdout}; stderr: ${stderr}`)), 60_000);
      const check = (): void => {
        const m = pattern.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`serve exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; stderr: ${stderr}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  const serving = await waitFor(/^\{.*"msg":"serving".*\}$/m);
  const url = (JSON.parse(serving[0]) as { url: string }).url;
  return {
    child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
  };
}

/** A signed Query API POST; resolves with the status and body. */
async function signedCall(url: string, keys: SigningKeys, params: [string, string][]): Promise<{ status: number; body: string }> {
  const body = formEncode([...params, ["Version", "2011-01-01"]]);
  const headers = signV4(
    { method: "POST", path: "/", rawQuery: "", headers: { host: new URL(url).host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body },
    keys,
  );
  const res = await fetch(`${url}/`, { method: "POST", headers, body });
  return { status: res.status, body: await res.text() };
}

/** A config of two simulated sites with the database and the key file in `dir`. */
function writeConfig(dir: string, extra = ""): string {
  const file = join(dir, "phantom.yaml");
  writeFileSync(
    file,
    `listen: 127.0.0.1:0
db: sqlite:state/phantom.db
master_key_file: state/master.key
sites:
  hotel: { driver: simulated, capacity: 8, boot_seconds: 0 }
  ec2: { driver: simulated, boot_seconds: 0 }
${extra}`,
  );
  return file;
}

const KEYS_JSON = /^\{"user":"[^"]+","accessKeyId":"[A-Za-z0-9]{16,128}","secretAccessKey":"[^"]{8,}"\}\n$/;

function fileMode(path: string): number {
  return statSync(path).mode & 0o777;
}

// The three groups run side by side: each command is a Node start-up, and they are independent.
describe("the phantom command line", { concurrency: true }, () => {
  // In order: each test builds on the users the previous ones left.
  describe("phantom user and credentials", { concurrency: 1 }, () => {
    const dir = tempDir();
    const config = writeConfig(dir, "  jet: { driver: openstack, auth_url: 'https://keystone.example:5000/v3', network: public }\n");

    test("user add prints fresh keys, and the key file is created with mode 0600", async () => {
      const out = await ok(["user", "add", "alice", "--config", config], dir);
      assert.match(out, /^user alice\naccess key id: +AKPH[A-Z2-7]{16}\nsecret access key: +\S{40}\n$/);
      assert.equal(fileMode(join(dir, "state/master.key")), 0o600);
      assert.ok(statSync(join(dir, "state/phantom.db")).isFile());
    });

    test("user add --json prints exactly user, accessKeyId and secretAccessKey", async () => {
      const out = await ok(["user", "add", "bob", "--json", "--config", config], dir);
      assert.match(out, KEYS_JSON);
      const keys = JSON.parse(out) as Record<string, string>;
      assert.deepEqual(Object.keys(keys), ["user", "accessKeyId", "secretAccessKey"]);
      assert.equal(keys.user, "bob");
    });

    test("user add --access-key --secret-key uses the given keys", async () => {
      const out = await ok(["user", "add", "carol", "--access-key", "AKIDCAROLEXAMPLE1234", "--secret-key", "carol/Secret+Key=1", "--json", "--config", config], dir);
      assert.equal(out, '{"user":"carol","accessKeyId":"AKIDCAROLEXAMPLE1234","secretAccessKey":"carol/Secret+Key=1"}\n');
    });

    test("a user or access key that exists, half a key pair: one line each, exit ≠ 0", async () => {
      const [name, key, half] = await Promise.all([
        phantom(["user", "add", "alice", "--config", config], dir),
        phantom(["user", "add", "dave", "--access-key", "AKIDCAROLEXAMPLE1234", "--secret-key", "whatever-secret", "--config", config], dir),
        phantom(["user", "add", "erin", "--access-key", "AKIDERINEXAMPLE12345", "--config", config], dir),
      ]);
      assertOneLineError(name, "duplicate user", /alice/);
      assertOneLineError(key, "duplicate access key");
      assertOneLineError(half, "--access-key without --secret-key", /--secret-key/);
    });

    test("user list prints every user, as text and as JSON, and never a secret", async () => {
      const text = await ok(["user", "list", "--config", config], dir);
      assert.match(text, /^alice\tAKPH[A-Z2-7]{16}\t\d{4}-\d\d-\d\dT[\d:.]+Z\nbob\t\S+\t\S+\ncarol\tAKIDCAROLEXAMPLE1234\t\S+\n$/);
      const rows = JSON.parse(await ok(["user", "list", "--json", "--config", config], dir)) as Record<string, string>[];
      assert.deepEqual(
        rows.map((r) => [r.user, Object.keys(r).join(",")]),
        [
          ["alice", "user,accessKeyId,createdAt"],
          ["bob", "user,accessKeyId,createdAt"],
          ["carol", "user,accessKeyId,createdAt"],
        ],
      );
      assert.doesNotMatch(text, /carol\/Secret/);
    });

    test("credentials set stores a user's keys for a site; unknown sites and users are refused", async () => {
      const out = await ok(["credentials", "set", "alice", "ec2", "--access-key", "AKIAEXAMPLE", "--secret-key", "cloud-secret", "--key-name", "mykey", "--config", config], dir);
      assert.match(out, /alice.*ec2/);
      // Stored, and sealed: neither this secret nor a user's is in the database in plain text.
      const db = new Database(join(dir, "state/phantom.db"), { readonly: true });
      try {
        assert.deepEqual(db.prepare("select site, access_key_id, key_name from cloud_credentials").all(), [
          { site: "ec2", access_key_id: "AKIAEXAMPLE", key_name: "mykey" },
        ]);
        const sealed = (db.prepare("select secret_sealed from cloud_credentials union all select secret_sealed from users").pluck().all() as string[]).join("\n");
        assert.doesNotMatch(sealed, /cloud-secret|carol\/Secret/);
      } finally {
        db.close();
      }
      const [site, user, missing] = await Promise.all([
        phantom(["credentials", "set", "alice", "nowhere", "--access-key", "A", "--secret-key", "S", "--config", config], dir),
        phantom(["credentials", "set", "nobody", "hotel", "--access-key", "A", "--secret-key", "S", "--config", config], dir),
        phantom(["credentials", "set", "alice", "hotel", "--access-key", "A", "--config", config], dir),
      ]);
      assertOneLineError(site, "unknown site", /nowhere.*hotel, ec2/);
      assertOneLineError(user, "unknown user", /nobody/);
      assertOneLineError(missing, "no --secret-key", /--secret-key/);
    });

    test("credentials set for an openstack site takes an application credential or a password, sealed; flags of the wrong kind are refused", async () => {
      const set = (...flags: string[]) => ["credentials", "set", "alice", ...flags, "--config", config];
      await ok(set("jet", "--application-credential-id", "ac-1234", "--application-credential-secret", "jet-app-secret", "--key-name", "alice-key"), dir);
      const read = () => {
        const db = new Database(join(dir, "state/phantom.db"), { readonly: true });
        try {
          return db.prepare("select access_key_id as identity, key_name as keyName, secret_sealed as sealed from cloud_credentials where site = 'jet'").get() as Record<string, string>;
        } finally {
          db.close();
        }
      };
      const credential = read();
      assert.deepEqual([credential.identity, credential.keyName], ["application-credential:ac-1234", "alice-key"]);
      assert.doesNotMatch(credential.sealed!, /jet-app-secret/);
      await ok(set("jet", "--username", "alice", "--password", "jet-password", "--project", "science", "--user-domain", "Campus"), dir);
      const password = read();
      assert.deepEqual([password.identity, password.keyName], ["password:alice@Campus:science@Default", null]);
      assert.doesNotMatch(password.sealed!, /jet-password/);

      const [accessKey, onEc2, both, noProject, halfCredential, nothing] = await Promise.all([
        phantom(set("jet", "--access-key", "A", "--secret-key", "S"), dir),
        phantom(set("ec2", "--application-credential-id", "x", "--application-credential-secret", "y"), dir),
        phantom(set("jet", "--application-credential-id", "x", "--application-credential-secret", "y", "--username", "u", "--password", "p", "--project", "q"), dir),
        phantom(set("jet", "--username", "u", "--password", "p"), dir),
        phantom(set("jet", "--application-credential-id", "x"), dir),
        phantom(set("jet"), dir),
      ]);
      assertOneLineError(accessKey, "an access key for an openstack site", /jet \(driver openstack\) takes --application-credential-id.*not --access-key, --secret-key$/);
      assertOneLineError(onEc2, "an application credential for a simulated site", /ec2 \(driver simulated\) takes --access-key and --secret-key, not --application-credential-id, --application-credential-secret$/);
      assertOneLineError(both, "both methods", /not both$/);
      assertOneLineError(noProject, "a password without a project", /jet: --project is required$/);
      assertOneLineError(halfCredential, "an application credential without its secret", /jet: --application-credential-secret is required$/);
      assertOneLineError(nothing, "no credentials", /jet \(driver openstack\) needs --application-credential-id/);
      for (const r of [accessKey, onEc2, both, noProject, halfCredential, nothing]) assert.doesNotMatch(r.stderr, /jet-password|jet-app-secret/);
    });

    test("user remove removes; removing an unknown user is an error", async () => {
      assert.equal(await ok(["user", "remove", "bob", "--config", config], dir), "removed user bob\n");
      assertOneLineError(await phantom(["user", "remove", "bob", "--config", config], dir), "removing bob twice", /bob/);
      const rows = JSON.parse(await ok(["user", "list", "--json", "--config", config], dir)) as { user: string }[];
      assert.deepEqual(
        rows.map((r) => r.user),
        ["alice", "carol"],
      );
    });
  });

  describe("phantom serve", { concurrency: true }, () => {
    test("admin commands work against a running serve, without a restart", async () => {
      const dir = tempDir();
      const config = writeConfig(dir);
      const server = await startServe(["--config", config], dir);
      try {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.notEqual(new URL(server.url).port, "0");
        const keys = JSON.parse(await ok(["user", "add", "dave", "--json", "--config", config], dir)) as SigningKeys;
        const described = await signedCall(server.url, keys, [["Action", "DescribeAutoScalingGroups"]]);
        assert.equal(described.status, 200, described.body);
        assert.match(described.body, /<DescribeAutoScalingGroupsResponse /);
        // A user who owns a group cannot be removed: the group's VMs would be left behind.
        for (const params of [
          [["Action", "CreateLaunchConfiguration"], ["LaunchConfigurationName", "web@hotel"], ["ImageId", "ami-1"], ["InstanceType", "m1.small"]],
          [
            ["Action", "CreateAutoScalingGroup"],
            ["AutoScalingGroupName", "g"],
            ["LaunchConfigurationName", "web"],
            ["MinSize", "0"],
            ["MaxSize", "2"],
            ["Tags.member.1.Key", "PHANTOM_DEFINITION"],
            ["Tags.member.1.Value", "error_overflow_n_preserving"],
            ["Tags.member.2.Key", "clouds"],
            ["Tags.member.2.Value", "hotel:2"],
            ["Tags.member.3.Key", "n_preserve"],
            ["Tags.member.3.Value", "0"],
          ],
        ] as [string, string][][]) {
          const reply = await signedCall(server.url, keys, params);
          assert.equal(reply.status, 200, reply.body);
        }
        await ok(["credentials", "set", "dave", "hotel", "--access-key", "AKIAHOTEL", "--secret-key", "hotel-secret", "--config", config], dir);
        assertOneLineError(await phantom(["user", "remove", "dave", "--config", config], dir), "removing a user who owns a group");
        assert.match(await ok(["user", "list", "--config", config], dir), /^dave\t/m);
        assert.doesNotMatch(server.stdout() + server.stderr(), new RegExp(keys.secretAccessKey.replace(/[+/=]/g, "\\$&")), "a secret was logged");
      } finally {
        const end = await server.stop("SIGTERM");
        assert.deepEqual(end, { code: 0, signal: null }, `serve stderr: ${server.stderr()}`);
      }
      assert.equal(server.stderr(), "");
    });

    test("with no configuration: ./data, the database, a 0600 key file, and the demo user's keys, kept across restarts", async () => {
      const dir = tempDir();
      assert.deepEqual(readdirSync(dir), []);
      const first = await startServe(["--listen", "127.0.0.1:0"], dir);
      let keys: SigningKeys;
      try {
        const port = new URL(first.url).port;
        const banner = await first.waitFor(/delete-auto-scaling-group .*\n/);
        const text = first.stdout().slice(0, (banner.index ?? 0) + banner[0].length);
        const id = /export AWS_ACCESS_KEY_ID=(\S+)/.exec(text)?.[1];
        const secret = /export AWS_SECRET_ACCESS_KEY=(\S+)/.exec(text)?.[1];
        assert.ok(id && secret, text);
        keys = { accessKeyId: id, secretAccessKey: secret };
        const commands = text.split("\n").filter((l) => /^\s*aws autoscaling /.test(l));
        assert.ok(commands.length >= 4, text);
        for (const c of commands) assert.match(c, new RegExp(`^\\s*aws autoscaling --endpoint-url http://127\\.0\\.0\\.1:${port} [a-z-]+`));
        assert.ok(commands.some((c) => /describe-auto-scaling-groups/.test(c)), text);
        assert.match(text, new RegExp(`^Dashboard: http://127\\.0\\.0\\.1:${port}/ui/ `, "m"));
        const dashboard = await fetch(`${first.url}/ui/`);
        assert.equal(dashboard.status, 200, "serve serves the dashboard it announces");
        assert.ok(statSync(join(dir, "data")).isDirectory());
        assert.ok(statSync(join(dir, "data/phantom.db")).isFile());
        assert.equal(fileMode(join(dir, "data/master.key")), 0o600);
        const reply = await signedCall(first.url, keys, [["Action", "DescribeAccountLimits"]]);
        assert.equal(reply.status, 200, reply.body);
      } finally {
        assert.deepEqual(await first.stop("SIGTERM"), { code: 0, signal: null }, first.stderr());
      }
      const second = await startServe(["--listen", "127.0.0.1:0"], dir);
      try {
        await second.waitFor(/delete-auto-scaling-group .*\n/);
        assert.match(second.stdout(), new RegExp(`export AWS_ACCESS_KEY_ID=${keys.accessKeyId}\\n`));
        assert.ok(second.stdout().includes(`export AWS_SECRET_ACCESS_KEY=${keys.secretAccessKey}\n`), "the demo secret changed");
        const reply = await signedCall(second.url, keys, [["Action", "DescribeAutoScalingGroups"]]);
        assert.equal(reply.status, 200, reply.body);
      } finally {
        assert.deepEqual(await second.stop("SIGINT"), { code: 0, signal: null }, second.stderr());
      }
      assert.equal(first.stderr() + second.stderr(), "");
    });
  });

  describe("phantom failures: one line on stderr, exit ≠ 0", { concurrency: true }, () => {
    const dir = tempDir();
    const config = writeConfig(dir);
    const unknownKey = join(dir, "unknown-key.yaml");
    writeFileSync(unknownKey, "sites: { hotel: { driver: simulated } }\nlisten_port: 8445\n");
    const unknownDriver = join(dir, "unknown-driver.yaml");
    writeFileSync(unknownDriver, "listen: nowhere\nsites: { a: { driver: azure }, b: { driver: simulated, capacity: -1 } }\n");
    const brokenYaml = join(dir, "broken.yaml");
    writeFileSync(brokenYaml, "sites: [\n");

    const cases: [string, string[], RegExp?, Record<string, string>?][] = [
      ["an unknown flag of serve", ["serve", "--bogus"], /^error: unknown option '--bogus'/],
      ["a missing config file", ["serve", "--config", join(dir, "absent.yaml")], /absent\.yaml.*ENOENT/],
      ["a missing config file from PHANTOM_CONFIG", ["user", "list"], /absent\.yaml/, { PHANTOM_CONFIG: join(dir, "absent.yaml") }],
      ["a config with an unknown key", ["serve", "--config", unknownKey], /listen_port/],
      ["a config with several problems", ["serve", "--config", unknownDriver], /listen.*sites\.a\.driver.*sites\.b\.capacity/],
      ["a config that is not YAML", ["serve", "--config", brokenYaml], /not valid YAML/],
      ["an unreachable database for serve", ["serve", "--config", config, "--db", "postgres://postgres@127.0.0.1:1/x"], /127\.0\.0\.1:1/],
      ["an unreachable database for user add", ["user", "add", "x", "--config", config, "--db", "postgres://postgres@127.0.0.1:1/x"], /127\.0\.0\.1:1/],
      ["a malformed --listen", ["serve", "--config", config, "--listen", "nonsense"], /--listen.*nonsense/],
      ["a malformed PHANTOM_MASTER_KEY", ["user", "list", "--config", config], /PHANTOM_MASTER_KEY/, { PHANTOM_MASTER_KEY: "abc" }],
    ];
    for (const [what, args, pattern, env] of cases) {
      test(what, async () => assertOneLineError(await phantom(args, dir, env), what, pattern));
    }

    test("a port already in use", async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = blocker.address() as net.AddressInfo;
        const r = await phantom(["serve", "--config", config, "--listen", `127.0.0.1:${port}`], dir);
        assertOneLineError(r, "a port in use", new RegExp(`EADDRINUSE.*${port}`));
      } finally {
        blocker.close();
      }
    });
  });
});
