/**
 * An OpenStack science cloud and an EC2 account, driven through the AWS CLI v2: Phantom's
 * `openstack` driver against `phantom simcloud --openstack` (Keystone, Nova over HTTP) and
 * its `ec2` driver against an EC2 simcloud, in process. A group `clouds=jetstream:2,ec2:-1`
 * keeping 5:
 * - with room for 2 on jetstream: 2 there and 3 on ec2; a server deleted with the real
 *   `openstack server delete` is replaced; the group's delete leaves no server on either cloud;
 * - with jetstream failing every boot ("No valid host was found", as Nova's scheduler does
 *   when full): all 5 end on ec2 within one backoff, and the failed launches quote the fault;
 *   the failed servers are deleted.
 * Each cloud is checked for exactly the VMs Phantom reports.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeClientHome, requireClient, skipUnlessInstalled } from "../../api/interop/interop.test-support.js";
import { VM_TAGS, type OpenStackCredentials } from "../../clouds/driver.js";
import { SimulatedCloud, type SimulatedVm } from "../../clouds/simulated/simulated-cloud.js";
import { hashId } from "../../simcloud/openstack/keystone-api.js";
import { projectAccount } from "../../simcloud/openstack/nova-servers.js";
import { OpenStackCli, openstackCli } from "../../simcloud/openstack/openstack-cli.test-support.js";
import { startSimcloud, type Simcloud } from "../../simcloud/simcloud-server.js";
import { startTestPhantom } from "../../test-support/test-phantom.js";
import { setCloudCredentials } from "../../users/user-accounts.js";
import {
  AutoScalingCli,
  awsCli,
  countBySite,
  groupIdOf,
  idsOn,
  SEED_GROUP,
  settledAs,
  until,
  untilGroup,
  type CliGroup,
  type CliKeys,
} from "./awscli-e2e.test-support.js";

const IMAGE = { jetstream: "cirros-0.6.2-x86_64-disk", ec2: "ami-12345678" } as const;
const FLAVOR = "m1.small";
const TAGS = [
  { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
  { Key: "clouds", Value: "jetstream:2,ec2:-1" },
  { Key: "n_preserve", Value: "5" },
];
const NO_VALID_HOST = "No valid host was found. There are not enough hosts available.";
/** Alice's Keystone password on jetstream, and her project there. */
const JETSTREAM: OpenStackCredentials = {
  kind: "openstack",
  auth: { method: "password", username: "alice", password: "alice-jetstream-password", userDomain: "Default", project: "science", projectDomain: "Default" },
};
const JETSTREAM_ACCOUNT = projectAccount(hashId("project", "default/science"));
const EC2_KEYS: CliKeys = { accessKeyId: "AKIDALICEEC2000001", secretAccessKey: "alice-ec2-secret" };

/** Not terminated, not deleted. */
const isAlive = (vm: SimulatedVm) => vm.state !== "terminated";
const sorted = (ids: readonly string[]) => [...ids].sort();

/** Two simclouds (jetstream with its OpenStack face), a Phantom over them, and Alice's CLIs. */
async function startClouds(jetstreamCapacity: number, backoffSeconds: number) {
  const local = { host: "127.0.0.1", port: 0 };
  const sims: Record<"jetstream" | "ec2", Simcloud> = {
    jetstream: await startSimcloud(new SimulatedCloud({ capacity: jetstreamCapacity, bootSeconds: 0.5 }), local, { openstack: {} }),
    ec2: await startSimcloud(new SimulatedCloud({ capacity: 100, bootSeconds: 0.5 }), local),
  };
  const phantom = await startTestPhantom(
    {
      controller: { interval_seconds: 0.2, backoff_initial_seconds: backoffSeconds, backoff_max_seconds: backoffSeconds * 2, missing_grace_seconds: 1 },
      sites: {
        jetstream: { driver: "openstack", auth_url: `${sims.jetstream.url}/identity/v3`, region: "RegionOne", network: "public" },
        ec2: { driver: "ec2", endpoint: sims.ec2.url, region: "us-east-1" },
      },
    },
    { controller: true },
  );
  const sites = phantom.config.sites.map((s) => s.name);
  await setCloudCredentials(phantom.store, phantom.box, sites, "alice", "jetstream", JETSTREAM);
  await setCloudCredentials(phantom.store, phantom.box, sites, "alice", "ec2", EC2_KEYS);
  const home = await makeClientHome();
  const cli = new AutoScalingCli(phantom.url, home.env(phantom.alice));
  const openstack = new OpenStackCli(`${sims.jetstream.url}/identity/v3`, home.dir, { user: "alice", password: "alice-jetstream-password", project: "science" });
  for (const site of ["jetstream", "ec2"] as const) {
    const made = await cli.ok(["create-launch-configuration", "--launch-configuration-name", `mylaunch@${site}`, "--image-id", IMAGE[site], "--instance-type", FLAVOR]);
    assert.equal(made, null);
  }
  const alive = (site: "jetstream" | "ec2") =>
    sorted(
      sims[site].cloud
        .instances(site === "jetstream" ? JETSTREAM_ACCOUNT : EC2_KEYS.accessKeyId)
        .filter(isAlive)
        .map((vm) => vm.id),
    );
  const close = async () => {
    await phantom.close();
    await sims.jetstream.close();
    await sims.ec2.close();
    await home.remove();
  };
  return { sims, phantom, cli, openstack, alive, close };
}

/** Creates the group over `jetstream:2,ec2:-1` keeping 5. */
async function createGroup(cli: AutoScalingCli): Promise<void> {
  const created = await cli.ok([
    "create-auto-scaling-group",
    "--auto-scaling-group-name",
    SEED_GROUP,
    "--launch-configuration-name",
    "mylaunch",
    "--min-size",
    "0",
    "--max-size",
    "10",
    "--tags",
    JSON.stringify(TAGS),
  ]);
  assert.equal(created, null);
}

const skip = skipUnlessInstalled(awsCli) || skipUnlessInstalled(openstackCli);

describe("jetstream (OpenStack) and ec2 through the AWS CLI v2, with room for 2 on jetstream", { skip, concurrency: 1 }, () => {
  let clouds: Awaited<ReturnType<typeof startClouds>>;
  let whole: CliGroup;

  before(async () => {
    requireClient(awsCli);
    requireClient(openstackCli);
    clouds = await startClouds(2, 1);
  });
  after(() => clouds?.close());

  test("2 on jetstream and 3 on ec2, all InService; jetstream runs exactly its 2, as Nova servers tagged as Phantom's", async () => {
    await createGroup(clouds.cli);
    const group = await untilGroup(clouds.cli, "2 on jetstream and 3 on ec2, all InService", (g) => settledAs(g, { jetstream: 2, ec2: 3 }));
    assert.ok(group);
    whole = group;
    for (const site of ["jetstream", "ec2"] as const) assert.deepEqual(clouds.alive(site), idsOn(group, site), `${site} runs exactly the group's VMs`);
    for (const i of group.Instances) {
      assert.equal(i.LaunchConfigurationName, `mylaunch@${i.AvailabilityZone}`);
      assert.equal(i.InstanceType, FLAVOR);
      assert.match(i.InstanceId, i.AvailabilityZone === "jetstream" ? /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ : /^i-[0-9a-f]{17}$/);
    }
    const deployment = await clouds.phantom.store.controller.deploymentId();
    const servers = clouds.sims.jetstream.cloud.instances(JETSTREAM_ACCOUNT).filter(isAlive);
    for (const vm of servers) {
      assert.deepEqual([vm.imageId, vm.instanceType, vm.attributes.networkId], ["7f0a4b2e-5c1d-4e8f-9a3b-2d6c8e1f0a41", "2", "5a3c9e1f-2b4d-4c6e-8f0a-1b2c3d4e5f63"]);
      assert.equal(vm.tags[VM_TAGS.deployment], deployment);
      assert.equal(vm.tags[VM_TAGS.group], groupIdOf(group.AutoScalingGroupARN));
      assert.equal(vm.attributes.name, `phantom-${vm.tags[VM_TAGS.token]}`);
    }
    // Phantom's servers, as the openstack command lists them in Alice's project.
    const listed = await clouds.openstack.json<{ ID: string; Status: string; Flavor: string }[]>(["server", "list"]);
    assert.deepEqual(sorted(listed.map((s) => s.ID)), idsOn(group, "jetstream"));
    assert.ok(listed.every((s) => s.Status === "ACTIVE" && s.Flavor === FLAVOR), JSON.stringify(listed));
  });

  test("a server deleted with openstack server delete is replaced", async () => {
    const victim = idsOn(whole, "jetstream")[0]!;
    await clouds.openstack.ok(["server", "delete", "--wait", victim]);
    const group = await untilGroup(
      clouds.cli,
      "the deleted server replaced: 2 on jetstream and 3 on ec2 again, all InService",
      (g) => settledAs(g, { jetstream: 2, ec2: 3 }) && !g!.Instances.some((i) => i.InstanceId === victim),
    );
    assert.ok(group);
    assert.deepEqual(clouds.alive("jetstream"), idsOn(group, "jetstream"));
    assert.deepEqual(clouds.alive("ec2"), idsOn(group, "ec2"));
    const activities = await clouds.cli.activities(SEED_GROUP);
    const death = activities.find((a) => a.Description === `Terminating EC2 instance: ${victim}`);
    assert.match(death?.Cause ?? "", /an instance was taken out of service: it is unhealthy: missing from jetstream's listing for 1s\.$/);
  });

  test("delete-auto-scaling-group leaves no server on either cloud", async () => {
    assert.equal(await clouds.cli.ok(["delete-auto-scaling-group", "--auto-scaling-group-name", SEED_GROUP]), null);
    assert.equal(await untilGroup(clouds.cli, "mygroup gone", (g) => g === undefined), undefined);
    assert.deepEqual(clouds.alive("jetstream"), []);
    assert.deepEqual(clouds.alive("ec2"), []);
    assert.ok(clouds.sims.jetstream.cloud.instances().every((vm) => vm.deletedByOwner), "nothing left in the project, not even a failed server");
  });
});

describe("jetstream (OpenStack) failing every boot with No valid host, and ec2, through the AWS CLI v2", { skip, concurrency: 1 }, () => {
  /** Long enough that the test ends well within jetstream's first backoff. */
  const BACKOFF_SECONDS = 60;
  let clouds: Awaited<ReturnType<typeof startClouds>>;

  before(async () => {
    requireClient(awsCli);
    requireClient(openstackCli);
    clouds = await startClouds(0, BACKOFF_SECONDS);
  });
  after(() => clouds?.close());

  test("all 5 end on ec2 within one backoff; the failed launches quote Nova's fault; the failed servers are deleted", async () => {
    const started = Date.now();
    await createGroup(clouds.cli);
    const group = await untilGroup(clouds.cli, "all 5 on ec2, all InService", (g) => settledAs(g, { ec2: 5 }));
    assert.ok(Date.now() - started < BACKOFF_SECONDS * 1000, "within jetstream's first backoff");
    assert.deepEqual(clouds.alive("ec2"), idsOn(group!, "ec2"));
    const servers = clouds.sims.jetstream.cloud.instances(JETSTREAM_ACCOUNT);
    assert.equal(servers.length, 2, "jetstream was asked once, for its 2, and not again while backing off");
    const failedIds = sorted(servers.map((vm) => vm.id));
    await until(
      "the failed servers deleted",
      async () => clouds.sims.jetstream.cloud.instances(JETSTREAM_ACCOUNT),
      (vms) => vms.every((vm) => vm.deletedByOwner),
      { show: (vms) => vms.map((vm) => [vm.id, vm.state, vm.deletedByOwner]) },
    );

    const activities = await clouds.cli.activities(SEED_GROUP);
    const failed = activities.filter((a) => a.StatusCode === "Failed" && a.Description.startsWith("Launching a new EC2 instance: "));
    assert.deepEqual(sorted(failed.map((a) => a.Description.slice("Launching a new EC2 instance: ".length))), failedIds);
    for (const a of failed) {
      assert.equal(a.StatusMessage, `it failed to boot: jetstream reports it terminated: ${NO_VALID_HOST}`);
      assert.deepEqual(JSON.parse(a.Details), { "Availability Zone": "jetstream" });
    }
    assert.deepEqual(countBySite(await clouds.cli.group(SEED_GROUP)), { ec2: 5 });
  });

  test("delete-auto-scaling-group leaves no server on either cloud", async () => {
    assert.equal(await clouds.cli.ok(["delete-auto-scaling-group", "--auto-scaling-group-name", SEED_GROUP]), null);
    assert.equal(await untilGroup(clouds.cli, "mygroup gone", (g) => g === undefined), undefined);
    assert.deepEqual(clouds.alive("ec2"), []);
    assert.ok(clouds.sims.jetstream.cloud.instances().every((vm) => vm.deletedByOwner));
  });
});
