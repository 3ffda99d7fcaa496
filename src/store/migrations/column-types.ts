/**
 * Column types that differ between the two databases.
 */
import { sql, type ColumnDefinitionBuilder, type Expression, type Kysely } from "kysely";
import { PostgresAdapter } from "kysely";

/** Whether `db` runs on PostgreSQL (the other database is SQLite). */
export function isPostgres<DB>(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * The type of a text column that listings sort or page by. Both databases must order it by
 * byte order of the UTF-8 text: SQLite's default BINARY collation does; PostgreSQL's default
 * collation follows the locale (case-insensitive-ish, `_` ignored), so it needs `COLLATE "C"`,
 * which SQLite does not know.
 */
export function sortedText(db: Kysely<unknown>): "text" | Expression<unknown> {
  return isPostgres(db) ? sql`text collate "C"` : "text";
}

/**
 * An integer primary key that the database assigns in increasing order and never reuses:
 * SQLite's `integer primary key autoincrement` (without `autoincrement` SQLite may hand out the
 * value of a deleted last row again), PostgreSQL's `bigint generated always as identity` (a
 * sequence: values are increasing when taken, but transactions may commit out of that order).
 */
export function increasingKey(db: Kysely<unknown>): {
  type: "bigint" | "integer";
  build: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
} {
  return isPostgres(db)
    ? { type: "bigint", build: (c) => c.notNull().primaryKey().generatedAlwaysAsIdentity() }
    : { type: "integer", build: (c) => c.notNull().primaryKey().autoIncrement() };
}
