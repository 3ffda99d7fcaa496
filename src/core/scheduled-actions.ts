/**
 * Scheduled actions (`PutScheduledUpdateGroupAction` and friends): AWS's rules for what one
 * may say, when each occurrence falls, which occurrence is due at a moment, and what running
 * it does to a group. Pure: time is an argument.
 *
 * An action runs once at `StartTime`, or at each occurrence of `Recurrence` (five-field cron, in
 * UTC or in `TimeZone`) between `StartTime` and `EndTime`. The controller asks
 * {@link dueOccurrence} each pass: the latest occurrence that has come, not before the action
 * was put and not older than {@link CATCH_UP_MS} (a restart or a lease taken over inside that
 * window still runs it; an occurrence missed for longer is skipped, as AWS skips them). The
 * store keeps one row per occurrence run, so each runs once whoever asks again.
 */
import { Cron } from "croner";
import { ValidationError } from "./errors.js";
import { TAG_N_PRESERVE } from "./placement-tags.js";
import type { Group } from "./types.js";

/** How long after an occurrence it may still run (a controller restarted or taken over meanwhile). */
export const CATCH_UP_MS = 10 * 60_000;

/** AWS's most scheduled actions per group. */
export const MAX_SCHEDULED_ACTIONS_PER_GROUP = 125;

/** AWS's most actions per BatchPut/BatchDelete request. */
export const MAX_SCHEDULED_ACTIONS_PER_BATCH = 50;

/** What a scheduled action does and when (the stored members besides its names). */
export interface ScheduleSpec {
  readonly startTime: Date | null;
  readonly endTime: Date | null;
  readonly recurrence: string | null;
  readonly timeZone: string | null;
  readonly minSize: number | null;
  readonly maxSize: number | null;
  readonly desiredCapacity: number | null;
}

/** A stored scheduled action. */
export interface ScheduledAction extends ScheduleSpec {
  readonly id: string;
  readonly userId: string;
  readonly groupId: string;
  readonly groupName: string;
  readonly name: string;
  readonly arn: string;
  /** When it was last put: occurrences before are not run. */
  readonly putAt: Date;
}

/** The members of a put request (AWS names; `Time` is the old name of `StartTime`). */
export interface ScheduleInput {
  readonly ScheduledActionName: string;
  readonly Time?: Date;
  readonly StartTime?: Date;
  readonly EndTime?: Date;
  readonly Recurrence?: string;
  readonly TimeZone?: string;
  readonly MinSize?: number;
  readonly MaxSize?: number;
  readonly DesiredCapacity?: number;
}

/** The cron of a recurrence, or a ValidationError saying what is wrong. */
function cronOf(recurrence: string, timeZone: string | null): Cron {
  if (recurrence.trim().split(/\s+/).length !== 5) {
    throw new ValidationError(
      `Given recurrence '${recurrence}' is not a valid cron expression: Phantom takes five fields ` +
        `(minute hour day-of-month month day-of-week), e.g. '0 9 * * 1-5'.`,
    );
  }
  try {
    return new Cron(recurrence, { paused: true, mode: "5-part", ...(timeZone === null ? {} : { timezone: timeZone }) });
  } catch (e) {
    throw new ValidationError(`Given recurrence '${recurrence}' is not a valid cron expression: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch (e) {
    throw new ValidationError(`Invalid time zone '${timeZone}': use an IANA name such as Etc/UTC or America/New_York.`, { cause: e });
  }
}

/**
 * The spec a put request asks for, checked as AWS checks it. `previous` is the action of that
 * name being replaced, whose members the request leaves unchanged where it omits them (AWS's
 * rule for updating a scheduled action); `now` is the request's time.
 * @throws ValidationError
 */
export function scheduleSpec(input: ScheduleInput, now: Date, previous: ScheduleSpec | null = null): ScheduleSpec {
  if (input.Time !== undefined && input.StartTime !== undefined && input.Time.getTime() !== input.StartTime.getTime()) {
    throw new ValidationError("Time and StartTime differ; Time is the older name of StartTime: give one.");
  }
  const given = input.StartTime ?? input.Time;
  const spec: ScheduleSpec = {
    startTime: given ?? previous?.startTime ?? null,
    endTime: input.EndTime ?? previous?.endTime ?? null,
    recurrence: input.Recurrence ?? previous?.recurrence ?? null,
    timeZone: input.TimeZone ?? previous?.timeZone ?? null,
    minSize: input.MinSize ?? previous?.minSize ?? null,
    maxSize: input.MaxSize ?? previous?.maxSize ?? null,
    desiredCapacity: input.DesiredCapacity ?? previous?.desiredCapacity ?? null,
  };
  if (spec.minSize === null && spec.maxSize === null && spec.desiredCapacity === null) {
    throw new ValidationError("At least one of MinSize, MaxSize or DesiredCapacity must be specified.");
  }
  if (spec.minSize !== null && spec.maxSize !== null && spec.minSize > spec.maxSize) {
    throw new ValidationError(`Max bound, ${spec.maxSize}, must be greater than or equal to min bound, ${spec.minSize}`);
  }
  if (spec.startTime === null && spec.recurrence === null) {
    throw new ValidationError("Either StartTime or Recurrence must be given: a one-time action runs at StartTime, a recurring one on its schedule.");
  }
  if (given !== undefined && given.getTime() < now.getTime()) {
    throw new ValidationError("Given start time is in the past");
  }
  if (spec.endTime !== null) {
    if (spec.endTime.getTime() < now.getTime()) throw new ValidationError("Given end time is in the past");
    if (spec.startTime !== null && spec.endTime.getTime() <= spec.startTime.getTime()) {
      throw new ValidationError("Start time must be before end time");
    }
    if (spec.recurrence === null) throw new ValidationError("EndTime is only valid with a Recurrence.");
  }
  if (spec.timeZone !== null) {
    checkTimeZone(spec.timeZone);
    if (spec.recurrence === null) throw new ValidationError("TimeZone is only valid with a Recurrence.");
  }
  if (spec.recurrence !== null) cronOf(spec.recurrence, spec.timeZone);
  return spec;
}

/** The first occurrence at or after `from` (null when there is none left). */
export function nextOccurrence(spec: ScheduleSpec, from: Date): Date | null {
  const start = spec.startTime !== null && spec.startTime > from ? spec.startTime : from;
  if (spec.recurrence === null) return spec.startTime !== null && spec.startTime >= from ? spec.startTime : null;
  const next = cronOf(spec.recurrence, spec.timeZone).nextRun(new Date(start.getTime() - 1));
  if (next === null || (spec.endTime !== null && next > spec.endTime)) return null;
  return next;
}

/**
 * The occurrence to run at `now`, or null: the latest that has come, not before the action was
 * put (nor its `StartTime`), not after its `EndTime`, and not older than {@link CATCH_UP_MS}.
 * Whether it ran already is the store's to say.
 */
export function dueOccurrence(action: Pick<ScheduledAction, keyof ScheduleSpec | "putAt">, now: Date): Date | null {
  const floor = Math.max(action.putAt.getTime(), action.startTime?.getTime() ?? -Infinity, now.getTime() - CATCH_UP_MS);
  let latest: Date | null;
  if (action.recurrence === null) {
    latest = action.startTime;
  } else {
    const upTo = action.endTime !== null && action.endTime < now ? action.endTime : now;
    latest = cronOf(action.recurrence, action.timeZone).previousRuns(1, new Date(upTo.getTime() + 1))[0] ?? null;
  }
  if (latest === null || latest.getTime() > now.getTime() || latest.getTime() < floor) return null;
  return latest;
}

/** What running an occurrence does to a group. */
export interface ScheduledChange<G extends Group> {
  /** The group after the action; null when the action cannot apply (see `cause`). */
  readonly group: G | null;
  readonly from: number;
  readonly to: number;
  /** The activity's cause, in AWS's manner. */
  readonly cause: string;
}

function withTag<G extends Group>(group: G, key: string, value: string): G {
  const tags = group.tags.some((t) => t.key === key)
    ? group.tags.map((t) => (t.key === key ? { ...t, value } : t))
    : [...group.tags, { key, value, propagateAtLaunch: false }];
  return { ...group, tags };
}

/**
 * Runs the action's sizes on the group. The bounds move first; the desired capacity is the
 * action's, else the current one, brought within the new bounds (as AWS does). On a Phantom
 * group the `n_preserve` tag follows the desired capacity; on a `sensor_engine` group the
 * range the metrics move in (`minimum_vms`, `maximum_vms`) becomes the new bounds when the
 * action moves them.
 */
export function applyScheduledAction<G extends Group>(group: G, action: Pick<ScheduledAction, keyof ScheduleSpec | "name">, at: Date): ScheduledChange<G> {
  const from = group.desiredCapacity;
  const min = action.minSize ?? group.minSize;
  const max = action.maxSize ?? group.maxSize;
  const when = `At ${at.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
  if (min > max) {
    return {
      group: null,
      from,
      to: from,
      cause: `${when} scheduled action ${action.name} could not run: its minimum size ${min} is above the group's maximum size ${max}.`,
    };
  }
  const to = Math.min(max, Math.max(min, action.desiredCapacity ?? from));
  let next: G = { ...group, minSize: min, maxSize: max, desiredCapacity: to };
  if (group.definition === "error_overflow_n_preserving") next = withTag(next, TAG_N_PRESERVE, String(to));
  if (group.definition === "sensor_engine" && (action.minSize !== null || action.maxSize !== null)) {
    // Both ends, so the range stays consistent (minimum_vms ≤ maximum_vms) whatever it was.
    next = withTag(withTag(next, "minimum_vms", String(min)), "maximum_vms", String(max));
  }
  const sizes = `min: ${min}, max: ${max}, desired: ${to}`;
  const what = to === from ? `kept the desired capacity at ${to}` : `changed the desired capacity from ${from} to ${to}`;
  return { group: next, from, to, cause: `${when} scheduled action ${action.name} ${what} (${sizes}).` };
}
