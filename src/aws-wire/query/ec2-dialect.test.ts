// The `ec2` dialect of the codec, checked against the clients that speak it: botocore's own
// EC2Serializer and EC2QueryParser (run from Debian's Python on botocore's complete model), and
// the AWS SDK for JavaScript's EC2 client (its requests captured and its responses fed in
// without a network).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2ServiceException,
} from "@aws-sdk/client-ec2";
import { XMLParser } from "fast-xml-parser";
import { decodeInput, UnknownParameterError } from "./decode-input.js";
import { encodeEc2Error, encodeResponse } from "./encode-xml.js";
import { loadModel, type BotocoreModel, type ListShape, type Shape, type StructureShape } from "./model.js";
import { parseParams } from "./params.js";
import { repoRoot } from "../../test-support/captures.js";
import { BOTOCORE_DATA } from "./query.test-support.js";

const SYSTEM_PYTHON = "/usr/bin/python3";
const BOTOCORE_EC2 = join(BOTOCORE_DATA, "ec2", "2016-11-15", "service-2.json");
const json = JSON.parse(readFileSync(join(repoRoot(), "src/aws-wire/models/ec2-2016-11-15.json"), "utf8")) as BotocoreModel;
const ec2 = loadModel(json);
const OPERATIONS = ["DescribeInstanceStatus", "DescribeInstances", "RunInstances", "TerminateInstances"];
const NO_AUTH = new Set<string>();

/** Runs `botocore_ec2.py` on the cases; null when botocore is not installed. */
function botocore(cases: readonly object[]): unknown[] | null {
  if (!existsSync(BOTOCORE_EC2) || !existsSync(SYSTEM_PYTHON)) return null;
  const out = execFileSync(SYSTEM_PYTHON, [join(repoRoot(), "src/aws-wire/query/botocore_ec2.py")], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as unknown[];
}

const WHEN = new Date(Date.UTC(2026, 10, 26, 11, 37, 24, 123));
/** Markup, quotes and characters beyond ASCII in every sample string. */
const TRICKY = `&<>"' é中😀 ]]>`;

/**
 * A value for `shape` with every member filled in, as the decoder returns it and the encoder
 * takes it: numbers, booleans, Dates. Each list holds two items; a shape inside itself is left out.
 */
function sample(shape: Shape, within: ReadonlySet<Shape> = new Set()): unknown {
  const inner = new Set(within).add(shape);
  switch (shape.kind) {
    case "structure":
      return Object.fromEntries(shape.members.filter((m) => !inner.has(m.shape) || m.shape.kind !== "structure").map((m) => [m.name, sample(m.shape, inner)]));
    case "list":
      return [sample(shape.member, inner), sample(shape.member, inner)].slice(0, shape.max ?? 2);
    case "map":
      return { first: sample(shape.value, inner) };
    case "string":
      return shape.enum ? [...shape.enum].at(-1) : `${shape.name}${TRICKY}`.slice(0, shape.max ?? 1000);
    case "integer":
    case "long":
      return Math.min(Math.max(shape.min ?? 7, 7), shape.max ?? 7);
    case "double":
    case "float":
      return 0.25;
    case "boolean":
      return true;
    case "timestamp":
      return WHEN;
    case "blob":
      return Buffer.from([0, 1, 2, 250]);
  }
}

/** `value` as JSON sees it: Dates as ISO strings (botocore's side of the comparison). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe("loadModel: the ec2 protocol", () => {
  it("names parameters by queryName or capitalised locationName, and list parameters Name.N", () => {
    assert.equal(ec2.protocol, "ec2");
    assert.equal(ec2.flatListParams, true);
    const run = ec2.operations.get("RunInstances")!.input!;
    const param = (s: StructureShape, member: string) => s.byName.get(member)!.paramName;
    assert.equal(param(run, "ClientToken"), "ClientToken"); // locationName clientToken
    assert.equal(param(run, "SecurityGroupIds"), "SecurityGroupId");
    assert.equal(param(run, "TagSpecifications"), "TagSpecification");
    const describeInput = ec2.operations.get("DescribeInstances")!.input!;
    assert.equal(param(describeInput, "InstanceIds"), "InstanceId");
    assert.equal(param(describeInput, "MaxResults"), "MaxResults"); // locationName maxResults
    const filter = (describeInput.byName.get("Filters")!.shape as ListShape).member as StructureShape;
    assert.equal(param(filter, "Values"), "Value");
    const nic = ec2.shapes.get("InstanceNetworkInterfaceSpecification") as StructureShape;
    assert.equal(param(nic, "Ipv6Addresses"), "Ipv6Addresses"); // queryName wins over locationName ipv6AddressesSet
  });

  it("names response elements by locationName, with every output list item an <item>", () => {
    const output = ec2.operations.get("DescribeInstances")!.output!;
    assert.deepEqual(output.xmlMembers.map((m) => m.xmlName), ["reservationSet", "nextToken"]);
    const lists: string[] = [];
    const visited = new Set<Shape>();
    const visit = (shape: Shape): void => {
      if (visited.has(shape)) return;
      visited.add(shape);
      if (shape.kind === "structure") shape.members.forEach((m) => visit(m.shape));
      if (shape.kind === "list") {
        lists.push(`${shape.name}:${shape.xmlItem}`);
        visit(shape.member);
      }
    };
    for (const op of ec2.operations.values()) if (op.output) visit(op.output);
    assert.ok(lists.length > 10, lists.join());
    assert.deepEqual(lists.filter((l) => !l.endsWith(":item")), []);
  });

  it("refuses an ec2 model that declares a result wrapper", () => {
    const wrapped = structuredClone(json) as { operations: Record<string, { output?: { resultWrapper?: string } }> };
    wrapped.operations.RunInstances!.output!.resultWrapper = "RunInstancesResult";
    assert.throws(() => loadModel(wrapped as unknown as BotocoreModel), /protocol ec2 has no result wrappers, but RunInstances/);
  });

  it("loads botocore's complete EC2 model", (t) => {
    if (!existsSync(BOTOCORE_EC2)) return t.skip("botocore's models are not installed (python3-botocore)");
    const full = loadModel(JSON.parse(readFileSync(BOTOCORE_EC2, "utf8")) as BotocoreModel);
    assert.ok(full.operations.size > 500, `${full.operations.size} operations`);
    assert.equal(full.operations.get("CreateTags")!.input!.byName.get("Resources")!.paramName, "ResourceId");
  });

  it("is botocore's model trimmed to the four operations, unchanged", (t) => {
    if (!existsSync(BOTOCORE_EC2)) return t.skip("botocore's models are not installed (python3-botocore)");
    const full = JSON.parse(readFileSync(BOTOCORE_EC2, "utf8")) as BotocoreModel;
    assert.deepEqual(Object.keys(json.operations).sort(), OPERATIONS);
    for (const [name, shape] of Object.entries(json.shapes)) {
      const { documentation: _d, ...original } = full.shapes[name] as BotocoreModel["shapes"][string] & { documentation?: string };
      const strip = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(strip) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "documentation").map(([k, x]) => [k, strip(x)])) : v;
      assert.deepEqual(shape, strip(original), name);
    }
  });
});

describe("decodeInput: what botocore's EC2Serializer sends", () => {
  it("decodes every member of every input, at every depth", (t) => {
    const inputs = OPERATIONS.map((op) => sample(ec2.operations.get(op)!.input!) as Record<string, unknown>);
    const sent = botocore(OPERATIONS.map((op, i) => ({ serialize: op, params: plain(inputs[i]) })));
    if (sent === null) return t.skip("botocore is not installed for /usr/bin/python3 (python3-botocore)");
    OPERATIONS.forEach((op, i) => {
      const params = new Map(sent[i] as Array<[string, string]>);
      assert.equal(params.get("Action"), op);
      assert.equal(params.get("Version"), "2016-11-15");
      assert.ok([...params.keys()].some((k) => /^[A-Za-z]+\.1\./.test(k) || /\.2$/.test(k)), `${op} sends lists as Name.N`);
      assert.ok(![...params.keys()].some((k) => /\.member\./.test(k)), `${op} sends no .member`);
      assert.deepEqual(decodeInput(ec2, op, params, NO_AUTH), inputs[i], op);
    });
  });

  it("refuses Query-style list parameters, naming them", () => {
    assert.throws(() => decodeInput(ec2, "TerminateInstances", new Map([["InstanceId.member.1", "i-1"]]), NO_AUTH), /InstanceId\.member\.1 has an invalid list index 'member'/);
    assert.throws(
      () => decodeInput(ec2, "TerminateInstances", new Map([["InstanceIds.1", "i-1"]]), NO_AUTH),
      (e: unknown) => e instanceof UnknownParameterError && /InstanceIds\.1 is not a valid parameter of TerminateInstances/.test(e.message),
    );
  });
});

/** An EC2 client whose every request is answered by `respond`, with no network. */
function offlineClient(respond: (body: string) => { status: number; body: string }): EC2Client {
  return new EC2Client({
    region: "us-east-1",
    endpoint: "http://ec2.test",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        const answer = respond(String(request.body ?? ""));
        return { response: { statusCode: answer.status, headers: { "content-type": "text/xml" }, body: Buffer.from(answer.body) } };
      },
    } as never,
  });
}

/** A launch as Phantom's EC2 driver asks for it, in the SDK's (= the model's) member names. */
const RUN_INPUT = {
  ImageId: "ami-12345678",
  InstanceType: "t3.micro" as const,
  MinCount: 1,
  MaxCount: 3,
  KeyName: `key${TRICKY}`,
  UserData: "ZWNobyBoaQ==",
  SecurityGroups: ["web", "ssh"],
  SecurityGroupIds: ["sg-0123"],
  ClientToken: "token-1",
  TagSpecifications: [{ ResourceType: "instance" as const, Tags: [{ Key: "phantom:group", Value: `g${TRICKY}` }, { Key: "empty", Value: "" }] }],
};

/** An instance as the simcloud describes one. */
const INSTANCE = {
  InstanceId: "i-0123456789abcdef0",
  ImageId: "ami-12345678",
  State: { Code: 16, Name: "running" },
  PrivateDnsName: "",
  KeyName: `key${TRICKY}`,
  AmiLaunchIndex: 0,
  InstanceType: "t3.micro",
  LaunchTime: WHEN,
  Placement: { AvailabilityZone: "us-east-1a" },
  SecurityGroups: [{ GroupName: "web", GroupId: "sg-0123" }],
  ClientToken: "token-1",
  Tags: [{ Key: "phantom:group", Value: `g${TRICKY}` }],
};

describe("the AWS SDK for JavaScript", () => {
  it("sends requests the decoder reads as the input it was given", async () => {
    const bodies: string[] = [];
    const client = offlineClient((body) => {
      bodies.push(body);
      const action = new URLSearchParams(body).get("Action")!;
      return { status: 200, body: encodeResponse(ec2, action, {}, "r") };
    });
    const describeInput = {
      Filters: [
        { Name: "tag:phantom:group", Values: ["a", "b"] },
        { Name: "instance-state-name", Values: ["running"] },
      ],
      MaxResults: 1000,
      NextToken: "t",
    };
    const calls: Array<[string, Record<string, unknown>]> = [
      ["RunInstances", RUN_INPUT],
      ["DescribeInstances", describeInput],
      ["DescribeInstances", { InstanceIds: ["i-1", "i-2"] }],
      ["TerminateInstances", { InstanceIds: ["i-1", "i-2"] }],
      ["DescribeInstanceStatus", { InstanceIds: ["i-1"], IncludeAllInstances: true }],
    ];
    await client.send(new RunInstancesCommand(RUN_INPUT));
    await client.send(new DescribeInstancesCommand(describeInput));
    await client.send(new DescribeInstancesCommand({ InstanceIds: ["i-1", "i-2"] }));
    await client.send(new TerminateInstancesCommand({ InstanceIds: ["i-1", "i-2"] }));
    await client.send(new DescribeInstanceStatusCommand({ InstanceIds: ["i-1"], IncludeAllInstances: true }));
    client.destroy();
    assert.equal(bodies.length, calls.length);
    bodies.forEach((body, i) => {
      const [op, input] = calls[i]!;
      const params = new Map(parseParams("", Buffer.from(body), "application/x-www-form-urlencoded", "POST"));
      assert.equal(params.get("Action"), op);
      assert.deepEqual(decodeInput(ec2, op, params, NO_AUTH), input, op);
    });
  });

  it("reads the responses the encoder writes", async () => {
    const results: Record<string, Record<string, unknown>> = {
      RunInstances: { ReservationId: "r-1", OwnerId: "123456789012", Groups: [], Instances: [INSTANCE, { ...INSTANCE, InstanceId: "i-2", Tags: [] }] },
      DescribeInstances: { Reservations: [{ ReservationId: "r-1", OwnerId: "123456789012", Groups: [], Instances: [INSTANCE] }], NextToken: "next" },
      TerminateInstances: {
        TerminatingInstances: [{ InstanceId: "i-1", CurrentState: { Code: 32, Name: "shutting-down" }, PreviousState: { Code: 16, Name: "running" } }],
      },
      DescribeInstanceStatus: {
        InstanceStatuses: [
          {
            InstanceId: "i-1",
            AvailabilityZone: "us-east-1a",
            InstanceState: { Code: 16, Name: "running" },
            InstanceStatus: { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] },
            SystemStatus: { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] },
          },
        ],
      },
    };
    const client = offlineClient((body) => {
      const action = new URLSearchParams(body).get("Action")!;
      return { status: 200, body: encodeResponse(ec2, action, results[action], "req-1") };
    });
    const outputs = [
      await client.send(new RunInstancesCommand(RUN_INPUT)),
      await client.send(new DescribeInstancesCommand({})),
      await client.send(new TerminateInstancesCommand({ InstanceIds: ["i-1"] })),
      await client.send(new DescribeInstanceStatusCommand({})),
    ];
    client.destroy();
    ["RunInstances", "DescribeInstances", "TerminateInstances", "DescribeInstanceStatus"].forEach((op, i) => {
      const { $metadata: _m, ...output } = outputs[i]!;
      assert.deepEqual(output, results[op], op);
    });
  });

  it("reads the errors the encoder writes, code, message and status", async () => {
    const client = offlineClient(() => ({
      status: 500,
      body: encodeEc2Error("InsufficientInstanceCapacity", `No room for t3.micro ${TRICKY}`, "req-9"),
    }));
    const e = (await client.send(new RunInstancesCommand(RUN_INPUT)).catch((x: unknown) => x)) as EC2ServiceException;
    client.destroy();
    assert.equal(e.name, "InsufficientInstanceCapacity");
    assert.equal(e.message, `No room for t3.micro ${TRICKY}`);
    assert.equal(e.$metadata.httpStatusCode, 500);
    assert.equal(e.$fault, "server");
  });
});

describe("encodeResponse and encodeEc2Error: what botocore's EC2QueryParser reads", () => {
  it("writes EC2's envelope: requestId first, members by locationName, no result wrapper", () => {
    const xml = encodeResponse(ec2, "DescribeInstances", { Reservations: [], NextToken: "n" }, "req-1");
    assert.equal(
      xml,
      '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId>' +
        "<reservationSet/><nextToken>n</nextToken></DescribeInstancesResponse>",
    );
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(encodeResponse(ec2, "RunInstances", { Instances: [INSTANCE] }, "r")) as Record<
      string,
      Record<string, Record<string, Record<string, unknown>>>
    >;
    assert.equal(parsed.RunInstancesResponse!.instancesSet!.item!.instanceId, INSTANCE.InstanceId);
  });

  it("writes every member of every output so that botocore reads it back unchanged", (t) => {
    const outputs = OPERATIONS.map((op) => sample(ec2.operations.get(op)!.output!) as Record<string, unknown>);
    const parsed = botocore(OPERATIONS.map((op, i) => ({ parse: op, xml: encodeResponse(ec2, op, outputs[i], `req${TRICKY}`) })));
    if (parsed === null) return t.skip("botocore is not installed for /usr/bin/python3 (python3-botocore)");
    OPERATIONS.forEach((op, i) => {
      const { ResponseMetadata, ...output } = parsed[i] as { ResponseMetadata: Record<string, unknown> };
      assert.equal(ResponseMetadata.RequestId, `req${TRICKY}`, op);
      assert.deepEqual(output, plain(outputs[i]), op);
    });
  });

  it("writes errors botocore reads with their code, message and request id", (t) => {
    const xml = encodeEc2Error("InvalidInstanceID.NotFound", `The instance ID 'i-1${TRICKY}' does not exist`, "req-2");
    assert.equal(
      encodeEc2Error("AuthFailure", "a", "r"),
      "<Response><Errors><Error><Code>AuthFailure</Code><Message>a</Message></Error></Errors><RequestID>r</RequestID></Response>",
    );
    const parsed = botocore([{ parse_error: "TerminateInstances", xml, status: 400 }]);
    if (parsed === null) return t.skip("botocore is not installed for /usr/bin/python3 (python3-botocore)");
    const { Error: error, ResponseMetadata } = parsed[0] as { Error: Record<string, unknown>; ResponseMetadata: Record<string, unknown> };
    assert.deepEqual(error, { Code: "InvalidInstanceID.NotFound", Message: `The instance ID 'i-1${TRICKY}' does not exist` });
    assert.equal(ResponseMetadata.RequestId, "req-2");
  });
});
