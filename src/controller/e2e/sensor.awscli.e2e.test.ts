/**
 * Scaling on metrics end to end, driven only by the AWS CLI v2 against a Phantom with its
 * controller on, over two simulated clouds whose first is small (2 VMs: beyond that it answers
 * InsufficientInstanceCapacity). Load is pushed with `aws cloudwatch put-metric-data`:
 * - a `sensor_engine` group grows across both clouds under load and shrinks from the second
 *   cloud first when the load drops;
 * - a group with a target tracking policy (`aws autoscaling put-scaling-policy`) does the same;
 * - bad metric data gets CloudWatch's errors and stores nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeClientHome, requireClient, run, skipUnlessInstalled, AWS_CLI, type ClientHome } from "../../api/interop/interop.test-support.js";
import { ObservedClouds } from "../../test-support/observed-clouds.js";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";
import { AutoScalingCli, awsCli, countBySite, until, type CliGroup } from "./awscli-e2e.test-support.js";

describe("scaling on metrics through the AWS CLI v2, on simulated clouds", { skip: skipUnlessInstalled(awsCli), concurrency: 1 }, () => {
  const clouds = new ObservedClouds();
  let phantom: TestPhantom;
  let home: ClientHome;
  let cli: AutoScalingCli;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    requireClient(awsCli);
    phantom = await startTestPhantom(
      {
        // A short backoff: hotel takes VMs again soon after it was full.
        controller: { interval_seconds: 0.2, backoff_initial_seconds: 1, backoff_max_seconds: 2 },
        sites: {
          hotel: { driver: "simulated", capacity: 2, boot_seconds: 0.3 },
          ec2: { driver: "simulated", capacity: 100, boot_seconds: 0.3 },
        },
      },
      { controller: true, createDriver: clouds.createDriver },
    );
    home = await makeClientHome();
    env = home.env(phantom.alice);
    cli = new AutoScalingCli(phantom.url, env);
  });
  after(async () => {
    clouds.releaseTerminations();
    await phantom?.close();
    await home?.remove();
  });

  /** `aws cloudwatch ARGS`; returns the exit code and what it printed. */
  const cloudwatch = (args: readonly string[]) =>
    run(AWS_CLI, ["--endpoint-url", phantom.url, "--output", "json", "--no-cli-pager", "cloudwatch", ...args], env);
  const putLoad = async (group: string, metric: string, data: Record<string, unknown>) => {
    const result = await cloudwatch([
      "put-metric-data",
      "--namespace",
      "MyApp",
      "--metric-data",
      JSON.stringify([{ MetricName: metric, Dimensions: [{ Name: "AutoScalingGroupName", Value: group }], ...data }]),
    ]);
    assert.equal(result.code, 0, result.stderr);
  };
  /** Non-terminating VMs per site. */
  const layout = (g: CliGroup | undefined) =>
    countBySite(g === undefined ? undefined : { ...g, Instances: g.Instances.filter((i) => i.LifecycleState !== "Terminating") });
  const settled = (g: CliGroup | undefined, expected: Record<string, number>) =>
    g !== undefined &&
    g.Instances.every((i) => i.LifecycleState === "InService") &&
    JSON.stringify(Object.entries(countBySite(g)).sort()) === JSON.stringify(Object.entries(expected).sort());

  /** Pushes load while waiting, as an agent would, until the group has settled as expected. */
  async function loadUntil(group: string, metric: string, data: Record<string, unknown>, expected: Record<string, number>, check?: (g: CliGroup) => void) {
    return until(
      `${group} settles as ${JSON.stringify(expected)}`,
      async () => {
        await putLoad(group, metric, data);
        const g = await cli.group(group);
        if (g !== undefined) check?.(g);
        return g;
      },
      (g) => settled(g, expected),
      { timeoutMs: 60_000, intervalMs: 200, show: (g) => ({ desired: g?.DesiredCapacity, layout: layout(g), states: g?.Instances.map((i) => i.LifecycleState) }) },
    );
  }

  /** While a group shrinks, hotel (preferred) must keep its VMs as long as ec2 still has some. */
  const ec2DrainsFirst = (g: CliGroup) => {
    const now = layout(g);
    if ((now.ec2 ?? 0) > 0) assert.equal(now.hotel ?? 0, 2, `hotel lost a VM while ec2 still had ${now.ec2}: ${JSON.stringify(now)}`);
  };

  test("creates web@hotel, web@ec2 and a sensor_engine group that starts at minimum_vms on hotel", async () => {
    for (const site of ["hotel", "ec2"]) {
      await cli.ok(["create-launch-configuration", "--launch-configuration-name", `web@${site}`, "--image-id", "ami-1", "--instance-type", "m1.small"]);
    }
    const tags = {
      PHANTOM_DEFINITION: "sensor_engine",
      clouds: "hotel:-1,ec2:-1",
      metric: "MyApp/load",
      sample_function: "Average",
      sample_period: "60",
      scale_up_threshold: "70",
      scale_up_n_vms: "2",
      scale_down_threshold: "30",
      scale_down_n_vms: "2",
      minimum_vms: "1",
      maximum_vms: "6",
      cooldown_period: "0",
    };
    await cli.ok([
      "create-auto-scaling-group",
      "--auto-scaling-group-name",
      "sensed",
      "--launch-configuration-name",
      "web",
      "--min-size",
      "0",
      "--max-size",
      "10",
      "--tags",
      JSON.stringify(Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))),
    ]);
    await until("one VM on hotel", () => cli.group("sensed"), (g) => settled(g, { hotel: 1 }));
  });

  test("under load above scale_up_threshold it grows to maximum_vms across both clouds (hotel holds only 2)", async () => {
    const g = await loadUntil("sensed", "load", { Value: 90 }, { hotel: 2, ec2: 4 });
    assert.equal(g?.DesiredCapacity, 6);
    const activities = await cli.activities("sensed");
    const grow = activities.find((a) => a.Description === "Changing the desired capacity from 1 to 3");
    assert.match(grow?.Cause ?? "", /the Average of MyApp\/load over the last 60 s was 90 \(above scale_up_threshold 70\)/);
    assert.ok(
      // A launch refused whole, or one the cloud filled only in part.
      activities.some((a) => /hotel answered InsufficientInstanceCapacity|hotel had room for only/.test(a.Cause)),
      `hotel's capacity error is a recorded activity: ${JSON.stringify(activities.map((a) => [a.Description, a.Cause]), null, 1)}`,
    );
  });

  test("with load below scale_down_threshold it shrinks to minimum_vms, ec2 first", async () => {
    // Many low samples outweigh the high ones still inside the 60 s period.
    const g = await loadUntil("sensed", "load", { Values: [5], Counts: [1000] }, { hotel: 1 }, ec2DrainsFirst);
    assert.equal(g?.DesiredCapacity, 1);
    assert.equal(clouds.cloud("ec2").instances().filter((vm) => vm.state !== "terminated").length, 0, "ec2 runs nothing");
    const shrink = (await cli.activities("sensed")).find((a) => a.Description === "Changing the desired capacity from 2 to 1");
    assert.match(shrink?.Cause ?? "", /below scale_down_threshold 30\), changing the desired capacity from 2 to 1 \(0 clamped to minimum_vms 1\)\.$/);
  });

  test("a target tracking policy grows a group across both clouds and shrinks it from ec2 first", async () => {
    const tags = [
      { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
      { Key: "clouds", Value: "hotel:-1,ec2:-1" },
      { Key: "n_preserve", Value: "1" },
    ];
    await cli.ok(["create-auto-scaling-group", "--auto-scaling-group-name", "tracked", "--launch-configuration-name", "web", "--min-size", "1", "--max-size", "4", "--tags", JSON.stringify(tags)]);
    await until("tracked: one VM on hotel", () => cli.group("tracked"), (g) => settled(g, { hotel: 1 }));
    const policy = await cli.ok<{ PolicyARN: string }>([
      "put-scaling-policy",
      "--auto-scaling-group-name",
      "tracked",
      "--policy-name",
      "load50",
      "--policy-type",
      "TargetTrackingScaling",
      "--estimated-instance-warmup",
      "0",
      "--target-tracking-configuration",
      JSON.stringify({
        TargetValue: 50,
        CustomizedMetricSpecification: {
          MetricName: "requests",
          Namespace: "MyApp",
          Statistic: "Average",
          Dimensions: [{ Name: "AutoScalingGroupName", Value: "tracked" }],
        },
      }),
    ]);
    assert.match(policy?.PolicyARN ?? "", /^arn:phantom:autoscaling:[^:]+:\d{12}:scalingPolicy:[0-9a-f-]+:autoScalingGroupName\/tracked:policyName\/load50$/);
    const described = await cli.ok<{ ScalingPolicies: { PolicyName: string; PolicyType: string }[] }>(["describe-policies", "--auto-scaling-group-name", "tracked"]);
    assert.deepEqual(described?.ScalingPolicies.map((p) => [p.PolicyName, p.PolicyType]), [["load50", "TargetTrackingScaling"]]);

    // hotel still runs the sensor group's VM: it has room for one more.
    const grown = await loadUntil("tracked", "requests", { Value: 150 }, { hotel: 1, ec2: 3 });
    assert.equal(grown?.DesiredCapacity, 4);
    const change = (await cli.activities("tracked")).find((a) => a.Description === "Changing the desired capacity from 1 to 3");
    assert.match(change?.Cause ?? "", /target tracking policy load50 found the Average of MyApp\/requests at 150 against its target 50/);

    const shrunk = await loadUntil("tracked", "requests", { Values: [0], Counts: [1000] }, { hotel: 1 }, (g) => {
      const now = layout(g);
      if ((now.ec2 ?? 0) > 0) assert.equal(now.hotel ?? 0, 1, "hotel keeps its VM while ec2 drains");
    });
    assert.equal(shrunk?.DesiredCapacity, 1);
  });

  test("bad metric data gets CloudWatch's errors and stores nothing", async () => {
    const bad: [string[], RegExp][] = [
      [["--metric-name", "bad", "--value", "nan"], /\(InvalidParameterValue\)/],
      [["--metric-name", "bad", "--value", "1", "--timestamp", new Date(Date.now() + 3 * 3600_000).toISOString()], /\(InvalidParameterValue\).*two hours in the future/],
      [["--metric-name", "bad", "--value", "1", "--timestamp", new Date(Date.now() - 3 * 3600_000).toISOString()], /\(InvalidParameterValue\).*within the past 2 hours/],
      [["--metric-name", "bad", "--value", "1", "--statistic-values", "SampleCount=1,Sum=1,Minimum=1,Maximum=1"], /\(InvalidParameterCombination\)/],
      [
        ["--metric-name", "bad", "--value", "1", "--dimensions", Array.from({ length: 31 }, (_, i) => `d${i}=v`).join(",")],
        /\(InvalidParameterValue\).*length less than or equal to 30/,
      ],
    ];
    for (const [args, error] of bad) {
      const result = await cloudwatch(["put-metric-data", "--namespace", "MyApp", ...args]);
      assert.notEqual(result.code, 0, `accepted: ${args.join(" ")}`);
      assert.match(result.stderr.replace(/\n/g, " "), error);
    }
    const listed = await cloudwatch(["list-metrics", "--namespace", "MyApp", "--metric-name", "bad"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), { Metrics: [] }, "nothing of the refused data was stored");
  });
});
