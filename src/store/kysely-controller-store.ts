/**
 * The one implementation of {@link ControllerStore}, on Kysely, for SQLite and PostgreSQL.
 *
 * Reading everything fast: a snapshot holds every VM (100,000 rows at 10,000 groups), and a
 * driver that turns each row into an object pays per column value. So the database builds JSON
 * (`json_group_array` / `json_agg`): one document of all groups, and per group one of its tags
 * and one of its VMs, which JS parses several times faster than the driver fetches rows. Tags
 * and VMs are read apart from groups and attached in JS, so no join repeats a group's columns.
 *
 * Writing in batches: every field of a batch is a few multi-row statements (`batch-sql.ts`,
 * chunked below the databases' parameter limits); versioned rows are updated by one
 * `UPDATE … FROM (VALUES …)` whose `RETURNING` tells which rows matched their version.
 *
 * Locks: a batch first bumps the generation of its users, in id order. The API's writes begin
 * by bumping their user's generation too, so on PostgreSQL a batch and an API write of the
 * same user take that user's row lock first and run one after the other, never deadlocking on
 * the rows they then touch (and the batch's checks, such as "does this group still exist",
 * cannot be overtaken by the API).
 *
 * The change log and commit order: see {@link KyselyControllerStore.changesSince}.
 */
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type RawBuilder, type Transaction } from "kysely";
import type {
  CloudVmState,
  GroupTag,
  HealthStatus,
  LifecycleState,
  ManagedInstance,
  OwnedGroup,
  PolicyType,
} from "../core/types.js";
import { fairShare, shardOf } from "../core/shards.js";
import type {
  ControllerChanges,
  ControllerSnapshot,
  ControllerStore,
  ControllerWriteResult,
  ControllerWrites,
  GroupWithInstances,
  LeaseRoundRequest,
  LeaseRoundResult,
  OwnedScalingPolicy,
  ShardLease,
  ShardScope,
  SiteHolding,
  WriteFence,
} from "./controller-store.js";
import type { ActivitiesTable, Database, GroupRow, InstancesTable } from "./schema.js";
import { isPostgres } from "./migrations/column-types.js";
import { BatchSql, chunked, type SqlType } from "./batch-sql.js";
import { GROUP_RECORD_COLUMNS, VM_VIEW_COLUMNS, activityColumns, groupColumns, managedInstanceColumns, toGroup, toPolicy, toSiteBackoff } from "./rows.js";

/** `meta` keys. */
const DEPLOYMENT_ID = "deployment_id";
const CHANGES_PRUNED_THROUGH = "group_changes_pruned_through";

/** How long the change log's lock may be held by a stalled reader before the server ends it. */
const CHANGE_LOCK_STALL_LIMIT_MS = 1_000;
/** Group ids per `in (…)` list when reading groups by id. */
const IDS_PER_QUERY = 1_000;
/**
 * How far behind the position a caller of `changesSince` gives the log keeps rows by default:
 * a second reader (a replica taking over) may lag this many changes behind the first and
 * still read on.
 */
export const DEFAULT_CHANGE_LOG_RETENTION = 10_000;

/** Columns read into {@link toGroup} (and the owner and version of an `OwnedGroup`). */
const GROUP_COLUMNS = [...GROUP_RECORD_COLUMNS, "version"] as const satisfies readonly (keyof GroupRow)[];

/**
 * The columns of a VM in its group's document, in the order {@link toManagedInstance} reads
 * them: the group and the user come from the group.
 */
const GROUPED_INSTANCE_COLUMNS = [
  ...VM_VIEW_COLUMNS,
  "version",
  "launch_token",
  "cloud_state",
  "last_seen_at",
  "missing_since",
  "in_service_at",
  "health_reason",
  "termination_reason",
  "terminate_requested_at",
] as const satisfies readonly (keyof InstancesTable)[];
const I = indexOf(GROUPED_INSTANCE_COLUMNS);

/** Every instance column. */
const INSTANCE_COLUMNS = ["user_id", "group_id", ...GROUPED_INSTANCE_COLUMNS] as const;

/** The SQL type of each instance column, for the typed `VALUES` of a batch update. */
const INSTANCE_TYPES: Readonly<Record<keyof InstancesTable, SqlType>> = {
  id: "text",
  user_id: "text",
  group_id: "text",
  site: "text",
  launch_configuration_name: "text",
  instance_type: "text",
  lifecycle_state: "text",
  health_status: "text",
  protected_from_scale_in: "integer",
  launched_at: "bigint",
  version: "integer",
  launch_token: "text",
  cloud_state: "text",
  last_seen_at: "bigint",
  missing_since: "bigint",
  in_service_at: "bigint",
  health_reason: "text",
  termination_reason: "text",
  terminate_requested_at: "bigint",
};

/** The columns of an inserted activity (`group_deleted` keeps its default). */
const ACTIVITY_COLUMNS = [
  "id",
  "user_id",
  "group_id",
  "group_name",
  "group_arn",
  "description",
  "cause",
  "start_time",
  "end_time",
  "status_code",
  "status_message",
  "progress",
  "details",
] as const satisfies readonly (keyof ActivitiesTable)[];

/** One row of a JSON document read by {@link jsonRows}: the columns' values in order. */
type JsonRow = readonly unknown[];
type Db = Kysely<Database>;

/** The controller's store over a migrated database (see `createKyselyStore`). */
export class KyselyControllerStore implements ControllerStore {
  readonly #db: Db;
  readonly #postgres: boolean;
  readonly #batch: BatchSql;
  readonly #retention: number;
  /** Pruning waits until this many more rows can go, so most calls delete nothing. */
  readonly #pruneStep: number;
  #deploymentId: string | null = null;
  /** Shard rows known to exist (0 up to this). */
  #shardRowsMade = 0;

  /** @param changeLogRetention see {@link DEFAULT_CHANGE_LOG_RETENTION}. */
  constructor(db: Db, changeLogRetention = DEFAULT_CHANGE_LOG_RETENTION) {
    if (!Number.isSafeInteger(changeLogRetention) || changeLogRetention < 1) {
      throw new RangeError(`the change log retention must be a positive integer, got ${changeLogRetention}`);
    }
    this.#db = db;
    this.#postgres = isPostgres(db);
    this.#batch = new BatchSql(this.#postgres);
    this.#retention = changeLogRetention;
    this.#pruneStep = Math.ceil(changeLogRetention / 10);
  }

  async deploymentId(): Promise<string> {
    if (this.#deploymentId !== null) return this.#deploymentId;
    // Whoever inserts first decides; everyone then reads the same row.
    await this.#db
      .insertInto("meta")
      .values({ key: DEPLOYMENT_ID, value: randomUUID() })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    const row = await this.#db.selectFrom("meta").select("value").where("key", "=", DEPLOYMENT_ID).executeTakeFirstOrThrow();
    this.#deploymentId = row.value;
    return row.value;
  }

  /**
   * Each step is one statement, atomic on its own, so no transaction holds row locks across
   * steps and two replicas' rounds cannot deadlock. A claim is one conditional UPDATE: when two
   * replicas race for a shard, PostgreSQL re-checks the loser's condition against the winner's
   * row, which no longer matches, so each shard ends with one holder and one epoch bump.
   */
  async leaseRound({ holder, shardCount, ttlMs, now, release }: LeaseRoundRequest): Promise<LeaseRoundResult> {
    if (this.#shardRowsMade < shardCount) {
      await this.#batch.insert(
        this.#db,
        "controller_shards",
        ["shard"],
        Array.from({ length: shardCount }, (_, shard) => [shard]),
        "on conflict (shard) do nothing",
      );
      this.#shardRowsMade = shardCount;
    }
    const at = this.#nowSql(now);
    const until = sql<number>`${at} + ${ttlMs}`;
    await this.#db
      .insertInto("controller_replicas")
      .values({ holder, expires_at: until })
      .onConflict((oc) => oc.column("holder").doUpdateSet({ expires_at: until }))
      .execute();
    await this.#db.deleteFrom("controller_replicas").where("expires_at", "<=", at).execute();
    if (release.length > 0) {
      await this.#db
        .updateTable("controller_shards")
        .set({ holder: null, expires_at: 0 })
        .where("holder", "=", holder)
        .where("shard", "in", release)
        .execute();
    }
    const renewed = await this.#db
      .updateTable("controller_shards")
      .set({ expires_at: until })
      .where("holder", "=", holder)
      .where("shard", "<", shardCount)
      .returning(["shard", "epoch"])
      .execute();
    const live = await this.#db
      .selectFrom("controller_replicas")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("expires_at", ">", at)
      .executeTakeFirstOrThrow();
    const liveReplicas = Math.max(1, Number(live.n));
    const wanted = fairShare(shardCount, liveReplicas) - renewed.length;
    let claimed: typeof renewed = [];
    if (wanted > 0) {
      const free = await this.#db
        .selectFrom("controller_shards")
        .select("shard")
        .where("shard", "<", shardCount)
        .where((eb) => eb.or([eb("holder", "is", null), eb("expires_at", "<=", at)]))
        .orderBy("shard")
        .limit(wanted)
        .execute();
      if (free.length > 0) {
        claimed = await this.#db
          .updateTable("controller_shards")
          .set((eb) => ({ holder, epoch: eb("epoch", "+", 1), expires_at: until }))
          .where(
            "shard",
            "in",
            free.map((r) => r.shard),
          )
          .where((eb) => eb.or([eb("holder", "is", null), eb("expires_at", "<=", at)]))
          .returning(["shard", "epoch"])
          .execute();
      }
    }
    const held = [...renewed, ...claimed].map((r) => ({ shard: r.shard, epoch: Number(r.epoch) })).sort((a, b) => a.shard - b.shard);
    return { held, liveReplicas };
  }

  async releaseShards(holder: string): Promise<void> {
    await this.#db.updateTable("controller_shards").set({ holder: null, expires_at: 0 }).where("holder", "=", holder).execute();
    await this.#db.deleteFrom("controller_replicas").where("holder", "=", holder).execute();
  }

  /** Epoch ms now: the database's clock on PostgreSQL, the host's (`now`) on SQLite. */
  #nowSql(now: Date): RawBuilder<number> {
    return nowSql(now, this.#postgres);
  }

  /** The leases of `fence` that are no longer the writer's; the rest are held until the commit. */
  #lostLeases(trx: Transaction<Database>, fence: WriteFence): Promise<number[]> {
    return lostLeases(trx, fence, this.#postgres);
  }

  async loadSnapshot(scope?: ShardScope): Promise<ControllerSnapshot> {
    // The position first: every change up to it is committed before the snapshot begins, so
    // the snapshot shows it; a change after it may show too and is merely read again.
    const { seq } = await this.#changeHorizon();
    return this.#readConsistently(async (trx) => {
      const groups = await loadGroups(trx, this.#postgres, scope ?? null);
      let intentQuery = trx.selectFrom("launch_intents").selectAll();
      if (scope !== undefined) {
        intentQuery = intentQuery.where(sql<boolean>`group_id in (select id from groups where ${inShards(scope)})`);
      }
      const intents = await intentQuery.execute();
      const backoffs = await trx.selectFrom("site_backoffs").selectAll().execute();
      return {
        groups,
        intents: intents.map((r) => ({
          token: r.token,
          userId: r.user_id,
          groupId: r.group_id,
          site: r.site,
          count: r.count,
          createdAt: new Date(r.created_at),
          cause: r.cause,
        })),
        backoffs: backoffs.map(toSiteBackoff),
        changeSeq: seq,
      };
    });
  }

  /**
   * The rows of `group_changes` after `changeSeq` up to a horizon below which no row can
   * still appear, and the current rows of their groups.
   *
   * Why a horizon: on PostgreSQL `seq` comes from a sequence, taken when a row is inserted,
   * while transactions commit in any order. A transaction holding seq 10 may commit after one
   * holding seq 11 was read; a reader that moved its position to 11 would never see 10. So
   * the reader first takes `LOCK TABLE group_changes IN EXCLUSIVE MODE` in a transaction of
   * its own. That mode conflicts with the ROW EXCLUSIVE lock every INSERT takes (when the
   * statement is parsed, before its seq is drawn) and holds to its commit: once granted, every
   * transaction that drew a seq has ended, so `max(seq)` read then is a horizon with every
   * row at or below it committed or gone for good. The lock is held only for that one read;
   * API writes that come meanwhile wait that long, and no lock is added to the API's writes.
   * On SQLite writes are serialized and commit in seq order, so `max(seq)` is the horizon.
   *
   * Pruning: rows more than the retention ({@link DEFAULT_CHANGE_LOG_RETENTION}) positions
   * behind the caller's position are deleted (the caller has read them), and the position
   * pruned through is kept in `meta`; a position older than that is refused rather than
   * answered with changes missing.
   *
   * @throws Error when `changeSeq` is older than the log keeps: load a new snapshot.
   */
  async changesSince(changeSeq: number, scope?: ShardScope): Promise<ControllerChanges> {
    const { seq: horizon, prunedThrough } = await this.#changeHorizon();
    if (changeSeq < prunedThrough) {
      throw new Error(
        `the change log no longer holds the changes after position ${changeSeq} (pruned through ${prunedThrough}); load a new snapshot`,
      );
    }
    if (horizon <= changeSeq) return { changeSeq, groups: [], goneGroupIds: [] };
    const changed = await this.#db
      .selectFrom("group_changes")
      .select("group_id")
      .distinct()
      .where("seq", ">", changeSeq)
      .where("seq", "<=", horizon)
      .execute();
    const held = scope === undefined ? null : new Set(scope.shards);
    const ids = changed.map((r) => r.group_id).filter((id) => held === null || held.has(shardOf(id, scope!.count)));
    const groups = await this.#readConsistently((trx) => loadGroups(trx, this.#postgres, ids));
    const present = new Set(groups.map((g) => g.group.id));
    await this.#prune(changeSeq - this.#retention, prunedThrough);
    return { changeSeq: horizon, groups, goneGroupIds: ids.filter((id) => !present.has(id)) };
  }

  async loadPolicies(types: readonly PolicyType[]): Promise<OwnedScalingPolicy[]> {
    if (types.length === 0) return [];
    const rows = await this.#db
      .selectFrom("scaling_policies as p")
      .innerJoin("groups as g", "g.id", "p.group_id")
      .select(["p.user_id", "p.group_id", "g.name as group_name", "p.name", "p.arn", "p.policy_type", "p.spec"])
      .where("p.policy_type", "in", types)
      .execute();
    return rows.map((r) => ({ ...toPolicy(r), userId: r.user_id }));
  }

  async vmsOutside(sites: readonly string[]): Promise<SiteHolding[]> {
    let vms = this.#db
      .selectFrom("instances")
      .innerJoin("groups", (j) => j.onRef("groups.user_id", "=", "instances.user_id").onRef("groups.id", "=", "instances.group_id"))
      .innerJoin("users", "users.id", "instances.user_id")
      .select((eb) => ["instances.site", "users.name as user_name", "groups.name as group_name", eb.fn.countAll().as("count")])
      .groupBy(["instances.site", "users.name", "groups.name"]);
    // An unfinished launch may have made VMs that only a listing of its site would find.
    let launches = this.#db
      .selectFrom("launch_intents")
      .innerJoin("groups", (j) => j.onRef("groups.user_id", "=", "launch_intents.user_id").onRef("groups.id", "=", "launch_intents.group_id"))
      .innerJoin("users", "users.id", "launch_intents.user_id")
      .select((eb) => ["launch_intents.site", "users.name as user_name", "groups.name as group_name", eb.fn.sum<number | string>("launch_intents.count").as("count")])
      .groupBy(["launch_intents.site", "users.name", "groups.name"]);
    if (sites.length > 0) {
      vms = vms.where("instances.site", "not in", [...sites]);
      launches = launches.where("launch_intents.site", "not in", [...sites]);
    }
    const holdings = new Map<string, { site: string; userName: string; groupName: string; count: number; launching: number }>();
    const holding = (r: { site: string; user_name: string; group_name: string }) => {
      const key = `${r.site}\0${r.user_name}\0${r.group_name}`;
      let h = holdings.get(key);
      if (h === undefined) holdings.set(key, (h = { site: r.site, userName: r.user_name, groupName: r.group_name, count: 0, launching: 0 }));
      return h;
    };
    // PostgreSQL returns count(*) and sum() as strings.
    for (const r of await vms.execute()) holding(r).count += Number(r.count);
    for (const r of await launches.execute()) holding(r).launching += Number(r.count);
    const order = (h: SiteHolding) => `${h.site}\0${h.userName}\0${h.groupName}`;
    return [...holdings.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }

  async loadGroups(groupIds: readonly string[]): Promise<GroupWithInstances[]> {
    if (groupIds.length === 0) return [];
    return this.#readConsistently((trx) => loadGroups(trx, this.#postgres, groupIds));
  }

  async apply(writes: ControllerWrites): Promise<ControllerWriteResult> {
    if (isEmpty(writes)) return { conflictedGroupIds: [], lostShards: [] };
    const refused = Symbol("lost shards");
    let lostShards: number[] = [];
    return this.#db.transaction().execute(async (trx) => {
      const conflicts = new Set<string>();
      // Shard rows first, then users' rows: the lock order explained at the top of this file.
      if (writes.fence !== undefined) {
        lostShards = await this.#lostLeases(trx, writes.fence);
        // Thrown to roll back; nothing else in the transaction has run.
        if (lostShards.length > 0) throw refused;
      }
      await this.#bumpGenerations(trx, usersOf(writes));
      const newInstances = (writes.putInstances ?? []).filter((i) => i.version === 0);
      const changedInstances = (writes.putInstances ?? []).filter((i) => i.version !== 0);
      const missing = await missingGroups(trx, [...(writes.insertIntents ?? []), ...newInstances]);
      for (const id of missing.groupIds) conflicts.add(id);

      const intents = (writes.insertIntents ?? []).filter((i) => !missing.has(i));
      await this.#batch.insert(
        trx,
        "launch_intents",
        ["token", "user_id", "group_id", "site", "count", "created_at", "cause"],
        intents.map((i) => [i.token, i.userId, i.groupId, i.site, i.count, i.createdAt.getTime(), i.cause]),
        // Recording an intent again (re-driven after a crash) changes nothing.
        "on conflict (token) do nothing",
      );
      for (const chunk of chunked(writes.deleteIntents ?? [], 1)) {
        await trx.deleteFrom("launch_intents").where("token", "in", chunk).execute();
      }

      await this.#insertInstances(trx, newInstances.filter((i) => !missing.has(i)), conflicts);
      await this.#updateInstances(trx, changedInstances, conflicts);
      for (const [userId, ids] of byUser(writes.deleteInstances ?? [], (i) => i.id)) {
        for (const chunk of chunked(ids, 1)) {
          await trx.deleteFrom("instances").where("user_id", "=", userId).where("id", "in", chunk).execute();
        }
      }

      await this.#batch.insert(
        trx,
        "activities",
        ACTIVITY_COLUMNS,
        (writes.insertActivities ?? []).map((a) => {
          const row = activityColumns(a.userId, a);
          return ACTIVITY_COLUMNS.map((c) => row[c] ?? null);
        }),
      );
      await this.#batch.update(trx, {
        table: "activities",
        columns: [
          ["user_id", "text"],
          ["id", "text"],
          ["end_time", "bigint"],
          ["status_code", "text"],
          ["status_message", "text"],
          ["progress", "integer"],
        ],
        rows: (writes.completeActivities ?? []).map((c) => [c.userId, c.id, c.endTime.getTime(), c.statusCode, c.statusMessage, c.progress]),
        keys: ["user_id", "id"],
        set: ["end_time", "status_code", "status_message", "progress"],
        condition: null,
      });

      // One statement must not upsert a row twice (PostgreSQL refuses): the last one given wins.
      const backoffs = [...new Map((writes.putBackoffs ?? []).map((b) => [`${b.userId}\n${b.site}`, b])).values()];
      await this.#batch.insert(
        trx,
        "site_backoffs",
        ["user_id", "site", "failures", "until", "last_error"],
        backoffs.map((b) => [b.userId, b.site, b.failures, b.until.getTime(), b.lastError]),
        `on conflict (user_id, site) do update set failures = excluded.failures, "until" = excluded."until", last_error = excluded.last_error`,
      );
      for (const [userId, sites] of byUser(writes.clearBackoffs ?? [], (b) => b.site)) {
        for (const chunk of chunked(sites, 1)) {
          await trx.deleteFrom("site_backoffs").where("user_id", "=", userId).where("site", "in", chunk).execute();
        }
      }

      for (const group of writes.putGroups ?? []) {
        if (!(await putGroup(trx, group))) conflicts.add(group.id);
      }
      for (const { userId, groupId } of writes.deleteGroups ?? []) {
        if (!(await deleteDrainedGroup(trx, userId, groupId))) conflicts.add(groupId);
      }
      return { conflictedGroupIds: [...conflicts], lostShards: [] };
    }).catch((e: unknown) => {
      if (e === refused) return { conflictedGroupIds: [], lostShards };
      throw e;
    });
  }

  /** Inserts new VMs; one whose id is taken already is a conflict of its group. */
  async #insertInstances(trx: Transaction<Database>, instances: readonly ManagedInstance[], conflicts: Set<string>): Promise<void> {
    const inserted = await this.#batch.insert<InstanceKey>(
      trx,
      "instances",
      INSTANCE_COLUMNS,
      instances.map((instance) => instanceValues(instance, INSTANCE_COLUMNS)),
      "on conflict (user_id, id) do nothing returning user_id, id",
    );
    noteUnmatched(instances, inserted, conflicts);
  }

  /** Updates VMs at the version before theirs; a VM whose stored version differs is a conflict. */
  async #updateInstances(trx: Transaction<Database>, instances: readonly ManagedInstance[], conflicts: Set<string>): Promise<void> {
    const updated = await this.#batch.update<InstanceKey>(trx, {
      table: "instances",
      columns: INSTANCE_COLUMNS.map((c) => [c, INSTANCE_TYPES[c]] as const),
      rows: instances.map((instance) => instanceValues(instance, INSTANCE_COLUMNS)),
      keys: ["user_id", "id"],
      // All but the key and the group: a VM never moves.
      set: GROUPED_INSTANCE_COLUMNS.filter((c) => c !== "id"),
      condition: `t.version = v_version - 1`,
    });
    noteUnmatched(instances, updated, conflicts);
  }

  /** See {@link changesSince}: the position below which no change can still appear. */
  async #changeHorizon(): Promise<{ seq: number; prunedThrough: number }> {
    const read = async (db: Db) => {
      const row = await db
        .selectNoFrom((eb) => [
          eb.selectFrom("group_changes").select((e) => e.fn.max("seq").as("seq")).as("seq"),
          eb.selectFrom("meta").select("value").where("key", "=", CHANGES_PRUNED_THROUGH).as("pruned"),
        ])
        .executeTakeFirstOrThrow();
      const prunedThrough = row.pruned === null ? 0 : Number(row.pruned);
      // After pruning the log keeps its last rows, but a position never goes back regardless.
      return { seq: Math.max(row.seq ?? 0, prunedThrough), prunedThrough };
    };
    if (!this.#postgres) return read(this.#db);
    return this.#db.transaction().execute(async (trx) => {
      // API writes wait for this lock: a replica paused while holding it must not stop them long.
      await sql`set local idle_in_transaction_session_timeout = ${sql.lit(CHANGE_LOCK_STALL_LIMIT_MS)}`.execute(trx);
      await sql`lock table group_changes in exclusive mode`.execute(trx);
      return read(trx);
    });
  }

  /** Deletes the log's rows up to `through`, once that frees a step's worth of positions. */
  async #prune(through: number, prunedThrough: number): Promise<void> {
    if (through < prunedThrough + this.#pruneStep) return;
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("group_changes").where("seq", "<=", through).execute();
      // Never backwards, should two readers prune at once.
      await trx
        .insertInto("meta")
        .values({ key: CHANGES_PRUNED_THROUGH, value: String(through) })
        .onConflict((oc) =>
          oc
            .column("key")
            .doUpdateSet({ value: String(through) })
            .where(sql<boolean>`cast(meta.value as bigint) < ${through}`),
        )
        .execute();
    });
  }

  /**
   * Runs `fn` in one read-only transaction that sees one snapshot: REPEATABLE READ on
   * PostgreSQL; on SQLite any transaction does (a deferred one, see `open-store.ts`).
   */
  #readConsistently<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().setIsolationLevel("repeatable read").setAccessMode("read only").execute(fn);
  }

  /**
   * Bumps the generation of each user once, locking their rows in id order on PostgreSQL
   * (an UPDATE locks in whatever order it scans; `SELECT … ORDER BY … FOR UPDATE` in order).
   */
  async #bumpGenerations(trx: Transaction<Database>, userIds: readonly string[]): Promise<void> {
    for (const chunk of chunked(userIds, 1)) {
      if (this.#postgres) {
        await trx.selectFrom("users").select("id").where("id", "in", chunk).orderBy("id").forUpdate().execute();
      }
      await trx
        .updateTable("users")
        .set((eb) => ({ generation: eb("generation", "+", 1) }))
        .where("id", "in", chunk)
        .execute();
    }
  }
}

/**
 * The groups (all, or those of `groupIds` that exist) with their tags and instances: three
 * reads per chunk of ids, joined in JS.
 */
async function loadGroups(db: Db, postgres: boolean, groups: readonly string[] | ShardScope | null): Promise<GroupWithInstances[]> {
  const result: GroupWithInstances[] = [];
  const chunks: (readonly string[] | ShardScope | null)[] = Array.isArray(groups) ? chunked(groups, 1, IDS_PER_QUERY) : [groups as ShardScope | null];
  for (const ids of chunks) {
    const where = (column: string) => {
      if (ids === null) return null;
      if (!Array.isArray(ids)) {
        const scope = ids as ShardScope;
        return column === "id" ? inShards(scope) : sql`${sql.ref(column)} in (select id from groups where ${inShards(scope)})`;
      }
      return sql`${sql.ref(column)} in (${sql.join(ids)})`;
    };
    const tags = new Map<string, GroupTag[]>();
    // group_tags' key (group_id, key) serves both the grouping and the order.
    const tagQuery = { table: "group_tags", columns: ["key", "value", "propagate_at_launch"], groupBy: ["group_id"], orderBy: "key" };
    for (const [groupId, rows] of await jsonRowsByGroup(db, postgres, { ...tagQuery, where: where("group_id") })) {
      tags.set(
        groupId,
        rows.map(([key, value, propagate]) => ({ key: key as string, value: value as string, propagateAtLaunch: propagate === 1 })),
      );
    }
    const byId = new Map<string, GroupWithInstances>();
    for (const values of await jsonRows(db, postgres, "groups", GROUP_COLUMNS, where("id"))) {
      const row = Object.fromEntries(GROUP_COLUMNS.map((c, i) => [c, values[i]])) as unknown as GroupRow;
      const group = { ...toGroup(row, tags.get(row.id) ?? []), userId: row.user_id, version: row.version };
      const entry: GroupWithInstances = { group, instances: [] };
      byId.set(row.id, entry);
      result.push(entry);
    }
    // The index on instances (user_id, group_id) serves the grouping.
    const instanceQuery = { table: "instances", columns: GROUPED_INSTANCE_COLUMNS, groupBy: ["user_id", "group_id"], orderBy: null };
    for (const [groupId, rows] of await jsonRowsByGroup(db, postgres, { ...instanceQuery, where: where("group_id") })) {
      // The foreign key guarantees the group; within one snapshot it was read above.
      const entry = byId.get(groupId);
      if (entry !== undefined) for (const values of rows) entry.instances.push(toManagedInstance(values, entry.group));
    }
  }
  return result;
}

/** The condition on `groups` that selects the groups of a scope's shards. */
function inShards({ count, shards }: ShardScope): RawBuilder<boolean> {
  // An empty scope selects nothing (`in ()` is not SQL).
  if (shards.length === 0) return sql<boolean>`1 = 0`;
  return sql<boolean>`shard_key % ${sql.lit(count)} in (${sql.join(shards.map((s) => sql.lit(s)))})`;
}

/**
 * The rows of `table` (narrowed by `where`) as one JSON array of arrays built by the database:
 * parsing one document is several times faster than fetching rows one by one through the
 * driver, which pays per column value.
 */
async function jsonRows(
  db: Db,
  postgres: boolean,
  table: string,
  columns: readonly string[],
  where: RawBuilder<unknown> | null,
): Promise<JsonRow[]> {
  const row = sql.join(columns.map((c) => sql.ref(c)));
  const filter = where === null ? sql`` : sql` where ${where}`;
  const query = postgres
    ? sql<{ packed: JsonRow[] | null }>`select json_agg(json_build_array(${row})) as packed from ${sql.table(table)}${filter}`
    : sql<{ packed: string }>`select json_group_array(json_array(${row})) as packed from ${sql.table(table)}${filter}`;
  const { rows } = await query.execute(db);
  // json_agg of no rows is NULL.
  return parsed(rows[0]?.packed ?? null) ?? [];
}

/**
 * Like {@link jsonRows}, one document per group: `[groupId, rows]` for each group that has
 * rows, each group's rows ordered by `orderBy`. Smaller documents than one for the whole table
 * (the group's id is not repeated per row), and the rows arrive grouped.
 */
async function jsonRowsByGroup(
  db: Db,
  postgres: boolean,
  query: {
    table: string;
    columns: readonly string[];
    /** Ends with `group_id`; leading columns let an index serve the grouping. */
    groupBy: readonly string[];
    orderBy: string | null;
    where: RawBuilder<unknown> | null;
  },
): Promise<[string, JsonRow[]][]> {
  const row = sql.join(query.columns.map((c) => sql.ref(c)));
  const order = query.orderBy === null ? sql`` : sql` order by ${sql.ref(query.orderBy)}`;
  const filter = query.where === null ? sql`` : sql` where ${query.where}`;
  const groupBy = sql.join(query.groupBy.map((c) => sql.ref(c)));
  const aggregate = postgres ? sql`json_agg(json_build_array(${row})${order})` : sql`json_group_array(json_array(${row})${order})`;
  const { rows } = await sql<{ group_id: string; packed: string | JsonRow[] }>`select ${sql.ref("group_id")}, ${aggregate} as packed from ${sql.table(
    query.table,
  )}${filter} group by ${groupBy}`.execute(db);
  return rows.map((r) => [r.group_id, parsed(r.packed) ?? []]);
}

/** pg parses json itself; SQLite returns the text. */
function parsed(packed: string | JsonRow[] | null): JsonRow[] | null {
  return typeof packed === "string" ? (JSON.parse(packed) as JsonRow[]) : packed;
}

function toManagedInstance(r: JsonRow, group: OwnedGroup): ManagedInstance {
  return {
    id: r[I.id] as string,
    userId: group.userId,
    groupId: group.id,
    groupName: group.name,
    site: r[I.site] as string,
    launchConfigurationName: r[I.launch_configuration_name] as string,
    instanceType: r[I.instance_type] as string,
    lifecycleState: r[I.lifecycle_state] as LifecycleState,
    healthStatus: r[I.health_status] as HealthStatus,
    protectedFromScaleIn: r[I.protected_from_scale_in] === 1,
    launchedAt: new Date(r[I.launched_at] as number),
    version: r[I.version] as number,
    launchToken: r[I.launch_token] as string,
    cloudState: r[I.cloud_state] as CloudVmState | null,
    lastSeenAt: dateOrNull(r[I.last_seen_at]),
    missingSince: dateOrNull(r[I.missing_since]),
    inServiceAt: dateOrNull(r[I.in_service_at]),
    healthReason: r[I.health_reason] as string | null,
    terminationReason: r[I.termination_reason] as string | null,
    terminateRequestedAt: dateOrNull(r[I.terminate_requested_at]),
  };
}

function dateOrNull(value: unknown): Date | null {
  return value === null ? null : new Date(value as number);
}

/**
 * Which of the (user, group) pairs of `rows` name no existing group; `has` tells whether a
 * pair is one of them.
 */
async function missingGroups(
  trx: Transaction<Database>,
  rows: readonly { readonly userId: string; readonly groupId: string }[],
): Promise<{ groupIds: string[]; has: (row: { readonly userId: string; readonly groupId: string }) => boolean }> {
  const key = (userId: string, groupId: string) => `${userId}\n${groupId}`;
  const found = new Set<string>();
  for (const ids of chunked([...new Set(rows.map((r) => r.groupId))], 1)) {
    const existing = await trx.selectFrom("groups").select(["id", "user_id"]).where("id", "in", ids).execute();
    for (const g of existing) found.add(key(g.user_id, g.id));
  }
  const missing = rows.filter((r) => !found.has(key(r.userId, r.groupId)));
  const missingKeys = new Set(missing.map((r) => key(r.userId, r.groupId)));
  return {
    groupIds: [...new Set(missing.map((r) => r.groupId))],
    has: (row) => missingKeys.has(key(row.userId, row.groupId)),
  };
}

/** The key of an instance row, as `RETURNING` gives it. */
interface InstanceKey {
  readonly user_id: string;
  readonly id: string;
}

/** The instance's column values, in the order of `columns`. */
function instanceValues(instance: ManagedInstance, columns: readonly (keyof InstancesTable)[]): unknown[] {
  const row = managedInstanceColumns(instance);
  return columns.map((c) => row[c] ?? null);
}

/** Adds the group of every VM of `requested` that is not among `matched` to `conflicts`. */
function noteUnmatched(
  requested: readonly ManagedInstance[],
  matched: readonly InstanceKey[],
  conflicts: Set<string>,
): void {
  if (matched.length === requested.length) return;
  const done = new Set(matched.map((r) => `${r.user_id}\n${r.id}`));
  for (const i of requested) if (!done.has(`${i.userId}\n${i.id}`)) conflicts.add(i.groupId);
}

/**
 * Replaces the group row and its tags if its stored version is the one before `group`'s.
 * Launch configuration references are the API's: the controller changes sizes, not the
 * launch configuration or the sites.
 * @returns false when the stored version is another (the API changed the group meanwhile).
 */
export async function putGroup(trx: Transaction<Database>, group: OwnedGroup): Promise<boolean> {
  const result = await trx
    .updateTable("groups")
    .set({ ...groupColumns(group), version: group.version })
    .where("id", "=", group.id)
    .where("user_id", "=", group.userId)
    .where("version", "=", group.version - 1)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await trx.deleteFrom("group_tags").where("group_id", "=", group.id).execute();
  if (group.tags.length > 0) {
    await trx
      .insertInto("group_tags")
      .values(
        group.tags.map((t) => ({ group_id: group.id, key: t.key, value: t.value, propagate_at_launch: t.propagateAtLaunch ? 1 : 0 })),
      )
      .execute();
  }
  return true;
}

/**
 * Removes a drained group: only while it is `deleting` with no VM and no launch intent left.
 * Its activities stay, marked as of a deleted group, as the API's delete leaves them.
 * @returns false when the group exists but is not drained (a conflict); true otherwise.
 */
async function deleteDrainedGroup(trx: Transaction<Database>, userId: string, groupId: string): Promise<boolean> {
  const deleted = await trx
    .deleteFrom("groups")
    .where("id", "=", groupId)
    .where("user_id", "=", userId)
    .where("status", "=", "deleting")
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("instances").select("id").where("user_id", "=", userId).where("group_id", "=", groupId))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("launch_intents").select("token").where("user_id", "=", userId).where("group_id", "=", groupId))),
    )
    .executeTakeFirst();
  if (deleted.numDeletedRows > 0n) {
    await trx
      .updateTable("activities")
      .set({ group_deleted: 1 })
      .where("user_id", "=", userId)
      .where("group_id", "=", groupId)
      .execute();
    return true;
  }
  const still = await trx.selectFrom("groups").select("id").where("id", "=", groupId).where("user_id", "=", userId).executeTakeFirst();
  return still === undefined;
}

/** Whether the batch has nothing to write. */
function isEmpty({ fence: _fence, ...writes }: ControllerWrites): boolean {
  return Object.values(writes).every((field: readonly unknown[] | undefined) => field === undefined || field.length === 0);
}

/** Every user a batch names, sorted (the order their rows are locked in). */
function usersOf(writes: ControllerWrites): string[] {
  const users = new Set<string>();
  for (const list of [
    writes.insertIntents,
    writes.putInstances,
    writes.deleteInstances,
    writes.insertActivities,
    writes.completeActivities,
    writes.putBackoffs,
    writes.clearBackoffs,
    writes.putGroups,
    writes.deleteGroups,
  ]) {
    for (const item of list ?? []) users.add(item.userId);
  }
  return [...users].sort();
}

/** `items` grouped by their user, each mapped by `value`. */
function byUser<T extends { readonly userId: string }, V>(items: readonly T[], value: (item: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const list = groups.get(item.userId);
    if (list === undefined) groups.set(item.userId, [value(item)]);
    else list.push(value(item));
  }
  return groups;
}

/** `{ column: its index }` for a list of columns. */
function indexOf<const C extends readonly string[]>(columns: C): { readonly [K in C[number]]: number } {
  return Object.fromEntries(columns.map((c, i) => [c, i])) as { [K in C[number]]: number };
}

/**
 * The leases of `fence` that are no longer the writer's (another holder or epoch, or expired on
 * the database's clock; SQLite: the fence's `now`); the rest are held until the commit
 * (PostgreSQL `FOR SHARE`). Every fenced controller write checks this first in its transaction.
 */
export async function lostLeases(trx: Transaction<Database>, fence: WriteFence, postgres: boolean): Promise<number[]> {
  if (fence.leases.length === 0) return [];
  if (postgres) {
    await sql`set local idle_in_transaction_session_timeout = ${sql.lit(Math.max(1, Math.round(fence.stallLimitMs)))}`.execute(trx);
  }
  const shards = fence.leases.map((l) => l.shard);
  let query = trx
    .selectFrom("controller_shards")
    .select(["shard", "epoch"])
    .where("shard", "in", shards)
    .where("holder", "=", fence.holder)
    .where("expires_at", ">", nowSql(fence.now, postgres))
    .orderBy("shard");
  if (postgres) query = query.forShare();
  const rows = await query.execute();
  const held = new Map(rows.map((r) => [r.shard, Number(r.epoch)]));
  return fence.leases.filter((l: ShardLease) => held.get(l.shard) !== l.epoch).map((l) => l.shard);
}

/** Epoch ms now: the database's clock on PostgreSQL, the host's (`now`) on SQLite. */
function nowSql(now: Date, postgres: boolean): RawBuilder<number> {
  return postgres ? sql<number>`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint` : sql<number>`${now.getTime()}`;
}
