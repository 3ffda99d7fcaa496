/**
 * Metric-driven capacity decisions, as pure functions of (definition, samples, group, now):
 * a `sensor_engine` group's thresholds, and target tracking policies. Each returns the new
 * desired capacity with a Cause naming the metric value, the threshold or target and the
 * result, or null for "no change" (no samples, within the thresholds, in cooldown, or at a
 * bound already). The desired capacity is always clamped to the group's bounds, and a clamp is
 * said in the Cause.
 *
 * Samples are per-minute aggregates; a decision at `now` over a period of P seconds reads the
 * minutes that overlap (now − P, now].
 */
import { foldAggregates, GROUP_DIMENSION, INSTANCE_DIMENSION, statisticOf, type Statistic } from "./metric-data.js";
import { sensorBounds, type SensorDefinition } from "./sensor-tags.js";
import type { Activity, Group, MetricAggregate, MetricDimension, MetricPoint } from "./types.js";

/** What a decision reads of the group. */
export type ScalingGroup = Pick<Group, "name" | "desiredCapacity" | "minSize" | "maxSize" | "defaultCooldown" | "scaledAt">;

/** A change of the desired capacity and why. */
export interface CapacityChange {
  readonly desired: number;
  readonly cause: string;
}

/** The samples one decision reads: the series' minutes, any dimensions. */
export type Sample = Pick<MetricPoint, "minute"> & MetricAggregate;

const MINUTE_MS = 60_000;

/** `2026-11-26T16:04:05Z`. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A number as a Cause shows it: at most four decimals. */
export function shown(n: number): string {
  return String(Math.round(n * 10_000) / 10_000);
}

/**
 * The statistic of the samples in the period that ends at `now`, or null when there are none.
 * A minute counts when it overlaps (now − period, now].
 */
export function sampleValue(samples: readonly Sample[], statistic: Statistic, periodSeconds: number, now: Date): number | null {
  const from = now.getTime() - periodSeconds * 1000;
  const inWindow = samples.filter((s) => s.minute.getTime() + MINUTE_MS > from && s.minute.getTime() <= now.getTime());
  const folded = foldAggregates(inWindow);
  return folded === null ? null : statisticOf(folded, statistic);
}

/** Whether a metric-driven change at `now` must still wait (cooldowns never delay replacements). */
export function inCooldown(scaledAt: Date | null, cooldownSeconds: number, now: Date): boolean {
  return scaledAt !== null && now.getTime() - scaledAt.getTime() < cooldownSeconds * 1000;
}

/** `wanted` within `[min, max]`, and a note saying so when it was not. */
export function clamp(wanted: number, min: number, max: number, names: { min: string; max: string }): { desired: number; note: string } {
  if (wanted > max) return { desired: max, note: ` (${wanted} clamped to ${names.max} ${max})` };
  if (wanted < min) return { desired: min, note: ` (${wanted} clamped to ${names.min} ${min})` };
  return { desired: wanted, note: "" };
}

/**
 * The series a sensor group reads: exactly the dimension `AutoScalingGroupName=<group>`, and
 * exactly `InstanceId=<id>` for each of its VMs.
 */
export function sensorSeries(groupName: string, instanceIds: Iterable<string>): MetricDimension[][] {
  const out: MetricDimension[][] = [[{ name: GROUP_DIMENSION, value: groupName }]];
  for (const id of instanceIds) out.push([{ name: INSTANCE_DIMENSION, value: id }]);
  return out;
}

/**
 * A `sensor_engine` group's decision: above `scale_up_threshold` it grows by `scale_up_n_vms`,
 * below `scale_down_threshold` it shrinks by `scale_down_n_vms`, within `minimum_vms` ..
 * `maximum_vms` and the group's bounds, at most once per cooldown.
 *
 * @param samples the minutes of the group's series of the sensor's metric (see {@link sensorSeries})
 */
export function decideSensor(def: SensorDefinition, group: ScalingGroup, samples: readonly Sample[], now: Date): CapacityChange | null {
  const bounds = sensorBounds(def, group);
  const min = Math.max(bounds.min, group.minSize);
  const max = Math.min(bounds.max, group.maxSize);
  const names = {
    min: def.minimumVms !== null && def.minimumVms >= group.minSize ? "minimum_vms" : "MinSize",
    max: def.maximumVms !== null && def.maximumVms <= group.maxSize ? "maximum_vms" : "MaxSize",
  };
  // A size outside the sensor's range (set by hand, or before the range changed) comes back
  // into it at once: that is a bound, not a metric-driven change.
  if (group.desiredCapacity < min || group.desiredCapacity > max) {
    const desired = group.desiredCapacity < min ? min : max;
    return {
      desired,
      cause:
        `At ${isoSeconds(now)} the desired capacity ${group.desiredCapacity} was outside ${names.min} ${min} .. ${names.max} ${max}, ` +
        `changing the desired capacity from ${group.desiredCapacity} to ${desired}.`,
    };
  }
  if (inCooldown(group.scaledAt, def.cooldownSeconds ?? group.defaultCooldown, now)) return null;
  const value = sampleValue(samples, def.sampleFunction, def.samplePeriodSeconds, now);
  if (value === null) return null;
  let step: number;
  let crossed: string;
  if (value > def.scaleUpThreshold) {
    step = def.scaleUpVms;
    crossed = `above scale_up_threshold ${shown(def.scaleUpThreshold)}`;
  } else if (value < def.scaleDownThreshold) {
    step = -def.scaleDownVms;
    crossed = `below scale_down_threshold ${shown(def.scaleDownThreshold)}`;
  } else {
    return null;
  }
  const { desired, note } = clamp(group.desiredCapacity + step, min, max, names);
  if (desired === group.desiredCapacity) return null;
  return {
    desired,
    cause:
      `At ${isoSeconds(now)} the ${def.sampleFunction} of ${def.namespace}/${def.metricName} over the last ` +
      `${def.samplePeriodSeconds} s was ${shown(value)} (${crossed}), changing the desired capacity from ` +
      `${group.desiredCapacity} to ${desired}${note}.`,
  };
}

/** What a target tracking decision reads of its policy (`TargetTrackingConfiguration`, decoded). */
export interface TargetTracking {
  readonly policyName: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: Statistic;
  readonly targetValue: number;
  readonly disableScaleIn: boolean;
  /** Seconds a change waits after the last one: `EstimatedInstanceWarmup`, else the group's DefaultCooldown. */
  readonly cooldownSeconds: number | null;
}

/** The period target tracking samples over. */
export const TARGET_TRACKING_PERIOD_SECONDS = 60;

/**
 * A target tracking decision: the capacity that brings the metric to its target if the load
 * spreads evenly, `ceil(capacity × value / target)` (from one VM when the group is empty). The
 * ceiling makes it scale out eagerly and in only when a whole VM fewer would still stay at or
 * below the target, so it does not flap around the target.
 */
export function decideTargetTracking(tt: TargetTracking, group: ScalingGroup, samples: readonly Sample[], now: Date): CapacityChange | null {
  if (inCooldown(group.scaledAt, tt.cooldownSeconds ?? group.defaultCooldown, now)) return null;
  const value = sampleValue(samples, tt.statistic, TARGET_TRACKING_PERIOD_SECONDS, now);
  if (value === null || tt.targetValue <= 0) return null;
  const base = Math.max(group.desiredCapacity, 1);
  const wanted = value <= 0 ? 0 : Math.ceil(base * (value / tt.targetValue) - 1e-9);
  if (wanted === group.desiredCapacity || (wanted < group.desiredCapacity && tt.disableScaleIn)) return null;
  const { desired, note } = clamp(wanted, group.minSize, group.maxSize, { min: "MinSize", max: "MaxSize" });
  if (desired === group.desiredCapacity) return null;
  return {
    desired,
    cause:
      `At ${isoSeconds(now)} target tracking policy ${tt.policyName} found the ${tt.statistic} of ${tt.namespace}/${tt.metricName} ` +
      `at ${shown(value)} against its target ${shown(tt.targetValue)}, changing the desired capacity from ` +
      `${group.desiredCapacity} to ${desired}${note}.`,
  };
}

/**
 * One change out of several decisions on one group, as AWS combines policies: the largest
 * scale-out wins; the group scales in only when every decision wants to, by the smallest step.
 */
export function combineChanges(current: number, changes: readonly (CapacityChange | null)[]): CapacityChange | null {
  const real = changes.filter((c): c is CapacityChange => c !== null && c.desired !== current);
  const largest = (list: readonly CapacityChange[]) => list.reduce((best, c) => (c.desired > best.desired ? c : best));
  const out = real.filter((c) => c.desired > current);
  if (out.length > 0) return largest(out);
  if (real.length === 0 || real.length < changes.length) return null;
  return largest(real);
}

/** The scaling activity that records a change of the desired capacity (the id is the caller's). */
export function capacityChangeActivity(
  group: Pick<Group, "id" | "name" | "arn">,
  from: number,
  change: CapacityChange,
  now: Date,
  id: string,
): Activity {
  return {
    id,
    groupId: group.id,
    groupName: group.name,
    groupArn: group.arn,
    description: `Changing the desired capacity from ${from} to ${change.desired}`,
    cause: change.cause.length <= 1023 ? change.cause : `${change.cause.slice(0, 1022)}…`,
    startTime: now,
    endTime: now,
    statusCode: "Successful",
    statusMessage: null,
    progress: 100,
    details: "{}",
  };
}
