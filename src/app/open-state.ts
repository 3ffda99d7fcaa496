/**
 * The state a configuration names: its store and the secret box of its server key. The server
 * and the admin commands (`phantom user …`) share it; it loads no cloud or controller code, so
 * admin commands start fast.
 */
import type { PhantomConfig } from "../config/config.js";
import { loadMasterKey } from "../secrets/master-key.js";
import { SecretBox } from "../secrets/secret-box.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

/** The store and the secret box of a configuration: what the server and the admin commands share. */
export async function openState(
  config: PhantomConfig,
  options: { masterKey?: string | undefined; schema?: string },
): Promise<{ store: Store; box: SecretBox }> {
  const box = new SecretBox(loadMasterKey(options.masterKey, config.masterKeyFile));
  const store = await openStore(config.db, options.schema !== undefined ? { schema: options.schema } : undefined);
  return { store, box };
}

