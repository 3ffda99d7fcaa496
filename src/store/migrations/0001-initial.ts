/**
 * The first schema: users, credentials, launch configurations, groups with their tags and
 * launch configuration references, instances and activities. See `../schema.ts`.
 */
import type { Kysely } from "kysely";
import { sortedText } from "./column-types.js";

/** Creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sorted = sortedText(db);
  // Every primary key column is declared NOT NULL: SQLite otherwise lets a text key be NULL.
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.notNull().primaryKey())
    .addColumn("name", sorted, (c) => c.notNull())
    .addColumn("access_key_id", "text", (c) => c.notNull())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("generation", "bigint", (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint("users_name_unique", ["name"])
    .addUniqueConstraint("users_access_key_id_unique", ["access_key_id"])
    .execute();

  await db.schema
    .createTable("cloud_credentials")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("site", "text", (c) => c.notNull())
    .addColumn("access_key_id", "text", (c) => c.notNull())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("key_name", "text")
    .addPrimaryKeyConstraint("cloud_credentials_pk", ["user_id", "site"])
    .addForeignKeyConstraint("cloud_credentials_user_fk", ["user_id"], "users", ["id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();

  await db.schema
    .createTable("launch_configurations")
    .addColumn("id", "text", (c) => c.notNull().primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("name", sorted, (c) => c.notNull())
    .addColumn("base_name", "text", (c) => c.notNull())
    .addColumn("site", "text", (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("spec", "text", (c) => c.notNull())
    .addUniqueConstraint("launch_configurations_user_name_unique", ["user_id", "name"])
    .addForeignKeyConstraint("launch_configurations_user_fk", ["user_id"], "users", ["id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();
  await db.schema
    .createIndex("launch_configurations_user_base")
    .on("launch_configurations")
    .columns(["user_id", "base_name"])
    .execute();

  await db.schema
    .createTable("groups")
    .addColumn("id", "text", (c) => c.notNull().primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("name", sorted, (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("launch_configuration_name", "text", (c) => c.notNull())
    .addColumn("launch_configuration_base", "text", (c) => c.notNull())
    .addColumn("min_size", "integer", (c) => c.notNull())
    .addColumn("max_size", "integer", (c) => c.notNull())
    .addColumn("desired_capacity", "integer", (c) => c.notNull())
    .addColumn("default_cooldown", "integer", (c) => c.notNull())
    .addColumn("health_check_type", "text", (c) => c.notNull())
    .addColumn("health_check_grace_period", "integer", (c) => c.notNull())
    .addColumn("definition", "text")
    .addColumn("clouds", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("extra", "text", (c) => c.notNull())
    .addUniqueConstraint("groups_user_name_unique", ["user_id", "name"])
    // The target of instances' (user_id, group_id) key: an instance cannot land in another
    // user's group even through a bug.
    .addUniqueConstraint("groups_user_id_unique", ["user_id", "id"])
    // No cascade: removing a user who still owns groups must fail (their VMs would leak).
    .addForeignKeyConstraint("groups_user_fk", ["user_id"], "users", ["id"])
    .execute();

  await db.schema
    .createTable("group_tags")
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("key", sorted, (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("propagate_at_launch", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("group_tags_pk", ["group_id", "key"])
    .addForeignKeyConstraint("group_tags_group_fk", ["group_id"], "groups", ["id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();
  await db.schema.createIndex("group_tags_key_value").on("group_tags").columns(["key", "value"]).execute();

  await db.schema
    .createTable("group_launch_configurations")
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("launch_configuration_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("group_launch_configurations_pk", ["group_id", "launch_configuration_id"])
    .addForeignKeyConstraint("group_launch_configurations_group_fk", ["group_id"], "groups", ["id"], (fk) =>
      fk.onDelete("cascade"),
    )
    // RESTRICT (checked at once, unlike NO ACTION's end-of-statement check) is what turns
    // deleting a configuration in use into ResourceInUseError.
    .addForeignKeyConstraint(
      "group_launch_configurations_lc_fk",
      ["launch_configuration_id"],
      "launch_configurations",
      ["id"],
      (fk) => fk.onDelete("restrict"),
    )
    .execute();
  // Deleting a launch configuration looks up its references by this column.
  await db.schema
    .createIndex("group_launch_configurations_lc")
    .on("group_launch_configurations")
    .column("launch_configuration_id")
    .execute();

  await db.schema
    .createTable("instances")
    .addColumn("id", sorted, (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("site", "text", (c) => c.notNull())
    .addColumn("launch_configuration_name", "text", (c) => c.notNull())
    .addColumn("instance_type", "text", (c) => c.notNull())
    .addColumn("lifecycle_state", "text", (c) => c.notNull())
    .addColumn("health_status", "text", (c) => c.notNull())
    .addColumn("protected_from_scale_in", "integer", (c) => c.notNull())
    .addColumn("launched_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("instances_pk", ["user_id", "id"])
    .addForeignKeyConstraint("instances_group_fk", ["user_id", "group_id"], "groups", ["user_id", "id"], (fk) =>
      fk.onDelete("cascade"),
    )
    .execute();
  // Serves instancesOfGroups and the cascade from groups, whose key is (user_id, group_id).
  await db.schema.createIndex("instances_user_group").on("instances").columns(["user_id", "group_id"]).execute();

  await db.schema
    .createTable("activities")
    .addColumn("id", sorted, (c) => c.notNull().primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    // No foreign key to groups: activities outlive their group.
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("group_name", "text", (c) => c.notNull())
    .addColumn("group_arn", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("cause", "text", (c) => c.notNull())
    .addColumn("start_time", "bigint", (c) => c.notNull())
    .addColumn("end_time", "bigint")
    .addColumn("status_code", "text", (c) => c.notNull())
    .addColumn("status_message", "text")
    .addColumn("progress", "integer", (c) => c.notNull())
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("group_deleted", "integer", (c) => c.notNull().defaultTo(0))
    .addForeignKeyConstraint("activities_user_fk", ["user_id"], "users", ["id"], (fk) => fk.onDelete("cascade"))
    .execute();
  // The two listing orders: all of a user's activities, and those of one group name.
  await db.schema.createIndex("activities_user_time").on("activities").columns(["user_id", "start_time", "id"]).execute();
  await db.schema
    .createIndex("activities_user_group_time")
    .on("activities")
    .columns(["user_id", "group_name", "start_time", "id"])
    .execute();
}

/** Drops the tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "activities",
    "instances",
    "group_launch_configurations",
    "group_tags",
    "groups",
    "launch_configurations",
    "cloud_credentials",
    "users",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
