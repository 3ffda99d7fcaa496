/**
 * Shard leases for a controller that runs alone (tests, benchmarks): it takes every shard at
 * once, as the only live replica would.
 */
import type { Clock } from "../controller/clock.js";
import { ShardLeases } from "../controller/shard-leases.js";
import { createLogger } from "../observability/logger.js";
import type { Store } from "../store/store.js";

/** Leases held by `holder` after one round; `monotonic` defaults to `performance.now`. */
export async function soleReplicaShards(
  store: Store,
  clock: Clock,
  settings: { readonly shards: number; readonly leaseMs: number },
  options: { readonly holder?: string; readonly monotonic?: () => number } = {},
): Promise<ShardLeases> {
  const shards = new ShardLeases(store.controller, {
    holder: options.holder ?? "sole",
    count: settings.shards,
    ttlMs: settings.leaseMs,
    clock,
    logger: createLogger(process.env.PHANTOM_TEST_LOG_LEVEL ?? "silent"),
    ...(options.monotonic === undefined ? {} : { monotonic: options.monotonic }),
  });
  await shards.round();
  return shards;
}
