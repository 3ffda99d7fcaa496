/**
 * The typical Phantom flow through the AWS CLI v2 (Debian's `awscli`, /usr/bin/aws), one process
 * per call with `--output json`, plus a wrong secret. The CLI takes most of a second to start, so
 * independent calls run side by side.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";
import {
  aboveMaxMessage,
  assertUnknownSiteError,
  AWS_CLI,
  byKey,
  describedGroupTags,
  GROUP_TAGS,
  makeClientHome,
  probeClient,
  requireClient,
  run,
  skipUnlessInstalled,
  type ClientError,
  type ClientHome,
  type DescribedTag,
  type ProcessResult,
} from "./interop.test-support.js";

const awsCli = await probeClient("AWS CLI v2", AWS_CLI, ["--version"], "apt-get install -y awscli", (output) =>
  output.startsWith("aws-cli/2.") ? null : `${AWS_CLI} is ${output.split(" ")[0] ?? output}, not v2`,
);

/** The CLI's exit code when the service answered with an error. */
const SERVICE_ERROR_EXIT = 254;

interface Group {
  AutoScalingGroupName: string;
  LaunchConfigurationName: string;
  MinSize: number;
  MaxSize: number;
  DesiredCapacity: number;
  AvailabilityZones: string[];
  CreatedTime: string;
  Tags: DescribedTag[];
}

interface LaunchConfiguration {
  LaunchConfigurationName: string;
  ImageId: string;
  InstanceType: string;
}

// The wrong-secret check runs beside the flow; the flow's own steps run in order.
describe("AWS CLI v2 against Phantom", { skip: skipUnlessInstalled(awsCli), concurrency: true }, () => {
  let phantom: TestPhantom;
  let home: ClientHome;

  before(async () => {
    requireClient(awsCli);
    phantom = await startTestPhantom();
    home = await makeClientHome();
  });
  after(async () => {
    await phantom?.close();
    await home?.remove();
  });

  /** `aws autoscaling ARGS` as alice (with `secret` instead of hers when given). */
  function aws(args: readonly string[], secret?: string): Promise<ProcessResult> {
    return run(
      AWS_CLI,
      ["--endpoint-url", phantom.url, "--output", "json", "--no-cli-pager", "autoscaling", ...args],
      home.env(phantom.alice, secret),
    );
  }

  /** Runs a call that must succeed; returns its parsed JSON output (null when it prints nothing). */
  async function ok(args: readonly string[]): Promise<unknown> {
    const result = await aws(args);
    assert.equal(result.code, 0, `aws autoscaling ${args.join(" ")} failed:\n${result.stderr}`);
    return result.stdout.trim() === "" ? null : (JSON.parse(result.stdout) as unknown);
  }

  /** Runs a call that must fail with a service error; returns the error as the CLI printed it. */
  async function refused(args: readonly string[], operation: string): Promise<ClientError> {
    const result = await aws(args);
    assert.equal(result.code, SERVICE_ERROR_EXIT, `aws autoscaling ${args.join(" ")}: exit ${result.code}\n${result.stdout}${result.stderr}`);
    const match = /An error occurred \((\w+)\) when calling the (\w+) operation: (.*)$/m.exec(result.stderr);
    assert.ok(match, `no AWS error in the CLI's stderr:\n${result.stderr}`);
    assert.equal(match[2], operation);
    return { code: match[1] ?? "", message: match[3] ?? "" };
  }

  async function describeGroup(): Promise<Group[]> {
    return ((await ok(["describe-auto-scaling-groups", "--auto-scaling-group-names", "mygroup"])) as { AutoScalingGroups: Group[] })
      .AutoScalingGroups;
  }

  const launch = (name: string): string[] => [
    "create-launch-configuration",
    "--launch-configuration-name",
    name,
    "--image-id",
    "ami-12345678",
    "--instance-type",
    "m1.small",
  ];

  describe("the typical Phantom flow", { concurrency: 1 }, () => {
    test("creates mylaunch@hotel and mylaunch@ec2; a site that is not configured is a ValidationError listing the sites", async () => {
      const [hotel, ec2, unknown] = await Promise.all([
        ok(launch("mylaunch@hotel")),
        ok(launch("mylaunch@ec2")),
        refused(launch("mylaunch@nowhere"), "CreateLaunchConfiguration"),
      ]);
      assert.equal(hotel, null);
      assert.equal(ec2, null);
      assertUnknownSiteError(unknown, "nowhere");
    });

    test("creates mygroup from the three Phantom tags, in --tags' JSON form since their values hold commas", async () => {
      const created = await ok([
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "mygroup",
        "--launch-configuration-name",
        "mylaunch",
        "--min-size",
        "0",
        "--max-size",
        "20",
        "--tags",
        JSON.stringify(GROUP_TAGS),
      ]);
      assert.equal(created, null);
    });

    test("describes the group and the launch configurations", async () => {
      const [groups, lcs] = await Promise.all([
        describeGroup(),
        ok(["describe-launch-configurations"]) as Promise<{ LaunchConfigurations: LaunchConfiguration[] }>,
      ]);
      const [group, ...rest] = groups;
      assert.ok(group, "DescribeAutoScalingGroups returned no group");
      assert.equal(rest.length, 0);
      assert.equal(group.AutoScalingGroupName, "mygroup");
      assert.equal(group.LaunchConfigurationName, "mylaunch");
      assert.equal(group.MinSize, 0);
      assert.equal(group.MaxSize, 20);
      assert.equal(group.DesiredCapacity, 10);
      assert.deepEqual(group.AvailabilityZones, ["hotel", "ec2"]);
      assert.ok(!Number.isNaN(Date.parse(group.CreatedTime)), group.CreatedTime);
      assert.deepEqual(byKey(group.Tags), describedGroupTags("mygroup"));
      assert.deepEqual(
        lcs.LaunchConfigurations.map((lc) => [lc.LaunchConfigurationName, lc.ImageId, lc.InstanceType]).sort(),
        [
          ["mylaunch@ec2", "ami-12345678", "m1.small"],
          ["mylaunch@hotel", "ami-12345678", "m1.small"],
        ],
      );
    });

    test("sets the desired capacity to 4, and the n_preserve tag with it", async () => {
      assert.equal(await ok(["set-desired-capacity", "--auto-scaling-group-name", "mygroup", "--desired-capacity", "4"]), null);
      const [group] = await describeGroup();
      assert.ok(group);
      assert.equal(group.DesiredCapacity, 4);
      assert.equal(group.Tags.find((t) => t.Key === "n_preserve")?.Value, "4");
    });

    test("refuses a desired capacity above MaxSize with AWS's ValidationError", async () => {
      const error = await refused(["set-desired-capacity", "--auto-scaling-group-name", "mygroup", "--desired-capacity", "40"], "SetDesiredCapacity");
      assert.deepEqual(error, { code: "ValidationError", message: aboveMaxMessage(40, 20) });
    });

    test("deletes the group, then the launch configurations", async () => {
      assert.equal(await ok(["delete-auto-scaling-group", "--auto-scaling-group-name", "mygroup"]), null);
      const [groups, hotel, ec2] = await Promise.all([
        describeGroup(),
        ok(["delete-launch-configuration", "--launch-configuration-name", "mylaunch@hotel"]),
        ok(["delete-launch-configuration", "--launch-configuration-name", "mylaunch@ec2"]),
      ]);
      assert.deepEqual(groups, []);
      assert.equal(hotel, null);
      assert.equal(ec2, null);
      assert.deepEqual(await ok(["describe-launch-configurations"]), { LaunchConfigurations: [] });
    });
  });

  test("a wrong secret key fails with SignatureDoesNotMatch", async () => {
    const result = await aws(["describe-auto-scaling-groups"], "not-alices-secret");
    assert.equal(result.code, SERVICE_ERROR_EXIT, result.stderr);
    assert.match(result.stderr, /An error occurred \(SignatureDoesNotMatch\) when calling the DescribeAutoScalingGroups operation/);
  });
});
