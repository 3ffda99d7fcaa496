/**
 * The controller's metric step: once per pass, the desired capacity of every `sensor_engine`
 * group and of every group with a target tracking policy follows its metric. It gathers the
 * inputs (one query for the recent minutes of the metrics they read, one for the policies), calls the
 * pure decisions of `core/metric-scaling.ts`, and returns the changed groups and their
 * activities for the pass's batch. It also drops metrics older than the retention, once a
 * minute. Placement, health and crash safety are the reconciler's, unchanged: only the desired
 * count moves here.
 */
import { randomUUID } from "node:crypto";
import { withDesired } from "../core/group-changes.js";
import {
  capacityChangeActivity,
  combineChanges,
  decideSensor,
  decideTargetTracking,
  sensorSeries,
  TARGET_TRACKING_PERIOD_SECONDS,
  type CapacityChange,
} from "../core/metric-scaling.js";
import { targetTrackingOf } from "../core/scaling-policies.js";
import { isSuspended } from "../core/scaling-processes.js";
import { parseSensorTags, type SensorDefinition } from "../core/sensor-tags.js";
import type { ManagedInstance, MetricDimension, OwnedGroup } from "../core/types.js";
import type { Logger } from "../observability/logger.js";
import type { OwnedActivity } from "../store/controller-store.js";
import type { MetricName, OwnedMetricPoint } from "../store/metric-store.js";
import type { Store } from "../store/store.js";

/** What the step decided for one pass. */
export interface MetricScaling {
  /** Groups with a new desired capacity and `scaledAt`, their version one higher. */
  readonly groups: OwnedGroup[];
  readonly activities: OwnedActivity[];
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Samples by exact series: per (user, namespace, metric name), the series of one dimension by
 * that dimension's name and value (the sensor's lookups, one per VM, need no key built), and
 * every series by its whole dimension set.
 */
export type Indexed = Map<string, { readonly single: Map<string, Map<string, OwnedMetricPoint[]>>; readonly all: Map<string, OwnedMetricPoint[]> }>;

/** Decides metric-driven capacity changes for the reconciler. */
export class MetricScaler {
  /** Parsed sensor tags by group row (a changed group is a new object). */
  readonly #sensors = new WeakMap<OwnedGroup, SensorDefinition | null>();
  #prunedAt = -Infinity;

  constructor(
    private readonly deps: { readonly store: Store; readonly retentionMs: number; readonly logger: Logger },
  ) {}

  /** The changes for these groups at `now`. */
  async decide(groups: Iterable<{ group: OwnedGroup; instances: readonly ManagedInstance[] }>, now: Date): Promise<MetricScaling> {
    await this.#prune(now);
    const out: MetricScaling = { groups: [], activities: [] };
    const policies = await this.deps.store.controller.loadPolicies(["TargetTrackingScaling"]);
    const byGroup = new Map<string, ReturnType<typeof targetTrackingOf>[]>();
    for (const p of policies) byGroup.set(p.groupId, [...(byGroup.get(p.groupId) ?? []), targetTrackingOf(p)]);

    const candidates: { group: OwnedGroup; instances: readonly ManagedInstance[]; sensor: SensorDefinition | null }[] = [];
    let periodSeconds = TARGET_TRACKING_PERIOD_SECONDS;
    for (const { group, instances } of groups) {
      if (group.status !== "active" || isSuspended(group, "AlarmNotification")) continue;
      const sensor = this.#sensor(group);
      if (sensor === null && !byGroup.has(group.id)) continue;
      if (sensor !== null) periodSeconds = Math.max(periodSeconds, sensor.samplePeriodSeconds);
      candidates.push({ group, instances, sensor });
    }
    if (candidates.length === 0) return out;

    // Only the metrics these groups read: a flood of other series costs the pass nothing.
    const wanted: MetricName[] = [];
    for (const { group, sensor } of candidates) {
      if (sensor !== null) wanted.push({ userId: group.userId, namespace: sensor.namespace, metricName: sensor.metricName });
      for (const tt of byGroup.get(group.id) ?? []) wanted.push({ userId: group.userId, namespace: tt.namespace, metricName: tt.metricName });
    }
    const points = await this.deps.store.metrics.recent(new Date(now.getTime() - periodSeconds * 1000 - 60_000), wanted);
    const index = indexPoints(points);
    for (const { group, instances, sensor } of candidates) {
      const decisions: (CapacityChange | null)[] = [];
      if (sensor !== null) {
        // The group's own series and those of its VMs: one lookup each.
        const vms = instances.filter((i) => i.lifecycleState !== "Terminating").map((i) => i.id);
        const metric = index.get(metricKey(group.userId, sensor.namespace, sensor.metricName));
        const samples = metric === undefined ? [] : sensorSeries(group.name, vms).flatMap((dims) => seriesSamples(metric, dims));
        decisions.push(decideSensor(sensor, group, samples, now));
      }
      for (const tt of byGroup.get(group.id) ?? []) {
        const metric = index.get(metricKey(group.userId, tt.namespace, tt.metricName));
        const samples = metric === undefined ? [] : seriesSamples(metric, tt.dimensions);
        decisions.push(decideTargetTracking(tt, group, samples, now));
      }
      const change = combineChanges(group.desiredCapacity, decisions);
      if (change === null) continue;
      out.groups.push({ ...withDesired(group, change.desired), scaledAt: now, version: group.version + 1 });
      out.activities.push({ ...capacityChangeActivity(group, group.desiredCapacity, change, now, randomUUID()), userId: group.userId });
    }
    return out;
  }

  #sensor(group: OwnedGroup): SensorDefinition | null {
    if (group.definition !== "sensor_engine") return null;
    let def = this.#sensors.get(group);
    if (def === undefined) {
      try {
        def = parseSensorTags(group.tags);
      } catch (e) {
        // The API checked the tags; a row that fails now was written by another version.
        this.deps.logger.warn({ err: e, group: group.name }, "sensor tags not usable");
        def = null;
      }
      this.#sensors.set(group, def);
    }
    return def;
  }

  async #prune(now: Date): Promise<void> {
    if (now.getTime() - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now.getTime();
    await this.deps.store.metrics.prune(new Date(now.getTime() - this.deps.retentionMs));
  }
}

/** The key of a user's metric in an {@link Indexed}. */
export function metricKey(userId: string, namespace: string, metricName: string): string {
  // Length-prefixed parts: unambiguous whatever characters the names hold.
  return `${userId}|${namespace.length}:${namespace}${metricName}`;
}

/** The key of a dimension set (sorted by name, as series keep them). */
function dimensionsKey(dimensions: readonly MetricDimension[]): string {
  let key = "";
  for (const d of dimensions) key += `${d.name.length}:${d.name}${d.value.length}:${d.value}`;
  return key;
}

/** The samples of one series of an indexed metric (exact dimensions, sorted by name). */
export function seriesSamples(metric: NonNullable<ReturnType<Indexed["get"]>>, dimensions: readonly MetricDimension[]): OwnedMetricPoint[] {
  if (dimensions.length === 1) return metric.single.get(dimensions[0]!.name)?.get(dimensions[0]!.value) ?? [];
  return metric.all.get(dimensionsKey(dimensions)) ?? [];
}

/** Points by user's metric and series, for lookups by exact series. */
export function indexPoints(points: readonly OwnedMetricPoint[]): Indexed {
  const index: Indexed = new Map();
  for (const p of points) {
    const key = metricKey(p.userId, p.namespace, p.metricName);
    let metric = index.get(key);
    if (metric === undefined) index.set(key, (metric = { single: new Map(), all: new Map() }));
    const dims = dimensionsKey(p.dimensions);
    let list = metric.all.get(dims);
    if (list === undefined) {
      metric.all.set(dims, (list = []));
      if (p.dimensions.length === 1) {
        const [d] = p.dimensions as [MetricDimension];
        let byValue = metric.single.get(d.name);
        if (byValue === undefined) metric.single.set(d.name, (byValue = new Map()));
        byValue.set(d.value, list);
      }
    }
    list.push(p);
  }
  return index;
}
