/**
 * Cached answers of read-only actions, valid while the user's generation is unchanged (every
 * committed write to the user's resources — by the API or the controller, on any replica —
 * raises it). A hit costs one generation read instead of the queries and the XML encoding.
 * Only the request id differs between two answers, so entries keep the body split around it,
 * already UTF-8 encoded: a hit then costs no encoding of the (often large) body.
 *
 * The cache is bounded in bytes as well as entries, and keyed by a digest of the parameters, so
 * requests with huge parameter values cannot make it hold more than its budget.
 */
import { createHash } from "node:crypto";
import { RESPONSE_CACHE_MAX_BYTES, RESPONSE_CACHE_MAX_ENTRIES, RESPONSE_CACHE_MAX_ENTRY_BYTES } from "./limits.js";

interface Entry {
  readonly generation: number;
  readonly head: Buffer;
  readonly tail: Buffer;
  /** What the entry costs: key and body bytes. */
  readonly bytes: number;
}

/** The bounds of a {@link ResponseCache}; the defaults are in `limits.ts`. */
export interface ResponseCacheLimits {
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly maxEntryBytes?: number;
}

/** A map from (user, action, parameters) to the last answer and its generation, bounded in entries and bytes. */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  #bytes = 0;

  constructor(limits: ResponseCacheLimits = {}) {
    this.#maxEntries = limits.maxEntries ?? RESPONSE_CACHE_MAX_ENTRIES;
    this.#maxBytes = limits.maxBytes ?? RESPONSE_CACHE_MAX_BYTES;
    this.#maxEntryBytes = limits.maxEntryBytes ?? RESPONSE_CACHE_MAX_ENTRY_BYTES;
  }

  /**
   * The cache key of a request: a SHA-256 digest of the user and the parameters that select the
   * answer, so a key costs 44 bytes whatever the parameters hold.
   */
  static key(userId: string, params: readonly (readonly [string, string])[], ignored: ReadonlySet<string>): string {
    const kept = params.filter(([name]) => !ignored.has(name));
    kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // JSON keeps names and values apart whatever characters they hold.
    return createHash("sha256").update(JSON.stringify([userId, kept])).digest("base64");
  }

  /** Bytes held now, keys included. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The cached body with `requestId` in it, in pieces, when cached at `generation`. */
  get(key: string, generation: number, requestId: string): Buffer[] | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.generation !== generation) return undefined;
    return [entry.head, Buffer.from(requestId, "utf8"), entry.tail];
  }

  /** Remembers `body`, answered at `generation` with `requestId` in it; too large a body is not kept. */
  set(key: string, generation: number, body: string, requestId: string): void {
    const at = body.lastIndexOf(requestId);
    if (at < 0) return;
    this.#remove(key);
    const head = Buffer.from(body.slice(0, at), "utf8");
    const tail = Buffer.from(body.slice(at + requestId.length), "utf8");
    const bytes = key.length + head.length + tail.length;
    if (bytes > this.#maxEntryBytes) return;
    while (this.#entries.size > 0 && (this.#entries.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes)) {
      this.#remove(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { generation, head, tail, bytes });
    this.#bytes += bytes;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
