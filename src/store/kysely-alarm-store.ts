/**
 * {@link AlarmStore} on Kysely, for SQLite and PostgreSQL. Every write begins by bumping the
 * user's generation (the store's lock order, `kysely-store.ts`), so one user's alarm writes
 * take turns and the alarm limit holds under concurrent puts.
 */
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import type { AlarmActionRecord, AlarmHistoryItem, AlarmSpec, AlarmStateValue, HistoryItemType, MetricAlarm } from "../core/metric-alarms.js";
import { actionsOf, specOf } from "../core/metric-alarms.js";
import type { AlarmEvaluationRecord, AlarmFilter, AlarmStore, AlarmTx, EvaluationOutcome, HistoryFilter } from "./alarm-store.js";
import { lostLeases, putGroup } from "./kysely-controller-store.js";
import { bumpGeneration, outcomeOf, RolledBack } from "./kysely-scheduled-action-store.js";
import { checkedLimit, decodeKey, EMPTY_PAGE, hasEmptyList, pageOf } from "./kysely-store.js";
import { isPostgres } from "./migrations/column-types.js";
import { activityColumns } from "./rows.js";
import type { AlarmHistoryTable, Database, MetricAlarmsTable } from "./schema.js";
import type { Page, PageOf } from "./store.js";

/** `last_action` as stored: times as epoch ms. */
interface ActionJson {
  at: number;
  state: AlarmActionRecord["state"];
  change: { at: number; from: number; to: number } | null;
}

function actionJson(a: AlarmActionRecord): string {
  const json: ActionJson = { at: a.at.getTime(), state: a.state, change: a.change === null ? null : { ...a.change, at: a.change.at.getTime() } };
  return JSON.stringify(json);
}

/** `spec` as stored: the spec without `actionsEnabled` (a column of its own). */
type SpecJson = Omit<AlarmSpec, "actionsEnabled">;

function toAlarm(row: Selectable<MetricAlarmsTable>): MetricAlarm {
  const spec = JSON.parse(row.spec) as SpecJson;
  const last = row.last_action === null ? null : (JSON.parse(row.last_action) as ActionJson);
  return {
    ...spec,
    actionsEnabled: row.actions_enabled === 1,
    id: row.id,
    userId: row.user_id,
    name: row.name,
    arn: row.arn,
    configurationUpdatedAt: new Date(Number(row.config_updated_at)),
    state: {
      value: row.state_value as AlarmStateValue,
      reason: row.state_reason,
      reasonData: row.state_reason_data,
      updatedAt: new Date(Number(row.state_updated_at)),
    },
    groupId: row.group_id,
    lastAction:
      last === null
        ? null
        : { at: new Date(last.at), state: last.state, change: last.change === null ? null : { ...last.change, at: new Date(last.change.at) } },
    version: Number(row.version),
  };
}

function specJson(spec: AlarmSpec): string {
  const { actionsEnabled: _enabled, ...rest } = specOf(spec);
  return JSON.stringify(rest satisfies SpecJson);
}

function toItem(row: Selectable<AlarmHistoryTable>): AlarmHistoryItem {
  return { alarmName: row.alarm_name, at: new Date(Number(row.at)), type: row.item_type as HistoryItemType, summary: row.summary, data: row.data };
}

function historyRows(userId: string, items: readonly AlarmHistoryItem[]) {
  return items.map((i) => ({ user_id: userId, alarm_name: i.alarmName, at: i.at.getTime(), item_type: i.type, summary: i.summary, data: i.data }));
}

/** Creates the store over a migrated database. */
export function createKyselyAlarmStore(db: Kysely<Database>): AlarmStore {
  return new KyselyAlarmStore(db);
}

class KyselyAlarmStore implements AlarmStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = isPostgres(db);
  }

  async write<T>(userId: string, fn: (tx: AlarmTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await bumpGeneration(trx, userId);
      const alarms = () => trx.selectFrom("metric_alarms").where("user_id", "=", userId);
      const tx: AlarmTx = {
        async get(name) {
          const row = await alarms().selectAll().where("name", "=", name).executeTakeFirst();
          return row === undefined ? null : toAlarm(row);
        },
        async count() {
          const row = await alarms()
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow();
          return Number(row.n);
        },
        async all() {
          return (await alarms().selectAll().orderBy("name").execute()).map(toAlarm);
        },
        async put(alarm, now, initial) {
          await trx
            .insertInto("metric_alarms")
            .values({
              id: randomUUID(),
              user_id: userId,
              name: alarm.name,
              arn: alarm.arn,
              spec: specJson(alarm.spec),
              actions_enabled: alarm.spec.actionsEnabled ? 1 : 0,
              config_updated_at: now.getTime(),
              state_value: initial.value,
              state_reason: initial.reason,
              state_reason_data: initial.reasonData,
              state_updated_at: initial.updatedAt.getTime(),
              group_id: alarm.groupId,
              last_action: null,
              version: 1,
            })
            .onConflict((oc) =>
              oc.columns(["user_id", "name"]).doUpdateSet((eb) => ({
                spec: eb.ref("excluded.spec"),
                actions_enabled: eb.ref("excluded.actions_enabled"),
                config_updated_at: eb.ref("excluded.config_updated_at"),
                group_id: eb.ref("excluded.group_id"),
                version: eb("metric_alarms.version", "+", 1),
              })),
            )
            .execute();
        },
        async delete(names) {
          if (names.length === 0) return [];
          const rows = await trx.deleteFrom("metric_alarms").where("user_id", "=", userId).where("name", "in", names).returning("name").execute();
          return rows.map((r) => r.name);
        },
        async setState(name, state) {
          await trx
            .updateTable("metric_alarms")
            .set((eb) => ({
              state_value: state.value,
              state_reason: state.reason,
              state_reason_data: state.reasonData,
              state_updated_at: state.updatedAt.getTime(),
              version: eb("version", "+", 1),
            }))
            .where("user_id", "=", userId)
            .where("name", "=", name)
            .execute();
        },
        async setActionsEnabled(names, enabled) {
          if (names.length === 0) return [];
          const rows = await trx
            .updateTable("metric_alarms")
            .set((eb) => ({ actions_enabled: enabled ? 1 : 0, version: eb("version", "+", 1) }))
            .where("user_id", "=", userId)
            .where("name", "in", names)
            .returning("name")
            .execute();
          return rows.map((r) => r.name);
        },
        async addHistory(items) {
          if (items.length > 0) await trx.insertInto("alarm_history").values(historyRows(userId, items)).execute();
        },
      };
      return fn(tx);
    });
  }

  async list(userId: string, filter: AlarmFilter, page: Page): Promise<PageOf<MetricAlarm>> {
    const limit = checkedLimit(page);
    if (hasEmptyList(filter.names)) return EMPTY_PAGE;
    let select = this.db.selectFrom("metric_alarms").selectAll().where("user_id", "=", userId);
    if (filter.names !== undefined) select = select.where("name", "in", filter.names);
    if (filter.prefix !== undefined) select = select.where(sql<string>`substr(name, 1, ${filter.prefix.length})`, "=", filter.prefix);
    if (filter.state !== undefined) select = select.where("state_value", "=", filter.state);
    if (page.after !== undefined) select = select.where("name", ">", decodeKey(page.after, ["string"])[0]);
    select = select.orderBy("name");
    const prefix = filter.actionPrefix;
    // Actions live in the spec's JSON: that filter is applied here, over the rows after the key.
    const rows = prefix === undefined ? await select.limit(limit + 1).execute() : await select.execute();
    let alarms = rows.map(toAlarm);
    if (prefix !== undefined) alarms = alarms.filter((a) => actionsOf(a).some((arn) => arn.startsWith(prefix))).slice(0, limit + 1);
    return pageOf(alarms, limit, (a) => JSON.stringify([a.name]));
  }

  async forMetric(userId: string, namespace: string, metricName: string): Promise<MetricAlarm[]> {
    const rows = await this.db.selectFrom("metric_alarms").selectAll().where("user_id", "=", userId).orderBy("name").execute();
    return rows.map(toAlarm).filter((a) => a.namespace === namespace && a.metricName === metricName);
  }

  async history(userId: string, filter: HistoryFilter, page: Page): Promise<PageOf<AlarmHistoryItem>> {
    const limit = checkedLimit(page);
    let select = this.db.selectFrom("alarm_history").selectAll().where("user_id", "=", userId);
    if (filter.alarmName !== undefined) select = select.where("alarm_name", "=", filter.alarmName);
    if (filter.type !== undefined) select = select.where("item_type", "=", filter.type);
    if (filter.from !== undefined) select = select.where("at", ">=", filter.from.getTime());
    if (filter.to !== undefined) select = select.where("at", "<=", filter.to.getTime());
    const direction = filter.ascending ? "asc" : "desc";
    if (page.after !== undefined) {
      const [at, id] = decodeKey(page.after, ["number", "number"]);
      select = select.where(({ eb, refTuple, tuple }) => eb(refTuple("at", "id"), filter.ascending ? ">" : "<", tuple(at, id)));
    }
    const rows = await select.orderBy("at", direction).orderBy("id", direction).limit(limit + 1).execute();
    const keyed = pageOf(rows, limit, (r) => JSON.stringify([Number(r.at), Number(r.id)]));
    return { items: keyed.items.map(toItem), next: keyed.next };
  }

  async naming(userId: string, arns: readonly string[]): Promise<Map<string, { name: string; arn: string }[]>> {
    const out = new Map<string, { name: string; arn: string }[]>(arns.map((a) => [a, []]));
    if (arns.length === 0) return out;
    const rows = await this.db.selectFrom("metric_alarms").selectAll().where("user_id", "=", userId).orderBy("name").execute();
    for (const alarm of rows.map(toAlarm)) {
      for (const action of actionsOf(alarm)) out.get(action)?.push({ name: alarm.name, arn: alarm.arn });
    }
    return out;
  }

  async loadAll(): Promise<MetricAlarm[]> {
    return (await this.db.selectFrom("metric_alarms").selectAll().execute()).map(toAlarm);
  }

  async recordEvaluation(record: AlarmEvaluationRecord): Promise<EvaluationOutcome> {
    const { alarm, state, lastAction } = record;
    return outcomeOf<EvaluationOutcome>(() =>
      this.db.transaction().execute(async (trx) => {
        await bumpGeneration(trx, alarm.userId);
        if ((await lostLeases(trx, record.fence, this.postgres)).length > 0) throw new RolledBack<EvaluationOutcome>("lost-shard");
        const updated = await trx
          .updateTable("metric_alarms")
          .set({
            ...(state === null
              ? {}
              : {
                  state_value: state.value,
                  state_reason: state.reason,
                  state_reason_data: state.reasonData,
                  state_updated_at: state.updatedAt.getTime(),
                }),
            ...(lastAction === undefined ? {} : { last_action: actionJson(lastAction) }),
            version: alarm.version + 1,
          })
          .where("id", "=", alarm.id)
          .where("version", "=", alarm.version)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) throw new RolledBack<EvaluationOutcome>("conflict");
        if (record.group !== null && !(await putGroup(trx, record.group))) throw new RolledBack<EvaluationOutcome>("conflict");
        if (record.activities.length > 0) await trx.insertInto("activities").values(record.activities.map((a) => activityColumns(a.userId, a))).execute();
        if (record.history.length > 0) await trx.insertInto("alarm_history").values(historyRows(alarm.userId, record.history)).execute();
        return "recorded" as const;
      }),
    );
  }

  async pruneHistory(before: Date): Promise<number> {
    const result = await this.db.deleteFrom("alarm_history").where("at", "<", before.getTime()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
