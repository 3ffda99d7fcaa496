/**
 * CloudWatch's metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric,
 * DeleteAlarms, SetAlarmState, EnableAlarmActions, DisableAlarmActions, DescribeAlarmHistory, and
 * the tagging actions on alarm ARNs (TagResource, UntagResource, ListTagsForResource).
 * The rules live in `core/metric-alarms.ts`; the controller evaluates the alarms and runs their
 * actions (`controller/alarm-evaluator.ts`). Alarms belong to the user who put them.
 */
import { LimitExceededError, PhantomError, ValidationError } from "../../core/errors.js";
import {
  actionsOf,
  alarmArn,
  alarmSpecFromInput,
  checkAlarmActions,
  configurationItem,
  DEFAULT_MAX_ALARMS_PER_USER,
  initialState,
  isPolicyArn,
  stateItem,
  type AlarmHistoryItem,
  type AlarmStateValue,
  type HistoryItemType,
  type MetricAlarm,
  type PutMetricAlarmInput,
  specOf,
  withoutAction,
} from "../../core/metric-alarms.js";
import type { ScalingPolicy } from "../../core/types.js";
import type { AlarmTx } from "../../store/alarm-store.js";
import { nextToken, requestedPage } from "../pagination.js";
import type { Action, ActionContext } from "./action.js";

const ALARM_PAGE = { defaultSize: 50, maxSize: 100 };
const HISTORY_PAGE = { defaultSize: 100, maxSize: 100 };

/** An alarm in CloudWatch's `MetricAlarm` shape. */
function renderAlarm(a: MetricAlarm): Record<string, unknown> {
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    ...(a.description !== null ? { AlarmDescription: a.description } : {}),
    AlarmConfigurationUpdatedTimestamp: a.configurationUpdatedAt,
    ActionsEnabled: a.actionsEnabled,
    OKActions: a.okActions,
    AlarmActions: a.alarmActions,
    InsufficientDataActions: a.insufficientDataActions,
    StateValue: a.state.value,
    StateReason: a.state.reason,
    ...(a.state.reasonData !== null ? { StateReasonData: a.state.reasonData } : {}),
    StateUpdatedTimestamp: a.state.updatedAt,
    MetricName: a.metricName,
    Namespace: a.namespace,
    Statistic: a.statistic,
    Dimensions: a.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
    Period: a.period,
    ...(a.unit !== null ? { Unit: a.unit } : {}),
    EvaluationPeriods: a.evaluationPeriods,
    ...(a.datapointsToAlarm !== null ? { DatapointsToAlarm: a.datapointsToAlarm } : {}),
    Threshold: a.threshold,
    ComparisonOperator: a.comparisonOperator,
    ...(a.treatMissingData !== null ? { TreatMissingData: a.treatMissingData } : {}),
  };
}

function renderItem(i: AlarmHistoryItem): Record<string, unknown> {
  return { AlarmName: i.alarmName, AlarmType: "MetricAlarm", Timestamp: i.at, HistoryItemType: i.type, HistorySummary: i.summary, HistoryData: i.data };
}

/** Whether `AlarmTypes` (absent: metric alarms) asks for metric alarms; Phantom has no composite ones. */
function wantsMetricAlarms(input: Record<string, unknown>): boolean {
  const types = input.AlarmTypes as string[] | undefined;
  return types === undefined || types.length === 0 || types.includes("MetricAlarm");
}

/** The user's simple and step policies that the actions name, by ARN. */
async function policiesNamed(ctx: ActionContext, arns: readonly string[]): Promise<Map<string, ScalingPolicy>> {
  const out = new Map<string, ScalingPolicy>();
  const reads = ctx.store.reads(ctx.user.id);
  for (const arn of arns) {
    if (!isPolicyArn(arn)) continue;
    const { items } = await reads.listPolicies({ names: [arn] }, { limit: 1 });
    if (items[0] !== undefined) out.set(arn, items[0]);
  }
  return out;
}

function notFound(name: string): PhantomError {
  return new PhantomError("ResourceNotFound", `Alarm ${name} not found`);
}

export const PutMetricAlarm: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const request = input as unknown as PutMetricAlarmInput;
    const spec = alarmSpecFromInput(request, ctx.settings.metrics);
    const policies = await policiesNamed(ctx, actionsOf(spec));
    const groupId = checkAlarmActions(spec, (arn) => policies.get(arn) ?? null);
    const max = ctx.settings.metrics.maxAlarmsPerUser ?? DEFAULT_MAX_ALARMS_PER_USER;
    await ctx.store.alarms.write(ctx.user.id, async (tx) => {
      const existing = await tx.get(request.AlarmName);
      if (existing === null && (await tx.count()) >= max) {
        throw new LimitExceededError(`The maximum number of alarms (${max}) has been reached; delete an alarm first.`);
      }
      const arn = existing?.arn ?? alarmArn(ctx.settings.region, ctx.user.accountId, request.AlarmName);
      await tx.put({ name: request.AlarmName, arn, spec, groupId }, ctx.now, initialState(ctx.now));
      await tx.addHistory([configurationItem(request.AlarmName, existing === null ? "Create" : "Update", spec, ctx.now)]);
    });
    if (groupId !== null) ctx.groupChanged(groupId);
    return undefined;
  },
};

export const DescribeAlarms: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const names = input.AlarmNames as string[] | undefined;
    const query = {
      ...(names !== undefined && names.length > 0 ? { names } : {}),
      ...(input.AlarmNamePrefix !== undefined ? { prefix: input.AlarmNamePrefix as string } : {}),
      ...(input.StateValue !== undefined ? { state: input.StateValue as AlarmStateValue } : {}),
      ...(input.ActionPrefix !== undefined ? { actionPrefix: input.ActionPrefix as string } : {}),
    };
    const page = requestedPage("DescribeAlarms", query, input, ALARM_PAGE);
    // Composite alarms (and so their children and parents) do not exist in Phantom.
    if (!wantsMetricAlarms(input) || input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) {
      return { CompositeAlarms: [], MetricAlarms: [] };
    }
    const result = await ctx.store.alarms.list(ctx.user.id, query, page);
    return { MetricAlarms: result.items.map(renderAlarm), NextToken: nextToken("DescribeAlarms", query, result.next) };
  },
};

export const DescribeAlarmsForMetric: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const dimensions = input.Dimensions as { Name: string; Value: string }[] | undefined;
    const wanted = dimensions === undefined ? undefined : dimensions.map((d) => `${d.Name}=${d.Value}`).sort().join("\n");
    const alarms = (await ctx.store.alarms.forMetric(ctx.user.id, input.Namespace as string, input.MetricName as string)).filter(
      (a) =>
        (input.Statistic === undefined || a.statistic === input.Statistic) &&
        (input.ExtendedStatistic === undefined) &&
        (input.Period === undefined || a.period === input.Period) &&
        (input.Unit === undefined || a.unit === input.Unit) &&
        (wanted === undefined || a.dimensions.map((d) => `${d.name}=${d.value}`).join("\n") === wanted),
    );
    return { MetricAlarms: alarms.map(renderAlarm) };
  },
};

export const DeleteAlarms: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const names = [...new Set(input.AlarmNames as string[])];
    await ctx.store.alarms.write(ctx.user.id, async (tx) => {
      const existing: MetricAlarm[] = [];
      for (const name of names) {
        const alarm = await tx.get(name);
        // CloudWatch deletes none when one is wrong.
        if (alarm === null) throw notFound(name);
        existing.push(alarm);
      }
      await tx.delete(names);
      await tx.addHistory(existing.map((a) => configurationItem(a.name, "Delete", a, ctx.now)));
    });
    return undefined;
  },
};

export const SetAlarmState: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const name = input.AlarmName as string;
    const data = input.StateReasonData as string | undefined;
    if (data !== undefined && data !== "") {
      try {
        JSON.parse(data);
      } catch (e) {
        throw new PhantomError("InvalidFormat", "StateReasonData must be valid JSON.", { cause: e });
      }
    }
    const groupId = await ctx.store.alarms.write(ctx.user.id, async (tx) => {
      const alarm = await tx.get(name);
      if (alarm === null) throw notFound(name);
      const state = {
        value: input.StateValue as AlarmStateValue,
        reason: input.StateReason as string,
        reasonData: data === undefined || data === "" ? null : data,
        updatedAt: ctx.now,
      };
      await tx.setState(name, state);
      if (state.value !== alarm.state.value) await tx.addHistory([stateItem(name, alarm.state, state)]);
      return alarm.groupId;
    });
    if (groupId !== null) ctx.groupChanged(groupId);
    return undefined;
  },
};

/** Enables or disables the actions of the named alarms; unknown names are ignored, as CloudWatch does. */
function alarmActionsSwitch(enabled: boolean): Action {
  return {
    cacheable: false,
    async handle(input, ctx) {
      const names = [...new Set(input.AlarmNames as string[])];
      await ctx.store.alarms.write(ctx.user.id, async (tx) => {
        const changed: AlarmHistoryItem[] = [];
        for (const name of names) {
          const alarm = await tx.get(name);
          if (alarm !== null && alarm.actionsEnabled !== enabled) changed.push(configurationItem(name, "Update", { ...alarm, actionsEnabled: enabled }, ctx.now));
        }
        await tx.setActionsEnabled(names, enabled);
        await tx.addHistory(changed);
      });
      return undefined;
    },
  };
}

export const EnableAlarmActions = alarmActionsSwitch(true);
export const DisableAlarmActions = alarmActionsSwitch(false);

export const DescribeAlarmHistory: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const start = input.StartDate as Date | undefined;
    const end = input.EndDate as Date | undefined;
    if (start !== undefined && end !== undefined && start.getTime() > end.getTime()) {
      throw new PhantomError("InvalidParameterValue", "The parameter StartDate must not be after the parameter EndDate.");
    }
    const query = {
      ...(input.AlarmName !== undefined ? { alarmName: input.AlarmName as string } : {}),
      ...(input.HistoryItemType !== undefined ? { type: input.HistoryItemType as HistoryItemType } : {}),
      ...(start !== undefined ? { from: start } : {}),
      ...(end !== undefined ? { to: end } : {}),
      ascending: input.ScanBy === "TimestampAscending",
    };
    const page = requestedPage("DescribeAlarmHistory", query, input, HISTORY_PAGE);
    if (!wantsMetricAlarms(input)) return { AlarmHistoryItems: [] };
    const result = await ctx.store.alarms.history(ctx.user.id, query, page);
    return { AlarmHistoryItems: result.items.map(renderItem), NextToken: nextToken("DescribeAlarmHistory", query, result.next) };
  },
};

/**
 * Takes deleted policies' ARNs out of the user's alarms' actions, as AWS does when a policy (or
 * its group) is deleted; the alarms stay. An alarm left without actions is evaluated by its own
 * shard.
 */
export async function removeAlarmActions(ctx: ActionContext, arns: readonly string[]): Promise<void> {
  if (arns.length === 0) return;
  await ctx.store.alarms.write(ctx.user.id, async (tx) => {
    for (const alarm of await tx.all()) {
      if (!actionsOf(alarm).some((a) => arns.includes(a))) continue;
      const spec = arns.reduce(withoutAction, specOf(alarm));
      await tx.put({ name: alarm.name, arn: alarm.arn, spec, groupId: actionsOf(spec).length === 0 ? null : alarm.groupId }, ctx.now, alarm.state);
      await tx.addHistory([configurationItem(alarm.name, "Update", spec, ctx.now)]);
    }
  });
}

/** Tags an alarm may carry, as CloudWatch allows. */
const MAX_ALARM_TAGS = 50;

/** The user's alarm that `arn` names, found by its name with `get` (CloudWatch's tagging actions take an ARN). */
async function alarmByArn(get: (name: string) => Promise<MetricAlarm | null>, arn: string): Promise<MetricAlarm> {
  const name = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$/.exec(arn)?.[1];
  const alarm = name === undefined ? null : await get(name);
  if (alarm === null || alarm.arn !== arn) throw new PhantomError("ResourceNotFoundException", `No alarm with the ARN ${arn}.`);
  return alarm;
}

/** Rewrites the alarm's tags, keeping the rest of its configuration and its state. */
async function retag(tx: AlarmTx, alarm: MetricAlarm, tags: MetricAlarm["tags"], now: Date): Promise<void> {
  if (tags.length > MAX_ALARM_TAGS) {
    throw new ValidationError(`An alarm can have at most ${MAX_ALARM_TAGS} tags; this would give ${alarm.name} ${tags.length}.`);
  }
  await tx.put({ name: alarm.name, arn: alarm.arn, spec: { ...alarm, tags }, groupId: alarm.groupId }, now, alarm.state);
}

export const ListTagsForResource: Action = {
  cacheable: false,
  async handle(input, ctx) {
    // A read: the alarm is looked up without a write transaction.
    const byName = async (name: string) => (await ctx.store.alarms.list(ctx.user.id, { names: [name] }, { limit: 1 })).items[0] ?? null;
    const alarm = await alarmByArn(byName, input.ResourceARN as string);
    return { Tags: alarm.tags.map((t) => ({ Key: t.key, Value: t.value })) };
  },
};

export const TagResource: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const added = input.Tags as { Key: string; Value: string }[];
    await ctx.store.alarms.write(ctx.user.id, async (tx) => {
      const alarm = await alarmByArn((name) => tx.get(name), input.ResourceARN as string);
      const byKey = new Map(alarm.tags.map((t) => [t.key, t.value]));
      for (const t of added) byKey.set(t.Key, t.Value);
      await retag(tx, alarm, [...byKey].map(([key, value]) => ({ key, value })), ctx.now);
    });
    return undefined;
  },
};

export const UntagResource: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const removed = new Set(input.TagKeys as string[]);
    await ctx.store.alarms.write(ctx.user.id, async (tx) => {
      const alarm = await alarmByArn((name) => tx.get(name), input.ResourceARN as string);
      await retag(tx, alarm, alarm.tags.filter((t) => !removed.has(t.key)), ctx.now);
    });
    return undefined;
  },
};

/** The alarm actions, keyed by their AWS name. */
export const ALARM_ACTIONS: Readonly<Record<string, Action>> = {
  PutMetricAlarm,
  DescribeAlarms,
  DescribeAlarmsForMetric,
  DeleteAlarms,
  SetAlarmState,
  EnableAlarmActions,
  DisableAlarmActions,
  DescribeAlarmHistory,
  ListTagsForResource,
  TagResource,
  UntagResource,
};
