/**
 * The composition root: from a configuration to a running Phantom (store, secrets, API server).
 * The CLI's `serve` and the end-to-end tests both start Phantom through here.
 */
import type { Server } from "node:http";
import type { PhantomConfig } from "../config/config.js";
import { createApiServer, listen } from "../api/http-server.js";
import { QueryEndpoint } from "../api/query-endpoint.js";
import { UserDirectory } from "../api/user-directory.js";
import { ResponseCache } from "../api/response-cache.js";
import type { ApiSettings } from "../api/actions/action.js";
import type { Logger } from "../observability/logger.js";
import { loadMasterKey } from "../secrets/master-key.js";
import { SecretBox } from "../secrets/secret-box.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

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
}

/** The Phantom settings the API reads, from the configuration. */
export function apiSettings(config: PhantomConfig): ApiSettings {
  return {
    region: config.region,
    catalog: { names: config.sites.map((s) => s.name), defaultSite: config.defaultSite },
    limits: config.limits,
  };
}

/** The store and the secret box of a configuration: what the server and the admin commands share. */
export async function openState(
  config: PhantomConfig,
  options: { masterKey?: string | undefined; schema?: string },
): Promise<{ store: Store; box: SecretBox }> {
  const box = new SecretBox(loadMasterKey(options.masterKey, config.masterKeyFile));
  const store = await openStore(config.db, options.schema !== undefined ? { schema: options.schema } : undefined);
  return { store, box };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Opens the store and serves the API on the configured address. */
export async function startPhantom(config: PhantomConfig, options: StartOptions): Promise<RunningPhantom> {
  const { store, box } = await openState(config, options);
  try {
    const endpoint = new QueryEndpoint({
      store,
      users: new UserDirectory(store, box),
      settings: apiSettings(config),
      clock: options.clock ?? (() => new Date()),
      groupChanged: () => {},
      logger: options.logger,
      responseCache: options.responseCache === false ? null : new ResponseCache(),
    });
    const server = createApiServer(endpoint, { "/healthz": async () => ({ contentType: "text/plain", body: "ok\n" }) }, options.logger);
    const address = await listen(server, config.listen.host, config.listen.port);
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return {
      url: `http://${host}:${address.port}`,
      store,
      box,
      async close() {
        await closeServer(server);
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
