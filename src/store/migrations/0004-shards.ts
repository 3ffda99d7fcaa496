/**
 * Replicas sharing the controller: each group's shard key (see `core/shards.ts`), a lease per
 * shard with the epoch that fences its holder's writes, and a heartbeat per live replica. The
 * single controller lease of 0002 goes. See `../schema.ts`.
 */
import type { Kysely } from "kysely";
import { shardKey } from "../../core/shards.js";

/** Groups updated per statement when filling in their shard keys. */
const BACKFILL_CHUNK = 500;

/** Adds the column (filled in for existing groups) and the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("groups").addColumn("shard_key", "integer", (c) => c.notNull().defaultTo(0)).execute();
  const typed = db as unknown as Kysely<{ groups: { id: string; shard_key: number } }>;
  const ids = (await typed.selectFrom("groups").select("id").execute()).map((r) => r.id);
  for (let k = 0; k < ids.length; k += BACKFILL_CHUNK) {
    for (const id of ids.slice(k, k + BACKFILL_CHUNK)) {
      await typed.updateTable("groups").set({ shard_key: shardKey(id) }).where("id", "=", id).execute();
    }
  }

  await db.schema
    .createTable("controller_shards")
    .addColumn("shard", "integer", (c) => c.notNull().primaryKey())
    .addColumn("holder", "text")
    .addColumn("epoch", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("expires_at", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable("controller_replicas")
    .addColumn("holder", "text", (c) => c.notNull().primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.dropTable("controller_leases").execute();
}

/** Drops the tables and the column; brings back the single lease. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("controller_leases")
    .addColumn("name", "text", (c) => c.notNull().primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.dropTable("controller_replicas").execute();
  await db.schema.dropTable("controller_shards").execute();
  await db.schema.alterTable("groups").dropColumn("shard_key").execute();
}
