/**
 * The store's migrations, run by Kysely's `Migrator` from this static list (no file scanning,
 * so the compiled `dist/` needs nothing beside the code).
 */
import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration, type TableMetadata } from "kysely";
import type { Database } from "../schema.js";
import { errorText } from "../db-errors.js";
import * as initial from "./0001-initial.js";
import * as controller from "./0002-controller.js";
import * as scaling from "./0003-scaling.js";
import * as shards from "./0004-shards.js";
import * as awsScripts from "./0005-aws-scripts.js";
import * as metricAlarms from "./0009-metric-alarms.js";

/** Every migration, applied in the order of the names: give a new one the next number. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_controller": controller,
  "0003_scaling": scaling,
  "0004_shards": shards,
  "0005_aws_scripts": awsScripts,
  "0009_metric_alarms": metricAlarms,
};

/**
 * Applies the pending migrations. Safe when several replicas start at once: on PostgreSQL the
 * migrator takes an advisory lock, then reads which migrations ran and applies the rest in one
 * transaction, so the second replica waits and then finds nothing to do. The bookkeeping tables
 * are created before the lock, but each creation tolerates losing a race.
 *
 * @param schema the PostgreSQL schema of the tables. Kysely's check "does the migration table
 *   exist" looks in every schema of the database unless it is told which one, and would then
 *   skip creating it in a new schema when another schema already has one. Even when told, it
 *   introspects every table of the database, which fails when another schema is dropped at
 *   that moment (`schema … does not exist`); so it is given an introspector that lists this
 *   schema's tables only.
 * @throws Error naming the migration that failed.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db: schema === undefined ? db : withScopedIntrospection(db, schema),
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: "phantom_migrations",
    migrationLockTableName: "phantom_migrations_lock",
    // Work merged from parallel branches can add a migration that sorts before one already
    // applied; it is applied then, once, rather than refused.
    allowUnorderedMigrations: true,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const what = failed === undefined ? "cannot migrate the database" : `migration ${failed} failed`;
    throw new Error(`${what}: ${errorText(error)}`, { cause: error });
  }
}

/**
 * `db` whose `introspection` sees only the tables of `schema` (names and schema; Kysely's
 * migrator needs no more). Every other member is `db`'s own, bound to it.
 */
function withScopedIntrospection(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspection: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    async getTables(): Promise<TableMetadata[]> {
      const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
      return rows.map((r) => ({ name: r.name, schema, isView: false, columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspection;
      const value: unknown = Reflect.get(target, property, target);
      // Kysely's methods use private fields: call them on the real instance.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
