// The simcloud through the AWS CLI v2 (Debian's `awscli`, /usr/bin/aws): what a user does to
// look at Phantom's VMs and to kill one behind its back.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import {
  AWS_CLI,
  makeClientHome,
  probeClient,
  requireClient,
  run,
  skipUnlessInstalled,
  type ClientHome,
  type ProcessResult,
} from "../api/interop/interop.test-support.js";
import { SimulatedCloud } from "../clouds/simulated/simulated-cloud.js";
import { startSimcloud, type Simcloud } from "./simcloud-server.js";

const awsCli = await probeClient("AWS CLI v2", AWS_CLI, ["--version"], "apt-get install -y awscli", (output) =>
  output.startsWith("aws-cli/2.") ? null : `${AWS_CLI} is ${output.split(" ")[0] ?? output}, not v2`,
);

/** The CLI's exit code when the service answered with an error. */
const SERVICE_ERROR_EXIT = 254;
const ALICE = { name: "alice", accessKeyId: "AKIDALICE", secretAccessKey: "any-secret" };

interface CliInstance {
  InstanceId: string;
  State: { Code: number; Name: string };
  Tags?: Array<{ Key: string; Value: string }>;
}

describe("AWS CLI v2 against phantom simcloud", { skip: skipUnlessInstalled(awsCli) }, () => {
  let simcloud: Simcloud;
  let home: ClientHome;
  let sdk: EC2Client;

  before(async () => {
    requireClient(awsCli);
    simcloud = await startSimcloud(new SimulatedCloud({ capacity: 50, bootSeconds: 0 }), { host: "127.0.0.1", port: 0 });
    home = await makeClientHome();
    sdk = new EC2Client({ endpoint: simcloud.url, region: "us-east-1", credentials: ALICE, maxAttempts: 1 });
  });
  after(async () => {
    sdk?.destroy();
    await simcloud?.close();
    await home?.remove();
  });

  const aws = (...args: string[]): Promise<ProcessResult> =>
    run(AWS_CLI, ["ec2", ...args, "--endpoint-url", simcloud.url, "--output", "json"], home.env(ALICE));
  const json = <T>(r: ProcessResult): T => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };
  const instancesOf = (out: { Reservations: Array<{ Instances: CliInstance[] }> }) => out.Reservations.flatMap((r) => r.Instances);

  test("describe-instances lists the VMs, terminate-instances kills one, describe-instances shows it terminated", async () => {
    const reservation = await sdk.send(
      new RunInstancesCommand({
        ImageId: "ami-1",
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 2,
        ClientToken: "cli-test",
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "phantom:group", Value: "g1" }] }],
      }),
    );
    const [victim, survivor] = reservation.Instances!.map((i) => i.InstanceId!);
    const listed = instancesOf(json(await aws("describe-instances", "--filters", "Name=tag:phantom:group,Values=g1")));
    assert.deepEqual(listed.map((i) => [i.InstanceId, i.State.Name, i.Tags]), [
      [victim, "running", [{ Key: "phantom:group", Value: "g1" }]],
      [survivor, "running", [{ Key: "phantom:group", Value: "g1" }]],
    ]);
    const terminated = json<{ TerminatingInstances: unknown[] }>(await aws("terminate-instances", "--instance-ids", victim!));
    assert.deepEqual(terminated.TerminatingInstances, [
      { InstanceId: victim, CurrentState: { Code: 48, Name: "terminated" }, PreviousState: { Code: 16, Name: "running" } },
    ]);
    const after = instancesOf(json(await aws("describe-instances", "--instance-ids", victim!, survivor!)));
    assert.deepEqual(after.map((i) => [i.InstanceId, i.State.Name]), [
      [victim, "terminated"],
      [survivor, "running"],
    ]);
  });

  test("run-instances, pagination, instance status and errors as the CLI reports them", async () => {
    const launched = json<{ Instances: CliInstance[] }>(
      await aws("run-instances", "--image-id", "ami-2", "--instance-type", "m1.small", "--count", "12", "--tag-specifications", "ResourceType=instance,Tags=[{Key=batch,Value=b}]"),
    );
    assert.equal(launched.Instances.length, 12);
    const ids = launched.Instances.map((i) => i.InstanceId);
    const [paged, status, unknown] = await Promise.all([
      // The CLI follows NextToken itself: 5 a page, all 12 in the end.
      aws("describe-instances", "--page-size", "5", "--filters", "Name=tag:batch,Values=b"),
      aws("describe-instance-status", "--instance-ids", ids[0]!),
      aws("terminate-instances", "--instance-ids", "i-0123456789abcdef0"),
    ]);
    assert.deepEqual(instancesOf(json(paged)).map((i) => i.InstanceId), ids);
    assert.deepEqual(json<{ InstanceStatuses: Array<{ InstanceId: string }> }>(status).InstanceStatuses.map((s) => s.InstanceId), [ids[0]]);
    assert.equal(unknown.code, SERVICE_ERROR_EXIT, unknown.stderr);
    assert.match(unknown.stderr, /\(InvalidInstanceID\.NotFound\) when calling the TerminateInstances operation: The instance ID 'i-0123456789abcdef0' does not exist/);
    const stillThere = await sdk.send(new DescribeInstancesCommand({ InstanceIds: [ids[0]!] }));
    assert.equal(stillThere.Reservations![0]!.Instances![0]!.State!.Name, "running");
  });
});
