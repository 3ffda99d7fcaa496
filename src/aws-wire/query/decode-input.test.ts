import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PhantomError, ValidationError } from "../../core/errors.js";
import { decodeInput, MissingMemberError } from "./decode-input.js";
import { loadModel } from "./model.js";
import { parseParams } from "./params.js";
import { autoscalingModel, syntheticJson } from "./query.test-support.js";
import { MAX_REPORTED_ERRORS } from "../limits.js";
import cloudwatchJson from "../models/cloudwatch-2010-08-01.json" with { type: "json" };

const model = autoscalingModel();
const synthetic = loadModel(syntheticJson());
const CLOUDWATCH = loadModel(cloudwatchJson);
const GROUP = "AutoScalingGroupName=g&MinSize=1&MaxSize=2";

/** Decodes a query string the way the API edge does. */
function decode(operation: string, query: string, ignored: readonly string[] = [], m = model): Record<string, unknown> {
  return decodeInput(m, operation, new Map(parseParams(query, Buffer.alloc(0), undefined, "GET")), new Set(ignored));
}

/** Asserts a `ValidationError` whose message contains every one of `parts`. */
function rejects(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `"${e.message}"\n  should contain "${part}"`);
    return true;
  });
}

describe("decodeInput: structure of the parameters", () => {
  it("builds nested structures and lists, in model member order", () => {
    const input = decode(
      "CreateLaunchConfiguration",
      "Action=CreateLaunchConfiguration&Version=2011-01-01&InstanceType=t3.micro&LaunchConfigurationName=lc" +
        "&BlockDeviceMappings.member.2.DeviceName=%2Fdev%2Fsdb&BlockDeviceMappings.member.1.Ebs.VolumeSize=8" +
        "&BlockDeviceMappings.member.1.DeviceName=%2Fdev%2Fsda&InstanceMonitoring.Enabled=TRUE",
    );
    assert.deepEqual(input, {
      LaunchConfigurationName: "lc",
      InstanceType: "t3.micro",
      BlockDeviceMappings: [{ DeviceName: "/dev/sda", Ebs: { VolumeSize: 8 } }, { DeviceName: "/dev/sdb" }],
      InstanceMonitoring: { Enabled: true },
    });
    assert.deepEqual(Object.keys(input), ["LaunchConfigurationName", "InstanceType", "BlockDeviceMappings", "InstanceMonitoring"]);
  });

  it("builds lists inside lists (Filters.member.N.Values.member.M)", () => {
    assert.deepEqual(
      decode("DescribeTags", "Filters.member.1.Name=key&Filters.member.1.Values.member.2=b&Filters.member.1.Values.member.1=a"),
      { Filters: [{ Name: "key", Values: ["a", "b"] }] },
    );
  });

  it("reads `Name=` as an empty list, as botocore sends one", () => {
    assert.deepEqual(decode("DescribeAutoScalingGroups", "AutoScalingGroupNames="), { AutoScalingGroupNames: [] });
    assert.deepEqual(decode("DescribeAutoScalingGroups", "AutoScalingGroupNames=&AutoScalingGroupNames.member.1=g"), {
      AutoScalingGroupNames: ["g"],
    });
  });

  it("skips Action, Version and the ignored names", () => {
    assert.deepEqual(decode("DescribeAccountLimits", "Action=DescribeAccountLimits&Version=2011-01-01&Signature=x", ["Signature"]), {});
    rejects(() => decode("DescribeAccountLimits", "Signature=x"), "Signature is not a valid parameter of DescribeAccountLimits");
  });

  it("refuses an unknown operation with InvalidAction", () => {
    assert.throws(
      () => decode("LaunchRockets", ""),
      (e: unknown) => e instanceof PhantomError && e.code === "InvalidAction" && e.message.includes("LaunchRockets"),
    );
  });

  const malformed: Array<[string, string, string[]]> = [
    ["an unknown parameter", "Colour=red", ["Colour is not a valid parameter of CreateAutoScalingGroup"]],
    ["an unknown nested member", "Tags.member.1.Key=k&Tags.member.1.Colour=red", ["Tags.member.1.Colour is not a valid parameter"]],
    ["a name in the wrong case", "minSize=1", ["minSize is not a valid parameter"]],
    ["a path below a scalar", "MinSize.member.1=1", ["MinSize.member.1 is not a valid parameter"]],
    ["a list without .member", "AvailabilityZones.1=a", ["AvailabilityZones.1 is not a valid parameter"]],
    ["a list without an index", "AvailabilityZones.member=a", ["AvailabilityZones.member is not a valid parameter"]],
    ["a value for a list", "AvailabilityZones=a", ["AvailabilityZones is not a valid parameter", "is a list", "AvailabilityZones.member.1"]],
    ["a value for a structure", "LaunchTemplate=x", ["LaunchTemplate is not a valid parameter", "has members"]],
    ["a skipped index", "AvailabilityZones.member.1=a&AvailabilityZones.member.3=c", ["AvailabilityZones.member.2 is missing"]],
    ["a list not starting at 1", "Tags.member.2.Key=k", ["Tags.member.1 is missing"]],
    ["index 0", "AvailabilityZones.member.0=a", ["AvailabilityZones.member.0 has an invalid list index '0'"]],
    ["a leading zero", "AvailabilityZones.member.01=a", ["AvailabilityZones.member.01 has an invalid list index '01'"]],
    ["a non-numeric index", "AvailabilityZones.member.one=a", ["AvailabilityZones.member.one has an invalid list index 'one'"]],
    ["a negative index", "AvailabilityZones.member.-1=a", ["invalid list index '-1'"]],
    ["an empty index", "AvailabilityZones.member.=a", ["invalid list index ''"]],
    ["a nested bad index", "Tags.member.1x.Key=k", ["Tags.member.1x.Key has an invalid list index '1x'"]],
    ["an index past any possible list", "AvailabilityZones.member.4000000000=a", ["AvailabilityZones.member.4000000000 is out of sequence"]],
    ["a repeated index", "Tags.member.1.Key=a&Tags.member.1.Key=b", ["Tags.member.1.Key is given more than once"]],
  ];
  for (const [what, extra, parts] of malformed) {
    it(`refuses ${what}, naming the parameter`, () => {
      rejects(() => decode("CreateAutoScalingGroup", `${GROUP}&${extra}`), ...parts);
    });
  }
});

describe("decodeInput: scalars", () => {
  it("converts integers, booleans and doubles", () => {
    assert.deepEqual(decode("SetDesiredCapacity", "AutoScalingGroupName=g&DesiredCapacity=-0&HonorCooldown=False"), {
      AutoScalingGroupName: "g",
      DesiredCapacity: 0,
      HonorCooldown: false,
    });
    assert.deepEqual(decode("ExecutePolicy", "PolicyName=p&MetricValue=1.5e2&BreachThreshold=-.5"), {
      PolicyName: "p",
      MetricValue: 150,
      BreachThreshold: -0.5,
    });
  });

  it("converts timestamps, blobs, longs and doubles of other models", () => {
    const input = decode(
      "Put",
      "Id=a&When=2026-11-26T12:37:24.123456%2B01:00&Data=aGVsbG8%3D&Big=9007199254740991&Ratio=1",
      [],
      synthetic,
    );
    assert.deepEqual(input, {
      Id: "a",
      When: new Date("2026-11-26T11:37:24.123Z"),
      Data: Buffer.from("hello"),
      Big: 9007199254740991,
      Ratio: 1,
    });
  });

  const invalid: Array<[string, string, string, string]> = [
    ["CreateAutoScalingGroup", "AutoScalingGroupName=g&MinSize=abc&MaxSize=2", "Value 'abc' at 'minSize'", "Member must be an integer"],
    ["CreateAutoScalingGroup", "AutoScalingGroupName=g&MinSize=1.0&MaxSize=2", "Value '1.0' at 'minSize'", "Member must be an integer"],
    ["CreateAutoScalingGroup", "AutoScalingGroupName=g&MinSize=%2B1&MaxSize=2", "Value '+1' at 'minSize'", "Member must be an integer"],
    ["CreateAutoScalingGroup", "AutoScalingGroupName=g&MinSize=&MaxSize=2", "Value '' at 'minSize'", "Member must be an integer"],
    ["CreateAutoScalingGroup", "AutoScalingGroupName=g&MinSize=1&MaxSize=2147483648", "at 'maxSize'", "Member must be an integer between -2147483648 and 2147483647"],
    ["CreateAutoScalingGroup", `${GROUP}&NewInstancesProtectedFromScaleIn=yes`, "Value 'yes' at 'newInstancesProtectedFromScaleIn'", "Member must be true or false"],
    ["ExecutePolicy", "PolicyName=p&MetricValue=NaN", "Value 'NaN' at 'metricValue'", "Member must be a number"],
    ["ExecutePolicy", "PolicyName=p&MetricValue=Infinity", "at 'metricValue'", "Member must be a number"],
    ["ExecutePolicy", "PolicyName=p&MetricValue=0x10", "at 'metricValue'", "Member must be a number"],
  ];
  for (const [operation, query, where, constraint] of invalid) {
    it(`refuses ${operation} ${query}`, () => {
      rejects(() => decode(operation, query), "1 validation error detected: ", where, `failed to satisfy constraint: ${constraint}`);
    });
  }

  const syntheticInvalid: Array<[string, string]> = [
    ["When=2026-02-30T00:00:00Z", "Value '2026-02-30T00:00:00Z' at 'when' failed to satisfy constraint: Member must be a timestamp"],
    ["When=yesterday", "at 'when' failed to satisfy constraint: Member must be a timestamp"],
    ["When=2026-11-26T11:37:24", "at 'when' failed to satisfy constraint: Member must be a timestamp"],
    ["Data=not%20base64!", "at 'data' failed to satisfy constraint: Member must be base64-encoded"],
    ["Big=9007199254740993", "at 'big' failed to satisfy constraint: Member must be an integer between"],
    ["Big=-1", "Value '-1' at 'big' failed to satisfy constraint: Member must have value greater than or equal to 0"],
    ["Ratio=1.5", "Value '1.5' at 'ratio' failed to satisfy constraint: Member must have value less than or equal to 1"],
  ];
  for (const [extra, message] of syntheticInvalid) {
    it(`refuses ${extra}`, () => rejects(() => decode("Put", `Id=a&${extra}`, [], synthetic), message));
  }
});

describe("decodeInput: constraints, worded like AWS", () => {
  it("reports a missing required member as null", () => {
    rejects(
      () => decode("CreateAutoScalingGroup", "MinSize=1&MaxSize=2"),
      "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null",
    );
    assert.throws(() => decode("CreateAutoScalingGroup", "MinSize=1&MaxSize=2"), MissingMemberError, "only members missing: MissingMemberError");
  });

  it("collects every violation, in model order, with nested paths", () => {
    const long = "x".repeat(256);
    assert.throws(
      () =>
        decode(
          "CreateLaunchConfiguration",
          `LaunchConfigurationName=${long}&BlockDeviceMappings.member.1.DeviceName=d&BlockDeviceMappings.member.1.Ebs.VolumeSize=0` +
            "&BlockDeviceMappings.member.2.Ebs.Iops=20001",
        ),
      {
        name: "ValidationError",
        message:
          `4 validation errors detected: Value '${long}' at 'launchConfigurationName' failed to satisfy constraint: ` +
          "Member must have length less than or equal to 255; " +
          "Value '0' at 'blockDeviceMappings.1.member.ebs.volumeSize' failed to satisfy constraint: " +
          "Member must have value greater than or equal to 1; " +
          "Value null at 'blockDeviceMappings.2.member.deviceName' failed to satisfy constraint: Member must not be null; " +
          "Value '20001' at 'blockDeviceMappings.2.member.ebs.iops' failed to satisfy constraint: " +
          "Member must have value less than or equal to 20000",
      },
    );
  });

  it("is a plain ValidationError, not MissingMemberError, when a missing member comes with other violations", () => {
    assert.throws(
      () => decode("CreateLaunchConfiguration", "LaunchConfigurationName=a&BlockDeviceMappings.member.1.Ebs.VolumeSize=0"),
      (e: unknown) => e instanceof ValidationError && !(e instanceof MissingMemberError) && /must not be null/.test(e.message),
    );
  });

  it("checks string lengths in UTF-16 code units, as Java does", () => {
    const tags = (key: string) => `Tags.member.1.Key=${encodeURIComponent(key)}&Tags.member.1.ResourceId=g`;
    assert.deepEqual(decode("CreateOrUpdateTags", tags("😀".repeat(64))), { Tags: [{ ResourceId: "g", Key: "😀".repeat(64) }] });
    rejects(
      () => decode("CreateOrUpdateTags", tags("😀".repeat(65))),
      "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
    );
  });

  it("checks the minimum length", () => {
    rejects(
      () => decode("CreateAutoScalingGroup", "AutoScalingGroupName=&MinSize=1&MaxSize=2"),
      "Value '' at 'autoScalingGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it("checks the model's Java pattern: control characters fail, supplementary characters pass", () => {
    rejects(
      () => decode("CreateAutoScalingGroup", "AutoScalingGroupName=a%01b&MinSize=1&MaxSize=2"),
      "Value 'a\u0001b' at 'autoScalingGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
        "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*",
    );
    assert.equal(decode("CreateAutoScalingGroup", `AutoScalingGroupName=%F0%9F%98%80%0A%09&MinSize=1&MaxSize=2`).AutoScalingGroupName, "😀\n\t");
    // A lone surrogate cannot come out of parseParams, but decodeInput must refuse it anyway.
    assert.throws(
      () => decodeInput(model, "DeleteAutoScalingGroup", new Map([["AutoScalingGroupName", "a\uD800"]]), new Set()),
      /regular expression pattern/,
    );
  });

  it("checks enums", () => {
    rejects(
      () => decode("CreateLaunchConfiguration", "LaunchConfigurationName=lc&MetadataOptions.HttpTokens=maybe"),
      "Value 'maybe' at 'metadataOptions.httpTokens' failed to satisfy constraint: Member must satisfy enum value set: [optional, required]",
    );
  });

  it("checks a string member of a list, and the length of a list", () => {
    rejects(
      () => decode("CreateLaunchConfiguration", `LaunchConfigurationName=lc&ClassicLinkVPCSecurityGroups.member.1=a&ClassicLinkVPCSecurityGroups.member.2=`),
      "Value '' at 'classicLinkVPCSecurityGroups.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const prefix = "MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.InstanceRequirements";
    const types = Array.from({ length: 401 }, (_, i) => `${prefix}.AllowedInstanceTypes.member.${i + 1}=m5.large`).join("&");
    rejects(
      () => decode("CreateAutoScalingGroup", `${GROUP}&${prefix}.VCpuCount.Min=1&${prefix}.MemoryMiB.Min=1&${types}`),
      "1 validation error detected: Value '[m5.large, m5.large, ",
      "m5.large]' at 'mixedInstancesPolicy.launchTemplate.overrides.1.member.instanceRequirements.allowedInstanceTypes' " +
        "failed to satisfy constraint: Member must have length less than or equal to 400",
    );
  });

  it("leaves the value of a sensitive member out of the message", () => {
    assert.throws(() => decode("Put", "Id=a&Secret=hunter2", [], synthetic), {
      message: "1 validation error detected: Value at 'secret' failed to satisfy constraint: Member must have length less than or equal to 4",
    });
  });
});

describe("decodeInput: other models", () => {
  it("reads maps as Name.entry.N.key / .value", () => {
    const input = decode(
      "Put",
      "Id=a&Attributes.entry.2.key=__proto__&Attributes.entry.1.value=x&Attributes.entry.1.key=a&Attributes.entry.2.value=y",
      [],
      synthetic,
    );
    const attributes = input.Attributes as Record<string, unknown>;
    assert.deepEqual(Object.entries(attributes), [
      ["a", "x"],
      ["__proto__", "y"],
    ]);
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  });

  it("refuses broken maps, naming the parameter", () => {
    const put = (q: string) => () => decode("Put", `Id=a&${q}`, [], synthetic);
    rejects(put("Attributes.entry.1.key=a"), "Attributes.entry.1.value is missing");
    rejects(put("Attributes.entry.1.value=a"), "Attributes.entry.1.key is missing");
    rejects(put("Attributes.entry.2.key=a&Attributes.entry.2.value=b"), "Attributes.entry.1 is missing");
    rejects(put("Attributes.entry.1.key=a&Attributes.entry.1.value=b&Attributes.entry.2.key=a&Attributes.entry.2.value=c"), "repeats the key 'a'");
    rejects(put("Attributes.entry.1.name=a"), "Attributes.entry.1.name is not a valid parameter of Put");
    rejects(put("Attributes.1.key=a"), "Attributes.1.key is not a valid parameter of Put");
    rejects(
      put("Attributes.entry.1.key=&Attributes.entry.1.value=b"),
      "Value '' at 'attributes.1.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const three = [1, 2, 3].map((i) => `Attributes.entry.${i}.key=k${i}&Attributes.entry.${i}.value=v`).join("&");
    rejects(put(three), "at 'attributes' failed to satisfy constraint: Member must have length less than or equal to 2");
  });

  it("reads flattened lists as Name.N, named after their member's locationName", () => {
    assert.deepEqual(decode("Put", "Id=a&Item.2=b&Item.1=a", [], synthetic), { Id: "a", Flat: ["a", "b"] });
    rejects(() => decode("Put", "Id=a&Flat.1=a", [], synthetic), "Flat.1 is not a valid parameter of Put");
    rejects(() => decode("Put", "Id=a&Item.member.1=a", [], synthetic), "invalid list index 'member'");
  });

  it("uses a member's locationName as its parameter name", () => {
    assert.deepEqual(decode("Put", "Id=a&OtherName=b", [], synthetic), { Id: "a", Renamed: "b" });
    rejects(() => decode("Put", "Id=a&Renamed=b", [], synthetic), "Renamed is not a valid parameter of Put");
  });

  it("refuses any parameter for an operation without input", () => {
    rejects(() => decode("Ping", "Pong=1", [], synthetic), "Pong is not a valid parameter of Ping");
    assert.deepEqual(decode("Ping", "Action=Ping", [], synthetic), {});
  });
});

describe("decodeInput: bounded work", () => {
  it("keeps no more than one member past a list's maximum, however many are sent", () => {
    const statistics = Array.from({ length: 100_000 }, (_, i) => `Statistics.member.${i + 1}=Sum`).join("&");
    const params = new Map([...new URLSearchParams(`Namespace=N&MetricName=M&StartTime=2026-11-26T00:00:00Z&EndTime=2026-11-26T01:00:00Z&Period=60&${statistics}`)]);
    assert.throws(() => decodeInput(CLOUDWATCH, "GetMetricStatistics", params, new Set()), {
      message: "1 validation error detected: Value at 'statistics' failed to satisfy constraint: Member must have length less than or equal to 5",
    });
  });
  it(`stops after ${MAX_REPORTED_ERRORS} errors`, () => {
    const names = Array.from({ length: 500 }, (_, i) => `AutoScalingGroupNames.member.${i + 1}=${"x".repeat(256)}`).join("&");
    assert.throws(() => decode("DescribeAutoScalingGroups", names), (e: Error) => {
      assert.match(e.message, new RegExp(`^${MAX_REPORTED_ERRORS} validation errors detected: .*\\(checking stopped after ${MAX_REPORTED_ERRORS} errors\\)$`));
      return true;
    });
  });
});
