/**
 * This replica's shard leases: which shards of the controller's work it holds, under which
 * epochs, and until when. A round (every third of the lease's lifetime, on its own timer, so it
 * also runs while a long pass awaits the clouds) beats the heartbeat, hands over shards above
 * the fair share, renews the rest and claims free or expired ones (`store.leaseRound`).
 *
 *   round ─▶ over the fair share? stop acting on a few shards, then release them
 *         ─▶ renew held shards ─▶ claim free or expired shards up to the fair share
 *         ─▶ shards gained (a new epoch) or lost: tell the loop
 *
 * Fencing has two halves. The database refuses a write whose shard epoch is no longer the
 * writer's (`ControllerWrites.fence`). And no cloud call is made once a lease may have expired
 * on the database's clock: each lease gets a local deadline measured on the monotonic clock
 * from the moment the round was sent (before the database read its clock, so the deadline is
 * never later than the real expiry), less a margin for clock rate drift; {@link mayAct} says
 * no past it, whatever happened meanwhile (a pause, a lost connection).
 */
import { fairShare } from "../core/shards.js";
import type { Logger } from "../observability/logger.js";
import type { ControllerStore, ShardLease } from "../store/controller-store.js";
import type { Clock } from "./clock.js";

/** What the reconciler asks of the leases. */
export interface ShardOwnership {
  /** `controller.shards`. */
  readonly count: number;
  /** This replica's name in the lease rows. */
  readonly holder: string;
  /** The shards held now, with their epochs. */
  held(): ReadonlyMap<number, number>;
  /**
   * Whether a cloud call for `shard` may be made now under `epoch`: the shard is held with that
   * epoch and its lease has not (nearly) run out on the database's clock.
   */
  mayAct(shard: number, epoch: number): boolean;
  /** A write was refused: these shards are no longer this replica's. */
  lost(shards: readonly number[]): void;
}

/** Changes of the held shards, reported after each round. */
export interface ShardChanges {
  readonly gained: readonly ShardLease[];
  readonly lost: readonly number[];
}

/** What a replica's shard leases count, for the metrics. */
export interface ShardLeaseCounters {
  renewals: number;
  losses: number;
}

/** Leases given up per round when over the fair share: a new replica gets shards gradually. */
function handoffStep(count: number): number {
  return Math.max(1, Math.ceil(count / 8));
}

/** The shard leases of one replica. */
export class ShardLeases implements ShardOwnership {
  readonly #held = new Map<number, { epoch: number; deadline: number }>();
  #liveReplicas = 1;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> = Promise.resolve();
  #stopped = true;
  readonly counters: ShardLeaseCounters = { renewals: 0, losses: 0 };

  constructor(
    private readonly store: ControllerStore,
    private readonly options: {
      readonly holder: string;
      readonly count: number;
      /** `controller.lease_seconds` in ms. */
      readonly ttlMs: number;
      /** The host's clock (the lease clock on SQLite). */
      readonly clock: Clock;
      readonly logger: Logger;
      /** Called after a round that changed the held shards. */
      readonly onChange?: (changes: ShardChanges) => void;
      /** Milliseconds on a monotonic clock; `performance.now` unless a test says otherwise. */
      readonly monotonic?: () => number;
    },
  ) {}

  get count(): number {
    return this.options.count;
  }

  get holder(): string {
    return this.options.holder;
  }

  held(): ReadonlyMap<number, number> {
    return new Map([...this.#held].map(([shard, l]) => [shard, l.epoch]));
  }

  mayAct(shard: number, epoch: number): boolean {
    const lease = this.#held.get(shard);
    return lease !== undefined && lease.epoch === epoch && this.#now() < lease.deadline;
  }

  lost(shards: readonly number[]): void {
    for (const shard of shards) if (this.#held.delete(shard)) this.counters.losses++;
    if (shards.length > 0) this.options.logger.warn({ holder: this.holder, shards }, "lost shards");
  }

  /** Takes the first round's shards, then renews every third of the lease's lifetime. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.round();
    this.#schedule();
  }

  /** Stops renewing, waits for a round in flight, and gives every shard up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
    this.#held.clear();
    await this.store.releaseShards(this.holder).catch((e: unknown) => this.options.logger.warn({ err: e }, "could not release shards"));
  }

  /** One round now (rounds never overlap); a failed round keeps the leases until their deadlines. */
  round(): Promise<void> {
    this.#round = this.#round.then(() =>
      this.#roundOnce().catch((e: unknown) => this.options.logger.error({ err: e }, "shard lease round failed")),
    );
    return this.#round;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.round().finally(() => this.#schedule());
    }, this.options.ttlMs / 3);
  }

  async #roundOnce(): Promise<void> {
    const { count, ttlMs, holder, clock, logger } = this.options;
    // Over the fair share (a replica joined): stop acting on the highest shards first, then
    // release them, a few per round.
    const excess = this.#held.size - fairShare(count, this.#liveReplicas);
    const release = excess > 0 ? [...this.#held.keys()].sort((a, b) => b - a).slice(0, Math.min(excess, handoffStep(count))) : [];
    for (const shard of release) this.#held.delete(shard);
    const sent = this.#now();
    const result = await this.store.leaseRound({ holder, shardCount: count, ttlMs, now: clock.now(), release });
    this.#liveReplicas = result.liveReplicas;
    const deadline = sent + ttlMs - Math.min(ttlMs / 10, 2_000);
    const before = new Map(this.#held);
    const gained: ShardLease[] = [];
    this.#held.clear();
    for (const lease of result.held) {
      this.#held.set(lease.shard, { epoch: lease.epoch, deadline });
      const old = before.get(lease.shard);
      if (old === undefined || old.epoch !== lease.epoch) gained.push(lease);
      else this.counters.renewals++;
    }
    const lost = [...before].filter(([shard, l]) => this.#held.get(shard)?.epoch !== l.epoch).map(([shard]) => shard);
    this.counters.losses += lost.length;
    if (gained.length > 0 || lost.length > 0 || release.length > 0) {
      logger.info(
        { holder, gained: gained.map((l) => l.shard), lost, released: release, held: this.#held.size, replicas: result.liveReplicas },
        "shards changed",
      );
      this.options.onChange?.({ gained, lost: [...lost, ...release] });
    }
  }

  #now(): number {
    return (this.options.monotonic ?? performance.now.bind(performance))();
  }
}
