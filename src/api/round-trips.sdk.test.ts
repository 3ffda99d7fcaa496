/**
 * Plain AWS scripts read back what they wrote (`default_site` configured), through the AWS SDK
 * for JavaScript against a real Phantom with its controller: a launch configuration created as
 * `tester` is described, referenced and shown on VMs as `tester`; one created with `@` keeps
 * its `@`; DescribeLaunchConfigurations returns AWS's members for unset values; errors start
 * with AWS's own sentence.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLaunchConfigurationsCommand,
  type AutoScalingClient,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { describeGroup, rejectsWith, sdkClient } from "../test-support/sdk-client.js";

describe("exact round-trips for plain AWS scripts through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom({ default_site: "hotel" }, { controller: true });
    alice = sdkClient(phantom, phantom.alice);
  });
  after(() => phantom.close());

  const describeLcs = async (LaunchConfigurationNames?: string[]) =>
    (await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames }))).LaunchConfigurations ?? [];

  it("describes a configuration created as tester as tester, found by either name, with AWS's members for unset values", async () => {
    await alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "tester", ImageId: "ami-t", InstanceType: "m1.small" }));
    for (const asked of [undefined, ["tester"], ["tester@hotel"]]) {
      const lcs = await describeLcs(asked);
      assert.equal(lcs.length, 1, `asked ${String(asked)}`);
      assert.equal(lcs[0]!.LaunchConfigurationName, "tester");
    }
    const [lc] = await describeLcs(["tester"]);
    assert.match(lc!.LaunchConfigurationARN ?? "", /:launchConfigurationName\/tester$/);
    assert.deepEqual(
      { KeyName: lc!.KeyName, UserData: lc!.UserData, KernelId: lc!.KernelId, RamdiskId: lc!.RamdiskId, SecurityGroups: lc!.SecurityGroups },
      { KeyName: "", UserData: "", KernelId: "", RamdiskId: "", SecurityGroups: [] },
    );
  });

  it("keeps Phantom's meaning for names with @: web@hotel stays web@hotel", async () => {
    await alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel", ImageId: "ami-w", InstanceType: "m1.small", KeyName: "k" }));
    const [lc] = await describeLcs(["web"]);
    assert.equal(lc!.LaunchConfigurationName, "web@hotel");
    assert.equal(lc!.KeyName, "k");
  });

  it("shows a group's VMs launched from tester as launched from tester", async () => {
    await alice.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "asg", LaunchConfigurationName: "tester", MinSize: 1, MaxSize: 2 }));
    let group = await describeGroup(alice, "asg");
    for (let k = 0; k < 100 && (group.Instances ?? []).length === 0; k++) {
      await new Promise((r) => setTimeout(r, 50));
      group = await describeGroup(alice, "asg");
    }
    assert.equal(group.LaunchConfigurationName, "tester");
    assert.deepEqual(
      (group.Instances ?? []).map((i) => i.LaunchConfigurationName),
      ["tester"],
    );
    const instances = (await alice.send(new DescribeAutoScalingInstancesCommand({}))).AutoScalingInstances ?? [];
    assert.deepEqual(
      instances.map((i) => i.LaunchConfigurationName),
      ["tester"],
    );
  });

  it("refuses with AWS's own sentence first, then Phantom's hint, and names configurations as the request did", async () => {
    await rejectsWith(alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "noimage", InstanceType: "m1.small" })), {
      code: "ValidationError",
      message:
        /^Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters\. ImageId is what VMs launched on hotel get\.$/,
    });
    await rejectsWith(alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "tester", ImageId: "a", InstanceType: "t" })), {
      code: "AlreadyExists",
      message: /^Launch Configuration by this name already exists - A launch configuration already exists with the name tester$/,
    });
    await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "tester" })), {
      code: "ResourceInUse",
      message: /^Cannot delete launch configuration tester because it is attached to AutoScalingGroup asg$/,
    });
    await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "absent" })), {
      code: "ValidationError",
      message: /^Launch configuration name not found - Launch configuration absent not found$/,
    });
  });
});
