/**
 * The store's scheduled actions (`PutScheduledUpdateGroupAction` and friends) and the record of
 * the occurrences they ran. A scheduled action belongs to a group and goes with it.
 *
 * Exactly once: the controller runs an occurrence with {@link ScheduledActionStore.runOccurrence},
 * which records the occurrence (unique per action) in the same transaction as the group's new
 * sizes and the activity. A second run of the same occurrence — this replica after a crash, or
 * another replica — finds the record and changes nothing.
 */
import type { Group, OwnedGroup } from "../core/types.js";
import type { ScheduledAction, ScheduleSpec } from "../core/scheduled-actions.js";
import type { OwnedActivity, WriteFence } from "./controller-store.js";
import type { Page, PageOf } from "./store.js";

/** A scheduled action as the API writes it. */
export interface NewScheduledAction extends ScheduleSpec {
  readonly name: string;
  readonly arn: string;
  readonly putAt: Date;
}

/** One group's scheduled actions inside a write transaction of its user. */
export interface ScheduleTx {
  /** The group, as the transaction read it. */
  readonly group: Group;
  /** The group's action of that name, or null. */
  get(name: string): Promise<ScheduledAction | null>;
  /** How many actions the group has. */
  count(): Promise<number>;
  /** Inserts the action, or replaces the one of that name (keeping its id and ARN). */
  put(action: NewScheduledAction): Promise<void>;
  /** @returns false when the group has no action of that name. */
  delete(name: string): Promise<boolean>;
}

/** DescribeScheduledActions' selection. */
export interface ScheduleFilter {
  readonly groupName?: string;
  readonly names?: readonly string[];
}

/** The outcome of running one occurrence. */
export type RunOutcome = "ran" | "ran-before" | "conflict" | "lost-shard";

/** One occurrence to run, with what it does. */
export interface OccurrenceRun {
  readonly action: ScheduledAction;
  readonly occurrence: Date;
  readonly ranAt: Date;
  /** The group after the action (its `version` one above the stored one), or null when the action could not apply. */
  readonly group: OwnedGroup | null;
  readonly activity: OwnedActivity;
  /** A one-time action is removed once it ran, as on AWS. */
  readonly deleteAction: boolean;
  /** The writer's lease on the group's shard, checked in the transaction like every controller batch's. */
  readonly fence: WriteFence;
}

/** Scheduled actions. */
export interface ScheduledActionStore {
  /**
   * Runs `fn` in one transaction of the user (its generation bumped, as every API write) over
   * the group `groupName`.
   * @returns null when the user has no such group (nothing is written).
   */
  write<T>(userId: string, groupName: string, fn: (tx: ScheduleTx) => Promise<T>): Promise<{ value: T } | null>;
  /** The user's actions, ordered by group name, then name; `page.after` is the last key seen. */
  list(userId: string, filter: ScheduleFilter, page: Page): Promise<PageOf<ScheduledAction>>;
  /** Every action of every user (the controller's input). */
  loadAll(): Promise<ScheduledAction[]>;
  /**
   * In one transaction: records the occurrence, and only if it was not recorded before, writes
   * the group at its version, the activity and (for a one-time action) removes the action.
   * @returns `ran`; `ran-before` when the occurrence was recorded already or the action is gone
   *   (nothing written); `lost-shard` when the fence's lease is no longer the writer's (nothing
   *   written: another replica owns the group now);
   *   `conflict` when the group's version moved (nothing written: run it again on the reloaded group).
   */
  runOccurrence(run: OccurrenceRun): Promise<RunOutcome>;
}
