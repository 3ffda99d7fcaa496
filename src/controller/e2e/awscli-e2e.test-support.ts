/**
 * What the controller's end-to-end tests through the AWS CLI v2 share: the CLI as a user runs it
 * (one process per call, a private home, `--output json`), the seed's example group, the shapes
 * the CLI prints, and polling with a deadline that fails with the last state it saw.
 */
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { after, before } from "node:test";
import { AWS_CLI, makeClientHome, probeClient, requireClient, run, type ClientHome } from "../../api/interop/interop.test-support.js";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";

/** Whether `/usr/bin/aws` is the AWS CLI v2, and if not, why. */
export const awsCli = await probeClient("AWS CLI v2", AWS_CLI, ["--version"], "apt-get install -y awscli", (output) =>
  output.startsWith("aws-cli/2.") ? null : `${AWS_CLI} is ${output.split(" ")[0] ?? output}, not v2`,
);

/** An instance as `describe-auto-scaling-groups` prints it. */
export interface CliInstance {
  readonly InstanceId: string;
  readonly InstanceType: string;
  readonly AvailabilityZone: string;
  readonly LifecycleState: string;
  readonly HealthStatus: string;
  readonly LaunchConfigurationName: string;
}

/** A group as `describe-auto-scaling-groups` prints it (the members these tests read). */
export interface CliGroup {
  readonly AutoScalingGroupName: string;
  readonly AutoScalingGroupARN: string;
  readonly DesiredCapacity: number;
  readonly Instances: readonly CliInstance[];
  readonly Status?: string;
}

/** An instance as `describe-auto-scaling-instances` prints it. */
export interface CliInstanceDetails extends CliInstance {
  readonly AutoScalingGroupName: string;
}

/** A scaling activity as `describe-scaling-activities` prints it. */
export interface CliActivity {
  readonly ActivityId: string;
  readonly Description: string;
  readonly Cause: string;
  readonly StatusCode: string;
  readonly StatusMessage?: string;
  readonly Details: string;
}

/** Access keys, as the CLI's environment takes them. */
export interface CliKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The seed's group: `mylaunch@<site>` on `hotel:8,ec2:-1`, keeping 10 VMs. */
export const SEED_GROUP = "mygroup";
export const SEED_LAUNCH = "mylaunch";
export const SEED_TAGS = [
  { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
  { Key: "clouds", Value: "hotel:8,ec2:-1" },
  { Key: "n_preserve", Value: "10" },
] as const;
export const SEED_IMAGE = "ami-12345678";
export const SEED_INSTANCE_TYPE = "m1.small";

/** `aws autoscaling` against one Phantom, as one user. */
export class AutoScalingCli {
  constructor(
    private readonly endpoint: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Runs a call that must succeed; returns its JSON output (null when it prints nothing). */
  async ok<T = unknown>(args: readonly string[]): Promise<T | null> {
    const result = await run(AWS_CLI, ["--endpoint-url", this.endpoint, "--output", "json", "--no-cli-pager", "autoscaling", ...args], this.env);
    assert.equal(result.code, 0, `aws autoscaling ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
    return result.stdout.trim() === "" ? null : (JSON.parse(result.stdout) as T);
  }

  /** The group, or undefined once it is gone. */
  async group(name: string): Promise<CliGroup | undefined> {
    const out = await this.ok<{ AutoScalingGroups: CliGroup[] }>(["describe-auto-scaling-groups", "--auto-scaling-group-names", name]);
    assert.ok(out !== null && out.AutoScalingGroups.length <= 1, JSON.stringify(out));
    return out.AutoScalingGroups[0];
  }

  /** Every instance of the user, through `describe-auto-scaling-instances`. */
  async instances(): Promise<CliInstanceDetails[]> {
    return (await this.ok<{ AutoScalingInstances: CliInstanceDetails[] }>(["describe-auto-scaling-instances"]))?.AutoScalingInstances ?? [];
  }

  /** The group's scaling activities, newest first. */
  async activities(name: string): Promise<CliActivity[]> {
    return (await this.ok<{ Activities: CliActivity[] }>(["describe-scaling-activities", "--auto-scaling-group-name", name]))?.Activities ?? [];
  }

  /** Creates `mylaunch@hotel`, `mylaunch@ec2` and the seed's group, with `--tags` in its JSON form (the values hold commas). */
  async createSeedGroup(): Promise<void> {
    const launch = (site: string) =>
      this.ok([
        "create-launch-configuration",
        "--launch-configuration-name",
        `${SEED_LAUNCH}@${site}`,
        "--image-id",
        SEED_IMAGE,
        "--instance-type",
        SEED_INSTANCE_TYPE,
      ]);
    assert.deepEqual(await Promise.all([launch("hotel"), launch("ec2")]), [null, null]);
    const created = await this.ok([
      "create-auto-scaling-group",
      "--auto-scaling-group-name",
      SEED_GROUP,
      "--launch-configuration-name",
      SEED_LAUNCH,
      "--min-size",
      "0",
      "--max-size",
      "20",
      "--tags",
      JSON.stringify(SEED_TAGS),
    ]);
    assert.equal(created, null);
  }
}

/** `aws ec2 ARGS` against an EC2 endpoint (a simcloud) with the given keys; returns the JSON output. */
export async function ec2Cli<T>(endpoint: string, env: NodeJS.ProcessEnv, args: readonly string[]): Promise<T> {
  const result = await run(AWS_CLI, ["--endpoint-url", endpoint, "--output", "json", "--no-cli-pager", "ec2", ...args], env);
  assert.equal(result.code, 0, `aws ec2 ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * Observes until `done` holds and returns what it saw then; after `timeoutMs` fails with the
 * last observation (through `show`), so a failure shows where things stood.
 */
export async function until<T>(
  what: string,
  observe: () => Promise<T>,
  done: (seen: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 100, show = (seen: T): unknown => seen }: { timeoutMs?: number; intervalMs?: number; show?: (seen: T) => unknown } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await observe();
    if (done(seen)) return seen;
    if (Date.now() >= deadline) {
      assert.fail(`${what}: not reached within ${timeoutMs / 1000}s; last seen:\n${JSON.stringify(show(seen), null, 1)}`);
    }
    await delay(intervalMs);
  }
}

/** Describes the group until `done` holds; see {@link until}. A failure shows one line per instance. */
export function untilGroup(cli: AutoScalingCli, what: string, done: (group: CliGroup | undefined) => boolean): Promise<CliGroup | undefined> {
  return until(what, () => cli.group(SEED_GROUP), done, {
    show: (g) =>
      g === undefined
        ? "no group"
        : {
            Status: g.Status ?? null,
            DesiredCapacity: g.DesiredCapacity,
            Instances: g.Instances.map((i) => `${i.InstanceId} ${i.AvailabilityZone} ${i.LifecycleState} ${i.HealthStatus}`),
          },
  });
}

/** How many of the group's instances are on each site, e.g. `{ hotel: 8, ec2: 2 }` (sites with none left out). */
export function countBySite(group: CliGroup | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of group?.Instances ?? []) out[i.AvailabilityZone] = (out[i.AvailabilityZone] ?? 0) + 1;
  return out;
}

/** True when the group has exactly `expected` instances per site, every one `InService` and `Healthy`. */
export function settledAs(group: CliGroup | undefined, expected: Record<string, number>): boolean {
  return (
    group !== undefined &&
    group.Instances.every((i) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy") &&
    isDeepStrictEqual(countBySite(group), expected)
  );
}

/** The ids of the group's instances on `site`, sorted. */
export function idsOn(group: CliGroup, site: string): string[] {
  return group.Instances.filter((i) => i.AvailabilityZone === site)
    .map((i) => i.InstanceId)
    .sort();
}

/** The group id inside a group ARN (`…:autoScalingGroup:ID:autoScalingGroupName/NAME`). */
export function groupIdOf(arn: string): string {
  const match = /:autoScalingGroup:([^:]+):autoScalingGroupName\//.exec(arn);
  assert.ok(match?.[1], `not a group ARN: ${arn}`);
  return match[1];
}

/** Checks every instance of the group the way the CLI shows it: its site as the zone, and `mylaunch@<site>`. */
export function assertSeedInstances(group: CliGroup): void {
  for (const i of group.Instances) {
    assert.ok(["hotel", "ec2"].includes(i.AvailabilityZone), JSON.stringify(i));
    assert.equal(i.LaunchConfigurationName, `${SEED_LAUNCH}@${i.AvailabilityZone}`, JSON.stringify(i));
    assert.equal(i.InstanceType, SEED_INSTANCE_TYPE, JSON.stringify(i));
    assert.match(i.InstanceId, /^i-[0-9a-f]{17}$/);
  }
}

/** A launch activity's cause as the controller words it, `why` being a regular expression's source. */
export function launchCause(why: string): RegExp {
  return new RegExp(`^At \\S+Z an instance was started in response to a difference between desired and actual capacity: ${why}\\.$`);
}

/** The launch activity of each instance id (`Launching a new EC2 instance: i-…`). */
export function launchActivities(activities: readonly CliActivity[]): Map<string, CliActivity> {
  const out = new Map<string, CliActivity>();
  for (const a of activities) {
    const id = /^Launching a new EC2 instance: (i-\S+)$/.exec(a.Description)?.[1];
    if (id !== undefined) out.set(id, a);
  }
  return out;
}

/** The termination activity of each instance id (`Terminating EC2 instance: i-…`). */
export function terminationActivities(activities: readonly CliActivity[]): Map<string, CliActivity> {
  const out = new Map<string, CliActivity>();
  for (const a of activities) {
    const id = /^Terminating EC2 instance: (i-\S+)$/.exec(a.Description)?.[1];
    if (id !== undefined) out.set(id, a);
  }
  return out;
}

/** A Phantom with its controller on, and the AWS CLI v2 signing as its user alice. */
export interface CliPhantom {
  readonly phantom: TestPhantom;
  /** `aws autoscaling`. */
  readonly cli: AutoScalingCli;
  /** `aws cloudwatch ARGS`, which must succeed; its JSON output (null when it prints nothing). */
  cloudwatch<T>(args: readonly string[]): Promise<T | null>;
}

/**
 * Starts a {@link CliPhantom} before the enclosing suite's tests (configuration `document`) and
 * stops it after them. Read it inside tests, once `before` has run.
 */
export function cliPhantom(document: Record<string, unknown>): CliPhantom {
  let phantom: TestPhantom | undefined;
  let home: ClientHome | undefined;
  let cli: AutoScalingCli | undefined;
  let env: NodeJS.ProcessEnv = {};
  before(async () => {
    requireClient(awsCli);
    phantom = await startTestPhantom(document, { controller: true });
    home = await makeClientHome();
    env = home.env(phantom.alice);
    cli = new AutoScalingCli(phantom.url, env);
  });
  after(async () => {
    await phantom?.close();
    await home?.remove();
  });
  const started = <T>(value: T | undefined): T => {
    assert.ok(value !== undefined, "the CLI's Phantom is used before it started");
    return value;
  };
  return {
    get phantom() {
      return started(phantom);
    },
    get cli() {
      return started(cli);
    },
    async cloudwatch<T>(args: readonly string[]): Promise<T | null> {
      const result = await run(AWS_CLI, ["--endpoint-url", started(phantom).url, "--output", "json", "--no-cli-pager", "cloudwatch", ...args], env);
      assert.equal(result.code, 0, `aws cloudwatch ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
      return result.stdout.trim() === "" ? null : (JSON.parse(result.stdout) as T);
    },
  };
}
