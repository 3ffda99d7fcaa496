/**
 * When passes run: every `intervalMs`, soon after an API call changes a group (`poke`), and
 * soon after shards are gained. Passes never overlap. A pass covers the shards this replica
 * holds (`shard-leases.ts`), so several replicas on one PostgreSQL database share the API and
 * the clouds; when one stops or dies, the others take its shards within the lease's lifetime
 * and load them from the store.
 *
 *   stopped ──start()──▶ first lease round ──▶ waiting ──timer, poke or shards gained──▶ pass ──▶ waiting
 *                                                 ▲                                      │
 *                                                 └──────────────────────────────────────┘
 */
import type { Logger } from "../observability/logger.js";
import type { PassReport, Reconciler } from "./reconciler.js";
import type { ShardLeases } from "./shard-leases.js";

/** How soon after a poke the pass runs: API calls arriving together share one pass. */
const POKE_DELAY_MS = 20;

/** Runs the reconciler on a schedule over the shards this replica holds. */
export class ControllerLoop {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #starting: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly shards: ShardLeases,
    private readonly options: {
      readonly intervalMs: number;
      readonly logger: Logger;
      /** Called after every pass (metrics). */
      readonly onPass?: (report: PassReport, durationMs: number) => void;
    },
  ) {}

  /** Whether this replica holds at least one shard. */
  get leader(): boolean {
    return this.shards.held().size > 0;
  }

  /** Takes shards, then starts passes: one now, then every interval. */
  start(): void {
    this.#stopped = false;
    this.#starting = this.shards.start().then(() => this.#schedule(0));
  }

  /** Asks for a pass soon (a group changed). */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(POKE_DELAY_MS);
  }

  /** Stops scheduling, waits for the pass in flight, gives the shards up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#starting;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    await this.shards.stop();
    this.reconciler.reset();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.#tick().finally(() => {
        this.#running = null;
        const again = this.#again;
        this.#again = false;
        this.#schedule(again ? POKE_DELAY_MS : this.options.intervalMs);
      });
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const { logger } = this.options;
    try {
      const started = performance.now();
      const report = await this.reconciler.runPass();
      const durationMs = performance.now() - started;
      if (report.groups > 0 || this.leader) this.options.onPass?.(report, durationMs);
      if (report.launchRequests > 0 || report.terminated > 0 || report.orphansTerminated > 0 || report.failures > 0) {
        logger.info({ ...report, durationMs: Math.round(durationMs) }, "pass");
      }
    } catch (e) {
      // A pass that failed part way is safe to repeat: the next one starts from the store.
      logger.error({ err: e }, "reconcile pass failed");
      this.reconciler.reset();
    }
  }
}
