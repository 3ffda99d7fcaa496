/**
 * Pokes between replicas: an API write to a group tells the replica that holds the group's
 * shard to run a pass now, not at its next interval. On PostgreSQL a poke is a `NOTIFY` on one
 * channel, its payload the schema (replicas of several deployments may share a database), the
 * shard and the sender; every replica `LISTEN`s on a connection of its own and acts on the
 * shards it holds. SQLite serves one process, which pokes its controller in process: its pokes
 * go nowhere.
 *
 * A poke is a hint, never needed for correctness: a lost one (the listening connection down,
 * the notification queue full) only delays the change to the next timed pass. So the listener
 * reconnects quietly, and a failed send is logged by the caller and forgotten.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";

/** The channel every Phantom replica listens on. */
export const POKE_CHANNEL = "phantom_shard_poke";

/** The `application_name` of a schema's listening connections (seen in `pg_stat_activity`). */
export function pokesApplicationName(schema: string): string {
  return `phantom pokes ${schema}`.slice(0, 63);
}

/** How long the listener waits before reconnecting after its connection failed. */
const RECONNECT_MS = 1_000;

/** Sends and receives shard pokes. */
export interface ShardPokes {
  /** Tells the other replicas that a group of `shard` changed. Call after the write committed. */
  send(shard: number): Promise<void>;
  /**
   * Calls `onPoke` with the shard of every poke another process (or another store in this
   * process) sends, until the returned function is called.
   */
  listen(onPoke: (shard: number) => void): Promise<() => Promise<void>>;
}

/** SQLite's: one process, whose controller the API pokes directly. */
export const IN_PROCESS_POKES: ShardPokes = {
  send: async () => {},
  listen: async () => async () => {},
};

/** PostgreSQL's pokes over `NOTIFY`/`LISTEN`. */
export class PostgresShardPokes implements ShardPokes {
  /** Tells this store's own pokes apart from others'. */
  readonly #sender = randomUUID();

  /**
   * @param pool - sends the notifications.
   * @param connection - how to open the listening connection (the pool's URL and options).
   * @param schema - the deployment's schema, in each payload.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: pg.ClientConfig,
    private readonly schema: string,
  ) {}

  async send(shard: number): Promise<void> {
    await this.pool.query("select pg_notify($1, $2)", [POKE_CHANNEL, `${this.schema} ${shard} ${this.#sender}`]);
  }

  async listen(onPoke: (shard: number) => void): Promise<() => Promise<void>> {
    let client: pg.Client | null = null;
    let stopped = false;
    let retry: NodeJS.Timeout | null = null;
    /** Opens the listening connection; on failure (then or later), tries again after a while. */
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ ...this.connection, application_name: pokesApplicationName(this.schema) });
      const lost = () => {
        if (client !== next) return;
        client = null;
        void next.end().catch(() => {});
        if (!stopped) retry = setTimeout(() => void connect(), RECONNECT_MS);
      };
      next.on("error", lost);
      next.on("end", lost);
      next.on("notification", ({ payload }) => {
        const [schema, shard, sender] = (payload ?? "").split(" ");
        if (schema !== this.schema || sender === this.#sender) return;
        const n = Number(shard);
        if (Number.isSafeInteger(n) && n >= 0) onPoke(n);
      });
      client = next;
      try {
        await next.connect();
        await next.query(`listen ${POKE_CHANNEL}`);
      } catch {
        lost();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      const last = client;
      client = null;
      await last?.end().catch(() => {});
    };
  }
}
