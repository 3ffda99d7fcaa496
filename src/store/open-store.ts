/**
 * Opens the store named by a database URL: `sqlite:PATH`, `sqlite::memory:`, or
 * `postgres://…` / `postgresql://…`. Every failure is an Error with a one-line message, which
 * the CLI prints as it is.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import pg from "pg";
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
  type TransactionSettings,
} from "kysely";
import type { Store } from "./store.js";
import type { Database } from "./schema.js";
import { createKyselyStore } from "./kysely-store.js";
import { PostgresShardPokes } from "./shard-pokes.js";
import { withStatementCache } from "./statement-cache.js";
import { SqliteGroupReads } from "./sqlite-reads.js";
import { migrateToLatest } from "./migrations/index.js";
import { errorText } from "./db-errors.js";

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * PostgreSQL only: the schema that holds the tables, created when missing (lowercase letters,
   * digits and `_`). Tests give each run its own.
   */
  readonly schema?: string;
  /**
   * How many change log positions are kept behind the controller's position (default
   * 10,000); tests lower it to see the log pruned.
   */
  readonly changeLogRetention?: number;
}

/**
 * Opens the database, applies pending migrations and returns the store.
 * @throws Error with a one-line message for an unsupported URL or an unreachable database.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const postgres = /^postgres(ql)?:\/\//.test(url);
  if (options.schema !== undefined && !postgres) {
    throw new Error(`a schema applies only to PostgreSQL, not to "${redacted(url)}"`);
  }
  const storeOptions = options.changeLogRetention === undefined ? {} : { changeLogRetention: options.changeLogRetention };
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length), storeOptions);
  if (postgres) return openPostgres(url, options.schema, storeOptions);
  throw new Error(`unsupported database URL "${redacted(url)}": use sqlite:PATH or postgres://…`);
}

async function openSqlite(path: string, storeOptions: StoreOptions): Promise<Store> {
  if (path === "") throw new Error(`database URL "sqlite:" names no file: use sqlite:PATH or sqlite::memory:`);
  const memory = path === ":memory:";
  let database: SQLite.Database;
  try {
    if (!memory) createPrivately(path);
    database = new SQLite(path);
  } catch (e) {
    throw new Error(`cannot open SQLite database ${path}: ${errorText(e)}`, { cause: e });
  }
  // WAL lets readers of other processes (e.g. `phantom user list`) run beside the server's
  // writes; with WAL, NORMAL sync is still safe against corruption. Foreign keys are off by
  // default in SQLite and must be enabled on every connection.
  if (!memory) database.pragma("journal_mode = WAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  database.pragma("synchronous = NORMAL");
  const db = new Kysely<Database>({ dialect: new PhantomSqliteDialect({ database: withStatementCache(database) }) });
  return migrated(db, { ...storeOptions, sqliteReads: new SqliteGroupReads(database) });
}

/**
 * Creates a missing database file empty with mode 0600, and its missing directories with 0700,
 * before SQLite opens it: SQLite would create it 0644 (less the umask), readable by every local
 * user, and it makes the WAL and shared-memory files with the database file's mode. An
 * existing file keeps its mode.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/** See `openPostgres`: how long a PostgreSQL transaction may sit idle before the server ends it. */
const IDLE_IN_TRANSACTION_MS = 5_000;

async function openPostgres(url: string, schema: string | undefined, storeOptions: StoreOptions): Promise<Store> {
  const server = serverOf(url);
  if (schema !== undefined) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name "${schema}": use lowercase letters, digits and _`);
    }
    // pg lets the URL's `options` override ours, which would silently drop the search_path.
    if (/[?&]options=/.test(url)) throw new Error("a database URL with options= cannot be combined with a schema");
  }
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      // Without a timeout a connection to a silent host waits forever.
      connectionTimeoutMillis: 10_000,
      // A replica paused (or cut off) inside a transaction would hold its row locks until it
      // resumes, keeping every other replica from those users, groups and shards; the server
      // ends such a transaction after this long (the controller's own are shorter still).
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      types: { getTypeParser: int8AsNumber },
      // Set at connection start-up, so every pooled connection has it before its first query.
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
  } catch (e) {
    throw new Error(`invalid PostgreSQL URL "${redacted(url)}": ${errorText(e)}`, { cause: e });
  }
  // An idle pooled connection that dies (server restart) emits 'error' on the pool, which would
  // crash the process if unheard. The pool drops that connection; the next query reconnects.
  pool.on("error", () => {});
  // A connection the server ends while it is checked out between two statements (a replica
  // paused past `idle_in_transaction_session_timeout`) emits 'error' with no query to fail, and
  // the pool listens only to idle ones: unheard, that would crash the process. Heard here, the
  // transaction's next statement fails instead, and the pool drops the connection on release.
  pool.on("connect", (client) => client.on("error", () => {}));
  let current: string | null;
  try {
    const { rows } = await pool.query<{ schema: string | null }>("select current_schema() as schema");
    current = rows[0]?.schema ?? null;
  } catch (e) {
    await pool.end();
    throw new Error(`cannot connect to PostgreSQL at ${server}: ${errorText(e)}`, { cause: e });
  }
  const tablesSchema = schema ?? current;
  if (tablesSchema === null) {
    await pool.end();
    throw new Error(`PostgreSQL at ${server} has no schema on its search_path to create the tables in`);
  }
  const pokes = new PostgresShardPokes(pool, { connectionString: url, connectionTimeoutMillis: 10_000 }, tablesSchema);
  return migrated(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), { ...storeOptions, pokes }, tablesSchema);
}

type StoreOptions = Parameters<typeof createKyselyStore>[1];

async function migrated(db: Kysely<Database>, storeOptions: StoreOptions, schema?: string): Promise<Store> {
  try {
    await migrateToLatest(db, schema);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return createKyselyStore(db, storeOptions);
}

/**
 * Kysely's SQLite dialect with two changes for a file that several processes open (the server
 * and a CLI command, say):
 * - Transactions begin IMMEDIATE, taking the write lock at once and waiting for it up to
 *   `busy_timeout`. A plain (deferred) BEGIN that reads first and writes later fails with
 *   "database is locked" at once when another process writes meanwhile: this is what made two
 *   processes opening one new file fail to migrate it. Read-only transactions (the
 *   controller's snapshot) begin deferred: they never write, and in WAL mode they read one
 *   snapshot without keeping other processes from writing.
 * - Migrations run in a transaction: SQLite can roll back schema changes, but Kysely's adapter
 *   says it cannot, so a migration that failed halfway would leave tables behind.
 */
class PhantomSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(settings?.accessMode === "read only" ? "begin" : "begin immediate"));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * pg returns int8 (bigint columns, `count(*)`) as strings to avoid losing precision; the
 * store's int8 values are epoch milliseconds, counts and generations, all far below 2^53.
 */
const int8AsNumber = ((oid: number, format?: "text" | "binary") =>
  oid === pg.types.builtins.INT8
    ? (text: string) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is beyond JavaScript's safe integers`);
        return n;
      }
    : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/** `host:port` for messages, without the credentials. */
function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get("host") ?? (parsed.hostname || "localhost");
    return `${host}:${parsed.port || "5432"}`;
  } catch {
    return "the given URL";
  }
}

/** The URL with its password masked, for messages. */
function redacted(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@");
}
