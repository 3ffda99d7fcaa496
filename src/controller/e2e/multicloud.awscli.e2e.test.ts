/**
 * The seed's example end to end on the demo's simulated clouds, driven only by the AWS CLI v2
 * against a Phantom with its controller on: `clouds=hotel:8,ec2:-1` with `n_preserve=10` fills
 * hotel to its maximum and puts the rest on ec2; `set-desired-capacity 4` drains ec2 first;
 * deleting the group drains every VM, then the group goes. What runs is checked in the
 * simulated clouds themselves, not only in what Phantom says.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeClientHome, requireClient, skipUnlessInstalled, type ClientHome } from "../../api/interop/interop.test-support.js";
import { ObservedClouds } from "../../test-support/observed-clouds.js";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";
import {
  assertSeedInstances,
  AutoScalingCli,
  awsCli,
  idsOn,
  launchActivities,
  launchCause,
  SEED_GROUP,
  settledAs,
  terminationActivities,
  untilGroup,
  type CliGroup,
} from "./awscli-e2e.test-support.js";

describe("the seed's example through the AWS CLI v2, on simulated clouds", { skip: skipUnlessInstalled(awsCli), concurrency: 1 }, () => {
  const clouds = new ObservedClouds();
  let phantom: TestPhantom;
  let home: ClientHome;
  let cli: AutoScalingCli;
  /** The group once it has settled at 10 VMs. */
  let whole: CliGroup;

  before(async () => {
    requireClient(awsCli);
    phantom = await startTestPhantom(
      {
        controller: { interval_seconds: 0.2 },
        // hotel has room for more than the 8 the group's `clouds` allow it: the group's cap,
        // not the cloud, sends the rest to ec2.
        sites: {
          hotel: { driver: "simulated", capacity: 12, boot_seconds: 0.5 },
          ec2: { driver: "simulated", capacity: 100, boot_seconds: 0.5 },
        },
      },
      { controller: true, createDriver: clouds.createDriver },
    );
    home = await makeClientHome();
    cli = new AutoScalingCli(phantom.url, home.env(phantom.alice));
  });
  after(async () => {
    // A failed drain test must not leave the controller's pass waiting forever.
    clouds.releaseTerminations();
    await phantom?.close();
    await home?.remove();
  });

  /** The ids of the VMs not terminated on a site, as its cloud lists them, sorted. */
  const alive = (site: string) =>
    clouds
      .cloud(site)
      .instances()
      .filter((vm) => vm.state !== "terminated")
      .map((vm) => vm.id)
      .sort();
  const running = (site: string) =>
    clouds
      .cloud(site)
      .instances()
      .filter((vm) => vm.state === "running")
      .map((vm) => vm.id)
      .sort();

  test("creates mylaunch@hotel, mylaunch@ec2 and mygroup with the three Phantom tags", async () => {
    await cli.createSeedGroup();
  });

  test("fills hotel to its maximum of 8 and puts 2 on ec2, all InService and Healthy; the clouds run exactly those", async () => {
    const group = await untilGroup(cli, "8 VMs on hotel and 2 on ec2, all InService and Healthy", (g) => settledAs(g, { hotel: 8, ec2: 2 }));
    assert.ok(group);
    whole = group;
    assert.equal(group.DesiredCapacity, 10);
    assertSeedInstances(group);

    const [details, activities] = await Promise.all([cli.instances(), cli.activities(SEED_GROUP)]);
    // describe-auto-scaling-instances agrees (and upper-cases the health, as AWS does).
    assert.deepEqual(
      details.map((d) => [d.InstanceId, d.AutoScalingGroupName, d.AvailabilityZone, d.LifecycleState, d.HealthStatus, d.LaunchConfigurationName]).sort(),
      group.Instances.map((i) => [i.InstanceId, SEED_GROUP, i.AvailabilityZone, "InService", "HEALTHY", i.LaunchConfigurationName]).sort(),
    );

    assert.deepEqual(running("hotel"), idsOn(group, "hotel"));
    assert.deepEqual(running("ec2"), idsOn(group, "ec2"));
    assert.deepEqual(alive("hotel"), idsOn(group, "hotel"));
    assert.deepEqual(alive("ec2"), idsOn(group, "ec2"));

    // One successful launch activity per VM, each saying why it went where it went.
    const launches = launchActivities(activities);
    assert.equal(activities.length, 10, JSON.stringify(activities, null, 1));
    assert.deepEqual([...launches.keys()].sort(), group.Instances.map((i) => i.InstanceId).sort());
    for (const i of group.Instances) {
      const a = launches.get(i.InstanceId)!;
      assert.equal(a.StatusCode, "Successful", JSON.stringify(a));
      assert.deepEqual(JSON.parse(a.Details), { "Availability Zone": i.AvailabilityZone });
      assert.match(a.Cause, launchCause(i.AvailabilityZone === "hotel" ? "launching 8 on hotel" : "hotel is at its maximum of 8; launching 2 on ec2"));
    }
  });

  test("set-desired-capacity 4 drains ec2 first and leaves 4 on hotel", async () => {
    assert.equal(await cli.ok(["set-desired-capacity", "--auto-scaling-group-name", SEED_GROUP, "--desired-capacity", "4"]), null);
    const group = await untilGroup(cli, "4 VMs on hotel and none on ec2, all InService", (g) => settledAs(g, { hotel: 4 }));
    assert.ok(group);
    assert.equal(group.DesiredCapacity, 4);
    // Scale-down keeps VMs: the 4 left are 4 of the 8 hotel had.
    const kept = idsOn(group, "hotel");
    assert.deepEqual(kept.filter((id) => idsOn(whole, "hotel").includes(id)), kept);
    assert.deepEqual(alive("hotel"), kept);
    assert.deepEqual(alive("ec2"), []);

    const terminations = terminationActivities(await cli.activities(SEED_GROUP));
    const gone = whole.Instances.map((i) => i.InstanceId).filter((id) => !kept.includes(id));
    assert.deepEqual([...terminations.keys()].sort(), gone.sort());
    for (const id of gone) assert.equal(terminations.get(id)!.StatusCode, "Successful", JSON.stringify(terminations.get(id)));
    for (const id of idsOn(whole, "ec2")) {
      assert.match(
        terminations.get(id)!.Cause,
        /^At \S+Z an instance was taken out of service: the group is above its desired capacity of 4; ec2 is its least-preferred site in use\.$/,
      );
    }
  });

  test("delete-auto-scaling-group: Delete in progress while the VMs drain, then gone, and no VM alive in either cloud", async () => {
    // Terminations wait in the cloud until released, so the drain can be seen whatever the timing.
    clouds.holdTerminations();
    try {
      assert.equal(await cli.ok(["delete-auto-scaling-group", "--auto-scaling-group-name", SEED_GROUP]), null);
      const draining = await untilGroup(
        cli,
        "mygroup Delete in progress with its 4 VMs Terminating",
        (g) => g?.Status === "Delete in progress" && g.Instances.length === 4 && g.Instances.every((i) => i.LifecycleState === "Terminating"),
      );
      assert.ok(draining);
      assert.deepEqual(alive("hotel"), idsOn(draining, "hotel"), "the VMs still run while their termination is held");
    } finally {
      clouds.releaseTerminations();
    }
    assert.equal(await untilGroup(cli, "mygroup gone", (g) => g === undefined), undefined);
    assert.deepEqual(alive("hotel"), []);
    assert.deepEqual(alive("ec2"), []);
  });
});
