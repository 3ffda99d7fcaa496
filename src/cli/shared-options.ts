/** The options every command that opens Phantom's state accepts, and how they load. */
import type { Command } from "commander";
import { loadConfig, type LoadedConfig } from "../config/load-config.js";
import { openState } from "../app/open-state.js";

/** `--config` and `--db`, as parsed by commander. */
export interface StateOptions {
  readonly config?: string;
  readonly db?: string;
}

/** Adds `--config FILE` and `--db URL` to a command. */
export function withStateOptions(command: Command): Command {
  return command
    .option("--config <file>", "YAML configuration (env PHANTOM_CONFIG; default: the built-in demo)")
    .option("--db <url>", "sqlite:PATH or postgres://… (env PHANTOM_DB)");
}

/** Loads the configuration from the options and the environment. */
export function configFrom(options: StateOptions & { listen?: string }): LoadedConfig {
  return loadConfig({ configFile: options.config, db: options.db, listen: options.listen });
}

/** Opens the store and the secret box for an admin command, runs `fn`, closes the store. */
export async function withState<T>(
  options: StateOptions,
  fn: (state: Awaited<ReturnType<typeof openState>>, loaded: LoadedConfig) => Promise<T>,
): Promise<T> {
  const loaded = configFrom(options);
  const state = await openState(loaded.config, { masterKey: process.env.PHANTOM_MASTER_KEY });
  try {
    return await fn(state, loaded);
  } finally {
    await state.store.close();
  }
}
