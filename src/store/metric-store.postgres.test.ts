import { after } from "node:test";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openStore } from "./open-store.js";
import { metricStoreCases } from "./metric-store.cases.js";

const url = process.env.PHANTOM_TEST_DATABASE_URL ?? "";
const skip = url === "" ? "PHANTOM_TEST_DATABASE_URL is not set" : undefined;
if (skip !== undefined) console.log(`# PostgreSQL metric store tests skipped: ${skip}`);

// Every test gets a schema of its own under this file's random prefix; all are dropped at the
// end, whether the tests passed or not.
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

metricStoreCases({
  name: "PostgreSQL",
  skip,
  concurrentWriters: true,
  fresh: async (options) => {
    const schema = `${prefix}_m${schemas.length + 1}`;
    schemas.push(schema);
    const open = () => openStore(url, { ...options, schema });
    return { store: await open(), reopen: open };
  },
});
