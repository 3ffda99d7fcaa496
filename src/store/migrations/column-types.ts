/**
 * Column types that differ between the two databases.
 */
import { sql, type Expression, type Kysely } from "kysely";
import { PostgresAdapter } from "kysely";

/**
 * The type of a text column that listings sort or page by. Both databases must order it by
 * byte order of the UTF-8 text: SQLite's default BINARY collation does; PostgreSQL's default
 * collation follows the locale (case-insensitive-ish, `_` ignored), so it needs `COLLATE "C"`,
 * which SQLite does not know.
 */
export function sortedText(db: Kysely<unknown>): "text" | Expression<unknown> {
  return db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : "text";
}
