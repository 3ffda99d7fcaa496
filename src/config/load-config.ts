/**
 * Where the configuration comes from: a YAML file (`--config` or `PHANTOM_CONFIG`), else the
 * built-in demo (five simulated sites); then `--listen`/`PHANTOM_LISTEN` and `--db`/`PHANTOM_DB`
 * override the file. Flags win over the environment, which wins over the file.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigError, parseConfig, parseListen, type PhantomConfig } from "./config.js";

/** The demo's sites: what `npm start` runs with no configuration. */
export const DEMO_DOCUMENT = {
  default_site: "hotel",
  sites: Object.fromEntries(
    ["hotel", "sierra", "foxtrot", "alamo", "ec2"].map((name) => [name, { driver: "simulated", capacity: 100, boot_seconds: 2 }]),
  ),
};

/** What the command line and the environment say. */
export interface ConfigSources {
  readonly configFile?: string | undefined;
  readonly listen?: string | undefined;
  readonly db?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The loaded configuration and whether it is the built-in demo. */
export interface LoadedConfig {
  readonly config: PhantomConfig;
  readonly demo: boolean;
}

/** Reads and validates the configuration. @throws ConfigError with a message for the user. */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const env = sources.env ?? process.env;
  const file = sources.configFile ?? env.PHANTOM_CONFIG;
  let config: PhantomConfig;
  if (file === undefined || file === "") {
    config = parseConfig(DEMO_DOCUMENT, "built-in demo configuration");
  } else {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
    let document: unknown;
    try {
      document = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
    } catch (e) {
      const detail = e instanceof YAMLParseError ? e.message.split("\n")[0]!.replace(/:$/, "") : String(e);
      throw new ConfigError(`${file}: not valid YAML: ${detail}`, { cause: e });
    }
    config = parseConfig(document, file);
  }
  const listen = sources.listen ?? env.PHANTOM_LISTEN;
  if (listen !== undefined && listen !== "") {
    const parsed = parseListen(listen);
    const source = sources.listen !== undefined ? "--listen" : "PHANTOM_LISTEN";
    if (parsed === null) throw new ConfigError(`${source}: expected HOST:PORT (e.g. 127.0.0.1:8445), got "${listen}"`);
    config = { ...config, listen: parsed };
  }
  const db = sources.db ?? env.PHANTOM_DB;
  if (db !== undefined && db !== "") config = { ...config, db };
  return { config, demo: file === undefined || file === "" };
}
