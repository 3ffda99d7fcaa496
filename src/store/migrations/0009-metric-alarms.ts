/**
 * CloudWatch's metric alarms and their history (`PutMetricAlarm`, `DescribeAlarmHistory`). See
 * `../schema.ts`.
 */
import type { Kysely } from "kysely";
import { increasingKey, sortedText } from "./column-types.js";

/** Creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("metric_alarms")
    .addColumn("id", "text", (c) => c.notNull().primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("name", sortedText(db), (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    // JSON of what PutMetricAlarm set (metric, statistic, periods, threshold, actions, tags).
    .addColumn("spec", "text", (c) => c.notNull())
    .addColumn("actions_enabled", "integer", (c) => c.notNull())
    .addColumn("config_updated_at", "bigint", (c) => c.notNull())
    .addColumn("state_value", "text", (c) => c.notNull())
    .addColumn("state_reason", "text", (c) => c.notNull())
    .addColumn("state_reason_data", "text")
    .addColumn("state_updated_at", "bigint", (c) => c.notNull())
    // The group whose policies the actions run: the alarm is evaluated by that group's shard.
    .addColumn("group_id", "text")
    // JSON of the last run of the actions ({ at, state, from, to }); null before any.
    .addColumn("last_action", "text")
    .addColumn("version", "integer", (c) => c.notNull())
    .addUniqueConstraint("metric_alarms_user_name_unique", ["user_id", "name"])
    .addForeignKeyConstraint("metric_alarms_user_fk", ["user_id"], "users", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();

  const id = increasingKey(db);
  await db.schema
    .createTable("alarm_history")
    .addColumn("id", id.type, id.build)
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("alarm_name", sortedText(db), (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("item_type", "text", (c) => c.notNull())
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addForeignKeyConstraint("alarm_history_user_fk", ["user_id"], "users", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();
  await db.schema.createIndex("alarm_history_user_at").on("alarm_history").columns(["user_id", "at", "id"]).execute();
  await db.schema.createIndex("alarm_history_at").on("alarm_history").columns(["at"]).execute();
}

/** Drops what `up` made. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("alarm_history").execute();
  await db.schema.dropTable("metric_alarms").execute();
}
