/**
 * Seals secrets (users' secret keys, cloud credentials) with the server key before they reach
 * the database: AES-256-GCM with a random nonce, and the row the secret belongs to as
 * additional data, so a sealed value copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Seals and opens secrets with one 32-byte key. */
export class SecretBox {
  readonly #key: Buffer;

  /** @param key exactly 32 bytes. */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("the server key must be 32 bytes");
    this.#key = Buffer.from(key);
  }

  /** Seals `plaintext`; `context` (e.g. `user:AKID`) must be given again to open it. */
  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, nonce);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return VERSION + Buffer.concat([nonce, cipher.getAuthTag(), body]).toString("base64");
  }

  /** Opens a sealed value. @throws Error when the key, the context or the value is wrong. */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(VERSION)) throw new Error("not a sealed secret");
    const raw = Buffer.from(sealed.slice(VERSION.length), "base64");
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error("sealed secret is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(raw.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch (e) {
      throw new Error("cannot open a sealed secret: wrong server key (PHANTOM_MASTER_KEY or key file)?", { cause: e });
    }
  }
}
