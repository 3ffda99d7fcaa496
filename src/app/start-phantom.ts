/**
 * The composition root: from a configuration to a running Phantom (store, secrets, API server).
 * The CLI's `serve` and the end-to-end tests both start Phantom through here.
 */
import type { Server } from "node:http";
import type { PhantomConfig, SiteConfig } from "../config/config.js";
import { createApiServer, type TextRoutes, type TlsCredentials } from "../api/http-server.js";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { StaticFiles } from "../api/static-files.js";
import { fileURLToPath } from "node:url";
import { listen } from "../aws-wire/http-body.js";
import { PhantomMetrics } from "../observability/metrics.js";
import { QueryEndpoint } from "../api/query-endpoint.js";
import { UserDirectory } from "../api/user-directory.js";
import { ResponseCache } from "../api/response-cache.js";
import type { ApiSettings } from "../api/actions/action.js";
import type { Logger } from "../observability/logger.js";
import type { SecretBox } from "../secrets/secret-box.js";
import { openState } from "./open-state.js";
import { refuseRemovedSitesWithVms } from "./removed-sites.js";
import type { Store } from "../store/store.js";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { createDriver, type DriverDeps } from "../clouds/create-driver.js";
import type { CloudDriver } from "../clouds/driver.js";
import { CloudAccess } from "../controller/cloud-access.js";
import { systemClock, type Clock } from "../controller/clock.js";
import { ControllerLoop } from "../controller/controller-loop.js";
import { Reconciler, type PassReport } from "../controller/reconciler.js";
import { ShardLeases } from "../controller/shard-leases.js";
import { shardOf } from "../core/shards.js";

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
  /** The dashboard's built files, served under `/ui/` (default: `dist/ui` beside the compiled code). */
  readonly uiDirectory?: string;
  /** Makes each site's driver (default {@link createDriver}); tests keep the clouds they make, to look into them. */
  readonly createDriver?: (site: SiteConfig, deps: DriverDeps) => CloudDriver;
}

/** `dist/ui`: where `scripts/build-ui.mjs` puts the dashboard (this file is `dist/src/app/start-phantom.js`). */
const DEFAULT_UI_DIRECTORY = fileURLToPath(new URL("../../ui", import.meta.url));

/** The Phantom settings the API reads, from the configuration. */
export function apiSettings(config: PhantomConfig): ApiSettings {
  return {
    region: config.region,
    catalog: {
      names: config.sites.map((s) => s.name),
      defaultSite: config.defaultSite,
      retired: config.sites.filter((s) => s.retired === true).map((s) => s.name),
    },
    limits: config.limits,
    metrics: config.metrics,
  };
}

/** The configured certificate and key files. @throws Error naming the file that cannot be read. */
async function readTls(tls: { certFile: string; keyFile: string }): Promise<TlsCredentials> {
  const read = async (what: string, file: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (e) {
      throw new Error(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
  };
  const credentials = { cert: await read("tls.cert", tls.certFile), key: await read("tls.key", tls.keyFile) };
  try {
    createSecureContext(credentials);
  } catch (e) {
    throw new Error(`cannot use tls.cert ${tls.certFile} with tls.key ${tls.keyFile}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return credentials;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * One replica's controller as `phantom serve` wires it (drivers for its sites, cloud access,
 * shard leases, the reconciler, its loop, its metrics), not yet started. `phantom serve` starts
 * it at once; the replica benchmark drives its parts one by one.
 */
export interface ControllerReplica {
  readonly loop: ControllerLoop;
  readonly shards: ShardLeases;
  readonly reconciler: Reconciler;
  readonly metrics: PhantomMetrics;
  /** Listens for other replicas' pokes and starts the loop (which takes shards first). */
  start(): Promise<void>;
  /** Stops listening and the loop (which gives the shards up), and closes the drivers. */
  stop(): Promise<void>;
}

/** What {@link wireController} takes besides the configuration and the store. */
export type ControllerOptions = Pick<StartOptions, "logger" | "random" | "createDriver"> & {
  /** Called after every pass, after the metrics are told (benchmarks time passes with it). */
  readonly onPass?: (report: PassReport, durationMs: number) => void;
};

/** Wires a configuration's controller on a store; see {@link ControllerReplica}. */
export function wireController(config: PhantomConfig, store: Store, box: SecretBox, clock: Clock, options: ControllerOptions): ControllerReplica {
  const makeDriver = options.createDriver ?? createDriver;
  const drivers = new Map(
    config.sites.map((site) => [site.name, makeDriver(site, { clock: () => clock.now(), random: options.random ?? Math.random })]),
  );
  // The metrics read the loop and the reconciler, which count their calls in the metrics.
  const parts: { loop?: ControllerLoop; reconciler?: Reconciler; shards?: ShardLeases } = {};
  const metrics = new PhantomMetrics({
    vmCounts: () => parts.reconciler?.vmCounts() ?? [],
    shardsHeld: () => parts.shards?.held().size ?? 0,
    shardLeases: () => parts.shards?.counters ?? { renewals: 0, losses: 0 },
  });
  const clouds = new CloudAccess(config.sites, drivers, store, box, (site, call, outcome, vms) =>
    metrics.cloudCall(site, call, outcome, vms),
  );
  const shards = new ShardLeases(store.controller, {
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    count: config.controller.shards,
    ttlMs: config.controller.leaseMs,
    clock,
    logger: options.logger,
    // A shard gained is driven at once, not at the next interval.
    onChange: ({ gained }) => {
      if (gained.length > 0) parts.loop?.poke();
    },
  });
  const reconciler = new Reconciler({
    store,
    clouds,
    clock,
    settings: config.controller,
    logger: options.logger,
    metricRetentionMs: config.metrics.retentionMs,
    shards,
  });
  const loop = new ControllerLoop(reconciler, shards, {
    intervalMs: config.controller.intervalMs,
    logger: options.logger,
    onPass: (report, durationMs) => {
      metrics.pass(durationMs, report.shards);
      options.onPass?.(report, durationMs);
    },
  });
  Object.assign(parts, { loop, reconciler, shards });
  let stopListening: (() => Promise<void>) | null = null;
  return {
    loop,
    shards,
    reconciler,
    metrics,
    async start() {
      // Another replica's API changed a group of a shard held here: act on it now.
      stopListening = await store.pokes.listen((shard) => {
        if (shards.held().has(shard)) loop.poke();
      });
      loop.start();
    },
    async stop() {
      await stopListening?.();
      await loop.stop();
      for (const driver of drivers.values()) driver.close();
    },
  };
}

/** Opens the store, starts the controller and serves the API on the configured address. */
export async function startPhantom(config: PhantomConfig, options: StartOptions): Promise<RunningPhantom> {
  const { store, box } = await openState(config, options);
  try {
    await refuseRemovedSitesWithVms(config, store);
  } catch (e) {
    await store.close();
    throw e;
  }
  const clock: Clock = options.clock ? { now: options.clock } : systemClock;
  let started: ControllerReplica | null = null;
  try {
    if (options.controller !== false) {
      started = wireController(config, store, box, clock, options);
      await started.start();
    }
    /** An API write changed a group: its shard's holder acts now, here or on another replica. */
    const groupChanged = (groupId: string) => {
      const shard = shardOf(groupId, config.controller.shards);
      if (started?.shards.held().has(shard)) started.loop.poke();
      else store.pokes.send(shard).catch((e: unknown) => options.logger.warn({ err: e, shard }, "could not poke the replica of a shard"));
    };
    const endpoint = new QueryEndpoint({
      store,
      users: new UserDirectory(store, box),
      settings: apiSettings(config),
      clock: () => clock.now(),
      groupChanged,
      logger: options.logger,
      responseCache: options.responseCache === false ? null : new ResponseCache(),
    });
    const metrics = started?.metrics;
    const routes: TextRoutes = {
      "/healthz": async () => ({ contentType: "text/plain", body: "ok\n" }),
      ...(metrics ? { "/metrics": () => metrics.text() } : {}),
    };
    const server = createApiServer(endpoint, routes, options.logger, {
      ui: new StaticFiles(options.uiDirectory ?? DEFAULT_UI_DIRECTORY),
      tls: config.tls === null ? null : await readTls(config.tls),
    });
    const address = await listen(server, config.listen.host, config.listen.port);
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return {
      url: `${config.tls === null ? "http" : "https"}://${host}:${address.port}`,
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
