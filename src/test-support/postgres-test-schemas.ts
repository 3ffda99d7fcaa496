/**
 * PostgreSQL for the store's tests: the database from `PHANTOM_TEST_DATABASE_URL` (or a skip
 * reason), and a schema of its own for every store a test opens, all under one random prefix
 * per test file and all dropped when the file's tests end, whether they passed or not.
 */
import { after } from "node:test";
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The test database, the skip reason when there is none, and the schema maker. */
export interface PostgresTestSchemas {
  readonly url: string;
  readonly skip: string | undefined;
  /** The file's schema prefix (for names of the test's own making). */
  readonly prefix: string;
  /** A new schema name, dropped after the file's tests. */
  newSchema(): string;
}

/** Call once per test file, at its top level. */
export function postgresTestSchemas(what: string): PostgresTestSchemas {
  const url = process.env.PHANTOM_TEST_DATABASE_URL ?? "";
  const skip = url === "" ? "PHANTOM_TEST_DATABASE_URL is not set" : undefined;
  if (skip !== undefined) console.log(`# PostgreSQL ${what} skipped: ${skip}`);
  const prefix = `phantom_test_${randomBytes(4).toString("hex")}`;
  const schemas: string[] = [];
  after(async () => {
    if (schemas.length === 0) return;
    const pool = new pg.Pool({ connectionString: url });
    try {
      // One at a time: one statement dropping them all can outgrow the lock table.
      for (const schema of schemas) await pool.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await pool.end();
    }
  });
  return {
    url,
    skip,
    prefix,
    newSchema() {
      const schema = `${prefix}_${schemas.length + 1}`;
      schemas.push(schema);
      return schema;
    },
  };
}
