/**
 * The seed's example over Phantom's real EC2 path: two `ec2` sites pointing at two in-process
 * `phantom simcloud`s, hotel's with room for 5 VMs though the group allows it 8. Driven by the
 * AWS CLI v2; the overflow comes from what the cloud really answers (a RunInstances that fits
 * only 5, then InsufficientInstanceCapacity when Phantom tries to move VMs back to hotel). Also:
 * a VM killed behind Phantom's back with `aws ec2 terminate-instances` is replaced, scale-down,
 * delete, and `GET /metrics`. Each simcloud is checked for exactly the VMs Phantom reports.
 *
 * Backoff is short (1 s, at most 2 s) so that Phantom goes back to hotel, and hears its
 * InsufficientInstanceCapacity, within the test's time.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeClientHome, requireClient, skipUnlessInstalled, type ClientHome } from "../../api/interop/interop.test-support.js";
import { VM_TAGS } from "../../clouds/driver.js";
import { shardOf, shardTag } from "../../core/shards.js";
import { startSimcloud, type Simcloud } from "../../simcloud/simcloud-server.js";
import { SimulatedCloud, type SimulatedVm } from "../../clouds/simulated/simulated-cloud.js";
import { parseMetrics } from "../../test-support/prometheus-text.js";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";
import { setCloudCredentials } from "../../users/user-accounts.js";
import {
  assertSeedInstances,
  AutoScalingCli,
  awsCli,
  ec2Cli,
  groupIdOf,
  idsOn,
  launchActivities,
  launchCause,
  SEED_GROUP,
  SEED_IMAGE,
  SEED_INSTANCE_TYPE,
  settledAs,
  terminationActivities,
  until,
  untilGroup,
  type CliActivity,
  type CliGroup,
  type CliKeys,
} from "./awscli-e2e.test-support.js";

/** Alice's keys on each simcloud (any keys work; each key is its own account there). */
const KEYS: Record<"hotel" | "ec2", CliKeys> = {
  hotel: { accessKeyId: "AKIDALICEHOTEL0001", secretAccessKey: "alice-hotel-secret" },
  ec2: { accessKeyId: "AKIDALICEEC2000001", secretAccessKey: "alice-ec2-secret" },
};

const ICE_CAUSE = /^At \S+Z hotel answered InsufficientInstanceCapacity; backing off hotel for \d+s$/;

/** Not terminated. */
const isAlive = (vm: SimulatedVm) => vm.state !== "terminated";

describe("the seed's example through the AWS CLI v2, over ec2 → phantom simcloud", { skip: skipUnlessInstalled(awsCli), concurrency: 1 }, () => {
  let sims: Record<"hotel" | "ec2", Simcloud>;
  let phantom: TestPhantom;
  let home: ClientHome;
  let cli: AutoScalingCli;
  let aliceId: string;
  /** The group once it has settled at 5 + 5. */
  let whole: CliGroup;

  before(async () => {
    requireClient(awsCli);
    const local = { host: "127.0.0.1", port: 0 };
    sims = {
      hotel: await startSimcloud(new SimulatedCloud({ capacity: 5, bootSeconds: 0.5 }), local),
      ec2: await startSimcloud(new SimulatedCloud({ capacity: 100, bootSeconds: 0.5 }), local),
    };
    phantom = await startTestPhantom(
      {
        controller: { interval_seconds: 0.2, backoff_initial_seconds: 1, backoff_max_seconds: 2 },
        sites: {
          hotel: { driver: "ec2", endpoint: sims.hotel.url, region: "us-east-1" },
          ec2: { driver: "ec2", endpoint: sims.ec2.url, region: "us-east-1" },
        },
      },
      { controller: true },
    );
    const sites = phantom.config.sites.map((s) => s.name);
    for (const site of ["hotel", "ec2"] as const) await setCloudCredentials(phantom.store, phantom.box, sites, "alice", site, KEYS[site]);
    aliceId = (await phantom.store.users.findUserByName("alice"))!.id;
    home = await makeClientHome();
    cli = new AutoScalingCli(phantom.url, home.env(phantom.alice));
  });
  after(async () => {
    await phantom?.close();
    await sims?.hotel.close();
    await sims?.ec2.close();
    await home?.remove();
  });

  /** Alice's VMs on a simcloud that are not terminated, sorted by id. */
  const alive = (site: "hotel" | "ec2") =>
    sims[site].cloud
      .instances(KEYS[site].accessKeyId)
      .filter(isAlive)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  const aliveIds = (site: "hotel" | "ec2") => alive(site).map((vm) => vm.id);

  test("creates mylaunch@hotel, mylaunch@ec2 and mygroup with the three Phantom tags", async () => {
    await cli.createSeedGroup();
  });

  test("hotel fits only 5: ends with 5 on hotel and 5 on ec2, all InService; each simcloud runs exactly those, tagged as Phantom's", async () => {
    const group = await untilGroup(cli, "5 VMs on hotel and 5 on ec2, all InService and Healthy", (g) => settledAs(g, { hotel: 5, ec2: 5 }));
    assert.ok(group);
    whole = group;
    assertSeedInstances(group);

    const deployment = await phantom.store.controller.deploymentId();
    const { shards } = phantom.config.controller;
    for (const site of ["hotel", "ec2"] as const) {
      const vms = alive(site);
      assert.deepEqual(vms.map((vm) => vm.id), idsOn(group, site), `${site} runs exactly the group's VMs there`);
      for (const vm of vms) {
        assert.equal(vm.state, "running");
        assert.equal(vm.imageId, SEED_IMAGE);
        assert.equal(vm.instanceType, SEED_INSTANCE_TYPE);
        assert.ok(vm.clientToken !== null, `${vm.id} was launched without a client token`);
        assert.deepEqual(vm.tags, {
          [VM_TAGS.deployment]: deployment,
          [VM_TAGS.user]: aliceId,
          [VM_TAGS.group]: groupIdOf(group.AutoScalingGroupARN),
          [VM_TAGS.groupName]: SEED_GROUP,
          [VM_TAGS.token]: vm.clientToken,
          [VM_TAGS.shard]: shardTag(deployment, shardOf(groupIdOf(group.AutoScalingGroupARN), shards), shards),
        });
      }
      // Nothing under any other account, and nothing terminated: no VM was made in vain.
      assert.deepEqual(sims[site].cloud.instances().map((vm) => vm.id).sort(), vms.map((vm) => vm.id));
    }
  });

  test("the activities show why: hotel had room for only 5 of 8 and backed off, then answered InsufficientInstanceCapacity", async () => {
    // Once hotel's first backoff (1 s) ends, Phantom tries to move a VM back to it and hotel,
    // full, refuses: that failure is recorded with the backoff it caused.
    const activities = await until(
      "a failed launch on hotel with InsufficientInstanceCapacity",
      () => cli.activities(SEED_GROUP),
      (acts) => acts.some((a) => ICE_CAUSE.test(a.Cause)),
    );
    const refused = activities.filter((a) => ICE_CAUSE.test(a.Cause));
    for (const a of refused) {
      assert.equal(a.StatusCode, "Failed", JSON.stringify(a));
      assert.equal(a.StatusMessage, "hotel answered InsufficientInstanceCapacity");
      assert.match(a.Description, /^Launching a new EC2 instance on hotel\. {2}Status Reason: hotel answered InsufficientInstanceCapacity\. Launching EC2 instance failed\.$/);
      assert.deepEqual(JSON.parse(a.Details), { "Availability Zone": "hotel" });
    }
    // The partial launch is recorded as the failure it is; nothing else failed, and each VM's
    // launch says why it went where it went.
    const partial = activities.filter((a) => !refused.includes(a) && a.StatusCode !== "Successful");
    assert.equal(partial.length, 1, JSON.stringify(partial, null, 1));
    assert.equal(partial[0]!.StatusCode, "Failed");
    assert.match(partial[0]!.Cause, /hotel had room for only 5 of 8; backing off hotel for 1s$/);
    assert.match(partial[0]!.Description, /^Launching 3 new EC2 instances on hotel\. {2}Status Reason: hotel had room for only 5 of 8\./);
    const others = activities.filter((a) => !refused.includes(a) && !partial.includes(a));
    const launches = launchActivities(others);
    assert.equal(others.length, 10, JSON.stringify(others, null, 1));
    assert.deepEqual([...launches.keys()].sort(), whole.Instances.map((i) => i.InstanceId).sort());
    const causes = (site: string) => idsOn(whole, site).map((id) => launches.get(id)!.Cause);
    for (const cause of causes("hotel")) assert.match(cause, launchCause("launching 8 on hotel"));
    const onEc2 = causes("ec2");
    // The first pass sent 8 to hotel and 2 to ec2 at once; hotel fit 5, backed off, and the 3
    // it could not take went to ec2 in the same pass.
    assert.equal(onEc2.filter((c) => launchCause("hotel is at its maximum of 8; launching 2 on ec2").test(c)).length, 2, onEc2.join("\n"));
    assert.equal(
      onEc2.filter((c) => launchCause("hotel is backing off until \\S+Z after hotel had room for only 5 of 8; launching 3 on ec2").test(c)).length,
      3,
      onEc2.join("\n"),
    );
  });

  test("GET /metrics shows the VMs by site and state, hotel's refused launch, the passes and the lease", async () => {
    const response = await fetch(`${phantom.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const samples = parseMetrics(await response.text());
    const vmSeries = [...samples.keys()].filter((k) => k.startsWith("phantom_vms{"));
    assert.deepEqual(vmSeries.sort(), [
      'phantom_vms{site="ec2",state="InService"}',
      'phantom_vms{site="hotel",state="InService"}',
    ]);
    for (const series of vmSeries) assert.equal(samples.get(series), 5, series);
    assert.ok((samples.get('phantom_cloud_api_calls_total{site="hotel",call="launch",outcome="capacity"}') ?? 0) >= 1, "hotel's refused launch");
    assert.equal(samples.get('phantom_cloud_api_calls_total{site="hotel",call="launch",outcome="ok"}'), 1, "hotel's one launch that fit 5");
    assert.equal(samples.get('phantom_cloud_api_calls_total{site="ec2",call="launch",outcome="ok"}'), 2);
    assert.equal(samples.get('phantom_vms_launched_total{site="hotel"}'), 5);
    assert.equal(samples.get('phantom_vms_launched_total{site="ec2"}'), 5);
    assert.ok((samples.get('phantom_cloud_api_calls_total{site="hotel",call="describe",outcome="ok"}') ?? 0) >= 2);
    assert.ok((samples.get("phantom_reconcile_duration_seconds_count") ?? 0) >= 2);
    assert.equal(samples.get("phantom_controller_leader"), 1);
  });

  test("a VM killed behind Phantom's back with aws ec2 terminate-instances is replaced", async () => {
    const victim = idsOn(whole, "hotel")[0]!;
    const killed = await ec2Cli<{ TerminatingInstances: unknown[] }>(sims.hotel.url, home.env({ name: "alice", ...KEYS.hotel }), [
      "terminate-instances",
      "--instance-ids",
      victim,
    ]);
    assert.deepEqual(killed.TerminatingInstances, [
      { InstanceId: victim, CurrentState: { Code: 48, Name: "terminated" }, PreviousState: { Code: 16, Name: "running" } },
    ]);
    const group = await untilGroup(
      cli,
      "the killed VM gone from the group, and 5 on hotel and 5 on ec2 again, all InService",
      (g) => settledAs(g, { hotel: 5, ec2: 5 }) && !g!.Instances.some((i) => i.InstanceId === victim),
    );
    assert.ok(group);
    const before = new Set(whole.Instances.map((i) => i.InstanceId));
    // Whether the replacement went to hotel at once or, while hotel was backing off, to ec2 and
    // then back to hotel (the newest ec2 VM making way): one new VM, on hotel.
    const fresh = group.Instances.filter((i) => !before.has(i.InstanceId));
    assert.deepEqual(fresh.map((i) => i.AvailabilityZone), ["hotel"], JSON.stringify(group.Instances));
    assert.deepEqual(aliveIds("hotel"), idsOn(group, "hotel"));
    assert.deepEqual(aliveIds("ec2"), idsOn(group, "ec2"));
    assert.equal(sims.hotel.cloud.instances(KEYS.hotel.accessKeyId).find((vm) => vm.id === victim)?.state, "terminated");

    const activities = await cli.activities(SEED_GROUP);
    const death: CliActivity | undefined = terminationActivities(activities).get(victim);
    assert.ok(death, `no termination activity for ${victim}`);
    assert.equal(death.StatusCode, "Successful");
    // The cloud's own reason is quoted: EC2's StateReason of an instance its owner terminated.
    assert.match(death.Cause, /^At \S+Z an instance was taken out of service: it is unhealthy: hotel reports it terminated: Client\.UserInitiatedShutdown: User initiated shutdown\.$/);
    assert.equal(launchActivities(activities).get(fresh[0]!.InstanceId)?.StatusCode, "Successful");
  });

  test("set-desired-capacity 3 leaves 3 on hotel and none on ec2", async () => {
    assert.equal(await cli.ok(["set-desired-capacity", "--auto-scaling-group-name", SEED_GROUP, "--desired-capacity", "3"]), null);
    const group = await untilGroup(cli, "3 VMs on hotel and none on ec2, all InService", (g) => settledAs(g, { hotel: 3 }));
    assert.ok(group);
    assert.deepEqual(aliveIds("hotel"), idsOn(group, "hotel"));
    assert.deepEqual(aliveIds("ec2"), []);
  });

  test("delete-auto-scaling-group: the group goes and neither simcloud has a live VM", async () => {
    assert.equal(await cli.ok(["delete-auto-scaling-group", "--auto-scaling-group-name", SEED_GROUP]), null);
    assert.equal(await untilGroup(cli, "mygroup gone", (g) => g === undefined), undefined);
    for (const site of ["hotel", "ec2"] as const) assert.deepEqual(sims[site].cloud.instances().filter(isAlive), [], `${site} still runs VMs`);
  });
});
