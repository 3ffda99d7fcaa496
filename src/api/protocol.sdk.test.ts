/**
 * The protocol around the actions, through the AWS SDK for JavaScript: authentication failures,
 * unknown actions, request ids on every response, DescribeAccountLimits and per-user limits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AttachInstancesCommand,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAccountLimitsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  EnterStandbyCommand,
  type AutoScalingClient,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, phantomTags, rejectsWith, sdkClient } from "../test-support/sdk-client.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TWENTY_MINUTES = 20 * 60 * 1000;

describe("the protocol through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
  });
  after(() => phantom.close());

  it("answers every request with its own x-amzn-requestid", async () => {
    const first = await alice.send(new DescribeAccountLimitsCommand({}));
    const second = await alice.send(new DescribeAccountLimitsCommand({}));
    assert.equal(first.$metadata.httpStatusCode, 200);
    assert.match(first.$metadata.requestId ?? "", UUID);
    assert.match(second.$metadata.requestId ?? "", UUID);
    assert.notEqual(first.$metadata.requestId, second.$metadata.requestId);
  });

  const unsupported: [string, () => Promise<unknown>][] = [
    ["AttachInstances", () => alice.send(new AttachInstancesCommand({ AutoScalingGroupName: "g", InstanceIds: ["i-1"] }))],
    ["EnterStandby", () => alice.send(new EnterStandbyCommand({ AutoScalingGroupName: "g", InstanceIds: ["i-1"], ShouldDecrementDesiredCapacity: false }))],
    ["DescribeLifecycleHooks", () => alice.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: "g" }))],
  ];
  for (const [action, call] of unsupported) {
    it(`answers ${action} with InvalidAction naming it`, async () => {
      await rejectsWith(call(), { code: "InvalidAction", message: new RegExp(`^Could not find operation ${action} for version 2011-01-01$`) });
    });
  }

  describe("authentication", () => {
    it("refuses a wrong secret with SignatureDoesNotMatch (403)", async () => {
      const client = sdkClient(phantom, { accessKeyId: phantom.alice.accessKeyId, secretAccessKey: "not-alice-secret" });
      await rejectsWith(client.send(new DescribeAccountLimitsCommand({})), {
        code: "SignatureDoesNotMatch",
        status: 403,
        message: /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./,
      });
    });

    it("refuses an unknown access key with InvalidClientTokenId (403)", async () => {
      const client = sdkClient(phantom, { accessKeyId: "AKIDNOBODY0000000000", secretAccessKey: "whatever-secret" });
      await rejectsWith(client.send(new DescribeAccountLimitsCommand({})), {
        code: "InvalidClientTokenId",
        status: 403,
        message: /^The security token included in the request is invalid\.$/,
      });
    });

    it("refuses a request signed 20 minutes in the past with RequestExpired (403); the SDK then corrects its clock", async () => {
      const client = sdkClient(phantom, phantom.alice, { systemClockOffset: -TWENTY_MINUTES });
      await rejectsWith(client.send(new DescribeAccountLimitsCommand({})), {
        code: "RequestExpired",
        status: 403,
        message: /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
      });
      // The SDK takes the server's Date header from the error and fixes its offset for later calls. It
      // does not retry at once: it only does when the corrected offset itself is 4 minutes or more.
      assert.ok(Math.abs(client.config.systemClockOffset ?? -TWENTY_MINUTES) < 60_000, `offset ${client.config.systemClockOffset}`);
      const next = await client.send(new DescribeAccountLimitsCommand({}));
      assert.equal(next.$metadata.attempts, 1);
    });

    it("refuses a request signed 20 minutes in the future with RequestExpired (403)", async () => {
      const client = sdkClient(phantom, phantom.alice, { systemClockOffset: TWENTY_MINUTES });
      await rejectsWith(client.send(new DescribeAccountLimitsCommand({})), {
        code: "RequestExpired",
        status: 403,
        message: /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/,
      });
    });

    it("refuses a request without credentials with MissingAuthenticationToken (403)", async () => {
      const response = await fetch(phantom.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: "Action=DescribeAccountLimits&Version=2011-01-01",
      });
      assert.equal(response.status, 403);
      assert.match(response.headers.get("content-type") ?? "", /^text\/xml/);
      const requestId = response.headers.get("x-amzn-requestid") ?? "";
      assert.match(requestId, UUID);
      const body = await response.text();
      assert.match(
        body,
        /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>Request is missing Authentication Token<\/Message><\/Error><RequestId>([0-9a-f-]{36})<\/RequestId><\/ErrorResponse>/,
      );
      assert.ok(body.includes(`<RequestId>${requestId}</RequestId>`), "the body's RequestId is the header's");
    });
  });

  describe("DescribeAccountLimits", () => {
    it("reports AWS's default limits and the user's counts", async () => {
      const limits = async () => {
        const { $metadata: _, ...rest } = await alice.send(new DescribeAccountLimitsCommand({}));
        return rest;
      };
      assert.deepEqual(await limits(), {
        MaxNumberOfAutoScalingGroups: 500,
        MaxNumberOfLaunchConfigurations: 200,
        NumberOfAutoScalingGroups: 0,
        NumberOfLaunchConfigurations: 0,
      });
      await createLaunchConfigurations(alice, ["web@hotel", "web@sierra", "other@ec2"]);
      await alice.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "g", LaunchConfigurationName: "web", MinSize: 0, MaxSize: 1, Tags: phantomTags("hotel:1", 0) }));
      assert.deepEqual(await limits(), {
        MaxNumberOfAutoScalingGroups: 500,
        MaxNumberOfLaunchConfigurations: 200,
        NumberOfAutoScalingGroups: 1,
        NumberOfLaunchConfigurations: 3,
      });
      const bob = await sdkClient(phantom, phantom.bob).send(new DescribeAccountLimitsCommand({}));
      assert.deepEqual([bob.NumberOfAutoScalingGroups, bob.NumberOfLaunchConfigurations], [0, 0]);
    });
  });
});

describe("per-user limits through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;
  let bob: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom({ limits: { launch_configurations: 2, groups: 1 } });
    alice = sdkClient(phantom, phantom.alice);
    bob = sdkClient(phantom, phantom.bob);
  });
  after(() => phantom.close());

  const counts = async (client: AutoScalingClient) => {
    const { $metadata: _, ...rest } = await client.send(new DescribeAccountLimitsCommand({}));
    return rest;
  };
  const group = (client: AutoScalingClient, name: string) =>
    client.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 0, MaxSize: 1, Tags: phantomTags("hotel:1", 0) }));

  it("refuses a launch configuration beyond the limit with LimitExceeded, and a duplicate name with AlreadyExists", async () => {
    await createLaunchConfigurations(alice, ["web@hotel", "web@sierra"]);
    await rejectsWith(alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@ec2", ImageId: "ami-1", InstanceType: "m1.small" })), {
      code: "LimitExceeded",
      message: /^Max number of launch configurations reached: you have 2, the limit is 2\.$/,
    });
    await rejectsWith(alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel", ImageId: "ami-1", InstanceType: "m1.small" })), {
      code: "AlreadyExists",
      message: /already exists with the name web@hotel$/,
    });
    assert.deepEqual(await counts(alice), {
      MaxNumberOfAutoScalingGroups: 1,
      MaxNumberOfLaunchConfigurations: 2,
      NumberOfAutoScalingGroups: 0,
      NumberOfLaunchConfigurations: 2,
    });
  });

  it("refuses a group beyond the limit with LimitExceeded, and a duplicate name with AlreadyExists", async () => {
    await group(alice, "first");
    await rejectsWith(group(alice, "second"), { code: "LimitExceeded", message: /^Max number of Auto Scaling groups reached: the limit is 1\.$/ });
    await rejectsWith(group(alice, "first"), { code: "AlreadyExists", message: /A group with the name first already exists$/ });
    const listed = await alice.send(new DescribeAutoScalingGroupsCommand({}));
    assert.deepEqual(listed.AutoScalingGroups?.map((g) => g.AutoScalingGroupName), ["first"]);
  });

  it("counts each user separately", async () => {
    await createLaunchConfigurations(bob, ["web@hotel", "web@ec2"]);
    await group(bob, "second");
    assert.deepEqual(await counts(bob), {
      MaxNumberOfAutoScalingGroups: 1,
      MaxNumberOfLaunchConfigurations: 2,
      NumberOfAutoScalingGroups: 1,
      NumberOfLaunchConfigurations: 2,
    });
  });

  it("allows new resources once old ones are deleted", async () => {
    await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "first" }));
    await alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web@sierra" }));
    await createLaunchConfigurations(alice, ["web@ec2"]);
    await group(alice, "second");
    assert.deepEqual(await counts(alice), {
      MaxNumberOfAutoScalingGroups: 1,
      MaxNumberOfLaunchConfigurations: 2,
      NumberOfAutoScalingGroups: 1,
      NumberOfLaunchConfigurations: 2,
    });
  });
});
