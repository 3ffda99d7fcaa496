/**
 * {@link MetricStore} on Kysely, for SQLite and PostgreSQL. A put is at most four statements in
 * one transaction whatever its size: find the series, count them (only when new ones come),
 * upsert the new series and those not touched for a minute, upsert the minutes (merging into a minute that exists: counts and sums add,
 * minimum and maximum widen).
 */
import { CompiledQuery, type Kysely } from "kysely";
import { LimitExceededError } from "../core/errors.js";
import { seriesKey } from "../core/metric-data.js";
import type { MetricDimension, MetricPoint, MetricSeries } from "../core/types.js";
import { BatchSql, chunked } from "./batch-sql.js";
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

/** The metric store over a migrated database. */
export class KyselyMetricStore implements MetricStore {
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
    const keyOf = points.map((p) => seriesKey(p));
    const series = new Map<string, MetricPoint>();
    points.forEach((p, i) => series.set(keyOf[i]!, p));
    const keys = [...series.keys()];
    // Plain SQL text: this is the hot path of PutMetricData, and building these statements
    // with Kysely's query builder costs more than running them (see `batch-sql.ts`).
    await this.db.transaction().execute(async (trx) => {
      const knownRows = async () => {
        const rows: { id: number; series_key: string; last_put_at: number }[] = [];
        for (const chunk of chunked(keys, 1)) {
          const text =
            `select id, series_key, last_put_at from metric_series where user_id = ${this.#param(1)} ` +
            `and series_key in (${chunk.map((_, i) => this.#param(i + 2)).join(", ")})`;
          rows.push(...(await trx.executeQuery<(typeof rows)[number]>(CompiledQuery.raw(text, [userId, ...chunk]))).rows);
        }
        return new Map(rows.map((r) => [r.series_key, r]));
      };
      let known = await knownRows();
      if (known.size < keys.length) {
        // New series: count under the user's row lock (PostgreSQL), so concurrent puts cannot
        // each pass the check; then look again, a concurrent put may have made some of them.
        // SQLite runs one write transaction at a time anyway.
        if (this.#postgres) {
          await trx.executeQuery(CompiledQuery.raw(`select id from users where id = $1 for update`, [userId]));
          known = await knownRows();
        }
        const fresh = keys.length - known.size;
        const counted = await trx.executeQuery<{ n: number }>(
          CompiledQuery.raw(`select count(*) as n from metric_series where user_id = ${this.#param(1)}`, [userId]),
        );
        const n = Number(counted.rows[0]?.n ?? 0);
        if (n + fresh > maxSeries) {
          throw new LimitExceededError(
            `This put would give you ${n + fresh} metric series; the limit is ${maxSeries}. ` +
              "Reuse series (fewer dimension values) or wait until unused series expire.",
          );
        }
      }
      const idOf = new Map([...known.values()].map((r) => [r.series_key, Number(r.id)]));
      // New series are inserted; known ones get a new `last_put_at` only once it is a minute
      // old (retention is at least ten minutes), so a steady stream does not rewrite them.
      const touch = keys.filter((k) => {
        const row = known.get(k);
        return row === undefined || Number(row.last_put_at) < now.getTime() - SERIES_TOUCH_MS;
      });
      if (touch.length > 0) {
        const rows = touch.map((key) => {
          const s = series.get(key)!;
          return [userId, key, s.namespace, s.metricName, JSON.stringify(s.dimensions.map((d) => [d.name, d.value])), now.getTime()];
        });
        const ids = await this.#batch.insert<{ id: number; series_key: string }>(
          trx,
          "metric_series",
          ["user_id", "series_key", "namespace", "metric_name", "dimensions", "last_put_at"],
          rows,
          `on conflict (user_id, series_key) do update set last_put_at = excluded.last_put_at returning id, series_key`,
        );
        for (const r of ids) idOf.set(r.series_key, Number(r.id));
      }
      await this.#batch.insert(
        trx,
        "metric_points",
        ["series_id", "minute", "unit", "sample_count", "sum", "minimum", "maximum"],
        points.map((p, i) => [idOf.get(keyOf[i]!)!, p.minute.getTime(), p.unit, p.sampleCount, p.sum, p.minimum, p.maximum]),
        `on conflict (series_id, minute) do update set unit = coalesce(excluded.unit, metric_points.unit), ` +
          `sample_count = metric_points.sample_count + excluded.sample_count, sum = metric_points.sum + excluded.sum, ` +
          `minimum = ${this.#least}(metric_points.minimum, excluded.minimum), maximum = ${this.#greatest}(metric_points.maximum, excluded.maximum)`,
      );
    });
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
    return this.db.transaction().execute(async (trx) => {
      const points = await trx.deleteFrom("metric_points").where("minute", "<", before.getTime()).executeTakeFirst();
      const stale = trx.selectFrom("metric_series").select("id").where("last_put_at", "<", before.getTime());
      const ofStale = await trx.deleteFrom("metric_points").where("series_id", "in", stale).executeTakeFirst();
      await trx.deleteFrom("metric_series").where("last_put_at", "<", before.getTime()).execute();
      return Number(points.numDeletedRows) + Number(ofStale.numDeletedRows);
    });
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
