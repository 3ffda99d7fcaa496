import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadModel, type BotocoreModel, type ListShape, type StructureShape } from "./model.js";
import { autoscalingJson, autoscalingModel, BOTOCORE_DATA, syntheticJson } from "./query.test-support.js";

describe("loadModel", () => {
  it("compiles the Auto Scaling model with its names and order", () => {
    const model = autoscalingModel();
    assert.equal(model.xmlNamespace, "http://autoscaling.amazonaws.com/doc/2011-01-01/");
    assert.equal(model.apiVersion, "2011-01-01");
    const op = model.operations.get("DescribeAutoScalingGroups")!;
    assert.equal(op.resultWrapper, "DescribeAutoScalingGroupsResult");
    const group = model.shapes.get("AutoScalingGroup") as StructureShape;
    const json = autoscalingJson().shapes.AutoScalingGroup!;
    assert.deepEqual(group.members.map((m) => m.name), Object.keys(json.members!));
    const vpc = group.byName.get("VPCZoneIdentifier")!;
    assert.deepEqual([vpc.paramName, vpc.xmlName, vpc.pathName, vpc.required], ["VPCZoneIdentifier", "VPCZoneIdentifier", "vPCZoneIdentifier", false]);
    assert.equal(group.byName.get("AutoScalingGroupName")!.required, true);
    assert.equal((group.byName.get("Tags")!.shape as ListShape).xmlItem, "member");
  });

  it("resolves locationName, flattened lists and xmlOrder", () => {
    const model = loadModel(syntheticJson());
    const output = model.operations.get("Put")!.output!;
    assert.deepEqual(output.xmlMembers.map((m) => m.xmlName), ["OtherName", "Id", "When", "Data", "Big", "Ratio", "Attributes", "Item", "Nested"]);
    const flat = output.byName.get("Flat")!;
    assert.deepEqual([flat.paramName, flat.xmlName, flat.flattened], ["Item", "Item", true]);
  });

  it("falls back on the target shape's own locationName, as botocore does (SQS's maps)", () => {
    const json = syntheticJson();
    const model = loadModel({ ...json, shapes: { ...json.shapes, Attributes: { ...json.shapes.Attributes!, locationName: "Attribute" } } });
    const member = model.operations.get("Put")!.input!.byName.get("Attributes")!;
    assert.deepEqual([member.paramName, member.xmlName], ["Attribute", "Attribute"]);
  });

  it("links recursive shapes to themselves", () => {
    const nested = loadModel(syntheticJson()).shapes.get("Nested") as StructureShape;
    assert.equal((nested.byName.get("Children")!.shape as ListShape).member, nested);
  });

  it("refuses what it cannot serve", () => {
    const base = syntheticJson();
    const variant = (change: (m: { -readonly [K in keyof BotocoreModel]: BotocoreModel[K] }) => void): BotocoreModel => {
      const copy = structuredClone(base) as { -readonly [K in keyof BotocoreModel]: BotocoreModel[K] };
      change(copy);
      return copy;
    };
    assert.throws(() => loadModel(variant((m) => (m.metadata = { ...m.metadata, protocol: "ec2" }))), /protocol ec2/);
    assert.throws(() => loadModel(variant((m) => (m.shapes = { ...m.shapes, Id: { type: "string", pattern: "(?i)a" } }))), /inline flags/);
    assert.throws(() => loadModel(variant((m) => (m.shapes = { ...m.shapes, Id: { type: "decimal" } }))), /unsupported type decimal/);
    assert.throws(() => loadModel(variant((m) => (m.shapes = { ...m.shapes, Nested: { type: "structure", members: { X: { shape: "Nope" } } } }))), /unknown shape Nope/);
    assert.throws(
      () => loadModel(variant((m) => (m.shapes = { ...m.shapes, PingOutput: { type: "structure", members: { Pong: { shape: "Value" } }, xmlOrder: ["Pang"] } }))),
      /xmlOrder names unknown member Pang/,
    );
  });

  it("loads every query-protocol model botocore ships", (t) => {
    if (!existsSync(BOTOCORE_DATA)) return t.skip("botocore's models are not installed (python3-botocore)");
    const loaded: string[] = [];
    for (const service of readdirSync(BOTOCORE_DATA)) {
      const dir = join(BOTOCORE_DATA, service);
      if (!statSync(dir).isDirectory()) continue;
      for (const version of readdirSync(dir)) {
        const file = join(dir, version, "service-2.json");
        if (!existsSync(file)) continue;
        const json = JSON.parse(readFileSync(file, "utf8")) as BotocoreModel;
        if (json.metadata.protocol !== "query") continue;
        assert.doesNotThrow(() => loadModel(json), file);
        loaded.push(service);
      }
    }
    assert.ok(loaded.includes("autoscaling") && loaded.includes("cloudwatch"), loaded.join(", "));
  });
});
