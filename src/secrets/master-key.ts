/**
 * The server key that seals secrets: `PHANTOM_MASTER_KEY` (32 bytes as 64 hex digits or base64),
 * else a key file created on first start with mode 0600 (one open to other users is refused).
 * Replicas sharing a PostgreSQL database must share the key.
 */
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
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
 * Reads the key file, refusing one that its group or other users may read or write: whoever
 * reads the key opens every cloud secret in the store.
 */
function readKeyFile(file: string): Buffer {
  const fd = openSync(file, "r");
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(`the key file ${file} is open to other users (mode ${mode.toString(8).padStart(4, "0")}): chmod 600 ${file}`);
    }
    return decodeKey(readFileSync(fd, "utf8"), `the key file ${file}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Returns the server key from `envValue` when set, else from `file`, creating the file (and its
 * directory) with a fresh random key on first use.
 * @throws Error when the key is malformed or the file is open to its group or others.
 */
export function loadMasterKey(envValue: string | undefined, file: string): Buffer {
  if (envValue !== undefined && envValue !== "") return decodeKey(envValue, "PHANTOM_MASTER_KEY");
  try {
    return readKeyFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  // Its directory (data/ by default) also holds the database: nobody else lists it.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    // "wx": never overwrite a key another process created in the meantime.
    writeFileSync(file, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return readKeyFile(file);
    throw e;
  }
}
