/**
 * The audit trail through the AWS SDK for JavaScript: one `audit` log line per call that changes
 * something (accepted or refused, signed with a wrong key included), none for reads, each with
 * the user, action, group or resource, the request id the client got, and no secret.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import {
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  type AutoScalingClient,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { createLogger } from "../observability/logger.js";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, phantomTags, rejectsWith, sdkClient } from "../test-support/sdk-client.js";

describe("the audit trail", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;
  let output = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString("utf8");
      done();
    },
  });
  const auditLines = () =>
    output
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === "audit");

  before(async () => {
    phantom = await startTestPhantom({}, { logger: createLogger("info", sink) });
    alice = sdkClient(phantom, phantom.alice);
  });
  after(() => phantom.close());

  it("writes one line per changing call with who, what, which, the request id and the outcome; none for reads; never a secret", async () => {
    await createLaunchConfigurations(alice, ["web@hotel", "web@ec2"]);
    await alice.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "g", LaunchConfigurationName: "web", MinSize: 0, MaxSize: 5, Tags: phantomTags("hotel:2,ec2:-1", 3) }),
    );
    const set = await alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "g", DesiredCapacity: 2 }));
    await alice.send(new DescribeAutoScalingGroupsCommand({}));
    await alice.send(new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: "g", ResourceType: "auto-scaling-group", Key: "team", Value: "a" }] }));
    const refused = await rejectsWith(alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "nope", DesiredCapacity: 1 })), {
      code: "ValidationError",
      message: /not found/,
    });
    const forged = sdkClient(phantom, { accessKeyId: phantom.alice.accessKeyId, secretAccessKey: "a-wrong-secret" });
    await rejectsWith(forged.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "g" })), {
      code: "SignatureDoesNotMatch",
      status: 403,
      message: /signature/,
    });
    const cloudwatch = new CloudWatchClient({
      endpoint: phantom.url,
      region: "us-east-1",
      credentials: { accessKeyId: phantom.alice.accessKeyId, secretAccessKey: phantom.alice.secretAccessKey },
      maxAttempts: 1,
    });
    await cloudwatch.send(new PutMetricDataCommand({ Namespace: "MyApp", MetricData: [{ MetricName: "Load", Value: 1 }] }));

    const lines = auditLines();
    assert.deepEqual(
      lines.map((l) => [l.user, l.action, l.group, l.resource, l.outcome]),
      [
        ["alice", "CreateLaunchConfiguration", null, "web@hotel", "ok"],
        ["alice", "CreateLaunchConfiguration", null, "web@ec2", "ok"],
        ["alice", "CreateAutoScalingGroup", "g", "web", "ok"],
        ["alice", "SetDesiredCapacity", "g", null, "ok"],
        ["alice", "CreateOrUpdateTags", "g", null, "ok"],
        ["alice", "SetDesiredCapacity", "nope", null, "ValidationError"],
        [null, "DeleteAutoScalingGroup", "g", null, "SignatureDoesNotMatch"],
        ["alice", "PutMetricData", null, "MyApp", "ok"],
      ],
    );
    for (const line of lines) {
      assert.equal(line.audit, true);
      assert.equal(line.level, 30, "audit lines are at info level");
      assert.equal(typeof line.time, "number");
      assert.match(String(line.requestId), /^[0-9a-f-]{36}$/);
    }
    assert.equal(lines[3]!.requestId, set.$metadata.requestId, "the request id the client was given");
    assert.equal(lines[5]!.requestId, refused.$metadata.requestId);
    for (const secret of [phantom.alice.secretAccessKey, "a-wrong-secret", "Signature="]) {
      assert.ok(!output.includes(secret), `the log holds ${secret}`);
    }
  });
});
