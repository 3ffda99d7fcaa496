/**
 * CloudWatch's metric alarms (`PutMetricAlarm` and friends): what an alarm is, CloudWatch's
 * rules for what `PutMetricAlarm` accepts, and the history items CloudWatch records. Pure.
 *
 * Phantom keeps one aggregate (sample count, sum, minimum, maximum) per series and minute, so an
 * alarm's `Period` is a multiple of 60 and percentiles (`ExtendedStatistic`) cannot be computed:
 * both are refused with a message saying so. Its actions may name Auto Scaling policies only
 * (the ARN `PutScalingPolicy` returned), all of one group, since the controller that owns that
 * group's shard evaluates the alarm.
 */
import { PhantomError, ValidationError } from "./errors.js";
import { describeDuration, type Statistic } from "./metric-data.js";
import type { MetricDimension } from "./types.js";

/** An alarm's state. */
export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** The comparisons Phantom evaluates (the anomaly band ones are refused). */
export type ComparisonOperator = "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";

/** How missing datapoints count. */
export type TreatMissingData = "missing" | "ignore" | "breaching" | "notBreaching";

/** AWS's default quota of alarms per account and region. */
export const DEFAULT_MAX_ALARMS_PER_USER = 5000;
/** CloudWatch's longest evaluation: Period × EvaluationPeriods at most one day. */
export const MAX_EVALUATION_SECONDS = 86_400;
/** How long CloudWatch keeps alarm history. */
export const HISTORY_RETENTION_MS = 14 * 86_400_000;

const STATISTICS: readonly Statistic[] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const OPERATORS: readonly ComparisonOperator[] = ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];
const BAND_OPERATORS = ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];
const TREATMENTS: readonly TreatMissingData[] = ["missing", "ignore", "breaching", "notBreaching"];

/** What `PutMetricAlarm` sets (everything but the name and the state). */
export interface AlarmSpec {
  readonly description: string | null;
  readonly actionsEnabled: boolean;
  readonly okActions: readonly string[];
  readonly alarmActions: readonly string[];
  readonly insufficientDataActions: readonly string[];
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name, as series keep them. */
  readonly dimensions: readonly MetricDimension[];
  readonly statistic: Statistic;
  readonly period: number;
  readonly unit: string | null;
  readonly evaluationPeriods: number;
  /** Null: not given (all `evaluationPeriods` must breach). */
  readonly datapointsToAlarm: number | null;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** Null: not given (`missing`). */
  readonly treatMissingData: TreatMissingData | null;
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

/** An alarm's state with CloudWatch's reason. */
export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
  /** JSON, as CloudWatch's `StateReasonData`; null when there is none. */
  readonly reasonData: string | null;
  readonly updatedAt: Date;
}

/** The last time an alarm ran its actions, and its last change of capacity in that state (for step scaling's warm-up). */
export interface AlarmActionRecord {
  readonly at: Date;
  /** The state whose actions ran. */
  readonly state: AlarmStateValue;
  /** The last change the actions made in this state: when, and the desired capacity before and after; null when none. */
  readonly change: { readonly at: Date; readonly from: number; readonly to: number } | null;
}

/** A stored alarm. */
export interface MetricAlarm extends AlarmSpec {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly arn: string;
  readonly configurationUpdatedAt: Date;
  readonly state: AlarmState;
  /** The group whose policies the actions name; null when they name none. */
  readonly groupId: string | null;
  readonly lastAction: AlarmActionRecord | null;
  /** Grows with every write; the controller writes only the version it read. */
  readonly version: number;
}

/** `PutMetricAlarm`'s members as decoded (AWS names). */
export interface PutMetricAlarmInput {
  readonly AlarmName: string;
  readonly AlarmDescription?: string;
  readonly ActionsEnabled?: boolean;
  readonly OKActions?: readonly string[];
  readonly AlarmActions?: readonly string[];
  readonly InsufficientDataActions?: readonly string[];
  readonly MetricName?: string;
  readonly Namespace?: string;
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
  readonly Period?: number;
  readonly Unit?: string;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold?: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData?: string;
  readonly EvaluateLowSampleCountPercentile?: string;
  readonly Metrics?: readonly unknown[];
  readonly Tags?: readonly { readonly Key: string; readonly Value: string }[];
  readonly ThresholdMetricId?: string;
}

/** A rule of CloudWatch that it answers with `ValidationError` itself (most are `InvalidParameterValue`). */
export class AlarmValidationError extends ValidationError {}

function invalidValue(message: string): PhantomError {
  return new PhantomError("InvalidParameterValue", message);
}

/**
 * The spec a `PutMetricAlarm` request asks for, checked as CloudWatch checks it, with Phantom's
 * own limits (one aggregate per minute, metrics kept `retentionMs`).
 * @throws PhantomError with CloudWatch's code for the first violation
 */
export function alarmSpecFromInput(input: PutMetricAlarmInput, limits: { readonly retentionMs: number }): AlarmSpec {
  if (input.Metrics !== undefined || input.ThresholdMetricId !== undefined) {
    throw new AlarmValidationError(
      "Metric math and anomaly detection alarms (Metrics, ThresholdMetricId) are not supported: Phantom evaluates one metric against a static Threshold.",
    );
  }
  if (BAND_OPERATORS.includes(input.ComparisonOperator)) {
    throw new AlarmValidationError(
      `ComparisonOperator ${input.ComparisonOperator} compares with an anomaly detection band, which Phantom does not compute; ` +
        `use one of ${OPERATORS.join(", ")}.`,
    );
  }
  if (!(OPERATORS as readonly string[]).includes(input.ComparisonOperator)) {
    throw invalidValue(`The value ${input.ComparisonOperator} for parameter ComparisonOperator is invalid.`);
  }
  if (input.MetricName === undefined || input.Namespace === undefined) {
    throw new AlarmValidationError("MetricName and Namespace are required unless Metrics is given; Phantom needs both.");
  }
  if (input.ExtendedStatistic !== undefined) {
    throw invalidValue(
      `ExtendedStatistic ${input.ExtendedStatistic} is not supported: Phantom keeps one statistic set (SampleCount, Sum, Minimum, Maximum) ` +
        "per minute, from which percentiles cannot be computed. Use Statistic.",
    );
  }
  if (input.Statistic === undefined) throw new AlarmValidationError("Statistic is required: one of SampleCount, Average, Sum, Minimum, Maximum.");
  if (!(STATISTICS as readonly string[]).includes(input.Statistic)) {
    throw invalidValue(`The value ${input.Statistic} for parameter Statistic is invalid.`);
  }
  if (input.Period === undefined) throw new AlarmValidationError("Period is required unless Metrics is given.");
  if (input.Period === 10 || input.Period === 30) {
    throw invalidValue(`Period ${input.Period} is a high-resolution period; Phantom keeps one aggregate per minute, so Period must be a multiple of 60.`);
  }
  if (input.Period % 60 !== 0) throw invalidValue("The parameter Period must be 10, 30 or a multiple of 60.");
  const seconds = input.Period * input.EvaluationPeriods;
  if (seconds > MAX_EVALUATION_SECONDS) {
    throw new AlarmValidationError(
      `The evaluation period (Period ${input.Period} × EvaluationPeriods ${input.EvaluationPeriods} = ${seconds} seconds) must not exceed ${MAX_EVALUATION_SECONDS} seconds.`,
    );
  }
  if (seconds * 1000 > limits.retentionMs) {
    throw invalidValue(
      `The evaluation period (Period × EvaluationPeriods = ${seconds} seconds) must not exceed the ${describeDuration(limits.retentionMs)} ` +
        "Phantom keeps metrics for (metrics.retention_seconds).",
    );
  }
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods) {
    throw new AlarmValidationError("DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
  }
  if (input.Threshold === undefined) throw new AlarmValidationError("Threshold is required for a static threshold ComparisonOperator.");
  if (input.TreatMissingData !== undefined && !(TREATMENTS as readonly string[]).includes(input.TreatMissingData)) {
    throw invalidValue(`The value ${input.TreatMissingData} for parameter TreatMissingData is invalid; use ${TREATMENTS.join(", ")}.`);
  }
  if (input.EvaluateLowSampleCountPercentile !== undefined) {
    throw invalidValue("EvaluateLowSampleCountPercentile applies to percentile alarms only, which Phantom does not support.");
  }
  const dimensions = (input.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < dimensions.length; i++) {
    if (dimensions[i]!.name === dimensions[i - 1]!.name) throw invalidValue(`The dimension name ${dimensions[i]!.name} appears more than once in Dimensions.`);
  }
  return {
    description: input.AlarmDescription ?? null,
    actionsEnabled: input.ActionsEnabled ?? true,
    okActions: input.OKActions ?? [],
    alarmActions: input.AlarmActions ?? [],
    insufficientDataActions: input.InsufficientDataActions ?? [],
    namespace: input.Namespace,
    metricName: input.MetricName,
    dimensions,
    statistic: input.Statistic as Statistic,
    period: input.Period,
    unit: input.Unit ?? null,
    evaluationPeriods: input.EvaluationPeriods,
    datapointsToAlarm: input.DatapointsToAlarm ?? null,
    threshold: input.Threshold,
    comparisonOperator: input.ComparisonOperator as ComparisonOperator,
    treatMissingData: (input.TreatMissingData as TreatMissingData | undefined) ?? null,
    tags: (input.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value })),
  };
}

/** Only the spec's members of an alarm (or of any object holding them). */
export function specOf(a: AlarmSpec): AlarmSpec {
  return {
    description: a.description,
    actionsEnabled: a.actionsEnabled,
    okActions: a.okActions,
    alarmActions: a.alarmActions,
    insufficientDataActions: a.insufficientDataActions,
    namespace: a.namespace,
    metricName: a.metricName,
    dimensions: a.dimensions,
    statistic: a.statistic,
    period: a.period,
    unit: a.unit,
    evaluationPeriods: a.evaluationPeriods,
    datapointsToAlarm: a.datapointsToAlarm,
    threshold: a.threshold,
    comparisonOperator: a.comparisonOperator,
    treatMissingData: a.treatMissingData,
    tags: a.tags,
  };
}

/** The spec without the action `arn` (a policy that was deleted). */
export function withoutAction(spec: AlarmSpec, arn: string): AlarmSpec {
  const without = (list: readonly string[]) => list.filter((a) => a !== arn);
  return { ...specOf(spec), okActions: without(spec.okActions), alarmActions: without(spec.alarmActions), insufficientDataActions: without(spec.insufficientDataActions) };
}

/** Every action ARN of the spec, each once. */
export function actionsOf(spec: Pick<AlarmSpec, "okActions" | "alarmActions" | "insufficientDataActions">): string[] {
  return [...new Set([...spec.okActions, ...spec.alarmActions, ...spec.insufficientDataActions])];
}

/** The actions of one state. */
export function actionsFor(spec: Pick<AlarmSpec, "okActions" | "alarmActions" | "insufficientDataActions">, state: AlarmStateValue): readonly string[] {
  return state === "OK" ? spec.okActions : state === "ALARM" ? spec.alarmActions : spec.insufficientDataActions;
}

/** Whether an ARN names an Auto Scaling policy (the only action Phantom runs). */
export function isPolicyArn(arn: string): boolean {
  return /^arn:[^:]+:autoscaling:[^:]*:[^:]*:scalingPolicy:/.test(arn);
}

/**
 * Checks that every action names one of the user's simple or step scaling policies and that
 * they all belong to one group.
 * @param policyOf the user's policy of an ARN (type and group), or null when there is none
 * @returns the group the actions scale, or null when there are none
 */
export function checkAlarmActions(
  spec: AlarmSpec,
  policyOf: (arn: string) => { readonly groupId: string; readonly groupName: string; readonly policyType: string } | null,
): string | null {
  let group: { id: string; name: string } | null = null;
  for (const arn of actionsOf(spec)) {
    if (!isPolicyArn(arn)) {
      throw invalidValue(
        `The action ${arn} is not supported: Phantom's alarms run Auto Scaling policies only; name the PolicyARN that PutScalingPolicy returned.`,
      );
    }
    const policy = policyOf(arn);
    if (policy === null) throw invalidValue(`The action ${arn} names no scaling policy of yours.`);
    if (policy.policyType === "TargetTrackingScaling") {
      throw invalidValue(`The action ${arn} is a target tracking policy, which Phantom runs from its own metric; an alarm can run simple and step scaling policies.`);
    }
    if (group !== null && group.id !== policy.groupId) {
      throw invalidValue(
        `The actions name policies of the groups ${group.name} and ${policy.groupName}; Phantom's alarm actions must all scale one group.`,
      );
    }
    group = { id: policy.groupId, name: policy.groupName };
  }
  return group?.id ?? null;
}

/** The ARN of an alarm. */
export function alarmArn(region: string, accountId: string, name: string): string {
  return `arn:phantom:cloudwatch:${region}:${accountId}:alarm:${name}`;
}

/** The state of a new alarm, in CloudWatch's words. */
export function initialState(now: Date): AlarmState {
  return { value: "INSUFFICIENT_DATA", reason: "Unchecked: Initial alarm creation", reasonData: null, updatedAt: now };
}

/** The kinds of history item. */
export type HistoryItemType = "ConfigurationUpdate" | "StateUpdate" | "Action";

/** One item of `DescribeAlarmHistory`. */
export interface AlarmHistoryItem {
  readonly alarmName: string;
  readonly at: Date;
  readonly type: HistoryItemType;
  readonly summary: string;
  /** JSON. */
  readonly data: string;
}

/** CloudWatch's timestamps in history data: `2026-12-05T13:20:00.000+0000`. */
export function historyTimestamp(d: Date): string {
  return d.toISOString().replace("Z", "+0000");
}

/** The history item of a created or updated alarm. */
export function configurationItem(name: string, type: "Create" | "Update" | "Delete", spec: AlarmSpec, now: Date): AlarmHistoryItem {
  const summary = type === "Create" ? `Alarm "${name}" created` : type === "Update" ? `Alarm "${name}" updated` : `Alarm "${name}" deleted`;
  const config = {
    alarmName: name,
    metricName: spec.metricName,
    namespace: spec.namespace,
    statistic: spec.statistic,
    period: spec.period,
    evaluationPeriods: spec.evaluationPeriods,
    threshold: spec.threshold,
    comparisonOperator: spec.comparisonOperator,
    actionsEnabled: spec.actionsEnabled,
    alarmActions: spec.alarmActions,
    okActions: spec.okActions,
    insufficientDataActions: spec.insufficientDataActions,
  };
  const data = { version: "1.0", type, ...(type === "Delete" ? { oldData: config } : { newData: config }) };
  return { alarmName: name, at: now, type: "ConfigurationUpdate", summary, data: JSON.stringify(data) };
}

/** The history item of a state change. */
export function stateItem(name: string, from: AlarmState, to: AlarmState): AlarmHistoryItem {
  const state = (s: AlarmState) => ({
    stateValue: s.value,
    stateReason: s.reason,
    ...(s.reasonData === null ? {} : { stateReasonData: JSON.parse(s.reasonData) as unknown }),
  });
  return {
    alarmName: name,
    at: to.updatedAt,
    type: "StateUpdate",
    summary: `Alarm updated from ${from.value} to ${to.value}`,
    data: JSON.stringify({ version: "1.0", oldState: state(from), newState: state(to) }),
  };
}

/** The history item of an action run (or refused). */
export function actionItem(name: string, arn: string, at: Date, outcome: { ok: true } | { ok: false; error: string }): AlarmHistoryItem {
  return {
    alarmName: name,
    at,
    type: "Action",
    summary: outcome.ok ? `Successfully executed action ${arn}` : `Failed to execute action ${arn}`,
    data: JSON.stringify({ actionState: outcome.ok ? "Succeeded" : "Failed", notificationResource: arn, ...(outcome.ok ? {} : { error: outcome.error }) }),
  };
}
