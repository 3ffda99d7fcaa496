import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkStatisticsQuery,
  datapoints,
  describeDuration,
  foldAggregates,
  MAX_FUTURE_MS,
  pointsToPut,
  seriesKey,
  statisticOf,
  type MetricDatumInput,
  type StatisticsQuery,
} from "./metric-data.js";
import { isPhantomError, type AwsErrorCode } from "./errors.js";
import type { MetricAggregate, MetricPoint } from "./types.js";

const NOW = new Date("2026-11-26T12:00:30Z");
const MINUTE = new Date("2026-11-26T12:00:00Z");
const WINDOW = { retentionMs: 14 * 24 * 3600_000 };
const at = (iso: string) => new Date(`2026-11-26T${iso}Z`);

function fails(fn: () => unknown, code: AwsErrorCode, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isPhantomError(e, code), `expected ${code}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The four statistic fields of an aggregate, without whatever else the object carries. */
const agg = (a: MetricAggregate): MetricAggregate => ({ sampleCount: a.sampleCount, sum: a.sum, minimum: a.minimum, maximum: a.maximum });
const A = (sampleCount: number, sum: number, minimum: number, maximum: number): MetricAggregate => ({ sampleCount, sum, minimum, maximum });

describe("pointsToPut", () => {
  const one = (d: Omit<MetricDatumInput, "MetricName">) => pointsToPut("MyApp", [{ MetricName: "Load", ...d }], NOW, WINDOW);

  const aggregates: [string, Omit<MetricDatumInput, "MetricName">, MetricAggregate][] = [
    ["a Value is one sample", { Value: 7 }, A(1, 7, 7, 7)],
    ["a negative Value is one sample", { Value: -2.5 }, A(1, -2.5, -2.5, -2.5)],
    ["StatisticValues are taken as given", { StatisticValues: { SampleCount: 4, Sum: 20, Minimum: 1, Maximum: 9 } }, A(4, 20, 1, 9)],
    ["Values without Counts count once each", { Values: [1, 5, 3] }, A(3, 9, 1, 5)],
    ["Values with Counts weigh the sum by the counts", { Values: [10, 20], Counts: [3, 2] }, A(5, 70, 10, 20)],
    ["fractional Counts are accepted", { Values: [4], Counts: [0.5] }, A(0.5, 2, 4, 4)],
  ];
  for (const [name, datum, expected] of aggregates) {
    it(`aggregates: ${name}`, () => {
      const points = one(datum);
      assert.equal(points.length, 1);
      assert.deepEqual(agg(points[0]!), expected);
    });
  }

  it("stamps a datum without Timestamp at the minute of now, with its series and unit", () => {
    const [p] = one({ Value: 1, Unit: "Count", Dimensions: [{ Name: "AutoScalingGroupName", Value: "g" }] });
    assert.equal(p!.minute.toISOString(), MINUTE.toISOString());
    assert.equal(p!.namespace, "MyApp");
    assert.equal(p!.metricName, "Load");
    assert.deepEqual(p!.dimensions, [{ name: "AutoScalingGroupName", value: "g" }]);
    assert.equal(p!.unit, "Count");
  });

  it("leaves the unit null when no datum gives one", () => {
    assert.equal(one({ Value: 1 })[0]!.unit, null);
  });

  it("folds several data of one series and minute into one point", () => {
    const points = pointsToPut(
      "MyApp",
      [
        { MetricName: "Load", Timestamp: at("12:00:05"), Value: 3 },
        { MetricName: "Load", Timestamp: at("12:00:55"), Values: [1, 8], Counts: [2, 1] },
        { MetricName: "Load", StatisticValues: { SampleCount: 2, Sum: 10, Minimum: 4, Maximum: 6 }, Unit: "Count" },
      ],
      NOW,
      WINDOW,
    );
    assert.equal(points.length, 1);
    assert.deepEqual(agg(points[0]!), A(6, 23, 1, 8));
    assert.equal(points[0]!.unit, "Count");
  });

  it("keeps different minutes, metrics and dimension values apart", () => {
    const points = pointsToPut(
      "MyApp",
      [
        { MetricName: "Load", Timestamp: at("11:59:59"), Value: 1 },
        { MetricName: "Load", Timestamp: at("12:00:00"), Value: 2 },
        { MetricName: "Other", Timestamp: at("12:00:00"), Value: 3 },
        { MetricName: "Load", Timestamp: at("12:00:00"), Value: 4, Dimensions: [{ Name: "InstanceId", Value: "i-1" }] },
        { MetricName: "Load", Timestamp: at("12:00:00"), Value: 5, Dimensions: [{ Name: "InstanceId", Value: "i-2" }] },
      ],
      NOW,
      WINDOW,
    );
    assert.deepEqual(
      points.map((p) => [p.metricName, p.minute.toISOString(), p.dimensions.map((d) => d.value).join(","), p.sum]),
      [
        ["Load", "2026-11-26T11:59:00.000Z", "", 1],
        ["Load", "2026-11-26T12:00:00.000Z", "", 2],
        ["Other", "2026-11-26T12:00:00.000Z", "", 3],
        ["Load", "2026-11-26T12:00:00.000Z", "i-1", 4],
        ["Load", "2026-11-26T12:00:00.000Z", "i-2", 5],
      ],
    );
  });

  it("treats dimensions in any order as one series, sorted by name", () => {
    const points = pointsToPut(
      "MyApp",
      [
        { MetricName: "Load", Value: 1, Dimensions: [{ Name: "b", Value: "2" }, { Name: "a", Value: "1" }] },
        { MetricName: "Load", Value: 3, Dimensions: [{ Name: "a", Value: "1" }, { Name: "b", Value: "2" }] },
      ],
      NOW,
      WINDOW,
    );
    assert.equal(points.length, 1);
    assert.deepEqual(points[0]!.dimensions, [{ name: "a", value: "1" }, { name: "b", value: "2" }]);
    assert.equal(points[0]!.sampleCount, 2);
  });

  const twoHours = new Date(NOW.getTime() + MAX_FUTURE_MS);
  it("accepts a timestamp exactly two hours ahead, and one exactly at the retention limit", () => {
    assert.equal(one({ Value: 1, Timestamp: twoHours }).length, 1);
    assert.equal(one({ Value: 1, Timestamp: new Date(NOW.getTime() - WINDOW.retentionMs) }).length, 1);
  });

  const bad: [string, readonly MetricDatumInput[], AwsErrorCode, RegExp][] = [
    ["duplicate dimension names", [{ MetricName: "m", Value: 1, Dimensions: [{ Name: "a", Value: "1" }, { Name: "a", Value: "2" }] }], "InvalidParameterValue", /dimension name a appears more than once in MetricData\.member\.1\.Dimensions/],
    ["Value with StatisticValues", [{ MetricName: "m", Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }], "InvalidParameterCombination", /MetricData\.member\.1\.Value and MetricData\.member\.1\.StatisticValues are mutually exclusive/],
    ["Value with Values", [{ MetricName: "m", Value: 1, Values: [1] }], "InvalidParameterCombination", /Value and MetricData\.member\.1\.Values are mutually exclusive/],
    ["Counts without Values", [{ MetricName: "m", Value: 1, Counts: [1] }], "InvalidParameterCombination", /MetricData\.member\.1\.Counts is only valid with MetricData\.member\.1\.Values/],
    ["Values and Counts of different lengths", [{ MetricName: "m", Values: [1, 2], Counts: [1] }], "InvalidParameterValue", /Values \(2 values\) and MetricData\.member\.1\.Counts \(1 counts\) must have the same length/],
    ["an empty Values", [{ MetricName: "m", Values: [] }], "MissingParameter", /Values must list at least one value/],
    ["a zero count", [{ MetricName: "m", Values: [1, 2], Counts: [1, 0] }], "InvalidParameterValue", /value 0 for parameter MetricData\.member\.1\.Counts\.member\.2 is invalid/],
    ["a negative count", [{ MetricName: "m", Values: [1], Counts: [-1] }], "InvalidParameterValue", /value -1 for parameter MetricData\.member\.1\.Counts\.member\.1/],
    ["a NaN Value", [{ MetricName: "m", Value: NaN }], "InvalidParameterValue", /value NaN for parameter MetricData\.member\.1\.Value is invalid/],
    ["an infinite Value", [{ MetricName: "m", Value: Infinity }], "InvalidParameterValue", /value Infinity for parameter MetricData\.member\.1\.Value/],
    ["a Value beyond 2^360", [{ MetricName: "m", Value: 2 ** 361 }], "InvalidParameterValue", /parameter MetricData\.member\.1\.Value is invalid/],
    ["a Value beyond -2^360", [{ MetricName: "m", Value: -(2 ** 361) }], "InvalidParameterValue", /parameter MetricData\.member\.1\.Value is invalid/],
    ["a NaN among Values", [{ MetricName: "m", Values: [1, NaN] }], "InvalidParameterValue", /parameter MetricData\.member\.1\.Values\.member\.2 is invalid/],
    ["an infinite StatisticValues.Sum", [{ MetricName: "m", StatisticValues: { SampleCount: 1, Sum: -Infinity, Minimum: 1, Maximum: 1 } }], "InvalidParameterValue", /StatisticValues\.Sum is invalid/],
    ["StatisticValues.SampleCount 0", [{ MetricName: "m", StatisticValues: { SampleCount: 0, Sum: 0, Minimum: 0, Maximum: 0 } }], "InvalidParameterValue", /value 0 for parameter MetricData\.member\.1\.StatisticValues\.SampleCount/],
    ["a negative StatisticValues.SampleCount", [{ MetricName: "m", StatisticValues: { SampleCount: -3, Sum: 0, Minimum: 0, Maximum: 0 } }], "InvalidParameterValue", /value -3 for parameter .*SampleCount/],
    ["Minimum above Maximum", [{ MetricName: "m", StatisticValues: { SampleCount: 2, Sum: 5, Minimum: 4, Maximum: 1 } }], "InvalidParameterValue", /StatisticValues\.Minimum \(4\) must not exceed MetricData\.member\.1\.StatisticValues\.Maximum \(1\)/],
    ["a datum without any value", [{ MetricName: "m" }], "MissingParameter", /MetricData\.member\.1 must contain Value, StatisticValues or Values/],
    ["no data at all", [], "MissingParameter", /MetricData is required/],
    ["a timestamp more than two hours ahead", [{ MetricName: "m", Value: 1, Timestamp: new Date(twoHours.getTime() + 1) }], "InvalidParameterValue", /MetricData\.member\.1\.Timestamp must specify a time no more than two hours in the future/],
    ["a timestamp older than the retention", [{ MetricName: "m", Value: 1, Timestamp: new Date(NOW.getTime() - WINDOW.retentionMs - 1) }], "InvalidParameterValue", /Timestamp must specify a time within the past 336 hours/],
    ["an invalid second datum, naming it", [{ MetricName: "m", Value: 1 }, { MetricName: "m", Value: NaN }], "InvalidParameterValue", /MetricData\.member\.2\.Value/],
  ];
  for (const [name, data, code, pattern] of bad) {
    it(`refuses ${name}`, () => fails(() => pointsToPut("MyApp", data, NOW, WINDOW), code, pattern));
  }

  it("accepts CloudWatch's most: 1000 data of 150 values each", () => {
    const data = Array.from({ length: 1000 }, (_, i) => ({ MetricName: `m${i % 10}`, Values: Array.from({ length: 150 }, (_, k) => k) }));
    const points = pointsToPut("MyApp", data, NOW, WINDOW);
    assert.equal(points.length, 10);
    assert.equal(points[0]!.sampleCount, 100 * 150);
  });

  it("refuses more than 1000 data", () => {
    const data = Array.from({ length: 1001 }, () => ({ MetricName: "m", Value: 1 }));
    fails(() => pointsToPut("MyApp", data, NOW, WINDOW), "InvalidParameterValue", /The collection MetricData must not have a size greater than 1000/);
  });

  it("refuses more than 150 values in one datum", () => {
    const data = [{ MetricName: "m", Values: Array.from({ length: 151 }, () => 1) }];
    fails(() => pointsToPut("MyApp", data, NOW, WINDOW), "InvalidParameterValue", /The collection MetricData\.member\.1\.Values must not have a size greater than 150/);
  });

  it("refuses the reserved AWS/ namespaces", () => {
    fails(() => pointsToPut("AWS/EC2", [{ MetricName: "m", Value: 1 }], NOW, WINDOW), "InvalidParameterValue", /AWS\/EC2 for parameter Namespace.*reserved/);
  });

  it("states the retention in hours when it is a whole number of hours", () => {
    fails(
      () => pointsToPut("MyApp", [{ MetricName: "m", Value: 1, Timestamp: new Date(NOW.getTime() - 3 * 3600_000) }], NOW, { retentionMs: 2 * 3600_000 }),
      "InvalidParameterValue",
      /within the past 2 hours: Phantom keeps metrics that long/,
    );
  });
});

describe("seriesKey", () => {
  // The key is stored (unique per user): it must stay JSON.stringify([namespace, name, [[n, v], …]]).
  const cases: [string, string, [string, string][]][] = [
    ["App", "Cpu", []],
    ["App", "Cpu", [["Host", "h1"]]],
    ["App/A", "Cpu", [["A", "1"], ["B", "2"], ["C", "3"]]],
    ['q"uote', "back\\slash", [["new\nline", "tab\tand\u0001control"]]],
    ["ünïcödé", "😀", [["\u2028", "\ud800 lone surrogate"], ["]", "[,"]]],
  ];
  for (const [namespace, metricName, dims] of cases) {
    it(`is the JSON text of ${JSON.stringify([namespace, metricName, dims])}`, () => {
      const dimensions = dims.map(([name, value]) => ({ name, value }));
      assert.equal(seriesKey({ namespace, metricName, dimensions }), JSON.stringify([namespace, metricName, dims]));
    });
  }
});

describe("checkStatisticsQuery", () => {
  const q = (over: Partial<StatisticsQuery> = {}): StatisticsQuery => ({
    StartTime: at("10:00:00"),
    EndTime: at("12:00:00"),
    Period: 60,
    Statistics: ["Average"],
    ...over,
  });

  const good: [string, Partial<StatisticsQuery>, string[]][] = [
    ["one statistic", {}, ["Average"]],
    ["several statistics in order", { Statistics: ["Maximum", "Sum", "SampleCount"] }, ["Maximum", "Sum", "SampleCount"]],
    ["duplicates once, first place kept", { Statistics: ["Sum", "Average", "Sum", "Average"] }, ["Sum", "Average"]],
    ["an empty ExtendedStatistics", { ExtendedStatistics: [] }, ["Average"]],
    ["exactly 1440 datapoints", { StartTime: at("00:00:00"), EndTime: new Date(at("00:00:00").getTime() + 1440 * 60_000) }, ["Average"]],
    ["a period of an hour", { Period: 3600 }, ["Average"]],
  ];
  for (const [name, over, expected] of good) {
    it(`accepts ${name}`, () => assert.deepEqual(checkStatisticsQuery(q(over)), expected));
  }

  const bad: [string, Partial<StatisticsQuery>, AwsErrorCode, RegExp][] = [
    ["a Period that is not a multiple of 60", { Period: 90 }, "InvalidParameterValue", /Period must be a multiple of 60/],
    ["a Period below a minute", { Period: 1 }, "InvalidParameterValue", /Period must be a multiple of 60/],
    ["StartTime equal to EndTime", { StartTime: at("12:00:00") }, "InvalidParameterValue", /StartTime must be less than the parameter EndTime/],
    ["StartTime after EndTime", { StartTime: at("13:00:00") }, "InvalidParameterValue", /StartTime must be less than the parameter EndTime/],
    ["1441 datapoints", { StartTime: at("00:00:00"), EndTime: new Date(at("00:00:00").getTime() + 1441 * 60_000) }, "InvalidParameterCombination", /requested up to 1441 datapoints, which exceeds the limit of 1440/],
    ["a partial extra period past 1440", { StartTime: at("00:00:00"), EndTime: new Date(at("00:00:00").getTime() + 1440 * 60_000 + 1) }, "InvalidParameterCombination", /up to 1441 datapoints/],
    ["ExtendedStatistics", { ExtendedStatistics: ["p99"] }, "InvalidParameterValue", /ExtendedStatistics \(percentiles\) are not supported.*Use Statistics/],
    ["ExtendedStatistics without Statistics", { Statistics: undefined, ExtendedStatistics: ["p50"] }, "InvalidParameterValue", /ExtendedStatistics/],
    ["no Statistics", { Statistics: undefined }, "MissingParameter", /Must specify either Statistics or ExtendedStatistics/],
    ["empty Statistics", { Statistics: [] }, "MissingParameter", /Must specify either Statistics or ExtendedStatistics/],
  ];
  for (const [name, over, code, pattern] of bad) {
    it(`refuses ${name}`, () => fails(() => checkStatisticsQuery(q(over)), code, pattern));
  }
});

describe("datapoints", () => {
  const point = (minute: string, value: number, unit: string | null = null): MetricPoint => ({
    namespace: "MyApp",
    metricName: "Load",
    dimensions: [],
    minute: at(minute),
    unit,
    sampleCount: 1,
    sum: value,
    minimum: value,
    maximum: value,
  });
  const shape = (dps: ReturnType<typeof datapoints>) => dps.map((d) => [d.timestamp.toISOString().slice(11, 19), agg(d.aggregate), d.unit]);

  const cases: [string, MetricPoint[], string, string, number, ReturnType<typeof shape>][] = [
    [
      "one datapoint per minute at period 60",
      [point("12:00:00", 1), point("12:01:00", 2)],
      "12:00:00", "12:02:00", 60,
      [["12:00:00", A(1, 1, 1, 1), null], ["12:01:00", A(1, 2, 2, 2), null]],
    ],
    [
      "minutes merged into periods aligned to the start",
      [point("12:00:00", 1), point("12:01:00", 5), point("12:02:00", 3), point("12:03:00", 7), point("12:04:00", 2)],
      "12:00:00", "12:05:00", 180,
      [["12:00:00", A(3, 9, 1, 5), null], ["12:03:00", A(2, 9, 2, 7), null]],
    ],
    [
      "periods aligned to the start rounded down to its minute",
      [point("12:01:00", 1), point("12:02:00", 2), point("12:03:00", 4)],
      "12:01:40", "12:05:00", 120,
      [["12:01:00", A(2, 3, 1, 2), null], ["12:03:00", A(1, 4, 4, 4), null]],
    ],
    [
      "minutes before the start's minute and at or after the end left out",
      [point("11:59:00", 100), point("12:00:00", 1), point("12:01:00", 2), point("12:02:00", 200)],
      "12:00:59", "12:02:00", 60,
      [["12:00:00", A(1, 1, 1, 1), null], ["12:01:00", A(1, 2, 2, 2), null]],
    ],
    [
      "ordered by time whatever the input order",
      [point("12:04:00", 4), point("12:00:00", 0), point("12:02:00", 2)],
      "12:00:00", "12:05:00", 60,
      [["12:00:00", A(1, 0, 0, 0), null], ["12:02:00", A(1, 2, 2, 2), null], ["12:04:00", A(1, 4, 4, 4), null]],
    ],
    [
      "a period's unit from its minutes",
      [point("12:00:00", 1, "Count"), point("12:01:00", 2)],
      "12:00:00", "12:02:00", 120,
      [["12:00:00", A(2, 3, 1, 2), "Count"]],
    ],
    ["nothing when no minute falls in the range", [point("11:00:00", 1)], "12:00:00", "12:05:00", 60, []],
  ];
  for (const [name, minutes, start, end, period, expected] of cases) {
    it(name, () => assert.deepEqual(shape(datapoints(minutes, at(start), at(end), period)), expected));
  }
});

describe("statisticOf", () => {
  const a = A(4, 20, 2, 9);
  const cases: [Parameters<typeof statisticOf>[1], number][] = [
    ["SampleCount", 4],
    ["Average", 5],
    ["Sum", 20],
    ["Minimum", 2],
    ["Maximum", 9],
  ];
  for (const [statistic, expected] of cases) {
    it(`${statistic} of {4, 20, 2, 9} is ${expected}`, () => assert.equal(statisticOf(a, statistic), expected));
  }
  it("weighs the Average by sample counts, not by aggregates", () => {
    assert.equal(statisticOf(foldAggregates([A(1, 10, 10, 10), A(3, 6, 2, 2)])!, "Average"), 4);
  });
});

describe("foldAggregates", () => {
  const cases: [string, MetricAggregate[], MetricAggregate | null][] = [
    ["null for none", [], null],
    ["a copy of one", [A(2, 3, 1, 2)], A(2, 3, 1, 2)],
    ["counts and sums added, extremes kept", [A(2, 3, 1, 2), A(1, -5, -5, -5), A(3, 30, 9, 11)], A(6, 28, -5, 11)],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(foldAggregates(input), expected));
  }
  it("does not return or change its input", () => {
    const input = A(2, 3, 1, 2);
    const out = foldAggregates([input])!;
    assert.notEqual(out, input);
    foldAggregates([input, A(1, 1, 0, 9)]);
    assert.deepEqual(input, A(2, 3, 1, 2));
  });
  it("reads any iterable", () => {
    function* gen() {
      yield A(1, 1, 1, 1);
      yield A(1, 2, 2, 2);
    }
    assert.deepEqual(foldAggregates(gen()), A(2, 3, 1, 2));
  });
});

describe("describeDuration", () => {
  const cases: [number, string][] = [
    [3600_000, "hour"],
    [7200_000, "2 hours"],
    [14 * 24 * 3600_000, "336 hours"],
    [60_000, "minute"],
    [90 * 60_000, "90 minutes"],
    [90_000, "90 seconds"],
    [45_000, "45 seconds"],
  ];
  for (const [ms, expected] of cases) {
    it(`${ms} ms → ${expected}`, () => assert.equal(describeDuration(ms), expected));
  }
});
