/**
 * AWS's scaling policies as pure functions: what `PutScalingPolicy` accepts for each policy
 * type, how `ExecutePolicy` changes the desired capacity (simple and step scaling, with AWS's
 * rounding, `MinAdjustmentMagnitude`, cooldowns and `HonorCooldown`), and how a stored target
 * tracking policy reads as a {@link TargetTracking} decision. Violations are ValidationErrors in
 * AWS's words, with Phantom's hint where Phantom differs.
 */
import { ScalingActivityInProgressError, ValidationError } from "./errors.js";
import type { Statistic } from "./metric-data.js";
import { clamp, inCooldown, isoSeconds, shown, type CapacityChange, type ScalingGroup, type TargetTracking } from "./metric-scaling.js";
import type { PolicyType, ScalingPolicy } from "./types.js";

/** The adjustment types of simple and step scaling. */
export const ADJUSTMENT_TYPES = ["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"] as const;
type AdjustmentType = (typeof ADJUSTMENT_TYPES)[number];

const POLICY_TYPES: readonly PolicyType[] = ["SimpleScaling", "StepScaling", "TargetTrackingScaling"];
const STATISTICS: readonly Statistic[] = ["Average", "Minimum", "Maximum", "SampleCount", "Sum"];

/** One step of a step scaling policy (bounds relative to the breach threshold). */
export interface StepAdjustment {
  readonly MetricIntervalLowerBound?: number;
  readonly MetricIntervalUpperBound?: number;
  readonly ScalingAdjustment: number;
}

/** The members of `PutScalingPolicy` that Phantom reads (decoded, AWS names). */
export interface PutScalingPolicyInput {
  readonly AutoScalingGroupName: string;
  readonly PolicyName: string;
  readonly PolicyType?: string;
  readonly AdjustmentType?: string;
  readonly MinAdjustmentStep?: number;
  readonly MinAdjustmentMagnitude?: number;
  readonly ScalingAdjustment?: number;
  readonly Cooldown?: number;
  readonly MetricAggregationType?: string;
  readonly StepAdjustments?: readonly StepAdjustment[];
  readonly EstimatedInstanceWarmup?: number;
  readonly TargetTrackingConfiguration?: {
    readonly PredefinedMetricSpecification?: unknown;
    readonly CustomizedMetricSpecification?: {
      readonly MetricName?: string;
      readonly Namespace?: string;
      readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
      readonly Statistic?: string;
      readonly Unit?: string;
      readonly Metrics?: readonly unknown[];
    };
    readonly TargetValue: number;
    readonly DisableScaleIn?: boolean;
  };
  readonly Enabled?: boolean;
  readonly PredictiveScalingConfiguration?: unknown;
}

function notFor(member: string, type: PolicyType): ValidationError {
  return new ValidationError(`${member} is not supported for policy type ${type}.`);
}

function refuse(input: PutScalingPolicyInput, type: PolicyType, members: readonly (keyof PutScalingPolicyInput)[]): void {
  for (const m of members) if (input[m] !== undefined) throw notFor(m, type);
}

function adjustmentType(input: PutScalingPolicyInput, type: PolicyType): AdjustmentType {
  const t = input.AdjustmentType;
  if (t === undefined) throw new ValidationError(`AdjustmentType is required for policy type ${type}.`);
  if (!(ADJUSTMENT_TYPES as readonly string[]).includes(t)) {
    throw new ValidationError(`Invalid adjustment type ${t}; use one of ${ADJUSTMENT_TYPES.join(", ")}.`);
  }
  return t as AdjustmentType;
}

function minMagnitude(input: PutScalingPolicyInput, type: AdjustmentType): number | undefined {
  const m = input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep;
  if (m === undefined) return undefined;
  if (type !== "PercentChangeInCapacity") {
    throw new ValidationError("MinAdjustmentMagnitude is only supported with the adjustment type PercentChangeInCapacity.");
  }
  if (m < 1) throw new ValidationError(`MinAdjustmentMagnitude must be at least 1; it is ${m}.`);
  return m;
}

/**
 * Checks step adjustments as AWS does: no step open at both ends, no overlap, no gap, and the
 * outermost steps open (a positive upper bound needs a step without an upper bound above it; a
 * negative lower bound, one without a lower bound below it).
 */
function checkSteps(steps: readonly StepAdjustment[] | undefined, type: AdjustmentType): StepAdjustment[] {
  if (steps === undefined || steps.length === 0) throw new ValidationError("StepAdjustments are required for policy type StepScaling.");
  if (steps.some((s) => s.MetricIntervalLowerBound === undefined && s.MetricIntervalUpperBound === undefined)) {
    throw new ValidationError("The upper and lower bound can't be null in the same step adjustment.");
  }
  const sorted = [...steps].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  sorted.forEach((s, i) => {
    const lower = s.MetricIntervalLowerBound ?? -Infinity;
    const upper = s.MetricIntervalUpperBound ?? Infinity;
    if (lower >= upper) {
      throw new ValidationError(`Step adjustment ${i + 1}: MetricIntervalLowerBound (${lower}) must be less than MetricIntervalUpperBound (${upper}).`);
    }
    if (type === "ExactCapacity" && s.ScalingAdjustment < 0) {
      throw new ValidationError("ScalingAdjustment of an ExactCapacity step must not be negative.");
    }
    const next = sorted[i + 1];
    if (next !== undefined) {
      const nextLower = next.MetricIntervalLowerBound ?? -Infinity;
      if (nextLower < upper) throw new ValidationError("Step adjustments have overlapping intervals; each value may fall in one step only.");
      if (nextLower > upper) {
        throw new ValidationError(`Step adjustments leave a gap between ${upper} and ${nextLower}; make each interval start where the last ends.`);
      }
    }
  });
  if (steps.some((s) => (s.MetricIntervalUpperBound ?? 0) > 0) && !steps.some((s) => s.MetricIntervalUpperBound === undefined)) {
    throw new ValidationError("A step adjustment has a positive upper bound, so one step adjustment needs a null MetricIntervalUpperBound.");
  }
  if (steps.some((s) => (s.MetricIntervalLowerBound ?? 0) < 0) && !steps.some((s) => s.MetricIntervalLowerBound === undefined)) {
    throw new ValidationError("A step adjustment has a negative lower bound, so one step adjustment needs a null MetricIntervalLowerBound.");
  }
  return sorted;
}

/**
 * The policy a `PutScalingPolicy` request asks for, checked.
 * @param identity the group and the ARN minted by the caller (ARNs are not pure)
 */
export function policyFromInput(input: PutScalingPolicyInput, identity: { groupId: string; groupName: string; arn: string }): ScalingPolicy {
  const type = (input.PolicyType ?? "SimpleScaling") as PolicyType;
  if (!POLICY_TYPES.includes(type)) {
    throw new ValidationError(`Policy type ${input.PolicyType} is not supported: Phantom runs ${POLICY_TYPES.join(", ")}.`);
  }
  if (input.Enabled === false) throw new ValidationError("Disabled policies are not supported: delete the policy instead.");
  if (input.PredictiveScalingConfiguration !== undefined) throw notFor("PredictiveScalingConfiguration", type);
  const spec: Record<string, unknown> = { PolicyType: type, Enabled: true };
  if (type === "SimpleScaling") {
    refuse(input, type, ["StepAdjustments", "MetricAggregationType", "EstimatedInstanceWarmup", "TargetTrackingConfiguration"]);
    const adjustment = adjustmentType(input, type);
    if (input.ScalingAdjustment === undefined) throw new ValidationError("ScalingAdjustment is required for policy type SimpleScaling.");
    if (adjustment === "ExactCapacity" && input.ScalingAdjustment < 0) {
      throw new ValidationError("ScalingAdjustment of an ExactCapacity policy must not be negative.");
    }
    Object.assign(spec, {
      AdjustmentType: adjustment,
      ScalingAdjustment: input.ScalingAdjustment,
      MinAdjustmentMagnitude: minMagnitude(input, adjustment),
      Cooldown: input.Cooldown,
    });
  } else if (type === "StepScaling") {
    refuse(input, type, ["ScalingAdjustment", "Cooldown", "TargetTrackingConfiguration"]);
    const adjustment = adjustmentType(input, type);
    const aggregation = input.MetricAggregationType ?? "Average";
    if (!["Average", "Minimum", "Maximum"].includes(aggregation)) {
      throw new ValidationError(`Invalid MetricAggregationType ${aggregation}; use Average, Minimum or Maximum.`);
    }
    Object.assign(spec, {
      AdjustmentType: adjustment,
      MinAdjustmentMagnitude: minMagnitude(input, adjustment),
      StepAdjustments: checkSteps(input.StepAdjustments, adjustment),
      MetricAggregationType: aggregation,
      EstimatedInstanceWarmup: input.EstimatedInstanceWarmup,
    });
  } else {
    refuse(input, type, ["AdjustmentType", "ScalingAdjustment", "MinAdjustmentMagnitude", "MinAdjustmentStep", "Cooldown", "StepAdjustments", "MetricAggregationType"]);
    const tt = input.TargetTrackingConfiguration;
    if (tt === undefined) throw new ValidationError("TargetTrackingConfiguration is required for policy type TargetTrackingScaling.");
    if (tt.PredefinedMetricSpecification !== undefined) {
      throw new ValidationError(
        "PredefinedMetricSpecification is not supported: Phantom has no built-in metrics. Use CustomizedMetricSpecification " +
          "with a metric you put with CloudWatch's PutMetricData to this endpoint.",
      );
    }
    const m = tt.CustomizedMetricSpecification;
    if (m === undefined) throw new ValidationError("TargetTrackingConfiguration needs a CustomizedMetricSpecification.");
    if (m.Metrics !== undefined) throw new ValidationError("Metric math (CustomizedMetricSpecification.Metrics) is not supported; name one metric.");
    if (m.MetricName === undefined || m.Namespace === undefined || m.Statistic === undefined) {
      throw new ValidationError("CustomizedMetricSpecification needs MetricName, Namespace and Statistic.");
    }
    if (!(STATISTICS as readonly string[]).includes(m.Statistic)) {
      throw new ValidationError(`Invalid Statistic ${m.Statistic}; use one of ${STATISTICS.join(", ")}.`);
    }
    if (!(tt.TargetValue > 0)) throw new ValidationError(`TargetValue must be greater than 0; it is ${tt.TargetValue}.`);
    Object.assign(spec, {
      EstimatedInstanceWarmup: input.EstimatedInstanceWarmup,
      TargetTrackingConfiguration: { ...tt, DisableScaleIn: tt.DisableScaleIn ?? false },
    });
  }
  for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
  return { groupId: identity.groupId, groupName: identity.groupName, name: input.PolicyName, arn: identity.arn, policyType: type, spec };
}

/**
 * The change of capacity an adjustment asks for, with AWS's rounding of percentages: above 1
 * rounds down, between 0 and 1 rounds to 1, between −1 and 0 to −1, below −1 rounds up; then
 * `MinAdjustmentMagnitude` as the least step.
 * @returns the wanted capacity before clamping
 */
export function adjusted(current: number, type: AdjustmentType, adjustment: number, minMagnitude?: number): number {
  if (type === "ExactCapacity") return adjustment;
  if (type === "ChangeInCapacity") return current + adjustment;
  const raw = (current * adjustment) / 100;
  let step = raw > 1 ? Math.floor(raw) : raw > 0 ? 1 : raw === 0 ? 0 : raw > -1 ? -1 : Math.ceil(raw);
  if (minMagnitude !== undefined && step !== 0 && Math.abs(step) < minMagnitude) step = Math.sign(step) * minMagnitude;
  return current + step;
}

/** The stored spec of a simple or step scaling policy (a type, so a stored record converts to it). */
type AdjustingSpec = {
  readonly AdjustmentType: AdjustmentType;
  readonly ScalingAdjustment?: number;
  readonly MinAdjustmentMagnitude?: number;
  readonly Cooldown?: number;
  readonly StepAdjustments?: StepAdjustment[];
  readonly MetricAggregationType?: "Average" | "Minimum" | "Maximum";
  readonly EstimatedInstanceWarmup?: number;
};

/** What `ExecutePolicy` gives besides the policy. */
export interface ExecuteInput {
  readonly HonorCooldown?: boolean;
  readonly MetricValue?: number;
  readonly BreachThreshold?: number;
}

/**
 * The change `ExecutePolicy` makes, or null when it changes nothing (already at the wanted size,
 * or a step policy whose steps do not cover the value).
 * @throws ScalingActivityInProgressError when `HonorCooldown` is set and the cooldown runs
 * @throws ValidationError for a target tracking policy or missing step inputs
 */
export function executePolicy(policy: ScalingPolicy, group: ScalingGroup, input: ExecuteInput, now: Date): CapacityChange | null {
  const spec = policy.spec as AdjustingSpec;
  let wanted: number;
  let what: string;
  if (policy.policyType === "TargetTrackingScaling") {
    throw new ValidationError(`Policy ${policy.name} is a target tracking policy; Phantom runs it from its metric, it cannot be executed.`);
  }
  if (policy.policyType === "SimpleScaling") {
    if (input.MetricValue !== undefined || input.BreachThreshold !== undefined) {
      throw new ValidationError("MetricValue and BreachThreshold are only supported for step scaling policies.");
    }
    const cooldown = spec.Cooldown ?? group.defaultCooldown;
    if (input.HonorCooldown === true && inCooldown(group.scaledAt, cooldown, now)) {
      throw new ScalingActivityInProgressError(
        `The group ${group.name} is in its cooldown of ${cooldown} s after the change at ${isoSeconds(group.scaledAt!)}; ` +
          "execute without HonorCooldown to change it now.",
      );
    }
    wanted = adjusted(group.desiredCapacity, spec.AdjustmentType, spec.ScalingAdjustment!, spec.MinAdjustmentMagnitude);
    what = `a user request executed policy ${policy.name}`;
  } else {
    if (input.HonorCooldown !== undefined) throw new ValidationError("HonorCooldown is not supported for step scaling policies.");
    if (input.MetricValue === undefined || input.BreachThreshold === undefined) {
      throw new ValidationError("Executing a step scaling policy needs both MetricValue and BreachThreshold.");
    }
    const step = stepFor(spec.StepAdjustments!, input.MetricValue - input.BreachThreshold);
    if (step === undefined) return null;
    wanted = adjusted(group.desiredCapacity, spec.AdjustmentType, step.ScalingAdjustment, spec.MinAdjustmentMagnitude);
    what =
      `a user request executed step scaling policy ${policy.name} with the metric at ${shown(input.MetricValue)} ` +
      `against the breach threshold ${shown(input.BreachThreshold)}`;
  }
  return changeTo(wanted, group, (desired, note) => `At ${isoSeconds(now)} ${what}, changing the desired capacity from ${group.desiredCapacity} to ${desired}${note}.`);
}

/**
 * The step whose interval holds `diff` (the metric minus the breach threshold). Above the
 * threshold a step's lower bound is inclusive; below it, its upper bound is. A value exactly at
 * the threshold belongs to a step that ends there (AWS's example: with a threshold of 50, "above
 * 40 and at most 50" is the step (−10, 0]), else to one that starts there.
 */
function stepFor(steps: readonly StepAdjustment[], diff: number): StepAdjustment | undefined {
  const bounds = (s: StepAdjustment) => [s.MetricIntervalLowerBound ?? -Infinity, s.MetricIntervalUpperBound ?? Infinity] as const;
  const below = (s: StepAdjustment) => { const [lower, upper] = bounds(s); return lower < diff && diff <= upper; };
  const above = (s: StepAdjustment) => { const [lower, upper] = bounds(s); return lower <= diff && diff < upper; };
  return diff < 0 ? steps.find(below) : diff > 0 ? steps.find(above) : (steps.find(below) ?? steps.find(above));
}

/** `wanted` clamped to the group's range as a change, or null when it changes nothing. */
function changeTo(wanted: number, group: ScalingGroup, cause: (desired: number, note: string) => string): CapacityChange | null {
  const { desired, note } = clamp(wanted, group.minSize, group.maxSize, { min: "MinSize", max: "MaxSize" });
  if (desired === group.desiredCapacity) return null;
  return { desired, cause: cause(desired, note) };
}

/** The alarm that runs a policy, as {@link alarmPolicyChange} reads it. */
export interface AlarmTrigger {
  readonly alarmName: string;
  readonly state: string;
  /** The alarm's threshold: step intervals are measured from it. */
  readonly threshold: number;
  /** The values of the datapoints the alarm judged, newest first. */
  readonly values: readonly number[];
  /**
   * The alarm's last run of these actions in this same state, when its change still warms up:
   * the capacity it started from and where it went.
   */
  readonly warming: { readonly from: number; readonly to: number } | null;
}

/**
 * The change an alarm makes by running a simple or step scaling policy, as AWS Auto Scaling
 * does (the alarm runs it again every period while it stays in the state):
 * - simple scaling waits out the cooldown (the policy's, else the group's default) after the
 *   group's last scaling, then adjusts from the desired capacity;
 * - step scaling picks the step holding the breaching value (the judged datapoints aggregated by
 *   the policy's `MetricAggregationType`) minus the threshold, and has no cooldown; while the
 *   capacity it added last still warms up (`EstimatedInstanceWarmup`, else the group's default
 *   cooldown), the step is measured from the capacity before it, and applies only where it goes
 *   further: breaches within one step make one change, a larger step adds the difference.
 * @returns the change, or null when there is none (cooldown, no step for the value, no data)
 */
export function alarmPolicyChange(policy: ScalingPolicy, group: ScalingGroup, trigger: AlarmTrigger, now: Date): CapacityChange | null {
  const spec = policy.spec as AdjustingSpec;
  const cause = (desired: number, note: string) =>
    `At ${isoSeconds(now)} a monitor alarm ${trigger.alarmName} in state ${trigger.state} triggered policy ${policy.name} ` +
    `changing the desired capacity from ${group.desiredCapacity} to ${desired}${note}.`;
  if (policy.policyType === "SimpleScaling") {
    if (inCooldown(group.scaledAt, spec.Cooldown ?? group.defaultCooldown, now)) return null;
    return changeTo(adjusted(group.desiredCapacity, spec.AdjustmentType, spec.ScalingAdjustment!, spec.MinAdjustmentMagnitude), group, cause);
  }
  if (policy.policyType !== "StepScaling" || trigger.values.length === 0) return null;
  const values = trigger.values;
  const aggregation = spec.MetricAggregationType ?? "Average";
  const value =
    aggregation === "Minimum" ? Math.min(...values) : aggregation === "Maximum" ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length;
  const step = stepFor(spec.StepAdjustments!, value - trigger.threshold);
  if (step === undefined) return null;
  const warming = trigger.warming;
  const base = warming?.from ?? group.desiredCapacity;
  const wanted = adjusted(base, spec.AdjustmentType, step.ScalingAdjustment, spec.MinAdjustmentMagnitude);
  if (warming !== null && Math.sign(wanted - group.desiredCapacity) !== Math.sign(warming.to - warming.from)) return null;
  return changeTo(wanted, group, cause);
}

/** A stored target tracking policy as the decision reads it. */
export function targetTrackingOf(policy: ScalingPolicy): TargetTracking & { readonly dimensions: readonly { name: string; value: string }[] } {
  const spec = policy.spec as {
    EstimatedInstanceWarmup?: number;
    TargetTrackingConfiguration: {
      TargetValue: number;
      DisableScaleIn: boolean;
      CustomizedMetricSpecification: { MetricName: string; Namespace: string; Statistic: Statistic; Dimensions?: { Name: string; Value: string }[] };
    };
  };
  const tt = spec.TargetTrackingConfiguration;
  const m = tt.CustomizedMetricSpecification;
  return {
    policyName: policy.name,
    namespace: m.Namespace,
    metricName: m.MetricName,
    statistic: m.Statistic,
    targetValue: tt.TargetValue,
    disableScaleIn: tt.DisableScaleIn,
    cooldownSeconds: spec.EstimatedInstanceWarmup ?? null,
    dimensions: (m.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}
