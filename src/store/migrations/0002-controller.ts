/**
 * The controller's tables: row versions on groups and instances, what the controller tracks
 * per VM, launch intents, per-site backoffs, the controller lease, deployment metadata and the
 * change log through which the controller learns of API writes. See `../schema.ts`.
 */
import type { Kysely } from "kysely";
import { increasingKey } from "./column-types.js";

/** The columns added to `instances`: name, type, and the default of a NOT NULL column. */
const INSTANCE_COLUMNS = [
  ["version", "integer", 0],
  ["launch_token", "text", ""],
  ["cloud_state", "text", null],
  ["last_seen_at", "bigint", null],
  ["missing_since", "bigint", null],
  ["in_service_at", "bigint", null],
  ["health_reason", "text", null],
  ["termination_reason", "text", null],
  ["terminate_requested_at", "bigint", null],
] as const;

/** Adds the columns and creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // SQLite's ALTER TABLE adds one column per statement.
  await db.schema.alterTable("groups").addColumn("version", "integer", (c) => c.notNull().defaultTo(0)).execute();
  for (const [name, type, notNullDefault] of INSTANCE_COLUMNS) {
    await db.schema
      .alterTable("instances")
      .addColumn(name, type, (c) => (notNullDefault === null ? c : c.notNull().defaultTo(notNullDefault)))
      .execute();
  }

  await db.schema
    .createTable("launch_intents")
    .addColumn("token", "text", (c) => c.notNull().primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("site", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("cause", "text", (c) => c.notNull())
    // No cascade: a group whose launch is unfinished must not vanish, or the VMs that launch
    // brings would have no group (the API checks first; this is the backstop).
    .addForeignKeyConstraint("launch_intents_group_fk", ["user_id", "group_id"], "groups", ["user_id", "id"])
    .execute();
  // Serves pendingLaunches and the foreign key check when a group is deleted.
  await db.schema.createIndex("launch_intents_user_group").on("launch_intents").columns(["user_id", "group_id"]).execute();

  await db.schema
    .createTable("site_backoffs")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("site", "text", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("until", "bigint", (c) => c.notNull())
    .addColumn("last_error", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("site_backoffs_pk", ["user_id", "site"])
    .addForeignKeyConstraint("site_backoffs_user_fk", ["user_id"], "users", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();

  await db.schema
    .createTable("controller_leases")
    .addColumn("name", "text", (c) => c.notNull().primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("meta")
    .addColumn("key", "text", (c) => c.notNull().primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();

  const seq = increasingKey(db);
  await db.schema
    .createTable("group_changes")
    .addColumn("seq", seq.type, seq.build)
    // No foreign keys: the change of a deleted group must outlive it.
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .execute();
}

/** Drops the tables and columns. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["group_changes", "meta", "controller_leases", "site_backoffs", "launch_intents"]) {
    await db.schema.dropTable(table).execute();
  }
  for (const [column] of INSTANCE_COLUMNS) await db.schema.alterTable("instances").dropColumn(column).execute();
  await db.schema.alterTable("groups").dropColumn("version").execute();
}
