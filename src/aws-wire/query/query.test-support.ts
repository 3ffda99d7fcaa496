/**
 * Helpers for this folder's tests: the committed Auto Scaling model and a synthetic model.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../test-support/captures.js";
import { loadModel, type BotocoreModel, type Model } from "./model.js";

/** The committed Auto Scaling model, as JSON. */
export function autoscalingJson(): BotocoreModel {
  return JSON.parse(readFileSync(join(repoRoot(), "src/aws-wire/models/autoscaling-2011-01-01.json"), "utf8")) as BotocoreModel;
}

let compiled: Model | undefined;

/** The committed Auto Scaling model, compiled once per test process. */
export function autoscalingModel(): Model {
  return (compiled ??= loadModel(autoscalingJson()));
}

/** Where Debian's botocore keeps AWS's models (absent on machines without python3-botocore). */
export const BOTOCORE_DATA = "/usr/lib/python3/dist-packages/botocore/data";

/**
 * A small query-protocol model exercising what Auto Scaling's model does not: maps, flattened
 * lists, `locationName`, `xmlOrder`, timestamps, blobs, longs, doubles, sensitive members.
 */
export function syntheticJson(): BotocoreModel {
  return {
    metadata: { apiVersion: "2020-01-01", protocol: "query", xmlNamespace: "http://example.com/doc/2020-01-01/" },
    operations: {
      Put: { name: "Put", input: { shape: "PutInput" }, output: { shape: "PutOutput", resultWrapper: "PutResult" } },
      Ping: { name: "Ping", output: { shape: "PingOutput" } },
    },
    shapes: {
      PutInput: {
        type: "structure",
        required: ["Id"],
        members: {
          Id: { shape: "Id" },
          When: { shape: "When" },
          Data: { shape: "Data" },
          Big: { shape: "Big" },
          Ratio: { shape: "Ratio" },
          Attributes: { shape: "Attributes" },
          Flat: { shape: "Flat" },
          Renamed: { shape: "Id", locationName: "OtherName" },
          Secret: { shape: "Secret" },
        },
      },
      PutOutput: {
        type: "structure",
        members: {
          Id: { shape: "Id" },
          When: { shape: "When" },
          Data: { shape: "Data" },
          Big: { shape: "Big" },
          Ratio: { shape: "Ratio" },
          Attributes: { shape: "Attributes" },
          Flat: { shape: "Flat" },
          Renamed: { shape: "Id", locationName: "OtherName" },
          Nested: { shape: "Nested" },
        },
        // Response element order differs from member order, as in CloudWatch's model.
        xmlOrder: ["Renamed", "Id", "When", "Data", "Big", "Ratio", "Attributes", "Flat", "Nested"],
      },
      PingOutput: { type: "structure", members: { Pong: { shape: "Value" } } },
      Nested: { type: "structure", members: { Children: { shape: "NestedList" }, Label: { shape: "Value" } } },
      NestedList: { type: "list", member: { shape: "Nested" } },
      Id: { type: "string", min: 1, max: 8, pattern: "[a-z][a-z0-9\\-]*" },
      When: { type: "timestamp" },
      Data: { type: "blob" },
      Big: { type: "long", min: 0 },
      Ratio: { type: "double", min: 0, max: 1 },
      Attributes: { type: "map", key: { shape: "Key" }, value: { shape: "Value" }, max: 2 },
      Key: { type: "string", min: 1, max: 16 },
      Value: { type: "string" },
      Flat: { type: "list", member: { shape: "Value", locationName: "Item" }, flattened: true },
      Secret: { type: "string", max: 4, sensitive: true },
    },
  };
}
