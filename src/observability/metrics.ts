/**
 * Prometheus metrics at `GET /metrics`: VMs by group, site and state; launches, failures and
 * cloud API calls by site and outcome; reconcile pass duration; and the process's own metrics.
 * One registry per running Phantom (tests start several in one process).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One VM count of the controller's model. */
export interface VmCount {
  readonly user: string;
  readonly group: string;
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

  /**
   * @param source read at each scrape: the controller's current VMs (none when it does not hold
   * the lease) and whether it holds the lease.
   */
  constructor(source: { vmCounts: () => Iterable<VmCount>; leader: () => boolean }) {
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
    new Gauge({
      name: "phantom_controller_leader",
      help: "1 while this replica holds the controller lease.",
      registers,
      collect() {
        this.set(source.leader() ? 1 : 0);
      },
    });
    new Gauge({
      name: "phantom_vms",
      help: "VMs by user, group, site and lifecycle state, as the controller tracks them.",
      labelNames: ["user", "group", "site", "state"],
      registers,
      collect() {
        this.reset();
        for (const c of source.vmCounts()) this.set({ user: c.user, group: c.group, site: c.site, state: c.state }, c.count);
      },
    });
  }

  /** Counts one cloud call; a successful launch also counts the VMs it made. */
  cloudCall(site: string, call: "launch" | "describe" | "terminate", outcome: string, vms = 0): void {
    this.#cloudCalls.inc({ site, call, outcome });
    if (vms > 0) this.#launched.inc({ site }, vms);
  }

  /** Records one pass's wall time. */
  pass(durationMs: number): void {
    this.#passDuration.observe(durationMs / 1000);
  }

  /** The text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
