/**
 * What plain AWS scripts rely on: the name a launch configuration was created with (so a name
 * written without `@` is read back without it), groups' scheduled actions, and the record of
 * each occurrence a scheduled action ran (unique, so it runs once). See `../schema.ts`.
 */
import type { Kysely } from "kysely";
import { sortedText } from "./column-types.js";

/** Adds the column and creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Null: the stored name is the name shown.
  await db.schema.alterTable("launch_configurations").addColumn("shown_name", "text").execute();

  await db.schema
    .createTable("scheduled_actions")
    .addColumn("id", "text", (c) => c.notNull().primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("name", sortedText(db), (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    // JSON of the PutScheduledUpdateGroupAction members other than the names.
    .addColumn("spec", "text", (c) => c.notNull())
    // When it was last put: occurrences before it are not run.
    .addColumn("put_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("scheduled_actions_group_name_unique", ["group_id", "name"])
    .addForeignKeyConstraint("scheduled_actions_group_fk", ["user_id", "group_id"], "groups", ["user_id", "id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();
  await db.schema.createIndex("scheduled_actions_user").on("scheduled_actions").columns(["user_id", "group_id"]).execute();

  await db.schema
    .createTable("scheduled_action_runs")
    .addColumn("action_id", "text", (c) => c.notNull())
    // Epoch ms of the occurrence: the key that makes a second run of it fail.
    .addColumn("occurrence", "bigint", (c) => c.notNull())
    .addColumn("ran_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("scheduled_action_runs_pk", ["action_id", "occurrence"])
    .addForeignKeyConstraint("scheduled_action_runs_action_fk", ["action_id"], "scheduled_actions", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();
}

/** Drops what `up` made. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("scheduled_action_runs").execute();
  await db.schema.dropTable("scheduled_actions").execute();
  await db.schema.alterTable("launch_configurations").dropColumn("shown_name").execute();
}
