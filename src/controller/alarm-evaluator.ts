/**
 * The controller's alarm step: once per pass, after the scheduled actions and before the metric
 * step, every metric alarm of this replica's shards is evaluated (`core/alarm-evaluation.ts`) and
 * its actions — Auto Scaling policies — run (`core/scaling-policies.ts`' `alarmPolicyChange`).
 *
 * Which replica: an alarm whose actions scale a group is evaluated by the holder of that group's
 * shard, so the policy's change is written like every controller change of that group; an alarm
 * without such actions by the holder of the shard of its own id. Each alarm's outcome — new
 * state, actions run, the group's new size, activities, history — is one transaction fenced by
 * that shard's lease and written only if the alarm is still the version evaluated
 * (`AlarmStore.recordEvaluation`), so an API write in between wins and the alarm is evaluated
 * again next pass.
 *
 * When actions run (AWS's rules for Auto Scaling actions): when the alarm enters a state, again
 * every `Period` while it stays there, and once for a state set by `SetAlarmState` (its actions
 * run before the alarm is evaluated again). Not while `ActionsEnabled` is false, nor while the
 * group's `AlarmNotification` process is suspended (the state still changes).
 */
import { randomUUID } from "node:crypto";
import { evaluateAlarm, EXTRA_RANGE_PERIODS } from "../core/alarm-evaluation.js";
import { withDesired } from "../core/group-changes.js";
import {
  actionItem,
  actionsFor,
  HISTORY_RETENTION_MS,
  stateItem,
  type AlarmActionRecord,
  type AlarmHistoryItem,
  type AlarmState,
  type MetricAlarm,
} from "../core/metric-alarms.js";
import { capacityChangeActivity } from "../core/metric-scaling.js";
import { alarmPolicyChange } from "../core/scaling-policies.js";
import { isSuspended } from "../core/scaling-processes.js";
import type { OwnedGroup } from "../core/types.js";
import type { Logger } from "../observability/logger.js";
import type { OwnedActivity, OwnedScalingPolicy, WriteFence } from "../store/controller-store.js";
import type { MetricName } from "../store/metric-store.js";
import type { Store } from "../store/store.js";
import { indexPoints, metricKey, seriesSamples } from "./metric-scaler.js";

const PRUNE_EVERY_MS = 60_000;

/** What running an alarm's actions did. */
interface ActionsRun {
  readonly group: OwnedGroup | null;
  readonly activities: OwnedActivity[];
  readonly history: AlarmHistoryItem[];
  readonly record: AlarmActionRecord;
}

/** Evaluates alarms and runs their actions for the reconciler. */
export class AlarmEvaluator {
  #prunedAt = -Infinity;

  constructor(private readonly deps: { readonly store: Store; readonly logger: Logger }) {}

  /**
   * Evaluates the alarms of this replica's shards at `now`. `fenceFor` gives the lease a key's
   * write is fenced by (a group id, or an alarm id), null when its shard is not held here.
   * @returns the groups changed (their version one higher) and the shards found lost
   */
  async run(
    groups: ReadonlyMap<string, { readonly group: OwnedGroup }>,
    now: Date,
    fenceFor: (key: string) => WriteFence | null,
  ): Promise<{ changed: OwnedGroup[]; lostShards: number[] }> {
    await this.#prune(now);
    const lostShards = new Set<number>();
    const changed = new Map<string, OwnedGroup>();
    const mine = (await this.deps.store.alarms.loadAll()).flatMap((alarm) => {
      const fence = fenceFor(alarm.groupId ?? alarm.id);
      return fence === null ? [] : [{ alarm, fence }];
    });
    if (mine.length === 0) return { changed: [], lostShards: [] };

    const policies = mine.some(({ alarm }) => alarm.groupId !== null)
      ? new Map((await this.deps.store.controller.loadPolicies(["SimpleScaling", "StepScaling"])).map((p) => [p.arn, p]))
      : new Map<string, OwnedScalingPolicy>();
    const wanted: MetricName[] = mine.map(({ alarm }) => ({ userId: alarm.userId, namespace: alarm.namespace, metricName: alarm.metricName }));
    const longest = Math.max(...mine.map(({ alarm }) => alarm.period * (alarm.evaluationPeriods + EXTRA_RANGE_PERIODS)));
    const index = indexPoints(await this.deps.store.metrics.recent(new Date(now.getTime() - longest * 1000 - 60_000), wanted));

    for (const { alarm, fence } of mine) {
      if (fence.leases.some((l) => lostShards.has(l.shard))) continue;
      const group = alarm.groupId === null ? undefined : (changed.get(alarm.groupId) ?? groups.get(alarm.groupId)?.group);
      // The stored state's actions have not run since it was entered (set by SetAlarmState): run them first.
      const pending = alarm.actionsEnabled && actionsFor(alarm, alarm.state.value).length > 0 && (alarm.lastAction?.at.getTime() ?? -Infinity) < alarm.state.updatedAt.getTime();
      let next: AlarmState | null = null;
      let values: readonly number[] = [];
      if (!pending) {
        const metric = index.get(metricKey(alarm.userId, alarm.namespace, alarm.metricName));
        const evaluation = evaluateAlarm(alarm, alarm.state, metric === undefined ? [] : seriesSamples(metric, alarm.dimensions), now);
        next = evaluation.state;
        values = evaluation.datapoints.map((d) => d.value);
      }
      const state = next ?? alarm.state;
      const last = alarm.lastAction;
      const again = last !== null && last.state === state.value && now.getTime() - last.at.getTime() >= alarm.period * 1000;
      const run = alarm.actionsEnabled && (next !== null || pending || again) ? this.#runActions(alarm, state, values, group, policies, now) : null;
      if (next === null && run === null) continue;
      const outcome = await this.deps.store.alarms.recordEvaluation({
        alarm,
        state: next,
        ...(run !== null ? { lastAction: run.record } : {}),
        history: [...(next !== null ? [stateItem(alarm.name, alarm.state, next)] : []), ...(run?.history ?? [])],
        group: run?.group ?? null,
        activities: run?.activities ?? [],
        fence,
      });
      if (outcome === "lost-shard") {
        for (const l of fence.leases) lostShards.add(l.shard);
        continue;
      }
      if (outcome === "conflict") continue;
      if (next !== null) this.deps.logger.info({ alarm: alarm.name, from: alarm.state.value, to: next.value }, "alarm changed state");
      if (run?.group != null) changed.set(run.group.id, run.group);
    }
    return { changed: [...changed.values()], lostShards: [...lostShards] };
  }

  /**
   * Runs the state's actions on the alarm's group, one policy after another. Null when they
   * cannot run now (none, or the group's `AlarmNotification` is suspended): nothing is recorded,
   * so they run once the group lets them.
   */
  #runActions(
    alarm: MetricAlarm,
    state: AlarmState,
    values: readonly number[],
    group: OwnedGroup | undefined,
    policies: ReadonlyMap<string, OwnedScalingPolicy>,
    now: Date,
  ): ActionsRun | null {
    const arns = actionsFor(alarm, state.value);
    if (arns.length === 0 || (group !== undefined && isSuspended(group, "AlarmNotification"))) return null;
    const last = alarm.lastAction;
    let current = group;
    let change = last !== null && last.state === state.value ? last.change : null;
    const activities: OwnedActivity[] = [];
    const history: AlarmHistoryItem[] = [];
    for (const arn of arns) {
      const policy = policies.get(arn);
      if (policy === undefined || policy.userId !== alarm.userId || current === undefined || policy.groupId !== current.id) {
        history.push(actionItem(alarm.name, arn, now, { ok: false, error: "The scaling policy or its group no longer exists." }));
        continue;
      }
      if (current.status !== "active") {
        history.push(actionItem(alarm.name, arn, now, { ok: false, error: `The group ${current.name} is being deleted.` }));
        continue;
      }
      const warmup = ((policy.spec.EstimatedInstanceWarmup as number | undefined) ?? current.defaultCooldown) * 1000;
      const warming = change !== null && now.getTime() - change.at.getTime() < warmup ? { from: change.from, to: change.to } : null;
      const decided = alarmPolicyChange(
        policy,
        current,
        { alarmName: alarm.name, state: state.value, threshold: alarm.threshold, values, warming },
        now,
      );
      history.push(actionItem(alarm.name, arn, now, { ok: true }));
      if (decided === null) continue;
      const from = current.desiredCapacity;
      activities.push({ ...capacityChangeActivity(current, from, decided, now, randomUUID()), userId: current.userId });
      current = { ...withDesired(current, decided.desired), scaledAt: now };
      change = { at: now, from: warming?.from ?? from, to: decided.desired };
    }
    const scaled = current !== undefined && group !== undefined && current !== group ? { ...current, version: group.version + 1 } : null;
    return { group: scaled, activities, history, record: { at: now, state: state.value, change } };
  }

  async #prune(now: Date): Promise<void> {
    if (now.getTime() - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now.getTime();
    await this.deps.store.alarms.pruneHistory(new Date(now.getTime() - HISTORY_RETENTION_MS));
  }
}
