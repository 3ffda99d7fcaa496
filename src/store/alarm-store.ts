/**
 * The store's metric alarms (CloudWatch's `PutMetricAlarm` and friends) and their history.
 * Alarms belong to a user; their history outlives them (CloudWatch keeps it 14 days).
 *
 * The API writes alarms in {@link AlarmStore.write}; the controller records what an evaluation
 * changed with {@link AlarmStore.recordEvaluation}, in one transaction with the group change and
 * the activity of the policy the alarm ran, fenced by the lease of the group's shard like every
 * controller batch, and only if the alarm is still the version it evaluated.
 */
import type { AlarmActionRecord, AlarmHistoryItem, AlarmSpec, AlarmState, AlarmStateValue, HistoryItemType, MetricAlarm } from "../core/metric-alarms.js";
import type { OwnedGroup } from "../core/types.js";
import type { OwnedActivity, WriteFence } from "./controller-store.js";
import type { Page, PageOf } from "./store.js";

/** An alarm as `PutMetricAlarm` writes it. */
export interface AlarmPut {
  readonly name: string;
  readonly arn: string;
  readonly spec: AlarmSpec;
  /** The group its policy actions scale, or null. */
  readonly groupId: string | null;
}

/** One user's alarms inside a write transaction. */
export interface AlarmTx {
  /** The alarm of that name, or null. */
  get(name: string): Promise<MetricAlarm | null>;
  /** How many alarms the user has. */
  count(): Promise<number>;
  /** Every alarm of the user, ordered by name. */
  all(): Promise<MetricAlarm[]>;
  /**
   * Creates the alarm in `initial` state, or replaces the configuration of the one of that name
   * (its state is kept, as CloudWatch keeps it).
   */
  put(alarm: AlarmPut, now: Date, initial: AlarmState): Promise<void>;
  /** Removes these alarms. @returns the names that existed. */
  delete(names: readonly string[]): Promise<string[]>;
  /** Sets the alarm's state (its version grows, so an evaluation in flight is not recorded over it). */
  setState(name: string, state: AlarmState): Promise<void>;
  /** Turns the actions of these alarms on or off. @returns the names that existed. */
  setActionsEnabled(names: readonly string[], enabled: boolean): Promise<string[]>;
  addHistory(items: readonly AlarmHistoryItem[]): Promise<void>;
}

/** DescribeAlarms' selection: every given condition holds. */
export interface AlarmFilter {
  readonly names?: readonly string[];
  readonly prefix?: string;
  readonly state?: AlarmStateValue;
  /** An action of the alarm starts with it. */
  readonly actionPrefix?: string;
}

/** DescribeAlarmHistory's selection. */
export interface HistoryFilter {
  readonly alarmName?: string;
  readonly type?: HistoryItemType;
  /** `[from, to]`, inclusive. */
  readonly from?: Date;
  readonly to?: Date;
  readonly ascending: boolean;
}

/** What one evaluation of an alarm changed. */
export interface AlarmEvaluationRecord {
  /** The alarm as evaluated: written only while it is still this version. */
  readonly alarm: MetricAlarm;
  /** The new state, or null when it stays. */
  readonly state: AlarmState | null;
  /** The new record of the last action run, or undefined when no action ran. */
  readonly lastAction?: AlarmActionRecord;
  readonly history: readonly AlarmHistoryItem[];
  /** The group after the policies the alarm ran (its version one above the stored one), or null. */
  readonly group: OwnedGroup | null;
  /** One per change of capacity. */
  readonly activities: readonly OwnedActivity[];
  /** The writer's lease on the shard that evaluates the alarm. */
  readonly fence: WriteFence;
}

/** What {@link AlarmStore.recordEvaluation} did. */
export type EvaluationOutcome = "recorded" | "conflict" | "lost-shard";

/** Alarms and their history. */
export interface AlarmStore {
  /** Runs `fn` in one transaction over the user's alarms. */
  write<T>(userId: string, fn: (tx: AlarmTx) => Promise<T>): Promise<T>;
  /** The user's alarms, ordered by name; `page.after` is the last name seen. */
  list(userId: string, filter: AlarmFilter, page: Page): Promise<PageOf<MetricAlarm>>;
  /** The user's alarms on one metric (namespace and name; the caller filters further). */
  forMetric(userId: string, namespace: string, metricName: string): Promise<MetricAlarm[]>;
  /** The user's history items, by time in the order asked. */
  history(userId: string, filter: HistoryFilter, page: Page): Promise<PageOf<AlarmHistoryItem>>;
  /** The user's alarms naming each action ARN among `arns` (`DescribePolicies`' `Alarms`). */
  naming(userId: string, arns: readonly string[]): Promise<Map<string, { readonly name: string; readonly arn: string }[]>>;
  /** Every user's alarms (the controller's input). */
  loadAll(): Promise<MetricAlarm[]>;
  /**
   * In one transaction: checks the fence, writes the alarm's new state and last action only if
   * it is still the version evaluated, the group at its version, the activity and the history.
   * @returns `recorded`; `conflict` when the alarm or the group changed meanwhile (nothing
   *   written: evaluate again next pass); `lost-shard` when the lease is no longer the writer's.
   */
  recordEvaluation(record: AlarmEvaluationRecord): Promise<EvaluationOutcome>;
  /** Forgets history items older than `before`. @returns how many. */
  pruneHistory(before: Date): Promise<number>;
}
