/**
 * Scaling on metrics through boto3 (Debian's `python3-boto3`, which speaks CloudWatch's Query
 * protocol, signed for the service `monitoring`): metrics put and read back, CloudWatch's errors
 * as boto3's ClientError, and AWS's scaling policies on a Phantom group.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  failed,
  flowOutcomes,
  GROUP_TAGS,
  probeClient,
  skipUnlessInstalled,
  succeeded,
  SYSTEM_PYTHON,
  type Step,
} from "./interop.test-support.js";

const boto3 = await probeClient("boto3", SYSTEM_PYTHON, ["-c", "import boto3"], "apt-get install -y python3-boto3");

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const DIMENSIONS = [{ Name: "AutoScalingGroupName", Value: "mygroup" }];

const FLOW: readonly Step[] = [
  { id: "lc-hotel", call: "create_launch_configuration", args: { LaunchConfigurationName: "mylaunch@hotel", ImageId: "ami-1", InstanceType: "m1.small" } },
  { id: "lc-ec2", call: "create_launch_configuration", args: { LaunchConfigurationName: "mylaunch@ec2", ImageId: "ami-1", InstanceType: "m1.small" } },
  { id: "group", call: "create_auto_scaling_group", args: { AutoScalingGroupName: "mygroup", LaunchConfigurationName: "mylaunch", MinSize: 0, MaxSize: 20, Tags: GROUP_TAGS } },
  {
    id: "put",
    service: "cloudwatch",
    call: "put_metric_data",
    args: {
      Namespace: "MyApp",
      MetricData: [
        { MetricName: "load", Dimensions: DIMENSIONS, Value: 40, Unit: "Percent" },
        { MetricName: "load", Dimensions: DIMENSIONS, Values: [10, 70], Counts: [1, 2], Unit: "Percent" },
      ],
    },
  },
  {
    id: "stats",
    service: "cloudwatch",
    call: "get_metric_statistics",
    args: {
      Namespace: "MyApp",
      MetricName: "load",
      Dimensions: DIMENSIONS,
      StartTime: iso(NOW - 600_000),
      EndTime: iso(NOW + 120_000),
      Period: 3600,
      Statistics: ["Average", "Maximum", "Minimum", "SampleCount", "Sum"],
    },
  },
  { id: "list", service: "cloudwatch", call: "list_metrics", args: { Namespace: "MyApp" } },
  {
    id: "put-31-dimensions",
    service: "cloudwatch",
    call: "put_metric_data",
    args: { Namespace: "MyApp", MetricData: [{ MetricName: "bad", Value: 1, Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: "v" })) }] },
  },
  {
    id: "put-future",
    service: "cloudwatch",
    call: "put_metric_data",
    args: { Namespace: "MyApp", MetricData: [{ MetricName: "bad", Value: 1, Timestamp: iso(NOW + 3 * 3600_000) }] },
  },
  { id: "stats-period", service: "cloudwatch", call: "get_metric_statistics", args: { Namespace: "MyApp", MetricName: "load", StartTime: iso(NOW - 600_000), EndTime: iso(NOW), Period: 90, Statistics: ["Average"] } },
  { id: "list-bad", service: "cloudwatch", call: "list_metrics", args: { Namespace: "MyApp", MetricName: "bad" } },
  {
    id: "policy",
    call: "put_scaling_policy",
    args: { AutoScalingGroupName: "mygroup", PolicyName: "double", PolicyType: "SimpleScaling", AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 100 },
  },
  { id: "execute", call: "execute_policy", args: { AutoScalingGroupName: "mygroup", PolicyName: "double" } },
  { id: "describe-policies", call: "describe_policies", args: { AutoScalingGroupName: "mygroup" } },
  { id: "describe-group", call: "describe_auto_scaling_groups", args: { AutoScalingGroupNames: ["mygroup"] } },
];

describe("metrics and scaling policies through boto3", { skip: skipUnlessInstalled(boto3) }, () => {
  const run = flowOutcomes(boto3, "boto3_steps.py", FLOW);

  test("puts metrics and reads them back as CloudWatch statistics", () => {
    assert.deepEqual(succeeded(run(), "put"), {});
    const { Label, Datapoints } = succeeded(run(), "stats") as { Label: string; Datapoints: Record<string, unknown>[] };
    assert.equal(Label, "load");
    assert.equal(Datapoints.length, 1);
    const [point] = Datapoints;
    assert.deepEqual(
      { ...point, Timestamp: undefined },
      { Timestamp: undefined, SampleCount: 4, Average: 47.5, Sum: 190, Minimum: 10, Maximum: 70, Unit: "Percent" },
    );
    assert.deepEqual(succeeded(run(), "list"), { Metrics: [{ Namespace: "MyApp", MetricName: "load", Dimensions: DIMENSIONS }] });
  });

  test("refuses bad data with CloudWatch's codes, and stores none of it", () => {
    const tooMany = failed(run(), "put-31-dimensions");
    assert.equal(tooMany.code, "InvalidParameterValue");
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.message ?? "", /dimensions' failed to satisfy constraint: Member must have length less than or equal to 30/);
    assert.deepEqual(failed(run(), "put-future"), {
      code: "InvalidParameterValue",
      message: "The parameter MetricData.member.1.Timestamp must specify a time no more than two hours in the future.",
      type: "Sender",
      status: 400,
    });
    assert.equal(failed(run(), "stats-period").code, "InvalidParameterValue");
    assert.deepEqual(succeeded(run(), "list-bad"), { Metrics: [] });
  });

  test("executes a PercentChangeInCapacity policy: 10 VMs +100% is 20, and n_preserve follows", () => {
    assert.match((succeeded(run(), "policy") as { PolicyARN: string }).PolicyARN, /:scalingPolicy:.*:policyName\/double$/);
    assert.deepEqual(succeeded(run(), "execute"), {});
    const { ScalingPolicies } = succeeded(run(), "describe-policies") as { ScalingPolicies: Record<string, unknown>[] };
    assert.equal(ScalingPolicies.length, 1);
    assert.equal(ScalingPolicies[0]?.AdjustmentType, "PercentChangeInCapacity");
    assert.equal(ScalingPolicies[0]?.ScalingAdjustment, 100);
    const { AutoScalingGroups } = succeeded(run(), "describe-group") as {
      AutoScalingGroups: { DesiredCapacity: number; Tags: { Key: string; Value: string }[] }[];
    };
    assert.equal(AutoScalingGroups[0]?.DesiredCapacity, 20);
    assert.equal(AutoScalingGroups[0]?.Tags.find((t) => t.Key === "n_preserve")?.Value, "20");
  });
});
