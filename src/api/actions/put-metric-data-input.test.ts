import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeInput } from "../../aws-wire/query/decode-input.js";
import { loadModel } from "../../aws-wire/query/model.js";
import cloudwatchJson from "../../aws-wire/models/cloudwatch-2010-08-01.json" with { type: "json" };
import { flatPutMetricDataInput } from "./put-metric-data-input.js";

const CLOUDWATCH = loadModel(cloudwatchJson);

/** What the model-driven decoder makes of the parameters, or the error it throws. */
function generic(params: Map<string, string>): { input: Record<string, unknown> } | { error: unknown } {
  try {
    return { input: decodeInput(CLOUDWATCH, "PutMetricData", params, new Set()) };
  } catch (error) {
    return { error };
  }
}

function params(pairs: Record<string, string>): Map<string, string> {
  return new Map(Object.entries({ Action: "PutMetricData", Version: "2010-08-01", ...pairs }));
}

/** A small deterministic generator (xorshift), so a failure names a seed that repeats it. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("flatPutMetricDataInput", () => {
  it("decodes the flat shape exactly as decodeInput does", () => {
    const p = params({
      Namespace: "App/Web",
      "MetricData.member.1.MetricName": "Cpu",
      "MetricData.member.1.Value": "12.5",
      "MetricData.member.1.Unit": "Percent",
      "MetricData.member.1.Dimensions.member.1.Name": "InstanceId",
      "MetricData.member.1.Dimensions.member.1.Value": "i-1",
      "MetricData.member.2.MetricName": "Requests",
      "MetricData.member.2.Value": "-1e3",
    });
    const fast = flatPutMetricDataInput(p);
    assert.deepEqual(fast, {
      Namespace: "App/Web",
      MetricData: [
        { MetricName: "Cpu", Dimensions: [{ Name: "InstanceId", Value: "i-1" }], Value: 12.5, Unit: "Percent" },
        { MetricName: "Requests", Value: -1000 },
      ],
    });
    assert.deepEqual(generic(p), { input: fast });
  });

  const others: [string, Record<string, string>][] = [
    ["no namespace", { "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1" }],
    ["no data", { Namespace: "App" }],
    ["a timestamp", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1", "MetricData.member.1.Timestamp": "2026-12-05T12:00:00Z" }],
    ["statistic values", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.StatisticValues.Sum": "1" }],
    ["a datum without a value", { Namespace: "App", "MetricData.member.1.MetricName": "m" }],
    ["a gap in the data", { Namespace: "App", "MetricData.member.2.MetricName": "m", "MetricData.member.2.Value": "1" }],
    ["a leading zero", { Namespace: "App", "MetricData.member.01.MetricName": "m", "MetricData.member.01.Value": "1" }],
    ["a dimension without its value", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1", "MetricData.member.1.Dimensions.member.1.Name": "n" }],
    ["a value that is no number", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "NaN" }],
    ["an infinite value", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1e999" }],
    ["an unknown unit", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1", "MetricData.member.1.Unit": "Parsecs" }],
    ["a namespace starting with a colon", { Namespace: ":App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1" }],
    ["a namespace with a line break", { Namespace: "A\npp", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1" }],
    ["an empty metric name", { Namespace: "App", "MetricData.member.1.MetricName": "", "MetricData.member.1.Value": "1" }],
    ["a signature parameter", { Namespace: "App", "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1", Signature: "x" }],
  ];
  for (const [what, pairs] of others) {
    it(`leaves ${what} to decodeInput`, () => {
      assert.equal(flatPutMetricDataInput(params(pairs)), null);
    });
  }

  it("agrees with decodeInput on 3,000 generated inputs, valid and not, and takes most valid ones", () => {
    const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    let taken = 0;
    let genericAccepted = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = random(seed);
      const p = new Map<string, string>([["Action", "PutMetricData"]]);
      // Each choice is mostly valid, so that many inputs are valid as a whole.
      const rare = (valid: readonly string[], invalid: readonly string[]) => (r() < 0.97 ? pick(r, valid) : pick(r, invalid));
      if (r() < 0.99) p.set("Namespace", rare(["App", "App/Web", "A".repeat(255), "a:b", "Ä"], [":App", "", "A".repeat(256), "A\u2028"]));
      const data = pick(r, [0, 1, 2, 3, 20]);
      for (let i = 1; i <= data; i++) {
        const at = r() < 0.005 ? i + 1 : i;
        const prefix = `MetricData.member.${at}`;
        if (r() < 0.995) p.set(`${prefix}.MetricName`, rare(["m", "Cpu", "x".repeat(255)], ["", "x".repeat(256)]));
        if (r() < 0.995) p.set(`${prefix}.Value`, rare(["1", "0.5", "-2e3", ".5", "1.", "+7", "-0", "1E+2"], ["abc", "1e999", "", "0x10", "1_0"]));
        if (r() < 0.5) p.set(`${prefix}.Unit`, rare(["Percent", "Count", "None", "Bytes/Second"], ["percent", ""]));
        if (r() < 0.01) p.set(`${prefix}.StorageResolution`, "60");
        const dimensions = r() < 0.99 ? pick(r, [0, 1, 1, 2, 3]) : 31;
        for (let d = 1; d <= dimensions; d++) {
          if (r() < 0.995) p.set(`${prefix}.Dimensions.member.${d}.Name`, rare(["n", "InstanceId", "x".repeat(255)], ["", "x".repeat(256)]));
          if (r() < 0.995) p.set(`${prefix}.Dimensions.member.${d}.Value`, rare(["v", "i-1", "x".repeat(1024)], ["", "x".repeat(1025)]));
        }
      }
      const fast = flatPutMetricDataInput(p);
      const expected = generic(p);
      if ("input" in expected) genericAccepted++;
      if (fast === null) continue;
      taken++;
      assert.deepEqual(expected, { input: fast }, `seed ${seed}: ${JSON.stringify([...p])}`);
    }
    // Most inputs the model accepts are of the flat shape here: the fast path must take them.
    assert.ok(genericAccepted > 300, `only ${genericAccepted} generated inputs were valid`);
    // (Not "Ä": the flat path takes printable ASCII namespaces only.)
    assert.ok(taken > genericAccepted * 0.7, `the flat decoder took ${taken} of ${genericAccepted} valid inputs`);
  });
});
