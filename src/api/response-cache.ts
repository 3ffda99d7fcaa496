/**
 * Cached answers of read-only actions, valid while the user's generation is unchanged (every
 * committed write to the user's resources — by the API or the controller, on any replica —
 * raises it). A hit costs one generation read instead of the queries and the XML encoding.
 * Only the request id differs between two answers, so entries keep the body split around it,
 * already UTF-8 encoded: a hit then costs no encoding of the (often large) body.
 */

interface Entry {
  readonly generation: number;
  readonly head: Buffer;
  readonly tail: Buffer;
}

/** A bounded map from (user, action, parameters) to the last answer and its generation. */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 2048) {}

  /** The cache key of a request: the user and the parameters that select the answer. */
  static key(userId: string, params: readonly (readonly [string, string])[], ignored: ReadonlySet<string>): string {
    const kept = params.filter(([name]) => !ignored.has(name));
    kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // JSON keeps names and values apart whatever characters they hold.
    return JSON.stringify([userId, kept]);
  }

  /** The cached body with `requestId` in it, in pieces, when cached at `generation`. */
  get(key: string, generation: number, requestId: string): Buffer[] | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.generation !== generation) return undefined;
    return [entry.head, Buffer.from(requestId, "utf8"), entry.tail];
  }

  /** Remembers `body`, answered at `generation` with `requestId` in it. */
  set(key: string, generation: number, body: string, requestId: string): void {
    const at = body.lastIndexOf(requestId);
    if (at < 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, {
      generation,
      head: Buffer.from(body.slice(0, at), "utf8"),
      tail: Buffer.from(body.slice(at + requestId.length), "utf8"),
    });
  }
}
