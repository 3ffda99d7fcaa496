/**
 * {@link MetricStore} on Kysely, for SQLite and PostgreSQL. Concurrent puts are committed together
 * (group commit): one transaction per group of puts, with per user at most three statements
 * (find the series, lock and count them only when new ones come) and for the whole group two:
 * upsert the new series and those not touched for a minute, upsert the minutes (merged in
 * memory per series and minute first; into a minute that exists counts and sums add, minimum
 * and maximum widen).
 */
import { CompiledQuery, type Kysely } from "kysely";
import { LimitExceededError } from "../core/errors.js";
import { mergeAggregates, pointOf, seriesKey } from "../core/metric-data.js";
import type { MetricDimension, MetricPoint, MetricSeries } from "../core/types.js";
import { BatchSql, chunked, type QueryRunner } from "./batch-sql.js";
import { isPostgres } from "./migrations/column-types.js";
import type { MetricFilter, MetricName, MetricStore, OwnedMetricPoint } from "./metric-store.js";
import type { Database, MetricPointsTable } from "./schema.js";
import type { Page, PageOf } from "./store.js";

/** How old a series' `last_put_at` gets before a put writes it again. */
const SERIES_TOUCH_MS = 60_000;
/** Metrics per query when `recent` is narrowed to some. */
const RECENT_METRICS_PER_QUERY = 500;
/** Series read per round while filtering a listing by dimensions. */
const LIST_BATCH = 500;

/** The most series rows a store remembers (see `KyselyMetricStore.#remembered`). */
const MAX_REMEMBERED_SERIES = 100_000;

/** The most puts one transaction commits (the rest wait for the next). */
const MAX_PUTS_PER_COMMIT = 256;

/** A put waiting for its batch's commit. */
interface PendingPut {
  readonly userId: string;
  readonly points: readonly MetricPoint[];
  readonly now: Date;
  readonly maxSeries: number;
  resolve(): void;
  reject(e: unknown): void;
}

/** A series row a put finds. */
interface KnownSeries {
  id: number;
  series_key: string;
  last_put_at: number;
}

/**
 * The metric store over a migrated database. Puts are committed in groups: a put waits for the
 * puts already queued or arriving in the same turn of the event loop, and one transaction
 * writes them all (see {@link KyselyMetricStore.put}); each put resolves once its group is
 * committed, so an acknowledged datum is as durable as before.
 */
export class KyselyMetricStore implements MetricStore {
  readonly #queue: PendingPut[] = [];
  #draining = false;
  /**
   * Series rows this store has read or written in a committed transaction, by user and series
   * key, as they were then. A put needs neither to read nor to write a series remembered with
   * a `last_put_at` under a minute old ({@link SERIES_TOUCH_MS}), so a steady stream of known
   * series costs one statement per commit, the minutes' upsert. Such a row still exists: prune
   * removes series unused for the retention (ten minutes at least), and when a user's removal
   * takes their rows, the failing commit forgets what its users' rows were.
   */
  readonly #remembered = new Map<string, Map<string, KnownSeries>>();
  #rememberedCount = 0;
  readonly #postgres: boolean;
  readonly #batch: BatchSql;
  readonly #least: string;
  readonly #greatest: string;

  constructor(private readonly db: Kysely<Database>) {
    // SQLite's two-argument min()/max() are scalar; PostgreSQL spells them least()/greatest().
    const postgres = isPostgres(db);
    this.#postgres = postgres;
    this.#batch = new BatchSql(postgres);
    this.#least = postgres ? "least" : "min";
    this.#greatest = postgres ? "greatest" : "max";
  }

  async put(userId: string, points: readonly MetricPoint[], now: Date, maxSeries: number): Promise<void> {
    if (points.length === 0) return;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ userId, points, now, maxSeries, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // After the I/O callbacks already due: requests that arrived together commit together.
      setImmediate(() => void this.#drain());
    });
  }

  /** Commits the queued puts, a batch per transaction, until none is left. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_PUTS_PER_COMMIT);
      try {
        this.#settle(batch, await this.#commit(batch));
      } catch (e) {
        await this.#commitEachUser(batch, e);
      }
    }
    this.#draining = false;
  }

  /** Resolves the puts of a committed batch, rejecting those it refused. */
  #settle(batch: readonly PendingPut[], refused: ReadonlyMap<PendingPut, Error>): void {
    for (const put of batch) {
      const error = refused.get(put);
      if (error === undefined) put.resolve();
      else put.reject(error);
    }
  }

  /**
   * After a batch's transaction failed: one user's failure (a user removed since the request was
   * authenticated, whose series rows went with them) must not fail the others' puts, so each
   * user's puts are committed in a transaction of their own.
   */
  async #commitEachUser(batch: readonly PendingPut[], failure: unknown): Promise<void> {
    const users = new Set(batch.map((put) => put.userId));
    if (users.size === 1) {
      for (const put of batch) put.reject(failure);
      return;
    }
    for (const userId of users) {
      const mine = batch.filter((put) => put.userId === userId);
      try {
        this.#settle(mine, await this.#commit(mine));
      } catch (e) {
        for (const put of mine) put.reject(e);
      }
    }
  }

  /**
   * Writes a batch of puts in one transaction: per user, the series they name are looked up
   * once (those remembered as written within the last minute not at all) and the series limit
   * is checked put by put in arrival order (a put that would pass it is refused alone); the
   * accepted points are merged in memory per series and minute and written with one upsert of
   * series and one of minutes for the whole batch.
   * @returns the puts refused, with their error
   */
  async #commit(batch: readonly PendingPut[]): Promise<Map<PendingPut, Error>> {
    const refused = new Map<PendingPut, Error>();
    const byUser = new Map<string, PendingPut[]>();
    for (const put of batch) {
      const list = byUser.get(put.userId);
      if (list === undefined) byUser.set(put.userId, [put]);
      else list.push(put);
    }
    // The rows read or written, remembered once the transaction has committed.
    const seen: { userId: string; row: KnownSeries }[] = [];
    // Plain SQL text: this is the hot path of PutMetricData, and building these statements
    // with Kysely's query builder costs more than running them (see `batch-sql.ts`).
    try {
      await this.db.transaction().execute(async (trx) => {
        const seriesRows: unknown[][] = [];
        const minutes = new Map<string, { id: number | undefined; userId: string; key: string; point: MetricPoint }>();
        // Users in a fixed order, so two replicas lock their rows (PostgreSQL) in the same order.
        for (const userId of [...byUser.keys()].sort()) {
          const puts = byUser.get(userId)!;
          const keyed = puts.map((put) => put.points.map((p) => [seriesKey(p), p] as const));
          const remembered = this.#remembered.get(userId);
          // Series not remembered as written within the minute before their put are read.
          const unsure = new Set<string>();
          puts.forEach((put, i) => {
            const touchedSince = put.now.getTime() - SERIES_TOUCH_MS;
            for (const [key] of keyed[i]!) {
              const row = remembered?.get(key);
              if (row === undefined || row.last_put_at < touchedSince) unsure.add(key);
            }
          });
          const keys = [...unsure];
          let known = keys.length === 0 ? new Map<string, KnownSeries>() : await this.#knownSeries(trx, userId, keys);
          let count = 0;
          if (known.size < keys.length) {
            // New series: count under the user's row lock (PostgreSQL), so concurrent puts cannot
            // each pass the check; then look again, a concurrent put may have made some of them.
            // SQLite runs one write transaction at a time anyway.
            if (this.#postgres) {
              await trx.executeQuery(CompiledQuery.raw(`select id from users where id = $1 for update`, [userId]));
              known = await this.#knownSeries(trx, userId, keys);
            }
            const counted = await trx.executeQuery<{ n: number }>(
              CompiledQuery.raw(`select count(*) as n from metric_series where user_id = ${this.#param(1)}`, [userId]),
            );
            count = Number(counted.rows[0]?.n ?? 0);
          }
          for (const row of known.values()) seen.push({ userId, row });
          // A series read now is as the database has it; one not read is as remembered.
          const rowOf = (key: string) => (unsure.has(key) ? known.get(key) : remembered!.get(key));
          const added = new Set<string>();
          const touched = new Map<string, MetricPoint>();
          puts.forEach((put, i) => {
            const fresh = new Set(keyed[i]!.map(([k]) => k).filter((k) => rowOf(k) === undefined && !added.has(k)));
            if (count + added.size + fresh.size > put.maxSeries) {
              refused.set(
                put,
                new LimitExceededError(
                  `This put would give you ${count + added.size + fresh.size} metric series; the limit is ${put.maxSeries}. ` +
                    "Reuse series (fewer dimension values) or wait until unused series expire.",
                ),
              );
              return;
            }
            for (const k of fresh) added.add(k);
            for (const [key, p] of keyed[i]!) {
              // New series are inserted; known ones get a new `last_put_at` only once it is a
              // minute old (retention is at least ten minutes), so a steady stream does not rewrite them.
              const row = rowOf(key);
              if (row === undefined || row.last_put_at < put.now.getTime() - SERIES_TOUCH_MS) touched.set(key, p);
              const minuteKey = `${userId}\0${key}\0${p.minute.getTime()}`;
              const earlier = minutes.get(minuteKey)?.point;
              minutes.set(minuteKey, {
                id: row?.id,
                userId,
                key,
                point: earlier === undefined ? p : pointOf(p, mergeAggregates(earlier, p), p.minute, p.unit ?? earlier.unit),
              });
            }
          });
          const putAt = Math.max(...puts.map((p) => p.now.getTime()));
          for (const [key, s] of touched) {
            seriesRows.push([userId, key, s.namespace, s.metricName, JSON.stringify(s.dimensions.map((d) => [d.name, d.value])), putAt]);
          }
        }
        // The ids of series inserted or touched now (a touched row keeps its id).
        const idOf = new Map<string, number>();
        if (seriesRows.length > 0) {
          const rows = await this.#batch.insert<KnownSeries & { user_id: string }>(
            trx,
            "metric_series",
            ["user_id", "series_key", "namespace", "metric_name", "dimensions", "last_put_at"],
            seriesRows,
            `on conflict (user_id, series_key) do update set last_put_at = excluded.last_put_at returning id, user_id, series_key, last_put_at`,
          );
          for (const { user_id: userId, ...row } of rows) {
            idOf.set(`${userId}\0${row.series_key}`, Number(row.id));
            seen.push({ userId, row });
          }
        }
        if (minutes.size === 0) return;
        await this.#batch.insert(
          trx,
          "metric_points",
          ["series_id", "minute", "unit", "sample_count", "sum", "minimum", "maximum"],
          [...minutes.values()].map(({ id, userId, key, point: p }) => [
            id ?? idOf.get(`${userId}\0${key}`)!,
            p.minute.getTime(),
            p.unit,
            p.sampleCount,
            p.sum,
            p.minimum,
            p.maximum,
          ]),
          `on conflict (series_id, minute) do update set unit = coalesce(excluded.unit, metric_points.unit), ` +
            `sample_count = metric_points.sample_count + excluded.sample_count, sum = metric_points.sum + excluded.sum, ` +
            `minimum = ${this.#least}(metric_points.minimum, excluded.minimum), maximum = ${this.#greatest}(metric_points.maximum, excluded.maximum)`,
        );
      });
    } catch (e) {
      // A remembered row may be why (its user removed since): these users' series are read again.
      for (const userId of byUser.keys()) this.#forget(userId);
      throw e;
    }
    for (const { userId, row } of seen) this.#remember(userId, row);
    return refused;
  }

  /** Remembers a series row as committed. */
  #remember(userId: string, row: KnownSeries): void {
    let rows = this.#remembered.get(userId);
    if (rows === undefined) this.#remembered.set(userId, (rows = new Map()));
    if (!rows.has(row.series_key)) {
      if (this.#rememberedCount >= MAX_REMEMBERED_SERIES) {
        // Rare (that many series put within minutes): start over rather than track recency.
        this.#remembered.clear();
        this.#rememberedCount = 0;
        this.#remembered.set(userId, rows);
        rows.clear();
      }
      this.#rememberedCount++;
    }
    rows.set(row.series_key, { id: Number(row.id), series_key: row.series_key, last_put_at: Number(row.last_put_at) });
  }

  #forget(userId: string): void {
    const rows = this.#remembered.get(userId);
    if (rows === undefined) return;
    this.#rememberedCount -= rows.size;
    this.#remembered.delete(userId);
  }

  /** The user's rows of these series, by key. */
  async #knownSeries(trx: QueryRunner, userId: string, keys: readonly string[]): Promise<Map<string, KnownSeries>> {
    const rows: KnownSeries[] = [];
    for (const chunk of chunked(keys, 1)) {
      const text =
        `select id, series_key, last_put_at from metric_series where user_id = ${this.#param(1)} ` +
        `and series_key in (${chunk.map((_, i) => this.#param(i + 2)).join(", ")})`;
      rows.push(...(await trx.executeQuery<KnownSeries>(CompiledQuery.raw(text, [userId, ...chunk]))).rows);
    }
    return new Map(rows.map((r) => [r.series_key, r]));
  }

  /** The n-th parameter placeholder (1-based) in this database's dialect. */
  #param(n: number): string {
    return this.#postgres ? `$${n}` : "?";
  }

  async minutes(userId: string, series: MetricSeries, from: Date, to: Date): Promise<MetricPoint[]> {
    const rows = await this.db
      .selectFrom("metric_points as p")
      .innerJoin("metric_series as s", "s.id", "p.series_id")
      .select(["p.minute", "p.unit", "p.sample_count", "p.sum", "p.minimum", "p.maximum"])
      .where("s.user_id", "=", userId)
      .where("s.series_key", "=", seriesKey(series))
      .where("p.minute", ">=", from.getTime())
      .where("p.minute", "<", to.getTime())
      .orderBy("p.minute")
      .execute();
    return rows.map((r) => ({ ...series, ...toMinute(r) }));
  }

  async list(userId: string, filter: MetricFilter, page: Page): Promise<PageOf<MetricSeries>> {
    const out: { key: string; series: MetricSeries }[] = [];
    let after = page.after;
    for (;;) {
      let query = this.db
        .selectFrom("metric_series")
        .select(["series_key", "namespace", "metric_name", "dimensions"])
        .where("user_id", "=", userId);
      if (filter.namespace !== undefined) query = query.where("namespace", "=", filter.namespace);
      if (filter.metricName !== undefined) query = query.where("metric_name", "=", filter.metricName);
      if (after !== undefined) query = query.where("series_key", ">", after);
      const rows = await query.orderBy("series_key").limit(LIST_BATCH).execute();
      for (const r of rows) {
        const series = { namespace: r.namespace, metricName: r.metric_name, dimensions: parseDimensions(r.dimensions) };
        if (matches(series.dimensions, filter.dimensions)) out.push({ key: r.series_key, series });
        if (out.length > page.limit) {
          return { items: out.slice(0, page.limit).map((s) => s.series), next: out[page.limit - 1]!.key };
        }
      }
      if (rows.length < LIST_BATCH) return { items: out.map((s) => s.series), next: null };
      after = rows[rows.length - 1]!.series_key;
    }
  }

  async recent(since: Date, metrics?: readonly MetricName[]): Promise<OwnedMetricPoint[]> {
    const query = this.db
      .selectFrom("metric_points as p")
      .innerJoin("metric_series as s", "s.id", "p.series_id")
      .select([
        "s.user_id",
        "s.namespace",
        "s.metric_name",
        "s.dimensions",
        "p.minute",
        "p.unit",
        "p.sample_count",
        "p.sum",
        "p.minimum",
        "p.maximum",
      ])
      .where("p.minute", ">=", since.getTime());
    let rows: Awaited<ReturnType<typeof query.execute>>;
    if (metrics === undefined) rows = await query.execute();
    else {
      rows = [];
      const distinct = [...new Map(metrics.map((m) => [JSON.stringify([m.userId, m.namespace, m.metricName]), m])).values()];
      for (const chunk of chunked(distinct, 3, RECENT_METRICS_PER_QUERY)) {
        rows.push(
          ...(await query
            .where(({ eb, refTuple, tuple }) =>
              eb(
                refTuple("s.user_id", "s.namespace", "s.metric_name"),
                "in",
                chunk.map((m) => tuple(m.userId, m.namespace, m.metricName)),
              ),
            )
            .execute()),
        );
      }
    }
    const dimensions = new Map<string, MetricDimension[]>();
    return rows.map((r) => {
      let dims = dimensions.get(r.dimensions);
      if (dims === undefined) dimensions.set(r.dimensions, (dims = parseDimensions(r.dimensions)));
      return { userId: r.user_id, namespace: r.namespace, metricName: r.metric_name, dimensions: dims, ...toMinute(r) };
    });
  }

  async prune(before: Date): Promise<number> {
    const removed = await this.db.transaction().execute(async (trx) => {
      const points = await trx.deleteFrom("metric_points").where("minute", "<", before.getTime()).executeTakeFirst();
      const stale = trx.selectFrom("metric_series").select("id").where("last_put_at", "<", before.getTime());
      const ofStale = await trx.deleteFrom("metric_points").where("series_id", "in", stale).executeTakeFirst();
      await trx.deleteFrom("metric_series").where("last_put_at", "<", before.getTime()).execute();
      return Number(points.numDeletedRows) + Number(ofStale.numDeletedRows);
    });
    // The series just removed are not remembered either (a later put makes them anew).
    for (const [userId, rows] of this.#remembered) {
      for (const [key, row] of rows) {
        if (row.last_put_at >= before.getTime()) continue;
        rows.delete(key);
        this.#rememberedCount--;
      }
      if (rows.size === 0) this.#remembered.delete(userId);
    }
    return removed;
  }
}

/** A `metric_points` row's own columns as the minute's part of a {@link MetricPoint}. */
function toMinute(r: Omit<MetricPointsTable, "series_id">): Omit<MetricPoint, keyof MetricSeries> {
  return { minute: new Date(Number(r.minute)), unit: r.unit, sampleCount: r.sample_count, sum: r.sum, minimum: r.minimum, maximum: r.maximum };
}

function parseDimensions(json: string): MetricDimension[] {
  return (JSON.parse(json) as [string, string][]).map(([name, value]) => ({ name, value }));
}

function matches(dimensions: readonly MetricDimension[], wanted: MetricFilter["dimensions"]): boolean {
  if (wanted === undefined) return true;
  return wanted.every((w) => dimensions.some((d) => d.name === w.name && (w.value === undefined || d.value === w.value)));
}
