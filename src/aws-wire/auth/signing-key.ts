/** SigV4 signing keys, derived once per (secret, date, region, service) and kept in a small cache. */
import { createHmac } from "node:crypto";

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "latin1").digest();
}

/** Derives the SigV4 signing key: four chained HMACs over date, region, service and `aws4_request`. */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  // The secret is a Unicode string from the store, so it is encoded as UTF-8 like every SDK does;
  // the scope parts come from a header and are latin1 byte strings.
  const kSecret = Buffer.from(`AWS4${secret}`, "utf8");
  return hmac(hmac(hmac(hmac(kSecret, date), region), service), "aws4_request");
}

/**
 * A bounded map of derived signing keys. A key is valid for a whole day, so a warm verification
 * skips four HMACs. When full, the oldest entry goes first: clients sign with today's scope, so
 * old entries are the ones that will not be asked for again.
 */
export class SigningKeyCache {
  readonly #keys = new Map<string, Buffer>();

  /** @param capacity the most keys kept at once. */
  constructor(readonly capacity = 256) {}

  /** How many keys are cached now. */
  get size(): number {
    return this.#keys.size;
  }

  /** The signing key for this secret and scope, derived on a miss. */
  get(secret: string, date: string, region: string, service: string): Buffer {
    // Date is 8 digits and region/service cannot contain '/', so this key is unambiguous.
    const cacheKey = `${date}/${region}/${service}/${secret}`;
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      key = deriveSigningKey(secret, date, region, service);
      if (this.#keys.size >= this.capacity) {
        const oldest = this.#keys.keys().next();
        if (oldest.done !== true) this.#keys.delete(oldest.value);
      }
      this.#keys.set(cacheKey, key);
    }
    return key;
  }
}
