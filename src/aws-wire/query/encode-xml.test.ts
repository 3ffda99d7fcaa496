import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { encodeError, encodeResponse, EncodeError } from "./encode-xml.js";
import { loadModel, type Model, type Shape } from "./model.js";
import { autoscalingModel, syntheticJson } from "./query.test-support.js";

const autoscaling = autoscalingModel();
const synthetic = loadModel(syntheticJson());

/** Keeps element order; decodes `&#13;` like the AWS SDK's parser; leaves text untouched. */
const ordered = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
});

type XmlNode = Record<string, unknown>;
const tagOf = (n: XmlNode): string => Object.keys(n).find((k) => k !== ":@")!;
const childrenOf = (n: XmlNode): XmlNode[] => n[tagOf(n)] as XmlNode[];
function textOf(children: XmlNode[]): string {
  if (children.length === 0) return "";
  assert.equal(children.length, 1);
  return String(children[0]!["#text"]);
}

function parseRoot(xml: string): XmlNode {
  const doc = ordered.parse(xml) as XmlNode[];
  assert.equal(doc.length, 1, "one root element");
  return doc[0]!;
}

const WHEN = new Date(Date.UTC(2026, 10, 26, 11, 37, 24, 123));
/** Every sample string carries characters that need escaping, so every member tests it. */
const TRICKY = `&<>"'\r\n é中😀 ]]>`;

/** A value for `shape` with every member filled in; a structure inside itself is left empty. */
function sample(shape: Shape, within: ReadonlySet<Shape> = new Set()): unknown {
  const inner = new Set(within).add(shape);
  switch (shape.kind) {
    case "structure":
      return within.has(shape) ? {} : Object.fromEntries(shape.members.map((m) => [m.name, sample(m.shape, inner)]));
    case "list":
      return [sample(shape.member, inner), sample(shape.member, inner)];
    case "map":
      return { first: sample(shape.value, inner), [`second${TRICKY}`]: sample(shape.value, inner) };
    case "string":
      return shape.enum ? [...shape.enum].at(-1) : `${shape.name}${TRICKY}`;
    case "integer":
      return -42;
    case "long":
      return Number.MAX_SAFE_INTEGER;
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

function expectedText(shape: Shape, value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString("base64");
  assert.ok(shape.kind !== "structure" && shape.kind !== "list" && shape.kind !== "map");
  return String(value);
}

/**
 * Checks the children of the element written for `value` against the model: element names and
 * order at every level, list items, map entries, scalar text. Records each structure member seen.
 */
function check(shape: Shape, value: unknown, children: XmlNode[], path: string, seen: Set<string>): void {
  switch (shape.kind) {
    case "structure": {
      const obj = value as Record<string, unknown>;
      const present = shape.xmlMembers.filter((m) => obj[m.name] !== undefined && obj[m.name] !== null);
      const names = present.flatMap((m) =>
        m.flattened && m.shape.kind === "list" ? (obj[m.name] as unknown[]).map(() => m.xmlName) : [m.xmlName],
      );
      assert.deepEqual(children.map(tagOf), names, `element order in ${path}`);
      let k = 0;
      for (const m of present) {
        seen.add(`${shape.name}.${m.name}`);
        const v = obj[m.name];
        if (m.flattened && m.shape.kind === "list") {
          for (const item of v as unknown[]) check(m.shape.member, item, childrenOf(children[k++]!), `${path}.${m.xmlName}`, seen);
        } else {
          check(m.shape, v, childrenOf(children[k++]!), `${path}.${m.xmlName}`, seen);
        }
      }
      return;
    }
    case "list": {
      const list = value as unknown[];
      assert.deepEqual(children.map(tagOf), list.map(() => shape.xmlItem), `items of ${path}`);
      list.forEach((item, i) => check(shape.member, item, childrenOf(children[i]!), `${path}[${i}]`, seen));
      return;
    }
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>);
      assert.deepEqual(children.map(tagOf), entries.map(() => "entry"), `entries of ${path}`);
      entries.forEach(([key, v], i) => {
        const parts = childrenOf(children[i]!);
        assert.deepEqual(parts.map(tagOf), [shape.keyName, shape.valueName]);
        assert.equal(textOf(childrenOf(parts[0]!)), key);
        check(shape.value, v, childrenOf(parts[1]!), `${path}[${key}]`, seen);
      });
      return;
    }
    default:
      assert.equal(textOf(children), expectedText(shape, value), path);
  }
}

/** `Shape.Member` for every structure member reachable from the model's outputs. */
function outputMembers(model: Model): Set<string> {
  const out = new Set<string>();
  const visited = new Set<Shape>();
  const visit = (shape: Shape): void => {
    if (visited.has(shape)) return;
    visited.add(shape);
    if (shape.kind === "structure") {
      for (const m of shape.members) {
        out.add(`${shape.name}.${m.name}`);
        visit(m.shape);
      }
    } else if (shape.kind === "list") visit(shape.member);
    else if (shape.kind === "map") visit(shape.value);
  };
  for (const op of model.operations.values()) if (op.output) visit(op.output);
  return out;
}

/** Encodes a full sample result for `operation` and checks the whole document. */
function encodeAndCheck(model: Model, operation: string, seen: Set<string>): void {
  const op = model.operations.get(operation)!;
  const result = op.output && (sample(op.output) as Record<string, unknown>);
  const root = parseRoot(encodeResponse(model, operation, result, `req${TRICKY}`));
  assert.equal(tagOf(root), `${operation}Response`);
  assert.deepEqual(root[":@"], { xmlns: model.xmlNamespace });
  let children = childrenOf(root);
  const metadata = children.at(-1)!;
  assert.equal(tagOf(metadata), "ResponseMetadata");
  assert.deepEqual(childrenOf(metadata).map(tagOf), ["RequestId"]);
  assert.equal(textOf(childrenOf(childrenOf(metadata)[0]!)), `req${TRICKY}`);
  children = children.slice(0, -1);
  if (!op.output) {
    assert.deepEqual(children, []);
    return;
  }
  if (op.resultWrapper !== undefined) {
    assert.deepEqual(children.map(tagOf), [op.resultWrapper]);
    children = childrenOf(children[0]!);
  }
  check(op.output, result, children, operation, seen);
}

describe("encodeResponse: every operation of the models, checked against the model", () => {
  for (const [label, model] of [
    ["autoscaling", autoscaling],
    ["synthetic", synthetic],
  ] as const) {
    for (const operation of model.operations.keys()) {
      it(`${label} ${operation}`, () => encodeAndCheck(model, operation, new Set()));
    }
    it(`${label}: writes every member of every output shape`, () => {
      const seen = new Set<string>();
      for (const operation of model.operations.keys()) encodeAndCheck(model, operation, seen);
      const missing = [...outputMembers(model)].filter((m) => !seen.has(m));
      assert.deepEqual(missing, []);
    });
  }
});

describe("encodeResponse: values", () => {
  const GROUP = {
    AutoScalingGroupName: "g",
    MinSize: 0,
    MaxSize: 2,
    DesiredCapacity: 1,
    DefaultCooldown: 300,
    AvailabilityZones: ["a"],
    HealthCheckType: "EC2",
    CreatedTime: WHEN,
  };
  const groups = (...list: unknown[]) => encodeResponse(autoscaling, "DescribeAutoScalingGroups", { AutoScalingGroups: list }, "r");

  it("writes an empty list as an empty element and leaves out undefined and null members", () => {
    const expected =
      '<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
      "<DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>" +
      "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>";
    assert.equal(encodeResponse(autoscaling, "DescribeAutoScalingGroups", { AutoScalingGroups: [], NextToken: undefined }, "r"), expected);
    assert.equal(encodeResponse(autoscaling, "DescribeAutoScalingGroups", { AutoScalingGroups: [], NextToken: null }, "r"), expected);
  });

  it("writes an operation without output as the envelope alone", () => {
    assert.equal(
      encodeResponse(autoscaling, "CreateAutoScalingGroup", undefined, "r"),
      '<CreateAutoScalingGroupResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateAutoScalingGroupResponse>",
    );
    assert.equal(encodeResponse(autoscaling, "CreateAutoScalingGroup", {}, "r"), encodeResponse(autoscaling, "CreateAutoScalingGroup", undefined, "r"));
  });

  it("writes timestamps in UTC with milliseconds, booleans and numbers plainly", () => {
    const xml = groups({ ...GROUP, CreatedTime: new Date("2026-11-26T12:37:24+01:00"), NewInstancesProtectedFromScaleIn: false, MinSize: -0 });
    assert.ok(xml.includes("<MinSize>0</MinSize>"));
    assert.ok(xml.includes("<CreatedTime>2026-11-26T11:37:24.000Z</CreatedTime>"));
    assert.ok(xml.includes("<NewInstancesProtectedFromScaleIn>false</NewInstancesProtectedFromScaleIn>"));
    assert.ok(groups(GROUP).includes("<CreatedTime>2026-11-26T11:37:24.123Z</CreatedTime>"));
  });

  it("escapes text so that it round-trips, \\r included", () => {
    const values = ["a&b", "<tag>", "]]>", `"quoted" 'single'`, "line1\r\nline2\rx\n", "é中😀", "&amp; stays &amp;", "  spaced  "];
    const xml = encodeResponse(
      autoscaling,
      "DescribeTags",
      { Tags: values.map((Value) => ({ Key: "k", Value })) },
      "r",
    );
    assert.ok(!xml.includes("\r"), "a raw \\r would be normalised away by parsers");
    const tags = childrenOf(childrenOf(childrenOf(parseRoot(xml))[0]!)[0]!);
    assert.deepEqual(
      tags.map((tag) => textOf(childrenOf(childrenOf(tag).find((c) => tagOf(c) === "Value")!))),
      values,
    );
  });

  it("replaces characters XML 1.0 cannot carry with U+FFFD", () => {
    const xml = encodeResponse(autoscaling, "DescribeTags", { Tags: [{ Key: "a\u0000b\u0008c\uFFFEd\uD800e\uDC00f\u001F" }] }, "r");
    assert.ok(xml.includes("<Key>a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFD</Key>"), xml);
    assert.doesNotThrow(() => parseRoot(xml));
  });

  it("writes maps, flattened lists, locationName and xmlOrder as botocore reads them", () => {
    const xml = encodeResponse(
      synthetic,
      "Put",
      {
        Id: "a",
        Renamed: "r",
        Attributes: { k: "v" },
        Flat: ["x", "y"],
        Big: Number.MAX_SAFE_INTEGER,
        Ratio: 0.5,
        Data: Buffer.from("hi"),
        When: WHEN,
        Nested: { Label: "top", Children: [{ Label: "child", Children: [] }] },
      },
      "r",
    );
    assert.equal(
      xml,
      '<PutResponse xmlns="http://example.com/doc/2020-01-01/"><PutResult><OtherName>r</OtherName><Id>a</Id>' +
        "<When>2026-11-26T11:37:24.123Z</When><Data>aGk=</Data><Big>9007199254740991</Big><Ratio>0.5</Ratio>" +
        "<Attributes><entry><key>k</key><value>v</value></entry></Attributes><Item>x</Item><Item>y</Item>" +
        "<Nested><Children><member><Children/><Label>child</Label></member></Children><Label>top</Label></Nested>" +
        "</PutResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PutResponse>",
    );
    assert.equal(
      encodeResponse(synthetic, "Ping", { Pong: "p" }, "r"),
      '<PingResponse xmlns="http://example.com/doc/2020-01-01/"><Pong>p</Pong><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PingResponse>',
    );
  });
});

describe("encodeResponse: results that do not fit the model", () => {
  const GROUP = { AutoScalingGroupName: "g", MinSize: 0, MaxSize: 2 };
  const refused: Array<[string, Record<string, unknown>, string]> = [
    ["an unknown member", { AutoScalingGroups: [{ ...GROUP, Colour: "red" }] }, "result.AutoScalingGroups[0]: AutoScalingGroup has no member Colour"],
    ["an unknown top-level member", { Groups: [] }, "result: AutoScalingGroupsType has no member Groups"],
    ["a string for an integer", { AutoScalingGroups: [{ ...GROUP, MinSize: "1" }] }, "result.AutoScalingGroups[0].MinSize: expected an integer, got string '1'"],
    ["a fraction for an integer", { AutoScalingGroups: [{ ...GROUP, MinSize: 1.5 }] }, "MinSize: expected an integer, got number"],
    ["a string for a boolean", { AutoScalingGroups: [{ ...GROUP, CapacityRebalance: "true" }] }, "CapacityRebalance: expected a boolean, got string 'true'"],
    ["a string for a timestamp", { AutoScalingGroups: [{ ...GROUP, CreatedTime: "2026-11-26" }] }, "CreatedTime: expected a valid Date, got string '2026-11-26'"],
    ["an invalid Date", { AutoScalingGroups: [{ ...GROUP, CreatedTime: new Date(NaN) }] }, "CreatedTime: expected a valid Date, got an invalid Date"],
    ["a number for a string", { AutoScalingGroups: [{ ...GROUP, Tags: [{ Key: 5 }] }] }, "AutoScalingGroups[0].Tags[0].Key: expected a string, got number"],
    ["an object for a list", { AutoScalingGroups: { first: GROUP } }, "result.AutoScalingGroups: expected an array, got object"],
    ["a list for a structure", { AutoScalingGroups: [[GROUP]] }, "result.AutoScalingGroups[0]: expected an object, got an array"],
    ["a null list item", { AutoScalingGroups: [GROUP, null] }, "result.AutoScalingGroups[1]: list items must not be null"],
  ];
  for (const [what, result, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => encodeResponse(autoscaling, "DescribeAutoScalingGroups", result, "r"),
        (e: unknown) => e instanceof EncodeError && e.message.startsWith("DescribeAutoScalingGroups result") && e.message.endsWith(message),
      );
    });
  }

  it("refuses a result for an operation without output, and an unknown operation", () => {
    assert.throws(() => encodeResponse(autoscaling, "CreateAutoScalingGroup", { AutoScalingGroupName: "g" }, "r"), EncodeError);
    assert.throws(() => encodeResponse(autoscaling, "LaunchRockets", {}, "r"), /LaunchRockets/);
  });
});

describe("encodeError", () => {
  it("writes the ErrorResponse botocore's query parser and the AWS SDK read", () => {
    const xml = encodeError("ValidationError", `Value 'a<b' & "c"\r\n`, "req-1", true);
    const root = parseRoot(xml);
    assert.equal(tagOf(root), "ErrorResponse");
    // AWS puts the service's namespace on its errors too; botocore strips it, the SDK ignores it.
    assert.deepEqual(root[":@"], { xmlns: autoscaling.xmlNamespace });
    const [error, requestId, ...rest] = childrenOf(root);
    assert.deepEqual(rest, []);
    assert.equal(tagOf(error!), "Error");
    assert.deepEqual(childrenOf(error!).map(tagOf), ["Type", "Code", "Message"]);
    const [type, code, message] = childrenOf(error!).map((n) => textOf(childrenOf(n)));
    assert.deepEqual([type, code, message], ["Sender", "ValidationError", `Value 'a<b' & "c"\r\n`]);
    assert.equal(tagOf(requestId!), "RequestId");
    assert.equal(textOf(childrenOf(requestId!)), "req-1");
  });

  it("marks the service's faults as Receiver and takes another namespace", () => {
    const root = parseRoot(encodeError("InternalFailure", "boom", "r", false, "http://monitoring.amazonaws.com/doc/2010-08-01/"));
    assert.deepEqual(root[":@"], { xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/" });
    assert.equal(textOf(childrenOf(childrenOf(childrenOf(root)[0]!)[0]!)), "Receiver");
  });
});
