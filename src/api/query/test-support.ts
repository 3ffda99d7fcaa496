/**
 * Helpers for this folder's tests: the repository's files, the Auto Scaling model, and the
 * captured client requests in `../shared/conformance/requests/`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel, type BotocoreModel, type Model } from "./model.js";

/** The repository root: the nearest folder above this file holding a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no package.json above the tests");
    dir = up;
  }
  return dir;
}

/** The committed Auto Scaling model, as JSON. */
export function autoscalingJson(): BotocoreModel {
  return JSON.parse(readFileSync(join(repoRoot(), "src/api/model/autoscaling-2011-01-01.json"), "utf8")) as BotocoreModel;
}

let compiled: Model | undefined;

/** The committed Auto Scaling model, compiled once per test process. */
export function autoscalingModel(): Model {
  return (compiled ??= loadModel(autoscalingJson()));
}

/** Where Debian's botocore keeps AWS's models (absent on machines without python3-botocore). */
export const BOTOCORE_DATA = "/usr/lib/python3/dist-packages/botocore/data";

/** One captured request, split into its parts. */
export interface CapturedRequest {
  readonly file: string;
  readonly method: string;
  readonly rawQuery: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** The "decoded parameters" list at the end of the file, in order. */
  readonly expected: ReadonlyArray<[string, string]>;
}

const MARKER = "\n---- decoded parameters";

/**
 * Every captured request (`requests/*.txt` and `requests/retries/*.txt`). The format: request
 * line, headers, a blank line, the body (cut by Content-Length), then the decoded parameters,
 * one `name = value` a line, after a `---- decoded parameters … ----` line. Lines end with LF.
 */
export function capturedRequests(): CapturedRequest[] {
  const dir = join(repoRoot(), "..", "shared", "conformance", "requests");
  const files = [
    ...readdirSync(dir).filter((f) => f.endsWith(".txt")).map((f) => join(dir, f)),
    ...readdirSync(join(dir, "retries")).filter((f) => f.endsWith(".txt")).map((f) => join(dir, "retries", f)),
  ].sort();
  return files.map(parseCapture);
}

function parseCapture(file: string): CapturedRequest {
  const bytes = readFileSync(file);
  const headEnd = bytes.indexOf("\n\n");
  if (headEnd < 0) throw new Error(`${file}: no blank line after the headers`);
  const [requestLine, ...headerLines] = bytes.subarray(0, headEnd).toString("latin1").split("\n");
  const [method, target] = requestLine!.split(" ");
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get("content-length") ?? "0");
  const body = bytes.subarray(headEnd + 2, headEnd + 2 + length);
  const text = bytes.toString("utf8");
  const marker = text.indexOf(MARKER);
  if (marker < 0) throw new Error(`${file}: no decoded parameters`);
  const expected = text
    .slice(text.indexOf("\n", marker + 1) + 1)
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line): [string, string] => {
      const eq = line.indexOf(" =");
      return [line.slice(0, eq), line.slice(eq + 2).replace(/^ /, "")];
    });
  const q = target!.indexOf("?");
  return { file, method: method!, rawQuery: q < 0 ? "" : target!.slice(q + 1), headers, body: Buffer.from(body), expected };
}

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
