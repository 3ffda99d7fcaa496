// Every request captured from a real client decodes to the parameters listed in its file, and
// then to the input structure that client meant.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ValidationError } from "../../core/errors.js";
import { decodeInput } from "./decode-input.js";
import { parseParams } from "./params.js";
import { loadCaptures, type Capture } from "../../test-support/captures.js";
import { autoscalingModel } from "./query.test-support.js";

/** What the API edge passes as `ignored`: SigV2 and presigned-SigV4 parameters. */
const AUTH = [
  "AWSAccessKeyId",
  "Signature",
  "SignatureMethod",
  "SignatureVersion",
  "Timestamp",
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
];

const TAGS = [
  { Key: "env", Value: "test", PropagateAtLaunch: true },
  { Key: "team", Value: "infra", PropagateAtLaunch: false },
];

/** The input each capture's client meant, written out by hand from the clients' calls. */
function expectedInput(c: Capture, action: string): Record<string, unknown> {
  const boto2 = c.name.startsWith("boto2-");
  const listed = (prefix: string) => c.listedParams.filter(([n]) => n.startsWith(`${prefix}.member.`)).map(([, v]) => v);
  switch (action) {
    case "CreateAutoScalingGroup":
      return {
        AutoScalingGroupName: "g1",
        LaunchConfigurationName: "lc1",
        MinSize: 1,
        MaxSize: 3,
        DesiredCapacity: 2,
        AvailabilityZones: ["us-east-1a", "us-east-1b"],
        // boto 2 names the resource in each tag.
        Tags: boto2 ? TAGS.map((t) => ({ ResourceId: "g1", ResourceType: "auto-scaling-group", ...t })) : TAGS,
      };
    case "CreateLaunchConfiguration":
      return boto2
        ? {
            LaunchConfigurationName: "lc1",
            ImageId: "ami-12345678",
            SecurityGroups: ["sg-1", "sg-2"],
            InstanceType: "t2.micro",
            InstanceMonitoring: { Enabled: false },
            EbsOptimized: false,
          }
        : {
            LaunchConfigurationName: "lc1",
            ImageId: "ami-12345678",
            SecurityGroups: ["sg-1", "sg-2"],
            UserData: "ZWNobyBoaQ==",
            InstanceType: "t2.micro",
            BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeSize: 8, VolumeType: "gp2" } }],
          };
    case "DescribeAutoScalingGroups": {
      const names = listed("AutoScalingGroupNames");
      const maxRecords = c.listedParams.find(([n]) => n === "MaxRecords");
      return {
        ...(names.length > 0 && { AutoScalingGroupNames: names }),
        ...(maxRecords && { MaxRecords: Number(maxRecords[1]) }),
      };
    }
    case "DescribeLaunchConfigurations":
      return { LaunchConfigurationNames: ["lc1", "lc2"] };
    case "DescribeTags":
      return { Filters: [{ Name: "auto-scaling-group", Values: ["g1", "g2"] }] };
    case "SetDesiredCapacity":
      return { AutoScalingGroupName: "g1", DesiredCapacity: 3, HonorCooldown: true };
    default:
      throw new Error(`${c.name}: no expectation written for ${action}`);
  }
}

describe("captured client requests", () => {
  const captures = loadCaptures();
  const model = autoscalingModel();

  it("are all found", () => {
    assert.ok(captures.length >= 20, `only ${captures.length} captures`);
  });

  for (const c of captures) {
    const name = c.name;
    describe(name, () => {
      const params = () => parseParams(c.rawQuery, c.body, c.headers.get("content-type"), c.method);

      it("decodes to the listed parameters, in order", () => {
        assert.deepEqual(params(), c.listedParams);
      });

      it("decodes to the input the client meant", () => {
        const map = new Map(params());
        const action = map.get("Action")!;
        const quirks = name.startsWith("boto2-") && action === "CreateLaunchConfiguration" ? ["DeleteOnTermination"] : [];
        const input = decodeInput(model, action, map, new Set([...AUTH, ...quirks]));
        assert.deepEqual(input, expectedInput(c, action));
      });
    });
  }

  it("boto 2's CreateLaunchConfiguration sends DeleteOnTermination, which is not a member", () => {
    const c = captures.find((x) => x.name === "boto2-CreateLaunchConfiguration.txt");
    assert.ok(c);
    const map = new Map(parseParams(c.rawQuery, c.body, c.headers.get("content-type"), c.method));
    assert.throws(
      () => decodeInput(model, "CreateLaunchConfiguration", map, new Set(AUTH)),
      (e: unknown) => e instanceof ValidationError && /DeleteOnTermination is not a valid parameter of CreateLaunchConfiguration/.test(e.message),
    );
  });
});
