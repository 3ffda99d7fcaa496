/**
 * Instances and activities through the AWS SDK for JavaScript: DescribeAutoScalingInstances,
 * SetInstanceHealth, TerminateInstanceInAutoScalingGroup, DescribeScalingActivities, and
 * DeleteAutoScalingGroup of a group that still has VMs. No controller launches VMs yet, so the
 * instances are put into the store directly, as the controller will.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type Activity,
  type AutoScalingClient,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import {
  createLaunchConfigurations,
  describeGroup,
  groupNames,
  phantomTags,
  rejectsWith,
  sdkClient,
  seedInstances,
  tagOf,
  userIdOf,
  walkPages,
} from "../test-support/sdk-client.js";

describe("instances and activities through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    await createLaunchConfigurations(alice, ["web@hotel", "web@ec2"]);
    const group = (name: string, clouds: string, n: number) =>
      alice.send(
        new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 1, MaxSize: 5, Tags: phantomTags(clouds, n) }),
      );
    await group("g", "hotel:2,ec2:-1", 3);
    await group("h", "hotel:-1", 1);
    await seedInstances(phantom, phantom.alice, [
      { id: "i-g1", groupName: "g", site: "hotel" },
      { id: "i-g2", groupName: "g", site: "hotel", instanceType: "m1.large" },
      { id: "i-g3", groupName: "g", site: "ec2", lifecycleState: "Pending", healthStatus: "Unhealthy" },
      { id: "i-h1", groupName: "h", site: "hotel", protectedFromScaleIn: true },
    ]);
  });
  after(() => phantom.close());

  const instanceIds = async (InstanceIds?: string[]) =>
    ((await alice.send(new DescribeAutoScalingInstancesCommand({ InstanceIds }))).AutoScalingInstances ?? []).map((i) => i.InstanceId);
  const states = async (name: string) =>
    ((await describeGroup(alice, name)).Instances ?? []).map((i) => `${i.InstanceId}:${i.LifecycleState}:${i.HealthStatus}`);

  it("lists a group's instances in DescribeAutoScalingGroups: AvailabilityZone = site, LaunchConfigurationName = <name>@<site>", async () => {
    const g = await describeGroup(alice, "g");
    assert.deepEqual(g.Instances, [
      { InstanceId: "i-g1", InstanceType: "m1.small", AvailabilityZone: "hotel", LifecycleState: "InService", HealthStatus: "Healthy", LaunchConfigurationName: "web@hotel", ProtectedFromScaleIn: false },
      { InstanceId: "i-g2", InstanceType: "m1.large", AvailabilityZone: "hotel", LifecycleState: "InService", HealthStatus: "Healthy", LaunchConfigurationName: "web@hotel", ProtectedFromScaleIn: false },
      { InstanceId: "i-g3", InstanceType: "m1.small", AvailabilityZone: "ec2", LifecycleState: "Pending", HealthStatus: "Unhealthy", LaunchConfigurationName: "web@ec2", ProtectedFromScaleIn: false },
    ]);
    assert.deepEqual((await describeGroup(alice, "h")).Instances?.map((i) => [i.InstanceId, i.ProtectedFromScaleIn]), [["i-h1", true]]);
  });

  it("DescribeAutoScalingInstances lists the user's instances in AWS's shape", async () => {
    const out = await alice.send(new DescribeAutoScalingInstancesCommand({}));
    assert.equal(out.NextToken, undefined);
    assert.deepEqual(out.AutoScalingInstances?.[2], {
      InstanceId: "i-g3",
      InstanceType: "m1.small",
      AutoScalingGroupName: "g",
      AvailabilityZone: "ec2",
      LifecycleState: "Pending",
      HealthStatus: "UNHEALTHY",
      LaunchConfigurationName: "web@ec2",
      ProtectedFromScaleIn: false,
    });
    assert.deepEqual(
      out.AutoScalingInstances?.map((i) => [i.InstanceId, i.AutoScalingGroupName, i.HealthStatus]),
      [["i-g1", "g", "HEALTHY"], ["i-g2", "g", "HEALTHY"], ["i-g3", "g", "UNHEALTHY"], ["i-h1", "h", "HEALTHY"]],
    );
    assert.deepEqual(await instanceIds(["i-h1", "i-absent", "i-g2"]), ["i-g2", "i-h1"]);
  });

  it("DescribeAutoScalingInstances pages with MaxRecords and NextToken, 50 at most", async () => {
    const walked = await walkPages(3, async (MaxRecords, NextToken) => {
      const out = await alice.send(new DescribeAutoScalingInstancesCommand({ MaxRecords, NextToken }));
      return { items: (out.AutoScalingInstances ?? []).map((i) => i.InstanceId), next: out.NextToken };
    });
    assert.deepEqual(walked, { items: ["i-g1", "i-g2", "i-g3", "i-h1"], pages: 2 });
    for (const MaxRecords of [0, 51, 101]) {
      await rejectsWith(alice.send(new DescribeAutoScalingInstancesCommand({ MaxRecords })), {
        code: "ValidationError",
        message: new RegExp(`Value '${MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 50$`),
      });
    }
    const first = await alice.send(new DescribeAutoScalingInstancesCommand({ MaxRecords: 1 }));
    await rejectsWith(alice.send(new DescribeAutoScalingInstancesCommand({ NextToken: "eyJub3QiOiJ0aGlzIn0" })), { code: "InvalidNextToken", message: /not valid/ });
    await rejectsWith(alice.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ["i-g1"], NextToken: first.NextToken })), {
      code: "InvalidNextToken",
      message: /not valid/,
    });
  });

  describe("SetInstanceHealth", () => {
    it("marks an instance Unhealthy and Healthy again", async () => {
      await alice.send(new SetInstanceHealthCommand({ InstanceId: "i-g1", HealthStatus: "Unhealthy", ShouldRespectGracePeriod: false }));
      assert.deepEqual(await states("g"), ["i-g1:InService:Unhealthy", "i-g2:InService:Healthy", "i-g3:Pending:Unhealthy"]);
      const out = await alice.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ["i-g1"] }));
      assert.equal(out.AutoScalingInstances?.[0]?.HealthStatus, "UNHEALTHY");
      await alice.send(new SetInstanceHealthCommand({ InstanceId: "i-g1", HealthStatus: "Healthy" }));
      assert.deepEqual(await states("g"), ["i-g1:InService:Healthy", "i-g2:InService:Healthy", "i-g3:Pending:Unhealthy"]);
    });

    it("refuses a health status other than Healthy or Unhealthy", async () => {
      await rejectsWith(alice.send(new SetInstanceHealthCommand({ InstanceId: "i-g1", HealthStatus: "Sick" })), {
        code: "ValidationError",
        message: /^Valid values for HealthStatus are Healthy and Unhealthy\.$/,
      });
      assert.deepEqual(await states("g"), ["i-g1:InService:Healthy", "i-g2:InService:Healthy", "i-g3:Pending:Unhealthy"]);
    });

    it("refuses an instance that does not exist", async () => {
      await rejectsWith(alice.send(new SetInstanceHealthCommand({ InstanceId: "i-absent", HealthStatus: "Unhealthy" })), {
        code: "ValidationError",
        message: /^Instance Id not found - No managed instance found for instance ID: i-absent$/,
      });
    });
  });

  describe("TerminateInstanceInAutoScalingGroup and DescribeScalingActivities", () => {
    const activities: Activity[] = [];

    it("without decrement: the instance goes Terminating, the capacity stays, the Activity says why", async () => {
      const startedAt = Date.now();
      const out = await alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-g1", ShouldDecrementDesiredCapacity: false }));
      const a = out.Activity;
      assert.ok(a !== undefined);
      assert.match(a.ActivityId ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(a.AutoScalingGroupName, "g");
      assert.equal(a.AutoScalingGroupARN, (await describeGroup(alice, "g")).AutoScalingGroupARN);
      assert.equal(a.Description, "Terminating EC2 instance: i-g1");
      assert.match(a.Cause ?? "", /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z instance i-g1 was taken out of service in response to a user request\.$/);
      assert.ok(a.StartTime instanceof Date && Math.abs(a.StartTime.getTime() - startedAt) < 60_000);
      assert.equal(a.EndTime, undefined);
      assert.equal(a.StatusCode, "InProgress");
      assert.equal(a.Progress, 0);
      assert.deepEqual(JSON.parse(a.Details ?? ""), { "Availability Zone": "hotel" });
      activities.unshift(a);
      const g = await describeGroup(alice, "g");
      assert.equal(g.DesiredCapacity, 3);
      assert.equal(tagOf(g, "n_preserve"), "3");
      assert.deepEqual(await states("g"), ["i-g1:Terminating:Healthy", "i-g2:InService:Healthy", "i-g3:Pending:Unhealthy"]);
    });

    it("with decrement: DesiredCapacity and n_preserve drop by one", async () => {
      const out = await alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-g2", ShouldDecrementDesiredCapacity: true }));
      assert.match(out.Activity?.Cause ?? "", /instance i-g2 was taken out of service in response to a user request, shrinking the capacity from 3 to 2\.$/);
      activities.unshift(out.Activity!);
      const g = await describeGroup(alice, "g");
      assert.equal(g.DesiredCapacity, 2);
      assert.equal(tagOf(g, "n_preserve"), "2");
      const third = await alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-g3", ShouldDecrementDesiredCapacity: true }));
      assert.deepEqual(JSON.parse(third.Activity?.Details ?? ""), { "Availability Zone": "ec2" });
      activities.unshift(third.Activity!);
      assert.equal((await describeGroup(alice, "g")).DesiredCapacity, 1);
    });

    it("refuses to decrement below MinSize, in AWS's words, and changes nothing", async () => {
      await rejectsWith(alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-h1", ShouldDecrementDesiredCapacity: true })), {
        code: "ValidationError",
        message:
          /^Currently, desiredSize equals minSize \(1\)\. Terminating instance without replacement will violate group's min size constraint\. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size\.$/,
      });
      assert.deepEqual(await states("h"), ["i-h1:InService:Healthy"]);
      assert.equal((await describeGroup(alice, "h")).DesiredCapacity, 1);
      const h = await alice.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: "h" }));
      assert.deepEqual(h.Activities, []);
    });

    it("refuses an instance that is already terminating, leaving the capacity alone", async () => {
      await rejectsWith(alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-g2", ShouldDecrementDesiredCapacity: true })), {
        code: "ValidationError",
        message: /^Instance i-g2 is already terminating\.$/,
      });
      assert.equal((await describeGroup(alice, "g")).DesiredCapacity, 1);
    });

    it("refuses an instance that is already terminating, leaving the capacity alone", async () => {
      await rejectsWith(alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-g2", ShouldDecrementDesiredCapacity: true })), {
        code: "ValidationError",
        message: /^Instance i-g2 is already terminating\.$/,
      });
      assert.equal((await describeGroup(alice, "g")).DesiredCapacity, 1);
    });

    it("refuses an instance that does not exist", async () => {
      await rejectsWith(alice.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-absent", ShouldDecrementDesiredCapacity: false })), {
        code: "ValidationError",
        message: /^Instance Id not found - No managed instance found for instance ID: i-absent$/,
      });
    });

    it("DescribeScalingActivities shows the terminations, newest first, as they were returned", async () => {
      const out = await alice.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: "g" }));
      assert.equal(out.NextToken, undefined);
      const listed = out.Activities ?? [];
      const newestFirst = [...activities].sort(
        (a, b) => b.StartTime!.getTime() - a.StartTime!.getTime() || (b.ActivityId! < a.ActivityId! ? -1 : 1),
      );
      assert.deepEqual(listed, newestFirst);
      assert.deepEqual(
        listed.map((a) => a.Description).sort(),
        ["Terminating EC2 instance: i-g1", "Terminating EC2 instance: i-g2", "Terminating EC2 instance: i-g3"],
      );
      assert.deepEqual((await alice.send(new DescribeScalingActivitiesCommand({}))).Activities, listed);
    });

    it("DescribeScalingActivities selects by ActivityIds", async () => {
      const wanted = [activities[0]!.ActivityId!, activities[2]!.ActivityId!, "00000000-0000-0000-0000-000000000000"];
      const out = await alice.send(new DescribeScalingActivitiesCommand({ ActivityIds: wanted }));
      assert.deepEqual(out.Activities?.map((a) => a.ActivityId).sort(), wanted.slice(0, 2).sort());
    });

    it("DescribeScalingActivities pages with MaxRecords and NextToken", async () => {
      const full = (await alice.send(new DescribeScalingActivitiesCommand({}))).Activities ?? [];
      const walked = await walkPages(2, async (MaxRecords, NextToken) => {
        const out = await alice.send(new DescribeScalingActivitiesCommand({ MaxRecords, NextToken }));
        return { items: out.Activities ?? [], next: out.NextToken };
      });
      assert.deepEqual(walked, { items: full, pages: 2 });
      for (const MaxRecords of [0, 101]) {
        await rejectsWith(alice.send(new DescribeScalingActivitiesCommand({ MaxRecords })), {
          code: "ValidationError",
          message: new RegExp(`^1 validation error detected: Value '${MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100$`),
        });
      }
      const first = await alice.send(new DescribeScalingActivitiesCommand({ MaxRecords: 1 }));
      await rejectsWith(alice.send(new DescribeScalingActivitiesCommand({ NextToken: "x" })), { code: "InvalidNextToken", message: /not valid/ });
      await rejectsWith(alice.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: "h", NextToken: first.NextToken })), {
        code: "InvalidNextToken",
        message: /not valid/,
      });
    });
  });

  describe("DeleteAutoScalingGroup of a group with VMs", () => {
    it("keeps the group listed with Status 'Delete in progress' until its VMs are gone", async () => {
      await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "g" }));
      const g = await describeGroup(alice, "g");
      assert.equal(g.Status, "Delete in progress");
      assert.equal(g.Instances?.length, 3);
      assert.deepEqual(await instanceIds(), ["i-g1", "i-g2", "i-g3", "i-h1"]);
      // Deleting again, forced or not, is accepted and changes nothing.
      await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "g", ForceDelete: true }));
      assert.equal((await describeGroup(alice, "g")).Status, "Delete in progress");
      assert.equal((await describeGroup(alice, "h")).Status, undefined);
    });

    it("refuses changes to a group being deleted", async () => {
      const message = /^AutoScalingGroup g is pending delete; it can no longer be changed\.$/;
      await rejectsWith(alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "g", DesiredCapacity: 2 })), { code: "ValidationError", message });
      await rejectsWith(alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "g", MaxSize: 4 })), { code: "ValidationError", message });
      await rejectsWith(alice.send(new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: "g", ResourceType: "auto-scaling-group", Key: "k", Value: "v" }] })), {
        code: "ValidationError",
        message,
      });
      await rejectsWith(alice.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "g", LaunchConfigurationName: "web", MinSize: 0, MaxSize: 1, Tags: phantomTags("hotel:1", 0) })), {
        code: "AlreadyExists",
        message: /A group with the name g already exists$/,
      });
      await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web@ec2" })), {
        code: "ResourceInUse",
        message: /attached to AutoScalingGroup g$/,
      });
      const g = await describeGroup(alice, "g");
      assert.equal(g.DesiredCapacity, 1);
      assert.equal(tagOf(g, "k"), undefined);
    });

    it("once the controller has removed the group, its activities show only with IncludeDeletedGroups", async () => {
      const userId = await userIdOf(phantom, phantom.alice);
      const g = await phantom.store.reads(userId).getGroup("g");
      assert.ok(g !== null);
      await phantom.store.write(userId, (tx) => tx.deleteGroup(g.id));
      assert.deepEqual(await groupNames(alice), ["h"]);
      assert.deepEqual(await instanceIds(), ["i-h1"]);
      assert.deepEqual((await alice.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: "g" }))).Activities, []);
      const kept = await alice.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: "g", IncludeDeletedGroups: true }));
      assert.equal(kept.Activities?.length, 3);
    });
  });
});
