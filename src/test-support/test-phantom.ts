/**
 * A real Phantom for tests: HTTP on a free port, SQLite in memory (or the given database), a
 * random server key, and users with known keys. Every end-to-end and interop test starts one.
 */
import { randomBytes } from "node:crypto";
import { parseConfig, type PhantomConfig } from "../config/config.js";
import { startPhantom, type RunningPhantom, type StartOptions } from "../app/start-phantom.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { addUser } from "../users/user-accounts.js";

/** Keys of a test user. */
export interface TestUser {
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A running test Phantom with two users. */
export interface TestPhantom extends RunningPhantom {
  readonly config: PhantomConfig;
  readonly alice: TestUser;
  readonly bob: TestUser;
}

/** The sites tests use, as the YAML `sites:` map. */
export const TEST_SITES = {
  hotel: { driver: "simulated", capacity: 8, boot_seconds: 0 },
  sierra: { driver: "simulated", capacity: 100, boot_seconds: 0 },
  ec2: { driver: "simulated", capacity: 100, boot_seconds: 0 },
};

/** Starts Phantom; `document` overrides parts of the YAML configuration. */
export async function startTestPhantom(
  document: Record<string, unknown> = {},
  options: { schema?: string; clock?: () => Date; logger?: Logger; controller?: boolean; createDriver?: StartOptions["createDriver"] } = {},
): Promise<TestPhantom> {
  const config = parseConfig(
    { listen: "127.0.0.1:0", db: "sqlite::memory:", sites: TEST_SITES, master_key_file: "/nonexistent/unused", ...document },
    "test configuration",
  );
  const phantom = await startPhantom(config, {
    logger: options.logger ?? createLogger(process.env.PHANTOM_TEST_LOG_LEVEL ?? "silent"),
    masterKey: randomBytes(32).toString("hex"),
    ...(options.schema !== undefined ? { schema: options.schema } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.createDriver !== undefined ? { createDriver: options.createDriver } : {}),
    // API tests place VMs themselves; end-to-end tests turn the controller on.
    controller: options.controller ?? false,
  });
  const make = async (name: string, secretAccessKey: string): Promise<TestUser> => {
    const accessKeyId = `AKID${name.toUpperCase()}${"X".repeat(16 - 4 - name.length)}`;
    await addUser(phantom.store, phantom.box, name, { accessKeyId, secretAccessKey });
    return { name, accessKeyId, secretAccessKey };
  };
  return { ...phantom, config, alice: await make("alice", "alice-secret-key"), bob: await make("bob", "bob-secret-key") };
}
