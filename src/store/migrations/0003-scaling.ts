/**
 * Scaling on metrics: when a group's capacity was last changed by a metric or a policy (the
 * start of its cooldown), metric series and their per-minute aggregates (CloudWatch's
 * `PutMetricData`), and groups' scaling policies. See `../schema.ts`.
 */
import type { Kysely } from "kysely";
import { increasingKey, sortedText } from "./column-types.js";

/** Adds the column and creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("groups").addColumn("scaled_at", "bigint").execute();

  const seriesKey = increasingKey(db);
  await db.schema
    .createTable("metric_series")
    .addColumn("id", seriesKey.type, seriesKey.build)
    .addColumn("user_id", "text", (c) => c.notNull())
    // namespace, name and the sorted dimensions as one JSON text: the identity of a series.
    .addColumn("series_key", sortedText(db), (c) => c.notNull())
    .addColumn("namespace", sortedText(db), (c) => c.notNull())
    .addColumn("metric_name", sortedText(db), (c) => c.notNull())
    .addColumn("dimensions", "text", (c) => c.notNull())
    .addColumn("last_put_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("metric_series_user_key_unique", ["user_id", "series_key"])
    .addForeignKeyConstraint("metric_series_user_fk", ["user_id"], "users", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();
  await db.schema.createIndex("metric_series_last_put").on("metric_series").column("last_put_at").execute();

  await db.schema
    .createTable("metric_points")
    .addColumn("series_id", "bigint", (c) => c.notNull())
    .addColumn("minute", "bigint", (c) => c.notNull())
    .addColumn("unit", "text")
    .addColumn("sample_count", "double precision", (c) => c.notNull())
    .addColumn("sum", "double precision", (c) => c.notNull())
    .addColumn("minimum", "double precision", (c) => c.notNull())
    .addColumn("maximum", "double precision", (c) => c.notNull())
    .addPrimaryKeyConstraint("metric_points_pk", ["series_id", "minute"])
    .addForeignKeyConstraint("metric_points_series_fk", ["series_id"], "metric_series", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();
  // Retention deletes by minute; the controller reads the last minutes of every series.
  await db.schema.createIndex("metric_points_minute").on("metric_points").column("minute").execute();

  await db.schema
    .createTable("scaling_policies")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("name", sortedText(db), (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("policy_type", "text", (c) => c.notNull())
    .addColumn("spec", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("scaling_policies_pk", ["group_id", "name"])
    .addForeignKeyConstraint("scaling_policies_group_fk", ["user_id", "group_id"], "groups", ["user_id", "id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();
  await db.schema.createIndex("scaling_policies_user").on("scaling_policies").columns(["user_id", "group_id"]).execute();
}

/** Drops what `up` made. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("scaling_policies").execute();
  await db.schema.dropTable("metric_points").execute();
  await db.schema.dropTable("metric_series").execute();
  await db.schema.alterTable("groups").dropColumn("scaled_at").execute();
}
