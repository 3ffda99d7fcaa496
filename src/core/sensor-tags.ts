/**
 * The tags of a `PHANTOM_DEFINITION=sensor_engine` group: which metric it follows and how it
 * grows and shrinks with it. Pure parsing; each violation is a ValidationError that says what
 * to write instead.
 *
 *   metric=Namespace/MetricName (or MetricName, in the `Phantom` namespace)
 *   sample_function=Average|Sum|Minimum|Maximum      (default Average)
 *   sample_period=<seconds, a multiple of 60>         (default 60)
 *   scale_up_threshold=<number>   scale_up_n_vms=<n ≥ 1, default 1>
 *   scale_down_threshold=<number> scale_down_n_vms=<n ≥ 1, default 1>
 *   minimum_vms / maximum_vms     (default MinSize / MaxSize; within them)
 *   cooldown_period=<seconds>     (default the group's DefaultCooldown)
 */
import { ValidationError } from "./errors.js";
import type { Group } from "./types.js";

/** The namespace of a `metric` tag without one. */
export const DEFAULT_SENSOR_NAMESPACE = "Phantom";

/** The statistics a sensor group can sample. */
export const SAMPLE_FUNCTIONS = ["Average", "Sum", "Minimum", "Maximum"] as const;

/** One of {@link SAMPLE_FUNCTIONS}. */
export type SampleFunction = (typeof SAMPLE_FUNCTIONS)[number];

/** A sensor group's scaling settings, from its tags. `null` bounds and cooldown: the group's own. */
export interface SensorDefinition {
  readonly namespace: string;
  readonly metricName: string;
  readonly sampleFunction: SampleFunction;
  readonly samplePeriodSeconds: number;
  readonly scaleUpThreshold: number;
  readonly scaleUpVms: number;
  readonly scaleDownThreshold: number;
  readonly scaleDownVms: number;
  readonly minimumVms: number | null;
  readonly maximumVms: number | null;
  readonly cooldownSeconds: number | null;
}

const INT32_MAX = 2 ** 31 - 1;
const EXAMPLE = "metric=MyApp/QueueLength, scale_up_threshold=100, scale_down_threshold=10";

function wholeNumber(key: string, value: string, min: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > INT32_MAX) {
    throw new ValidationError(`The tag ${key}='${value}' must be a whole number${min > 0 ? ` of at least ${min}` : " (0 or more)"}.`);
  }
  return n;
}

function number(key: string, value: string): number {
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new ValidationError(`The tag ${key}='${value}' must be a number, e.g. ${key}=75.`);
  return n;
}

/** Splits `Namespace/MetricName` on its last `/`; a bare name is in the `Phantom` namespace. */
export function parseMetricTag(value: string): { namespace: string; metricName: string } {
  const slash = value.lastIndexOf("/");
  const namespace = slash < 0 ? DEFAULT_SENSOR_NAMESPACE : value.slice(0, slash);
  const metricName = slash < 0 ? value : value.slice(slash + 1);
  if (namespace === "" || metricName === "" || metricName.length > 255 || namespace.length > 255) {
    throw new ValidationError(
      `The tag metric='${value}' must name a metric as Namespace/MetricName (e.g. MyApp/QueueLength), or a MetricName ` +
        `in the ${DEFAULT_SENSOR_NAMESPACE} namespace.`,
    );
  }
  return { namespace, metricName };
}

/** Parses and checks the sensor tags of a `sensor_engine` group. */
export function parseSensorTags(tags: readonly { readonly key: string; readonly value: string }[]): SensorDefinition {
  const get = (key: string) => tags.find((t) => t.key === key)?.value;
  const metric = get("metric");
  if (metric === undefined) {
    throw new ValidationError(`A group with PHANTOM_DEFINITION=sensor_engine needs the tag metric=Namespace/MetricName and thresholds, e.g. ${EXAMPLE}.`);
  }
  const up = get("scale_up_threshold");
  const down = get("scale_down_threshold");
  if (up === undefined || down === undefined) {
    throw new ValidationError(
      `A group with PHANTOM_DEFINITION=sensor_engine needs the tags scale_up_threshold and scale_down_threshold, e.g. ${EXAMPLE}.`,
    );
  }
  const fn = get("sample_function") ?? "Average";
  if (!(SAMPLE_FUNCTIONS as readonly string[]).includes(fn)) {
    throw new ValidationError(`The tag sample_function='${fn}' must be one of ${SAMPLE_FUNCTIONS.join(", ")}.`);
  }
  const periodText = get("sample_period");
  const period = periodText === undefined ? 60 : wholeNumber("sample_period", periodText, 60);
  if (period % 60 !== 0) {
    throw new ValidationError(`The tag sample_period='${periodText}' must be a multiple of 60 seconds: Phantom keeps one point per minute.`);
  }
  const scaleUpThreshold = number("scale_up_threshold", up);
  const scaleDownThreshold = number("scale_down_threshold", down);
  if (scaleDownThreshold >= scaleUpThreshold) {
    throw new ValidationError(
      `The tag scale_down_threshold (${down}) must be below scale_up_threshold (${up}): between them the group keeps its size.`,
    );
  }
  const optional = (key: string, min: number) => {
    const v = get(key);
    return v === undefined ? null : wholeNumber(key, v, min);
  };
  const minimumVms = optional("minimum_vms", 0);
  const maximumVms = optional("maximum_vms", 0);
  if (minimumVms !== null && maximumVms !== null && minimumVms > maximumVms) {
    throw new ValidationError(`The tag minimum_vms (${minimumVms}) must not exceed maximum_vms (${maximumVms}).`);
  }
  return {
    ...parseMetricTag(metric),
    sampleFunction: fn as SampleFunction,
    samplePeriodSeconds: period,
    scaleUpThreshold,
    scaleUpVms: optional("scale_up_n_vms", 1) ?? 1,
    scaleDownThreshold,
    scaleDownVms: optional("scale_down_n_vms", 1) ?? 1,
    minimumVms,
    maximumVms,
    cooldownSeconds: optional("cooldown_period", 0),
  };
}

/** The size range a sensor group moves in: its tags' bounds, else the group's. */
export function sensorBounds(def: SensorDefinition, group: Pick<Group, "minSize" | "maxSize">): { min: number; max: number } {
  return { min: def.minimumVms ?? group.minSize, max: def.maximumVms ?? group.maxSize };
}

/** Throws when the sensor bounds leave the group's MinSize..MaxSize. */
export function checkSensorBounds(def: SensorDefinition, group: Pick<Group, "minSize" | "maxSize">): void {
  if (def.minimumVms !== null && (def.minimumVms < group.minSize || def.minimumVms > group.maxSize)) {
    throw new ValidationError(
      `The tag minimum_vms=${def.minimumVms} must lie within the group's MinSize ${group.minSize} and MaxSize ${group.maxSize}.`,
    );
  }
  if (def.maximumVms !== null && (def.maximumVms < group.minSize || def.maximumVms > group.maxSize)) {
    throw new ValidationError(
      `The tag maximum_vms=${def.maximumVms} must lie within the group's MinSize ${group.minSize} and MaxSize ${group.maxSize}.`,
    );
  }
}
