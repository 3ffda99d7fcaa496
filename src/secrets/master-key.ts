/**
 * The server key that seals secrets: `PHANTOM_MASTER_KEY` (32 bytes as 64 hex digits or base64),
 * else a key file created on first start with mode 0600. Replicas sharing a PostgreSQL database
 * must share the key.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

function decodeKey(text: string, source: string): Buffer {
  const value = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (key.length !== 32) {
    throw new Error(`${source} must hold 32 bytes as 64 hex digits or base64 (e.g. from \`openssl rand -hex 32\`)`);
  }
  return key;
}

/**
 * Returns the server key from `envValue` when set, else from `file`, creating the file (and its
 * directory) with a fresh random key on first use.
 */
export function loadMasterKey(envValue: string | undefined, file: string): Buffer {
  if (envValue !== undefined && envValue !== "") return decodeKey(envValue, "PHANTOM_MASTER_KEY");
  try {
    return decodeKey(readFileSync(file, "utf8"), `the key file ${file}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  try {
    // "wx": never overwrite a key another process created in the meantime.
    writeFileSync(file, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return decodeKey(readFileSync(file, "utf8"), `the key file ${file}`);
    throw e;
  }
}
