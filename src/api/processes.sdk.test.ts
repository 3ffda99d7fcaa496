/**
 * SuspendProcesses, ResumeProcesses, DescribeScalingProcessTypes and SetInstanceProtection
 * through the AWS SDK for JavaScript against a real Phantom: what DescribeAutoScalingGroups and
 * DescribeAutoScalingInstances show, and AWS's errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingProcessTypesCommand,
  ResumeProcessesCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  type AutoScalingClient,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, describeGroup, phantomTags, rejectsWith, sdkClient, seedInstances } from "../test-support/sdk-client.js";

describe("scaling processes and instance protection through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;
  let bob: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    bob = sdkClient(phantom, phantom.bob);
    await createLaunchConfigurations(alice, ["web@hotel"]);
    for (const name of ["g", "other"]) {
      await alice.send(
        new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 0, MaxSize: 5, Tags: phantomTags("hotel:-1", 2) }),
      );
    }
    await seedInstances(phantom, phantom.alice, [
      { id: "i-1", site: "hotel", groupName: "g" },
      { id: "i-2", site: "hotel", groupName: "g" },
      { id: "i-9", site: "hotel", groupName: "other" },
    ]);
  });
  after(() => phantom.close());

  const suspended = async () => (await describeGroup(alice, "g")).SuspendedProcesses ?? [];

  it("lists AWS's process types", async () => {
    const out = await alice.send(new DescribeScalingProcessTypesCommand({}));
    assert.deepEqual(
      out.Processes?.map((p) => p.ProcessName),
      ["AZRebalance", "AddToLoadBalancer", "AlarmNotification", "HealthCheck", "InstanceRefresh", "Launch", "ReplaceUnhealthy", "ScheduledActions", "Terminate"],
    );
  });

  it("shows suspended processes with AWS's reason, and resumes them", async () => {
    assert.deepEqual(await suspended(), []);
    await alice.send(new SuspendProcessesCommand({ AutoScalingGroupName: "g", ScalingProcesses: ["Launch", "AZRebalance"] }));
    const shown = await suspended();
    assert.deepEqual(
      shown.map((p) => p.ProcessName),
      ["AZRebalance", "Launch"],
    );
    for (const p of shown) assert.match(p.SuspensionReason ?? "", /^User suspended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await alice.send(new ResumeProcessesCommand({ AutoScalingGroupName: "g", ScalingProcesses: ["Launch"] }));
    assert.deepEqual(
      (await suspended()).map((p) => p.ProcessName),
      ["AZRebalance"],
    );
    await alice.send(new SuspendProcessesCommand({ AutoScalingGroupName: "g" }));
    assert.equal((await suspended()).length, 9);
    await alice.send(new ResumeProcessesCommand({ AutoScalingGroupName: "g" }));
    assert.deepEqual(await suspended(), []);
  });

  it("refuses unknown processes and groups, changing nothing", async () => {
    await rejectsWith(alice.send(new SuspendProcessesCommand({ AutoScalingGroupName: "g", ScalingProcesses: ["Launch", "Lunch"] })), {
      code: "ValidationError",
      message: /^Invalid processes: Lunch\. Valid processes are /,
    });
    assert.deepEqual(await suspended(), []);
    await rejectsWith(bob.send(new SuspendProcessesCommand({ AutoScalingGroupName: "g" })), {
      code: "ValidationError",
      message: /^AutoScalingGroup name not found/,
    });
  });

  it("protects VMs from scale-in and lifts it; VMs of another group are refused", async () => {
    const protection = async () =>
      Object.fromEntries(((await alice.send(new DescribeAutoScalingInstancesCommand({}))).AutoScalingInstances ?? []).map((i) => [i.InstanceId, i.ProtectedFromScaleIn]));
    const out = await alice.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: "g", InstanceIds: ["i-1"], ProtectedFromScaleIn: true }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.deepEqual(await protection(), { "i-1": true, "i-2": false, "i-9": false });
    assert.deepEqual(
      (await describeGroup(alice, "g")).Instances?.map((i) => i.ProtectedFromScaleIn),
      [true, false],
    );
    await rejectsWith(alice.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: "g", InstanceIds: ["i-2", "i-9"], ProtectedFromScaleIn: true })), {
      code: "ValidationError",
      message: /^The instance i-9 is not part of Auto Scaling group g\.$/,
    });
    assert.deepEqual(await protection(), { "i-1": true, "i-2": false, "i-9": false });
    await alice.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: "g", InstanceIds: ["i-1"], ProtectedFromScaleIn: false }));
    assert.deepEqual(await protection(), { "i-1": false, "i-2": false, "i-9": false });
  });

  it("keeps NewInstancesProtectedFromScaleIn as given", async () => {
    await alice.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "protected",
        LaunchConfigurationName: "web",
        MinSize: 0,
        MaxSize: 5,
        NewInstancesProtectedFromScaleIn: true,
        Tags: phantomTags("hotel:-1", 0),
      }),
    );
    assert.equal((await describeGroup(alice, "protected")).NewInstancesProtectedFromScaleIn, true);
  });
});
