/**
 * Multi-row statements written as SQL text, for the controller's batches. Building a statement
 * of 1,000 rows with Kysely's query builder or `sql` template costs 50–100 ms (an operation
 * node per value, then compiling them); joining placeholders costs a few. Only the store's own
 * table and column names go into the text, never a value.
 */
import { CompiledQuery, type QueryResult } from "kysely";

/** What runs the statements: a Kysely instance or transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/**
 * Parameters per statement: below SQLite's default limit (32,766) and PostgreSQL's (65,535),
 * so a chunk of rows is never refused.
 */
export const MAX_PARAMETERS = 30_000;

/** A column's SQL type, which PostgreSQL needs to type the parameters of a `VALUES` list. */
export type SqlType = "text" | "integer" | "bigint";

/** A multi-row update: see {@link BatchSql.update}. */
export interface BatchUpdate {
  readonly table: string;
  /** Every column given per row, with its SQL type. */
  readonly columns: readonly (readonly [name: string, type: SqlType])[];
  readonly rows: readonly (readonly unknown[])[];
  /** The columns that identify the row to update; returned for each row updated. */
  readonly keys: readonly string[];
  readonly set: readonly string[];
  /** A further condition on the row, as SQL text: the table is `t`, a new value `v_<column>`. */
  readonly condition: string | null;
}

/** Writes the statements in one database's dialect. */
export class BatchSql {
  readonly #postgres: boolean;

  constructor(postgres: boolean) {
    this.#postgres = postgres;
  }

  /**
   * `INSERT INTO table (columns) VALUES …` followed by `tail` (e.g. `ON CONFLICT … RETURNING …`),
   * in chunks within {@link MAX_PARAMETERS}.
   * @returns the rows every chunk returned.
   */
  async insert<R>(
    db: QueryRunner,
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
    tail = "",
  ): Promise<R[]> {
    const returned: R[] = [];
    for (const chunk of chunked(rows, columns.length)) {
      const text = `insert into ${quoted(table)} (${columns.map(quoted).join(", ")}) values ${this.#tuples(chunk.length, columns.map(() => null))} ${tail}`;
      const result = await db.executeQuery<R>(CompiledQuery.raw(text, chunk.flat()));
      returned.push(...result.rows);
    }
    return returned;
  }

  /**
   * `WITH v(v_a, …) AS (VALUES …) UPDATE t SET a = v_a, … FROM v WHERE <keys match>
   * [AND condition] RETURNING <keys>`: one statement for many rows, on both databases. The
   * `v_` names keep `RETURNING` unambiguous, since SQLite takes only unqualified names there.
   * @returns the keys of the rows updated.
   */
  async update<R>(db: QueryRunner, update: BatchUpdate): Promise<R[]> {
    const names = update.columns.map(([c]) => quoted(`v_${c}`)).join(", ");
    const assignments = update.set.map((c) => `${quoted(c)} = ${quoted(`v_${c}`)}`).join(", ");
    const match = [
      ...update.keys.map((k) => `t.${quoted(k)} = ${quoted(`v_${k}`)}`),
      ...(update.condition === null ? [] : [update.condition]),
    ].join(" and ");
    const returning = update.keys.map(quoted).join(", ");
    const types = update.columns.map(([, type]) => type);
    const returned: R[] = [];
    for (const chunk of chunked(update.rows, update.columns.length)) {
      const text =
        `with v (${names}) as (values ${this.#tuples(chunk.length, types)}) ` +
        `update ${quoted(update.table)} as t set ${assignments} from v where ${match} returning ${returning}`;
      const result = await db.executeQuery<R>(CompiledQuery.raw(text, chunk.flat()));
      returned.push(...result.rows);
    }
    return returned;
  }

  /**
   * `(?, ?), (?, ?)` on SQLite; `($1, $2), ($3, $4)` on PostgreSQL, with `::type` where a type is
   * given (a `VALUES` list has no target column to take its parameters' types from).
   */
  #tuples(count: number, types: readonly (SqlType | null)[]): string {
    if (!this.#postgres) {
      const tuple = `(${types.map(() => "?").join(", ")})`;
      return Array.from({ length: count }, () => tuple).join(", ");
    }
    const tuples: string[] = [];
    let n = 0;
    for (let row = 0; row < count; row++) {
      tuples.push(`(${types.map((type) => `$${++n}${type === null ? "" : `::${type}`}`).join(", ")})`);
    }
    return tuples.join(", ");
  }
}

/**
 * `items` in chunks whose statements stay within {@link MAX_PARAMETERS}, given the parameters
 * each item takes (and at most `max` items per chunk).
 */
export function chunked<T>(items: readonly T[], parametersPerItem: number, max = Infinity): T[][] {
  const size = Math.max(1, Math.min(max, Math.floor(MAX_PARAMETERS / parametersPerItem)));
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function quoted(identifier: string): string {
  return `"${identifier}"`;
}
