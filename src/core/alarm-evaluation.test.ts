import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { breaches, evaluateAlarm, javaDouble, reasonTime, type AlarmSample } from "./alarm-evaluation.js";
import type { AlarmSpec, AlarmState, AlarmStateValue } from "./metric-alarms.js";

const NOW = new Date("2026-12-05T13:20:30Z");
const MINUTE = 60_000;
/** The start of the minute `k` minutes before the one holding NOW (k = 1: the last whole minute). */
const minute = (k: number) => new Date(Date.UTC(2026, 11, 5, 13, 20 - k));

const SPEC: AlarmSpec = {
  description: null,
  actionsEnabled: true,
  okActions: [],
  alarmActions: [],
  insufficientDataActions: [],
  namespace: "App",
  metricName: "Load",
  dimensions: [],
  statistic: "Average",
  period: 60,
  unit: null,
  evaluationPeriods: 1,
  datapointsToAlarm: null,
  threshold: 70,
  comparisonOperator: "GreaterThanThreshold",
  treatMissingData: null,
  tags: [],
};

const state = (value: AlarmStateValue): AlarmState => ({ value, reason: "before", reasonData: null, updatedAt: new Date(0) });

/** One value per listed minute (k minutes back); null leaves the minute without data. */
function samples(values: readonly (number | null)[], unit: string | null = null): AlarmSample[] {
  return values.flatMap((v, i) => (v === null ? [] : [{ minute: minute(i + 1), sampleCount: 1, sum: v, minimum: v, maximum: v, unit }]));
}

describe("evaluateAlarm", () => {
  const cases: {
    name: string;
    spec?: Partial<AlarmSpec>;
    from?: AlarmStateValue;
    data: AlarmSample[];
    to: AlarmStateValue | null;
    reason?: string;
  }[] = [
    {
      name: "one breaching period goes to ALARM in CloudWatch's words",
      data: samples([85]),
      to: "ALARM",
      reason:
        "Threshold Crossed: 1 out of the last 1 datapoints [85.0 (05/12/26 13:19:00)] was greater than the threshold (70.0) " +
        "(minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition).",
    },
    {
      name: "a good period after ALARM goes to OK",
      from: "ALARM",
      data: samples([12.5]),
      to: "OK",
      reason:
        "Threshold Crossed: 1 out of the last 1 datapoints [12.5 (05/12/26 13:19:00)] was not greater than the threshold (70.0) " +
        "(minimum 1 datapoint for ALARM -> OK transition).",
    },
    { name: "a state that holds is not changed", from: "ALARM", data: samples([85]), to: null },
    { name: "the value equal to the threshold does not breach GreaterThan", data: samples([70]), to: "OK" },
    { name: "… but breaches GreaterThanOrEqualTo", spec: { comparisonOperator: "GreaterThanOrEqualToThreshold" }, data: samples([70]), to: "ALARM" },
    { name: "LessThanOrEqualTo breaches below", spec: { comparisonOperator: "LessThanOrEqualToThreshold", threshold: 10 }, data: samples([3]), to: "ALARM" },
    {
      name: "the period still running is not judged",
      from: "OK",
      data: [{ minute: new Date("2026-12-05T13:20:00Z"), sampleCount: 1, sum: 99, minimum: 99, maximum: 99, unit: null }],
      to: "INSUFFICIENT_DATA",
      reason: "Insufficient Data: 1 datapoint was unknown.",
    },
    {
      name: "three of three breaching, listed newest first",
      spec: { evaluationPeriods: 3 },
      data: samples([75, 90, 80]),
      to: "ALARM",
      reason:
        "Threshold Crossed: 3 out of the last 3 datapoints [75.0 (05/12/26 13:19:00), 90.0 (05/12/26 13:18:00), 80.0 (05/12/26 13:17:00)] " +
        "were greater than the threshold (70.0) (minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition).",
    },
    { name: "two of three (DatapointsToAlarm 2) alarm with one good period among them", spec: { evaluationPeriods: 3, datapointsToAlarm: 2 }, data: samples([80, 60, 90]), to: "ALARM" },
    {
      name: "one of three breaching is not enough for two of three",
      spec: { evaluationPeriods: 3, datapointsToAlarm: 2 },
      from: "ALARM",
      data: samples([80, 60, 60]),
      to: "OK",
      reason:
        "Threshold Crossed: 2 out of the last 3 datapoints [60.0 (05/12/26 13:18:00), 60.0 (05/12/26 13:17:00)] were not greater than the threshold (70.0) " +
        "(minimum 2 datapoints for ALARM -> OK transition).",
    },
    { name: "a period folds its minutes (Period 120: average of 60 and 100)", spec: { period: 120 }, data: samples([100, 60]), to: "ALARM" },
    { name: "Maximum reads the largest value of the period", spec: { statistic: "Maximum", period: 120 }, data: samples([60, 75]), to: "ALARM" },
    { name: "Sum adds a period's values", spec: { statistic: "Sum", period: 120, threshold: 100 }, data: samples([60, 45]), to: "ALARM" },
    { name: "SampleCount counts them", spec: { statistic: "SampleCount", period: 120, threshold: 1 }, data: samples([1, 1]), to: "ALARM" },
    { name: "a Unit reads only values of that unit", from: "OK", spec: { unit: "Percent" }, data: samples([85], "Count"), to: "INSUFFICIENT_DATA" },
    { name: "… and those of that unit", spec: { unit: "Percent" }, data: samples([85], "Percent"), to: "ALARM" },
    { name: "missing (default): no data at all is INSUFFICIENT_DATA", from: "OK", spec: { evaluationPeriods: 3 }, data: [], to: "INSUFFICIENT_DATA", reason: "Insufficient Data: 3 datapoints were unknown." },
    { name: "ignore: no data keeps the state", from: "ALARM", spec: { treatMissingData: "ignore" }, data: [], to: null },
    {
      name: "breaching: no data is ALARM",
      spec: { treatMissingData: "breaching", evaluationPeriods: 2 },
      data: [],
      to: "ALARM",
      reason: "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
    },
    { name: "notBreaching: no data is OK", from: "ALARM", spec: { treatMissingData: "notBreaching" }, data: [], to: "OK" },
    {
      name: "missing: the newest N datapoints present in the range are judged (looking back past gaps)",
      spec: { evaluationPeriods: 3 },
      data: samples([85, null, 90, null, 95]),
      to: "ALARM",
    },
    { name: "missing: fewer than M breaching among few datapoints is OK", spec: { evaluationPeriods: 3 }, data: samples([85, null, null, null, null]), to: "OK" },
    {
      name: "breaching: a gap counts as breaching",
      spec: { evaluationPeriods: 3, treatMissingData: "breaching" },
      data: samples([85, null, 90]),
      to: "ALARM",
      reason:
        "Threshold Crossed: 3 out of the last 3 datapoints [85.0 (05/12/26 13:19:00), 90.0 (05/12/26 13:17:00)] were greater than the threshold (70.0) " +
        "and 1 missing datapoint was treated as [Breaching] (minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition).",
    },
    { name: "notBreaching: a gap counts as good", spec: { evaluationPeriods: 3, treatMissingData: "notBreaching" }, data: samples([85, null, 90]), to: "OK" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = evaluateAlarm({ ...SPEC, ...c.spec }, state(c.from ?? "INSUFFICIENT_DATA"), c.data, NOW);
      assert.equal(out.state?.value ?? null, c.to);
      if (c.reason !== undefined) assert.equal(out.state?.reason, c.reason);
      if (out.state !== null) assert.equal(out.state.updatedAt, NOW);
    });
  }

  it("gives CloudWatch's reason data: the query, the statistic, the datapoints judged", () => {
    const out = evaluateAlarm({ ...SPEC, evaluationPeriods: 2 }, state("OK"), samples([85, 90]), NOW);
    assert.deepEqual(JSON.parse(out.state!.reasonData!), {
      version: "1.0",
      queryDate: "2026-12-05T13:20:30.000+0000",
      startDate: "2026-12-05T13:18:00.000+0000",
      statistic: "Average",
      period: 60,
      recentDatapoints: [90, 85],
      threshold: 70,
      evaluatedDatapoints: [
        { timestamp: "2026-12-05T13:19:00.000+0000", sampleCount: 1, value: 85 },
        { timestamp: "2026-12-05T13:18:00.000+0000", sampleCount: 1, value: 90 },
      ],
    });
    assert.deepEqual(
      out.datapoints.map((d) => d.value),
      [85, 90],
    );
  });

  it("aligns periods to multiples of Period since the epoch", () => {
    // At 13:20:30 with 5-minute periods the last whole one is 13:15–13:20.
    const out = evaluateAlarm({ ...SPEC, period: 300 }, state("INSUFFICIENT_DATA"), [{ minute: new Date(minute(5).getTime()), sampleCount: 1, sum: 99, minimum: 99, maximum: 99, unit: null }], NOW);
    assert.equal(out.state?.value, "ALARM");
    assert.equal(out.datapoints[0]?.timestamp.getTime(), new Date("2026-12-05T13:15:00Z").getTime());
    const early = evaluateAlarm({ ...SPEC, period: 300 }, state("INSUFFICIENT_DATA"), [{ minute: new Date(NOW.getTime() - 6 * MINUTE), sampleCount: 1, sum: 99, minimum: 99, maximum: 99, unit: null }], NOW);
    assert.equal(early.datapoints[0]?.timestamp.toISOString(), "2026-12-05T13:10:00.000Z");
  });
});

describe("alarm wording helpers", () => {
  it("prints doubles as CloudWatch does", () => {
    assert.equal(javaDouble(70), "70.0");
    assert.equal(javaDouble(-3), "-3.0");
    assert.equal(javaDouble(85.25), "85.25");
  });
  it("prints a datapoint's time day first", () => assert.equal(reasonTime(new Date("2026-01-02T03:04:05Z")), "02/01/26 03:04:05"));
  it("compares with each operator", () => {
    assert.deepEqual(
      (["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"] as const).map((op) => [
        breaches(5, op, 5),
        breaches(6, op, 5),
        breaches(4, op, 5),
      ]),
      [
        [true, true, false],
        [false, true, false],
        [false, false, true],
        [true, false, true],
      ],
    );
  });
});
