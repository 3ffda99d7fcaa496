/**
 * The composition root: from a configuration to a running Phantom (store, secrets, API server).
 * The CLI's `serve` and the end-to-end tests both start Phantom through here.
 */
import type { Server } from "node:http";
import type { PhantomConfig, SiteConfig } from "../config/config.js";
import { createApiServer, type TextRoutes } from "../api/http-server.js";
import { listen } from "../aws-wire/http-body.js";
import { PhantomMetrics } from "../observability/metrics.js";
import { QueryEndpoint } from "../api/query-endpoint.js";
import { UserDirectory } from "../api/user-directory.js";
import { ResponseCache } from "../api/response-cache.js";
import type { ApiSettings } from "../api/actions/action.js";
import type { Logger } from "../observability/logger.js";
import type { SecretBox } from "../secrets/secret-box.js";
import { openState } from "./open-state.js";
import type { Store } from "../store/store.js";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { createDriver, type DriverDeps } from "../clouds/create-driver.js";
import type { CloudDriver } from "../clouds/driver.js";
import { CloudAccess } from "../controller/cloud-access.js";
import { systemClock, type Clock } from "../controller/clock.js";
import { ControllerLoop } from "../controller/controller-loop.js";
import { Reconciler } from "../controller/reconciler.js";

/** A running Phantom. */
export interface RunningPhantom {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly store: Store;
  readonly box: SecretBox;
  /** Stops accepting requests, finishes the ones in flight, closes the store. */
  close(): Promise<void>;
}

/** Options for tests and embedding. */
export interface StartOptions {
  readonly logger: Logger;
  /** The clock requests are checked against (signature windows, timestamps). */
  readonly clock?: () => Date;
  /** `PHANTOM_MASTER_KEY`'s value, if any. */
  readonly masterKey?: string | undefined;
  /** Open the store in this PostgreSQL schema (tests). */
  readonly schema?: string;
  /** Cache answers of read-only actions (default true; the benchmark measures both). */
  readonly responseCache?: boolean;
  /** Run the controller (default true; API-only tests turn it off). */
  readonly controller?: boolean;
  /** Seeds the simulated clouds' randomness (default: Math.random). */
  readonly random?: () => number;
  /** Makes each site's driver (default {@link createDriver}); tests keep the clouds they make, to look into them. */
  readonly createDriver?: (site: SiteConfig, deps: DriverDeps) => CloudDriver;
}

/** The Phantom settings the API reads, from the configuration. */
export function apiSettings(config: PhantomConfig): ApiSettings {
  return {
    region: config.region,
    catalog: { names: config.sites.map((s) => s.name), defaultSite: config.defaultSite },
    limits: config.limits,
    metrics: config.metrics,
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** The controller of a configuration (drivers for its sites, the reconciler, its loop), and its metrics. */
function startController(
  config: PhantomConfig,
  store: Store,
  box: SecretBox,
  clock: Clock,
  options: StartOptions,
): { loop: ControllerLoop; metrics: PhantomMetrics; stop(): Promise<void> } {
  const makeDriver = options.createDriver ?? createDriver;
  const drivers = new Map(
    config.sites.map((site) => [site.name, makeDriver(site, { clock: () => clock.now(), random: options.random ?? Math.random })]),
  );
  // The metrics read the loop and the reconciler, which count their calls in the metrics.
  const parts: { loop?: ControllerLoop; reconciler?: Reconciler } = {};
  const metrics = new PhantomMetrics({
    vmCounts: () => (parts.loop?.leader && parts.reconciler ? parts.reconciler.vmCounts() : []),
    leader: () => parts.loop?.leader ?? false,
  });
  const clouds = new CloudAccess(config.sites, drivers, store, box, (site, call, outcome, vms) =>
    metrics.cloudCall(site, call, outcome, vms),
  );
  const reconciler = new Reconciler({ store, clouds, clock, settings: config.controller, logger: options.logger, metricRetentionMs: config.metrics.retentionMs });
  const loop = new ControllerLoop(reconciler, store.controller, {
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    intervalMs: config.controller.intervalMs,
    leaseMs: config.controller.leaseMs,
    clock,
    logger: options.logger,
    onPass: (_report, durationMs) => metrics.pass(durationMs),
  });
  Object.assign(parts, { loop, reconciler });
  loop.start();
  return {
    loop,
    metrics,
    async stop() {
      await loop.stop();
      for (const driver of drivers.values()) driver.close();
    },
  };
}

/** Opens the store, starts the controller and serves the API on the configured address. */
export async function startPhantom(config: PhantomConfig, options: StartOptions): Promise<RunningPhantom> {
  const { store, box } = await openState(config, options);
  const clock: Clock = options.clock ? { now: options.clock } : systemClock;
  const started = options.controller === false ? null : startController(config, store, box, clock, options);
  try {
    const endpoint = new QueryEndpoint({
      store,
      users: new UserDirectory(store, box),
      settings: apiSettings(config),
      clock: () => clock.now(),
      groupChanged: () => started?.loop.poke(),
      logger: options.logger,
      responseCache: options.responseCache === false ? null : new ResponseCache(),
    });
    const routes: TextRoutes = {
      "/healthz": async () => ({ contentType: "text/plain", body: "ok\n" }),
      ...(started ? { "/metrics": () => started.metrics.text() } : {}),
    };
    const server = createApiServer(endpoint, routes, options.logger);
    const address = await listen(server, config.listen.host, config.listen.port);
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return {
      url: `http://${host}:${address.port}`,
      store,
      box,
      async close() {
        await closeServer(server);
        await started?.stop();
        await store.close();
      },
    };
  } catch (e) {
    await started?.stop();
    await store.close();
    throw e;
  }
}
