/**
 * Two users with equal resource names, through the AWS SDK for JavaScript: alice and bob both
 * own `web@hotel`, `web@ec2` and group `g`; neither sees, changes, deletes or tags the other's,
 * nor learns that they exist.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DeleteTagsCommand,
  DescribeAccountLimitsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeScalingActivitiesCommand,
  DescribeTagsCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
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
} from "../test-support/sdk-client.js";

describe("two users with equal resource names", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;
  let bob: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    bob = sdkClient(phantom, phantom.bob);
    for (const [client, image] of [[alice, "ami-alice"], [bob, "ami-bob"]] as const) {
      for (const name of ["web@hotel", "web@ec2"]) {
        await client.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: name, ImageId: image, InstanceType: "m1.small" }));
      }
    }
    await alice.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "g", LaunchConfigurationName: "web", MinSize: 0, MaxSize: 10, Tags: [...phantomTags("hotel:2,ec2:-1", 2), { Key: "owner", Value: "alice" }] }));
    await bob.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "g", LaunchConfigurationName: "web", MinSize: 0, MaxSize: 6, Tags: [...phantomTags("ec2:1,hotel:-1", 4), { Key: "owner", Value: "bob" }] }));
    await createLaunchConfigurations(alice, ["alice-only@sierra"]);
    await alice.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "alice-only", LaunchConfigurationName: "alice-only", MinSize: 0, MaxSize: 1, Tags: phantomTags("sierra:1", 1) }));
    // Instance ids are the clouds' own; two users' clouds may well reuse one.
    await seedInstances(phantom, phantom.alice, [{ id: "i-shared", groupName: "g", site: "hotel" }, { id: "i-alice", groupName: "alice-only", site: "sierra" }]);
    await seedInstances(phantom, phantom.bob, [{ id: "i-shared", groupName: "g", site: "ec2" }]);
  });
  after(() => phantom.close());

  it("each sees only their own launch configurations", async () => {
    const images = async (client: AutoScalingClient) =>
      ((await client.send(new DescribeLaunchConfigurationsCommand({}))).LaunchConfigurations ?? []).map((lc) => `${lc.LaunchConfigurationName}=${lc.ImageId}`);
    assert.deepEqual(await images(alice), ["alice-only@sierra=ami-alice-only@sierra", "web@ec2=ami-alice", "web@hotel=ami-alice"]);
    assert.deepEqual(await images(bob), ["web@ec2=ami-bob", "web@hotel=ami-bob"]);
    const named = await bob.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ["alice-only@sierra"] }));
    assert.deepEqual(named.LaunchConfigurations, []);
  });

  it("each sees only their own group g, with their own settings, tags and instances", async () => {
    const a = await describeGroup(alice, "g");
    const b = await describeGroup(bob, "g");
    assert.deepEqual([a.MaxSize, a.DesiredCapacity, a.AvailabilityZones, tagOf(a, "owner")], [10, 2, ["hotel", "ec2"], "alice"]);
    assert.deepEqual([b.MaxSize, b.DesiredCapacity, b.AvailabilityZones, tagOf(b, "owner")], [6, 4, ["ec2", "hotel"], "bob"]);
    assert.notEqual(a.AutoScalingGroupARN, b.AutoScalingGroupARN);
    assert.deepEqual(a.Instances?.map((i) => `${i.InstanceId}@${i.AvailabilityZone}`), ["i-shared@hotel"]);
    assert.deepEqual(b.Instances?.map((i) => `${i.InstanceId}@${i.AvailabilityZone}`), ["i-shared@ec2"]);
    assert.deepEqual(await groupNames(alice), ["alice-only", "g"]);
    assert.deepEqual(await groupNames(bob), ["g"]);
    assert.deepEqual(await groupNames(bob, ["alice-only"]), []);
  });

  it("each sees only their own instances", async () => {
    const ids = async (client: AutoScalingClient, InstanceIds?: string[]) =>
      ((await client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds }))).AutoScalingInstances ?? []).map((i) => `${i.InstanceId}@${i.AvailabilityZone}`);
    assert.deepEqual(await ids(alice), ["i-alice@sierra", "i-shared@hotel"]);
    assert.deepEqual(await ids(bob), ["i-shared@ec2"]);
    assert.deepEqual(await ids(bob, ["i-alice"]), []);
  });

  it("DescribeTags and tag filters show only the user's own tags", async () => {
    const tags = async (client: AutoScalingClient) =>
      ((await client.send(new DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["owner", "n_preserve"] }] }))).Tags ?? []).map(
        (t) => `${t.ResourceId}:${t.Key}=${t.Value}`,
      );
    assert.deepEqual(await tags(alice), ["alice-only:n_preserve=1", "g:n_preserve=2", "g:owner=alice"]);
    assert.deepEqual(await tags(bob), ["g:n_preserve=4", "g:owner=bob"]);
    const filtered = await bob.send(new DescribeTagsCommand({ Filters: [{ Name: "value", Values: ["alice"] }] }));
    assert.deepEqual(filtered.Tags, []);
  });

  it("DescribeAccountLimits counts each user's own resources", async () => {
    const counts = async (client: AutoScalingClient) => {
      const out = await client.send(new DescribeAccountLimitsCommand({}));
      return [out.NumberOfLaunchConfigurations, out.NumberOfAutoScalingGroups];
    };
    assert.deepEqual(await counts(alice), [3, 2]);
    assert.deepEqual(await counts(bob), [2, 1]);
  });

  it("bob cannot change, tag, delete or act on alice's resources: they are not found", async () => {
    const groupMissing = { code: "ValidationError", message: /^AutoScalingGroup name not found - AutoScalingGroup 'alice-only' not found$/ };
    await rejectsWith(bob.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "alice-only", DesiredCapacity: 0 })), groupMissing);
    await rejectsWith(bob.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "alice-only", MaxSize: 5 })), groupMissing);
    await rejectsWith(bob.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "alice-only", ForceDelete: true })), groupMissing);
    const tag = { ResourceId: "alice-only", ResourceType: "auto-scaling-group", Key: "owner", Value: "bob" };
    await rejectsWith(bob.send(new CreateOrUpdateTagsCommand({ Tags: [tag] })), groupMissing);
    await rejectsWith(bob.send(new DeleteTagsCommand({ Tags: [tag] })), groupMissing);
    await rejectsWith(bob.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "alice-only@sierra" })), {
      code: "ValidationError",
      message: /^Launch configuration name not found - Launch configuration alice-only@sierra not found$/,
    });
    const instanceMissing = { code: "ValidationError", message: /^Instance Id not found - No managed instance found for instance ID: i-alice$/ };
    await rejectsWith(bob.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-alice", ShouldDecrementDesiredCapacity: true })), instanceMissing);
    await rejectsWith(bob.send(new SetInstanceHealthCommand({ InstanceId: "i-alice", HealthStatus: "Unhealthy" })), instanceMissing);

    const mine = await describeGroup(alice, "alice-only");
    assert.deepEqual([mine.MaxSize, mine.DesiredCapacity, tagOf(mine, "owner"), mine.Status], [1, 1, undefined, undefined]);
    assert.deepEqual(mine.Instances?.map((i) => `${i.InstanceId}:${i.LifecycleState}:${i.HealthStatus}`), ["i-alice:InService:Healthy"]);
    const lcs = await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ["alice-only@sierra"] }));
    assert.equal(lcs.LaunchConfigurations?.length, 1);
  });

  it("changes by one user to their g leave the other's g alone", async () => {
    await bob.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "g", DesiredCapacity: 5 }));
    await bob.send(new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: "g", ResourceType: "auto-scaling-group", Key: "clouds", Value: "hotel:-1" }] }));
    await bob.send(new SetInstanceHealthCommand({ InstanceId: "i-shared", HealthStatus: "Unhealthy" }));
    await bob.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: "i-shared", ShouldDecrementDesiredCapacity: true }));
    const a = await describeGroup(alice, "g");
    assert.deepEqual([a.DesiredCapacity, tagOf(a, "n_preserve"), a.AvailabilityZones], [2, "2", ["hotel", "ec2"]]);
    assert.deepEqual(a.Instances?.map((i) => `${i.InstanceId}:${i.LifecycleState}:${i.HealthStatus}`), ["i-shared:InService:Healthy"]);
    const b = await describeGroup(bob, "g");
    assert.deepEqual([b.DesiredCapacity, tagOf(b, "n_preserve"), b.AvailabilityZones], [4, "4", ["hotel"]]);
    assert.deepEqual(b.Instances?.map((i) => `${i.InstanceId}:${i.LifecycleState}:${i.HealthStatus}`), ["i-shared:Terminating:Unhealthy"]);
  });

  it("each sees only their own scaling activities", async () => {
    const activities = async (client: AutoScalingClient) =>
      ((await client.send(new DescribeScalingActivitiesCommand({ IncludeDeletedGroups: true }))).Activities ?? []).map((a) => a.Description);
    assert.deepEqual(await activities(bob), ["Terminating EC2 instance: i-shared"]);
    assert.deepEqual(await activities(alice), []);
  });

  it("deleting one user's g marks only theirs; the other's launch configurations stay in use", async () => {
    await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel" })), {
      code: "ResourceInUse",
      message: /attached to AutoScalingGroup g$/,
    });
    // Bob's g still has its VM, so it is only marked; alice's g is untouched.
    await bob.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "g" }));
    assert.equal((await describeGroup(bob, "g")).Status, "Delete in progress");
    assert.equal((await describeGroup(alice, "g")).Status, undefined);
    assert.deepEqual(await groupNames(alice), ["alice-only", "g"]);
    assert.deepEqual(await groupNames(bob), ["g"]);
    // The controller removes bob's g once its VM is gone; then bob's web@hotel is free, alice's is not.
    const bobId = await userIdOf(phantom, phantom.bob);
    const bobs = await phantom.store.reads(bobId).getGroup("g");
    assert.ok(bobs !== null);
    await phantom.store.write(bobId, (tx) => tx.deleteGroup(bobs.id));
    await bob.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel" }));
    assert.deepEqual(await groupNames(bob), []);
    await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel" })), {
      code: "ResourceInUse",
      message: /attached to AutoScalingGroup g$/,
    });
    const lcs = await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ["web@hotel"] }));
    assert.equal(lcs.LaunchConfigurations?.[0]?.ImageId, "ami-alice");
  });
});
