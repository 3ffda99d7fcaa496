/**
 * How a metric alarm's state follows its metric, as CloudWatch evaluates it. Pure: the minutes
 * of the alarm's series and `now` are arguments.
 *
 * The alarm reads whole periods aligned to multiples of `Period` since the epoch, the last one
 * ending at or before `now` (a period still running is not judged, so a half-filled average
 * cannot flap the alarm). Of the last `EvaluationPeriods` (N) periods, `DatapointsToAlarm` (M,
 * default N) must breach for `ALARM`. Missing periods count by `TreatMissingData`:
 * - `breaching` / `notBreaching`: as a breaching / a good datapoint;
 * - `missing` (default) and `ignore`: the newest N datapoints present in the evaluation range
 *   (the last N + 2 periods, as CloudWatch looks a little further back) are judged; with none at
 *   all, `missing` goes to `INSUFFICIENT_DATA` and `ignore` keeps the state.
 * The reasons are CloudWatch's sentences, numbers as CloudWatch prints them (`70.0`).
 */
import { foldAggregates, statisticOf } from "./metric-data.js";
import { historyTimestamp, type AlarmSpec, type AlarmState, type AlarmStateValue, type ComparisonOperator } from "./metric-alarms.js";
import type { MetricAggregate } from "./types.js";

/** One minute of the alarm's series. */
export interface AlarmSample extends MetricAggregate {
  readonly minute: Date;
  readonly unit: string | null;
}

/** A judged period. */
export interface EvaluatedDatapoint {
  /** The start of the period. */
  readonly timestamp: Date;
  readonly value: number;
  readonly sampleCount: number;
  readonly breaching: boolean;
}

/** What an evaluation found. */
export interface Evaluation {
  /** The new state, or null when it stays as it is. */
  readonly state: AlarmState | null;
  /** The datapoints judged, newest first (missing ones left out). */
  readonly datapoints: readonly EvaluatedDatapoint[];
}

/** How many periods further back than N the `missing` and `ignore` treatments look. */
export const EXTRA_RANGE_PERIODS = 2;

const COMPARISON_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

/** Whether a value breaches the threshold. */
export function breaches(value: number, operator: ComparisonOperator, threshold: number): boolean {
  switch (operator) {
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

/** A number as CloudWatch (Java) prints a double: `70.0`, `85.5`. */
export function javaDouble(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
}

/** `05/12/26 13:20:00`: day/month/year, as CloudWatch's reasons show a datapoint's time (UTC). */
export function reasonTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The alarm's datapoints per period over the last `periods` whole periods before `now`, newest
 * first; null for a period without data.
 */
export function periodValues(spec: AlarmSpec, samples: readonly AlarmSample[], now: Date, periods: number): (EvaluatedDatapoint | null)[] {
  const periodMs = spec.period * 1000;
  const end = Math.floor(now.getTime() / periodMs) * periodMs;
  const start = end - periods * periodMs;
  const buckets = new Map<number, MetricAggregate[]>();
  for (const s of samples) {
    const t = s.minute.getTime();
    if (t < start || t >= end) continue;
    if (spec.unit !== null && s.unit !== spec.unit && !(s.unit === null && spec.unit === "None")) continue;
    const bucket = start + Math.floor((t - start) / periodMs) * periodMs;
    const list = buckets.get(bucket);
    if (list === undefined) buckets.set(bucket, [s]);
    else list.push(s);
  }
  const out: (EvaluatedDatapoint | null)[] = [];
  for (let k = 1; k <= periods; k++) {
    const bucket = end - k * periodMs;
    const folded = foldAggregates(buckets.get(bucket) ?? []);
    if (folded === null) {
      out.push(null);
      continue;
    }
    const value = statisticOf(folded, spec.statistic);
    out.push({ timestamp: new Date(bucket), value, sampleCount: folded.sampleCount, breaching: breaches(value, spec.comparisonOperator, spec.threshold) });
  }
  return out;
}

/**
 * The alarm's state at `now` from its series' minutes.
 * @param current the alarm's state now (`ignore` keeps it; the reason names the transition)
 */
export function evaluateAlarm(spec: AlarmSpec, current: AlarmState, samples: readonly AlarmSample[], now: Date): Evaluation {
  const n = spec.evaluationPeriods;
  const m = spec.datapointsToAlarm ?? n;
  const treatment = spec.treatMissingData ?? "missing";
  const fills = treatment === "breaching" || treatment === "notBreaching";
  const values = periodValues(spec, samples, now, fills ? n : n + EXTRA_RANGE_PERIODS);
  const judged = (fills ? values : values.filter((v) => v !== null)).slice(0, n);
  const present = judged.filter((v): v is EvaluatedDatapoint => v !== null);
  const missing = judged.length - present.length;
  const reasonData = (): string =>
    JSON.stringify({
      version: "1.0",
      queryDate: historyTimestamp(now),
      ...(present.length > 0 ? { startDate: historyTimestamp(present[present.length - 1]!.timestamp) } : {}),
      statistic: spec.statistic,
      period: spec.period,
      recentDatapoints: [...present].reverse().map((d) => d.value),
      threshold: spec.threshold,
      evaluatedDatapoints: present.map((d) => ({ timestamp: historyTimestamp(d.timestamp), sampleCount: d.sampleCount, value: d.value })),
    });
  const to = (value: AlarmStateValue, reason: string, data: string | null): Evaluation => ({
    state: value === current.value ? null : { value, reason, reasonData: data, updatedAt: now },
    datapoints: present,
  });

  if (present.length === 0) {
    if (treatment === "ignore") return { state: null, datapoints: present };
    if (treatment === "missing") return to("INSUFFICIENT_DATA", `Insufficient Data: ${plural(n, "datapoint")} ${n === 1 ? "was" : "were"} unknown.`, reasonData());
    const [value, as] = treatment === "breaching" ? (["ALARM", "Breaching"] as const) : (["OK", "NonBreaching"] as const);
    return to(value, `Threshold Crossed: no datapoints were received for ${plural(n, "period")} and ${n} missing datapoint${n === 1 ? " was" : "s were"} treated as [${as}].`, reasonData());
  }
  const breachingMissing = treatment === "breaching" ? missing : 0;
  const breaching = present.filter((d) => d.breaching);
  const isAlarm = breaching.length + breachingMissing >= m;
  const listed = isAlarm ? breaching : present.filter((d) => !d.breaching);
  const count = listed.length + (isAlarm ? breachingMissing : treatment === "notBreaching" ? missing : 0);
  const next: AlarmStateValue = isAlarm ? "ALARM" : "OK";
  const needed = isAlarm ? m : n - m + 1;
  const list = listed.map((d) => `${javaDouble(d.value)} (${reasonTime(d.timestamp)})`).join(", ");
  const treated = count > listed.length ? ` and ${count - listed.length} missing datapoint${count - listed.length === 1 ? " was" : "s were"} treated as [${isAlarm ? "Breaching" : "NonBreaching"}]` : "";
  const reason =
    `Threshold Crossed: ${count} out of the last ${judged.length} datapoints [${list}] ${listed.length === 1 ? "was" : "were"} ` +
    `${isAlarm ? "" : "not "}${COMPARISON_WORDS[spec.comparisonOperator]} the threshold (${javaDouble(spec.threshold)})${treated} ` +
    `(minimum ${plural(needed, "datapoint")} for ${current.value} -> ${next} transition).`;
  return to(next, reason, reasonData());
}
