/**
 * The store's migrations, run by Kysely's `Migrator` from this static list (no file scanning,
 * so the compiled `dist/` needs nothing beside the code).
 */
import { Migrator, type Kysely, type Migration } from "kysely";
import type { Database } from "../schema.js";
import { errorText } from "../db-errors.js";
import * as initial from "./0001-initial.js";
import * as controller from "./0002-controller.js";
import * as scaling from "./0003-scaling.js";

/** Every migration, applied in the order of the names: give a new one the next number. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_controller": controller,
  "0003_scaling": scaling,
};

/**
 * Applies the pending migrations. Safe when several replicas start at once: on PostgreSQL the
 * migrator takes an advisory lock, then reads which migrations ran and applies the rest in one
 * transaction, so the second replica waits and then finds nothing to do. The bookkeeping tables
 * are created before the lock, but each creation tolerates losing a race.
 *
 * @param schema the PostgreSQL schema of the tables. Kysely's check "does the migration table
 *   exist" looks in every schema of the database unless it is told which one, and would then
 *   skip creating it in a new schema when another schema already has one.
 * @throws Error naming the migration that failed.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: "phantom_migrations",
    migrationLockTableName: "phantom_migrations_lock",
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const what = failed === undefined ? "cannot migrate the database" : `migration ${failed} failed`;
    throw new Error(`${what}: ${errorText(error)}`, { cause: error });
  }
}
