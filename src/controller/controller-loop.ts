/**
 * When passes run: every `intervalMs`, and soon after an API call changes a group (`poke`).
 * Passes never overlap. Only the holder of the controller lease runs them, so several replicas
 * on one PostgreSQL database share the API while one of them drives the clouds; when it stops
 * or dies, another takes over within the lease's lifetime and reloads everything.
 *
 *   stopped ──start()──▶ waiting ──timer or poke──▶ leasing ──leader──▶ pass ──▶ waiting
 *                           ▲                          │ not leader: drop the model
 *                           └──────────────────────────┘
 */
import type { Logger } from "../observability/logger.js";
import type { ControllerStore } from "../store/controller-store.js";
import type { Clock } from "./clock.js";
import type { PassReport, Reconciler } from "./reconciler.js";

/** How soon after a poke the pass runs: API calls arriving together share one pass. */
const POKE_DELAY_MS = 20;

/** Runs the reconciler on a schedule, as the lease holder. */
export class ControllerLoop {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;
  #leader = false;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly store: ControllerStore,
    private readonly options: {
      readonly holder: string;
      readonly intervalMs: number;
      /** How long each renewal holds the lease; see `controller.lease_seconds`. */
      readonly leaseMs: number;
      readonly clock: Clock;
      readonly logger: Logger;
      /** Called after every pass (metrics). */
      readonly onPass?: (report: PassReport, durationMs: number) => void;
    },
  ) {}

  /** Whether this replica held the lease at its last pass. */
  get leader(): boolean {
    return this.#leader;
  }

  /** Starts passes: one now, then every interval. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Asks for a pass soon (a group changed). */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(POKE_DELAY_MS);
  }

  /** Stops scheduling, waits for the pass in flight, gives the lease up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    if (this.#leader) await this.store.releaseLease(this.options.holder).catch(() => {});
    this.#leader = false;
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
    const { clock, logger, holder, leaseMs } = this.options;
    try {
      const leader = await this.store.acquireLease(holder, clock.now(), leaseMs);
      if (!leader) {
        if (this.#leader) logger.info({ holder }, "lost the controller lease");
        this.#leader = false;
        this.reconciler.reset();
        return;
      }
      if (!this.#leader) logger.info({ holder }, "holding the controller lease");
      this.#leader = true;
      const started = performance.now();
      // Renewed again before the pass acts: a pass that outlived the lease stops there.
      const report = await this.reconciler.runPass(() => this.store.acquireLease(holder, clock.now(), leaseMs));
      const durationMs = performance.now() - started;
      this.options.onPass?.(report, durationMs);
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
