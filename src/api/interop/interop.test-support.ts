/**
 * What the interop tests share: finding a real client and deciding to skip or fail without it,
 * a clean environment for it (no user configuration, only the keys under test), and running it
 * as a child process. The Python clients run step scripts from `clients/` that print JSON.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { repoRoot } from "../../test-support/captures.js";
import { startTestPhantom, TEST_SITES, type TestPhantom, type TestUser } from "../../test-support/test-phantom.js";

/** Debian's Python, which the Debian packages of the clients are installed for. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Debian's AWS CLI v2 (a pyenv `aws` v1 may come first on PATH). */
export const AWS_CLI = "/usr/bin/aws";

const CLIENT_TIMEOUT_MS = 60_000;

/** A client script under `src/api/interop/clients/` (not compiled, so read from the sources). */
function clientScript(name: string): string {
  return join(repoRoot(), "src", "api", "interop", "clients", name);
}

/** What a child process did. */
export interface ProcessResult {
  /** The exit code; null when it was killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file` to completion and never rejects on a non-zero exit: callers assert on the code. */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env, timeout: CLIENT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number" && error.killed !== true) {
          reject(error);
          return;
        }
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

/** Whether a client is installed, and if not, why and how to get it. */
export interface ClientProbe {
  readonly client: string;
  /** null when the client is there; otherwise the reason, with the install command. */
  readonly missing: string | null;
}

/** Runs `args` of `file`; the client is present when that exits 0 and `accept` likes its output. */
export async function probeClient(
  client: string,
  file: string,
  args: readonly string[],
  installHint: string,
  accept: (output: string) => string | null = () => null,
): Promise<ClientProbe> {
  const notInstalled = (detail: string): ClientProbe => ({ client, missing: `${client} not installed (${detail}): ${installHint}` });
  if (!existsSync(file)) return notInstalled(`no ${file}`);
  const result = await run(file, args, { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.code !== 0) return notInstalled(`${[file, ...args].join(" ")} exited ${result.code}: ${output.split("\n").at(-1) ?? ""}`);
  const wrong = accept(output);
  return wrong === null ? { client, missing: null } : notInstalled(wrong);
}

/** True when CI demands the clients (`PHANTOM_REQUIRE_INTEROP=1`): then a missing client fails. */
function interopRequired(): boolean {
  return process.env.PHANTOM_REQUIRE_INTEROP === "1";
}

/**
 * The `skip` option of a suite: the reason when the client is missing and not required (printed
 * too, so it shows in the run's output), false otherwise.
 */
export function skipUnlessInstalled(probe: ClientProbe): string | false {
  if (probe.missing === null || interopRequired()) return false;
  console.log(`# ${probe.client} interop tests skipped: ${probe.missing}`);
  return probe.missing;
}

/** Throws the probe's reason when the client is missing (reached only when it is required). */
export function requireClient(probe: ClientProbe): void {
  if (probe.missing !== null) throw new Error(`PHANTOM_REQUIRE_INTEROP=1 but ${probe.missing}`);
}

/** A private home for the clients, so no user configuration (~/.aws, ~/.boto) leaks into a run. */
export interface ClientHome {
  readonly dir: string;
  /** The environment of a client signing as `user` (with `secret` instead of the user's when given). */
  env(user: TestUser, secret?: string): NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

/** Makes a temporary home with an empty boto 2 configuration file. */
export async function makeClientHome(): Promise<ClientHome> {
  const dir = await mkdtemp(join(tmpdir(), "phantom-interop-"));
  const botoConfig = join(dir, "boto.cfg");
  await writeFile(botoConfig, "");
  return {
    dir,
    env: (user, secret) => ({
      // Only what the clients need: nothing from the caller's environment (AWS_PROFILE,
      // PYTHONPATH, a pyenv PATH) can change what they send.
      PATH: "/usr/bin:/bin",
      LANG: "C.UTF-8",
      // Debian byte-compiles its packages; the tests must not write into /usr.
      PYTHONDONTWRITEBYTECODE: "1",
      HOME: dir,
      AWS_ACCESS_KEY_ID: user.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secret ?? user.secretAccessKey,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(dir, "nonexistent", "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "nonexistent", "credentials"),
      AWS_PAGER: "",
      BOTO_CONFIG: botoConfig,
    }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An AWS error as a client surfaced it. */
export interface ClientError {
  readonly code: string;
  readonly message: string;
  readonly status?: number;
  readonly type?: string;
}

/** The outcome of one step of a Python step script. */
export interface StepOutcome {
  readonly result?: unknown;
  readonly error?: ClientError;
  /** boto 2 only: the requests that went over the wire for this step. */
  readonly wire?: readonly WireRequest[];
}

/** A request as boto 2 handed it to http.client. */
export interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly authorization: string | null;
}

/** One call of a step script: `call` is the client method, `args` its keyword arguments. */
export interface Step {
  readonly id: string;
  readonly call: string;
  readonly args?: Readonly<Record<string, unknown>>;
  /** boto 2 only: sign this call with Signature Version 2. */
  readonly sigv2?: boolean;
  /** boto3 only: the client's service, `autoscaling` (default) or `cloudwatch`. */
  readonly service?: "autoscaling" | "cloudwatch";
}

/**
 * Runs `steps` through a Python step script in one process (the clients are slow to start) and
 * returns each step's outcome by id. A step that fails does not stop the ones after it.
 */
export async function runSteps(
  script: string,
  endpoint: string,
  steps: readonly Step[],
  env: NodeJS.ProcessEnv,
): Promise<ReadonlyMap<string, StepOutcome>> {
  const result = await run(SYSTEM_PYTHON, [clientScript(script)], env, JSON.stringify({ endpoint, steps }));
  if (result.code !== 0) throw new Error(`${script} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  let outcomes: Record<string, StepOutcome>;
  try {
    outcomes = JSON.parse(result.stdout) as Record<string, StepOutcome>;
  } catch (e) {
    throw new Error(`${script} printed no JSON:\n${result.stdout}\n${result.stderr}`, { cause: e });
  }
  return new Map(Object.entries(outcomes));
}

/**
 * Registers, in the calling `describe`, hooks that run a whole flow once: a fresh Phantom, a
 * private client home, and `steps` through `script` as alice; both cleaned up after.
 * @returns the outcomes, for the tests (valid once the `before` hook has run)
 */
export function flowOutcomes(probe: ClientProbe, script: string, steps: readonly Step[]): () => ReadonlyMap<string, StepOutcome> {
  let phantom: TestPhantom | undefined;
  let home: ClientHome | undefined;
  let outcomes: ReadonlyMap<string, StepOutcome> | undefined;
  before(async () => {
    requireClient(probe);
    phantom = await startTestPhantom();
    home = await makeClientHome();
    outcomes = await runSteps(script, phantom.url, steps, home.env(phantom.alice));
  });
  after(async () => {
    await phantom?.close();
    await home?.remove();
  });
  return () => {
    if (outcomes === undefined) throw new Error(`${script} has not run`);
    return outcomes;
  };
}

/** The outcome of step `id`, which must have succeeded. */
export function succeeded(outcomes: ReadonlyMap<string, StepOutcome>, id: string): unknown {
  const outcome = outcomes.get(id);
  if (outcome === undefined) throw new Error(`no outcome for step ${id}`);
  if (outcome.error !== undefined) throw new Error(`step ${id} failed: ${JSON.stringify(outcome.error)}`);
  return outcome.result;
}

/** The error of step `id`, which must have failed. */
export function failed(outcomes: ReadonlyMap<string, StepOutcome>, id: string): ClientError {
  const outcome = outcomes.get(id);
  if (outcome === undefined) throw new Error(`no outcome for step ${id}`);
  if (outcome.error === undefined) throw new Error(`step ${id} succeeded but should have failed: ${JSON.stringify(outcome.result)}`);
  return outcome.error;
}

/**
 * The tags every client creates `mygroup` with: the three that make it a Phantom group, and one
 * of the user's own whose value needs encoding (non-ASCII, reserved characters, a comma) in
 * every way the clients sign and send it.
 */
export const GROUP_TAGS = [
  { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
  { Key: "clouds", Value: "hotel:8,ec2:-1" },
  { Key: "n_preserve", Value: "10" },
  { Key: "owner", Value: "Zoë, 日本 ~*+/=&%" },
] as const;

/** A tag as AWS's clients return it from DescribeAutoScalingGroups. */
export interface DescribedTag {
  readonly ResourceId: string;
  readonly ResourceType: string;
  readonly Key: string;
  readonly Value: string;
  readonly PropagateAtLaunch: boolean;
}

/** {@link GROUP_TAGS} as DescribeAutoScalingGroups lists them for `groupName`, in key order. */
export function describedGroupTags(groupName: string): DescribedTag[] {
  return byKey(
    GROUP_TAGS.map((t) => ({ ResourceId: groupName, ResourceType: "auto-scaling-group", Key: t.Key, Value: t.Value, PropagateAtLaunch: false })),
  );
}

/** Tags in key order, so lists can be compared whatever order a server returns. */
export function byKey<T extends { readonly Key: string } | { readonly key: string }>(tags: readonly T[]): T[] {
  const keyOf = (t: T): string => ("Key" in t ? t.Key : t.key);
  return [...tags].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/**
 * Checks the error of a launch configuration named on the unconfigured site `site`: a
 * ValidationError (400, where the client shows the status) that names the site and lists every
 * configured one, so the user learns what to write instead.
 */
export function assertUnknownSiteError(error: ClientError, site: string): void {
  assert.equal(error.code, "ValidationError", JSON.stringify(error));
  if (error.status !== undefined) assert.equal(error.status, 400);
  assert.ok(error.message.includes(site), error.message);
  for (const configured of Object.keys(TEST_SITES)) assert.match(error.message, new RegExp(`\\b${configured}\\b`));
}

/** AWS's message for SetDesiredCapacity above MaxSize. */
export function aboveMaxMessage(desired: number, max: number): string {
  return `New SetDesiredCapacity value ${desired} is above max value ${max} for the AutoScalingGroup.`;
}
