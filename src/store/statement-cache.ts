/**
 * Prepared statements reused across queries on SQLite. Kysely prepares every statement anew,
 * which on this workload costs more than running it; better-sqlite3 statements can be run any
 * number of times, and Kysely's single SQLite connection runs one query at a time.
 */
import type { Database, Statement } from "better-sqlite3";
import type { SqliteDatabase } from "kysely";

/**
 * Longer statements are prepared anew each time: they are the controller's multi-row batches,
 * whose text changes with their row count and runs to hundreds of kilobytes, so caching them
 * would hold memory for statements seldom run twice.
 */
const MAX_CACHED_LENGTH = 10_000;

/** A better-sqlite3 database whose `prepare` returns cached statements (at most `max`, LRU). */
export function withStatementCache(database: Database, max = 512): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    prepare(sql: string) {
      if (sql.length > MAX_CACHED_LENGTH) return database.prepare(sql);
      let statement = statements.get(sql);
      if (statement !== undefined) {
        // Re-insert to keep the map in least-recently-used order.
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= max) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}
