/**
 * PutScheduledUpdateGroupAction, BatchPutScheduledUpdateGroupAction, DescribeScheduledActions,
 * DeleteScheduledAction, BatchDeleteScheduledAction. The rules are `core/scheduled-actions.ts`'s;
 * the controller runs the occurrences (`controller/scheduled-action-runner.ts`).
 */
import { randomUUID } from "node:crypto";
import { AlreadyExistsError, isPhantomError, LimitExceededError, ValidationError } from "../../core/errors.js";
import { requireActive } from "../../core/group-changes.js";
import {
  MAX_SCHEDULED_ACTIONS_PER_BATCH,
  MAX_SCHEDULED_ACTIONS_PER_GROUP,
  nextOccurrence,
  scheduleSpec,
  type ScheduledAction,
  type ScheduleInput,
} from "../../core/scheduled-actions.js";
import type { ScheduleTx } from "../../store/scheduled-action-store.js";
import { scheduledActionArn } from "../arn.js";
import { nextToken, requestedPage } from "../pagination.js";
import { groupNotFound, type Action, type ActionContext } from "./action.js";

/** Runs `fn` over the group's scheduled actions in one write; a missing group is AWS's error. */
async function withSchedules<T>(ctx: ActionContext, groupName: string, fn: (tx: ScheduleTx) => Promise<T>): Promise<T> {
  const done = await ctx.store.schedules.write(ctx.user.id, groupName, async (tx) => {
    requireActive(tx.group);
    return fn(tx);
  });
  if (done === null) throw new ValidationError(groupNotFound(groupName));
  return done.value;
}

/** Puts one action: a new one, or (`replace`) an update of the one of that name. */
async function putOne(tx: ScheduleTx, input: ScheduleInput, ctx: ActionContext, replace: boolean): Promise<void> {
  const name = input.ScheduledActionName;
  const previous = await tx.get(name);
  if (previous !== null && !replace) {
    throw new AlreadyExistsError(`Scheduled action by this name already exists - A scheduled action named ${name} already exists in AutoScalingGroup ${tx.group.name}`);
  }
  const spec = scheduleSpec(input, ctx.now, previous);
  if (previous === null && (await tx.count()) >= MAX_SCHEDULED_ACTIONS_PER_GROUP) {
    throw new LimitExceededError(`Max number of scheduled actions reached: AutoScalingGroup ${tx.group.name} has ${MAX_SCHEDULED_ACTIONS_PER_GROUP}.`);
  }
  const arn = previous?.arn ?? scheduledActionArn(ctx.settings.region, ctx.user.accountId, randomUUID(), tx.group.name, name);
  await tx.put({ ...spec, name, arn, putAt: ctx.now });
}

function checkBatchSize(member: string, n: number): void {
  if (n > MAX_SCHEDULED_ACTIONS_PER_BATCH) {
    throw new ValidationError(`${member} may name at most ${MAX_SCHEDULED_ACTIONS_PER_BATCH} scheduled actions; it names ${n}.`);
  }
}

/** A batch entry that failed, in AWS's shape; an unexpected error is not the client's to see. */
function failure(name: string, e: unknown): Record<string, unknown> {
  if (!isPhantomError(e)) throw e;
  return { ScheduledActionName: name, ErrorCode: e.code, ErrorMessage: e.message };
}

export const PutScheduledUpdateGroupAction: Action = {
  cacheable: false,
  async handle(input, ctx) {
    await withSchedules(ctx, input.AutoScalingGroupName as string, (tx) => putOne(tx, input as unknown as ScheduleInput, ctx, true));
    return undefined;
  },
};

export const BatchPutScheduledUpdateGroupAction: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const actions = input.ScheduledUpdateGroupActions as ScheduleInput[];
    checkBatchSize("ScheduledUpdateGroupActions", actions.length);
    const failed = await withSchedules(ctx, input.AutoScalingGroupName as string, async (tx) => {
      const out: Record<string, unknown>[] = [];
      const seen = new Set<string>();
      for (const action of actions) {
        try {
          if (seen.has(action.ScheduledActionName)) {
            throw new ValidationError(`The request names scheduled action ${action.ScheduledActionName} twice.`);
          }
          seen.add(action.ScheduledActionName);
          await putOne(tx, action, ctx, false);
        } catch (e) {
          out.push(failure(action.ScheduledActionName, e));
        }
      }
      return out;
    });
    return { FailedScheduledUpdateGroupActions: failed };
  },
};

function scheduledActionNotFound(name: string, groupName: string): ValidationError {
  return new ValidationError(`Scheduled Update Group Action name not found - Could not find scheduled action ${name} in AutoScalingGroup ${groupName}`);
}

export const DeleteScheduledAction: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const groupName = input.AutoScalingGroupName as string;
    const name = input.ScheduledActionName as string;
    await withSchedules(ctx, groupName, async (tx) => {
      if (!(await tx.delete(name))) throw scheduledActionNotFound(name, groupName);
    });
    return undefined;
  },
};

export const BatchDeleteScheduledAction: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const groupName = input.AutoScalingGroupName as string;
    const names = input.ScheduledActionNames as string[];
    checkBatchSize("ScheduledActionNames", names.length);
    const failed = await withSchedules(ctx, groupName, async (tx) => {
      const out: Record<string, unknown>[] = [];
      for (const name of names) {
        if (!(await tx.delete(name))) out.push(failure(name, scheduledActionNotFound(name, groupName)));
      }
      return out;
    });
    return { FailedScheduledActions: failed };
  },
};

/** An action as AWS describes it: `StartTime` (and the old `Time`) is the next occurrence. */
function renderScheduledAction(a: ScheduledAction, now: Date): Record<string, unknown> {
  const next = nextOccurrence(a, now) ?? a.startTime ?? undefined;
  return {
    AutoScalingGroupName: a.groupName,
    ScheduledActionName: a.name,
    ScheduledActionARN: a.arn,
    Time: next,
    StartTime: next,
    EndTime: a.endTime ?? undefined,
    Recurrence: a.recurrence ?? undefined,
    MinSize: a.minSize ?? undefined,
    MaxSize: a.maxSize ?? undefined,
    DesiredCapacity: a.desiredCapacity ?? undefined,
    TimeZone: a.timeZone ?? undefined,
  };
}

const SCHEDULE_PAGE = { defaultSize: 50, maxSize: 100 };

export const DescribeScheduledActions: Action = {
  // Not cached: the next occurrence it shows moves with the clock, not with the user's writes.
  cacheable: false,
  async handle(input, ctx) {
    const groupName = input.AutoScalingGroupName as string | undefined;
    const given = input.ScheduledActionNames as string[] | undefined;
    const names = given !== undefined && given.length > 0 ? given : undefined;
    if (names !== undefined) checkBatchSize("ScheduledActionNames", names.length);
    // AWS ignores the time window when names are given.
    const from = names === undefined ? (input.StartTime as Date | undefined) : undefined;
    const to = names === undefined ? (input.EndTime as Date | undefined) : undefined;
    const query = [groupName ?? null, names ?? null, from?.getTime() ?? null, to?.getTime() ?? null];
    const page = requestedPage("DescribeScheduledActions", query, input, SCHEDULE_PAGE);
    const result = await ctx.store.schedules.list(
      ctx.user.id,
      { ...(groupName === undefined ? {} : { groupName }), ...(names === undefined ? {} : { names }) },
      page,
    );
    const shown = result.items.map((a) => renderScheduledAction(a, ctx.now));
    const inWindow = shown.filter((a) => {
      const start = a.StartTime as Date | undefined;
      if (start === undefined) return from === undefined && to === undefined;
      return (from === undefined || start >= from) && (to === undefined || start <= to);
    });
    return { ScheduledUpdateGroupActions: inWindow, NextToken: nextToken("DescribeScheduledActions", query, result.next) };
  },
};
