/**
 * The typical Phantom flow through boto3 (Debian's `python3-boto3`, under /usr/bin/python3): two
 * launch configurations, a group from the three Phantom tags, describe, set desired capacity,
 * AWS's errors as boto3's ClientError, delete. The whole flow runs in one Python process.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  aboveMaxMessage,
  assertUnknownSiteError,
  byKey,
  describedGroupTags,
  failed,
  flowOutcomes,
  GROUP_TAGS,
  probeClient,
  skipUnlessInstalled,
  succeeded,
  SYSTEM_PYTHON,
  type DescribedTag,
  type Step,
  type StepOutcome,
} from "./interop.test-support.js";

const boto3 = await probeClient("boto3", SYSTEM_PYTHON, ["-c", "import boto3"], "apt-get install -y python3-boto3");

const LAUNCH = { ImageId: "ami-12345678", InstanceType: "m1.small" };

const FLOW: readonly Step[] = [
  { id: "lc-hotel", call: "create_launch_configuration", args: { LaunchConfigurationName: "mylaunch@hotel", ...LAUNCH } },
  { id: "lc-ec2", call: "create_launch_configuration", args: { LaunchConfigurationName: "mylaunch@ec2", ...LAUNCH } },
  { id: "lc-unknown-site", call: "create_launch_configuration", args: { LaunchConfigurationName: "mylaunch@nowhere", ...LAUNCH } },
  { id: "lc-duplicate", call: "create_launch_configuration", args: { LaunchConfigurationName: "mylaunch@hotel", ...LAUNCH } },
  {
    id: "create-group",
    call: "create_auto_scaling_group",
    args: { AutoScalingGroupName: "mygroup", LaunchConfigurationName: "mylaunch@hotel", MinSize: 0, MaxSize: 20, Tags: GROUP_TAGS },
  },
  { id: "describe-groups", call: "describe_auto_scaling_groups", args: { AutoScalingGroupNames: ["mygroup"] } },
  { id: "describe-lcs", call: "describe_launch_configurations", args: { LaunchConfigurationNames: ["mylaunch@hotel", "mylaunch@ec2"] } },
  { id: "set-4", call: "set_desired_capacity", args: { AutoScalingGroupName: "mygroup", DesiredCapacity: 4 } },
  { id: "describe-after-set", call: "describe_auto_scaling_groups", args: { AutoScalingGroupNames: ["mygroup"] } },
  { id: "set-40", call: "set_desired_capacity", args: { AutoScalingGroupName: "mygroup", DesiredCapacity: 40 } },
  { id: "delete-lc-in-use", call: "delete_launch_configuration", args: { LaunchConfigurationName: "mylaunch@hotel" } },
  { id: "delete-group", call: "delete_auto_scaling_group", args: { AutoScalingGroupName: "mygroup" } },
  { id: "describe-after-delete", call: "describe_auto_scaling_groups", args: { AutoScalingGroupNames: ["mygroup"] } },
  { id: "delete-lc-hotel", call: "delete_launch_configuration", args: { LaunchConfigurationName: "mylaunch@hotel" } },
  { id: "delete-lc-ec2", call: "delete_launch_configuration", args: { LaunchConfigurationName: "mylaunch@ec2" } },
  { id: "describe-lcs-after-delete", call: "describe_launch_configurations" },
];

interface Group {
  AutoScalingGroupName: string;
  LaunchConfigurationName: string;
  MinSize: number;
  MaxSize: number;
  DesiredCapacity: number;
  AvailabilityZones: string[];
  Instances: unknown[];
  CreatedTime: string;
  Tags: DescribedTag[];
}

function groups(outcomes: ReadonlyMap<string, StepOutcome>, id: string): Group[] {
  return (succeeded(outcomes, id) as { AutoScalingGroups: Group[] }).AutoScalingGroups;
}

function tagValue(group: Group, key: string): string | undefined {
  return group.Tags.find((t) => t.Key === key)?.Value;
}

describe("boto3 against Phantom", { skip: skipUnlessInstalled(boto3) }, () => {
  const run = flowOutcomes(boto3, "boto3_steps.py", FLOW);

  test("creates the launch configurations mylaunch@hotel and mylaunch@ec2", () => {
    assert.deepEqual(succeeded(run(), "lc-hotel"), {});
    assert.deepEqual(succeeded(run(), "lc-ec2"), {});
  });

  test("creates mygroup from the three Phantom tags", () => {
    assert.deepEqual(succeeded(run(), "create-group"), {});
  });

  test("describes the group: n_preserve as DesiredCapacity, the clouds as AvailabilityZones, the tags echoed", () => {
    const [group, ...rest] = groups(run(), "describe-groups");
    assert.ok(group, "DescribeAutoScalingGroups returned no group");
    assert.equal(rest.length, 0);
    assert.equal(group.AutoScalingGroupName, "mygroup");
    assert.equal(group.LaunchConfigurationName, "mylaunch@hotel");
    assert.equal(group.MinSize, 0);
    assert.equal(group.MaxSize, 20);
    assert.equal(group.DesiredCapacity, 10);
    assert.deepEqual(group.AvailabilityZones, ["hotel", "ec2"]);
    assert.deepEqual(group.Instances, []);
    // botocore parsed the timestamp into a datetime (printed by str()).
    assert.match(group.CreatedTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
    assert.deepEqual(byKey(group.Tags), describedGroupTags("mygroup"));
  });

  test("describes the launch configurations", () => {
    const { LaunchConfigurations } = succeeded(run(), "describe-lcs") as {
      LaunchConfigurations: { LaunchConfigurationName: string; ImageId: string; InstanceType: string; LaunchConfigurationARN: string }[];
    };
    assert.deepEqual(LaunchConfigurations.map((lc) => lc.LaunchConfigurationName).sort(), ["mylaunch@ec2", "mylaunch@hotel"]);
    for (const lc of LaunchConfigurations) {
      assert.equal(lc.ImageId, LAUNCH.ImageId);
      assert.equal(lc.InstanceType, LAUNCH.InstanceType);
      assert.ok(lc.LaunchConfigurationARN.endsWith(`:launchConfigurationName/${lc.LaunchConfigurationName}`), lc.LaunchConfigurationARN);
    }
  });

  test("sets the desired capacity to 4, and the n_preserve tag with it", () => {
    assert.deepEqual(succeeded(run(), "set-4"), {});
    const [group] = groups(run(), "describe-after-set");
    assert.ok(group);
    assert.equal(group.DesiredCapacity, 4);
    assert.equal(tagValue(group, "n_preserve"), "4");
  });

  test("surfaces AWS's errors as ClientError with AWS's codes and messages", () => {
    assert.deepEqual(failed(run(), "set-40"), {
      code: "ValidationError",
      message: aboveMaxMessage(40, 20),
      type: "Sender",
      status: 400,
    });
    assertUnknownSiteError(failed(run(), "lc-unknown-site"), "nowhere");
    assert.deepEqual(failed(run(), "lc-duplicate"), {
      code: "AlreadyExists",
      message: "Launch Configuration by this name already exists - A launch configuration already exists with the name mylaunch@hotel",
      type: "Sender",
      status: 400,
    });
    assert.deepEqual(failed(run(), "delete-lc-in-use"), {
      code: "ResourceInUse",
      message: "Cannot delete launch configuration mylaunch@hotel because it is attached to AutoScalingGroup mygroup",
      type: "Sender",
      status: 400,
    });
  });

  test("deletes the group, then its launch configurations", () => {
    assert.deepEqual(succeeded(run(), "delete-group"), {});
    assert.deepEqual(groups(run(), "describe-after-delete"), []);
    assert.deepEqual(succeeded(run(), "delete-lc-hotel"), {});
    assert.deepEqual(succeeded(run(), "delete-lc-ec2"), {});
    assert.deepEqual(succeeded(run(), "describe-lcs-after-delete"), { LaunchConfigurations: [] });
  });
});
