import { describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { AlreadyExistsError, LimitExceededError } from "../core/errors.js";
import { postgresTestSchemas } from "../test-support/postgres-test-schemas.js";
import { openStore } from "./open-store.js";
import { migrations } from "./migrations/index.js";
import { storeCases } from "./store-suite.test-support.js";
import type { Store } from "./store.js";

// Every test gets a schema of its own under this file's random prefix; all are dropped at the
// end, whether the tests passed or not.
const { url, skip, prefix, newSchema } = postgresTestSchemas("store tests");

storeCases({
  name: "PostgreSQL",
  skip,
  concurrentWriters: true,
  fresh: async (options) => {
    const schema = newSchema();
    const open = () => openStore(url, { ...options, schema });
    return { store: await open(), reopen: open };
  },
});

describe("PostgreSQL store across replicas", { skip }, () => {
  it("lets several stores migrate one new schema at once", async (t) => {
    const schema = newSchema();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(url, { schema })));
    t.after(() => Promise.all(stores.map((s) => s.close())));
    const pool = new pg.Pool({ connectionString: url });
    t.after(() => pool.end());
    const { rows } = await pool.query<{ name: string }>(`select name from ${schema}.phantom_migrations`);
    assert.deepEqual(rows.map((r) => r.name).sort(), Object.keys(migrations).sort());
  });

  it("migrates a new schema while another schema of the database is dropped", async (t) => {
    // Kysely's migrator introspects tables; across every schema, that fails when one vanishes
    // mid-query. Phantom scopes it to its own schema.
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    t.after(() => pool.end());
    const churn = `${prefix}_churn`;
    let stop = false;
    const churning = (async () => {
      while (!stop) {
        await pool.query(`create schema if not exists ${churn}`);
        await pool.query(`create table if not exists ${churn}.t (id serial primary key, v text)`);
        await pool.query(`drop schema ${churn} cascade`);
      }
    })();
    try {
      for (let round = 0; round < 8; round++) {
        const stores = await Promise.all([1, 2].map(() => openStore(url, { schema: newSchema() })));
        await Promise.all(stores.map((s) => s.close()));
      }
    } finally {
      stop = true;
      await churning;
    }
  });

  it("serializes writes of one user across two pools", async (t) => {
    const schema = newSchema();
    const a = await openStore(url, { schema });
    const b = await openStore(url, { schema });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.users.createUser({
      id: "u1",
      name: "alice",
      accessKeyId: "AK1",
      secretSealed: "s",
      accountId: "123456789012",
      createdAt: new Date(),
    });
    const insert = (store: Store, name: string) =>
      store.write("u1", (tx) =>
        tx.insertLaunchConfiguration({
          name: `${name}@s1`,
          baseName: name,
          site: "s1",
          arn: "arn",
          createdTime: new Date(),
          spec: { ImageId: "ami-1", InstanceType: "m1.small" },
        }),
      );
    const raced = await Promise.allSettled([insert(a, "web"), insert(b, "web")]);
    const failed = raced.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 1);
    assert.ok(failed[0]?.reason instanceof AlreadyExistsError);

    // Count-then-insert, as the API's limit checks do: the user row lock makes it exact.
    const limited = (store: Store, name: string) =>
      store.write("u1", async (tx) => {
        if ((await tx.countLaunchConfigurations()) >= 2) throw new LimitExceededError("limit reached");
        await tx.insertLaunchConfiguration({
          name: `${name}@s2`,
          baseName: name,
          site: "s2",
          arn: "arn",
          createdTime: new Date(),
          spec: { ImageId: "ami-1", InstanceType: "m1.small" },
        });
      });
    const results = await Promise.allSettled(["x1", "x2", "x3", "x4"].map((n, i) => limited(i % 2 ? a : b, n)));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    assert.equal(await b.reads("u1").countLaunchConfigurations(), 2);
  });
});
