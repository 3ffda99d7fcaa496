/**
 * Prometheus metrics at `GET /metrics`: VMs by site and state; launches, failures and cloud API
 * calls by site and outcome; reconcile pass duration; and the process's own metrics. One
 * registry per running Phantom (tests start several in one process).
 *
 * `/metrics` is served without a signature, so every label is aggregate: a site, a state, a
 * call or an outcome, never a user or a group. A user's own figures are behind authentication
 * (`DescribePhantomSites`, `DescribeAutoScalingGroups`); per-user labels would also grow the
 * series with every user.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The VMs of the controller's model on one site in one lifecycle state, all users together. */
export interface VmCount {
  readonly site: string;
  readonly state: string;
  readonly count: number;
}

/** The metrics of one Phantom. */
export class PhantomMetrics {
  readonly registry = new Registry();
  readonly #cloudCalls: Counter<"site" | "call" | "outcome">;
  readonly #launched: Counter<"site">;
  readonly #passDuration: Histogram;
  readonly #shardPasses: Counter<"shard">;

  /**
   * @param source read at each scrape: the controller's current VMs (those of the shards it
   * holds), how many shards it holds, and its lease renewals and losses so far.
   */
  constructor(source: {
    vmCounts: () => Iterable<VmCount>;
    shardsHeld: () => number;
    shardLeases: () => { readonly renewals: number; readonly losses: number };
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "phantom_process_" });
    this.#cloudCalls = new Counter({
      name: "phantom_cloud_api_calls_total",
      help: "Cloud API calls by site, call (launch, describe, terminate) and outcome (ok or the error kind).",
      labelNames: ["site", "call", "outcome"],
      registers,
    });
    this.#launched = new Counter({ name: "phantom_vms_launched_total", help: "VMs launched, by site.", labelNames: ["site"], registers });
    this.#passDuration = new Histogram({
      name: "phantom_reconcile_duration_seconds",
      help: "Wall time of one reconcile pass.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#shardPasses = new Counter({
      name: "phantom_controller_shard_passes_total",
      help: "Reconcile passes this replica ran over each shard it held (at most controller.shards values of shard).",
      labelNames: ["shard"],
      registers,
    });
    new Gauge({
      name: "phantom_controller_leader",
      help: "1 while this replica holds at least one shard of the controller's work.",
      registers,
      collect() {
        this.set(source.shardsHeld() > 0 ? 1 : 0);
      },
    });
    new Gauge({
      name: "phantom_controller_shards_held",
      help: "Shards of the controller's work this replica holds.",
      registers,
      collect() {
        this.set(source.shardsHeld());
      },
    });
    // Counted by the leases themselves; exposed as counters set at each scrape.
    new Counter({
      name: "phantom_controller_shard_renewals_total",
      help: "Shard leases renewed by this replica.",
      registers,
      collect() {
        this.reset();
        this.inc(source.shardLeases().renewals);
      },
    });
    new Counter({
      name: "phantom_controller_shard_losses_total",
      help: "Shard leases this replica lost (taken by another replica, expired, or refused at a write).",
      registers,
      collect() {
        this.reset();
        this.inc(source.shardLeases().losses);
      },
    });
    new Gauge({
      name: "phantom_vms",
      help: "VMs by site and lifecycle state, all users together, as the controller tracks them.",
      labelNames: ["site", "state"],
      registers,
      collect() {
        this.reset();
        for (const c of source.vmCounts()) this.set({ site: c.site, state: c.state }, c.count);
      },
    });
  }

  /** Counts one cloud call; a successful launch also counts the VMs it made. */
  cloudCall(site: string, call: "launch" | "describe" | "terminate", outcome: string, vms = 0): void {
    this.#cloudCalls.inc({ site, call, outcome });
    if (vms > 0) this.#launched.inc({ site }, vms);
  }

  /** Records one pass's wall time, and the pass for each shard it covered. */
  pass(durationMs: number, shards: Iterable<number> = []): void {
    this.#passDuration.observe(durationMs / 1000);
    for (const shard of shards) this.#shardPasses.inc({ shard: String(shard) });
  }

  /** The text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
