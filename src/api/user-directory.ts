/**
 * Access key → user and plaintext secret, for signature checks. Found users are kept for a few
 * seconds so a busy client costs no database read per request; unknown keys are never cached,
 * so a user added with `phantom user add` works at once. A user removed with `phantom user
 * remove` (another process) is forgotten when the store says so, else after those seconds.
 */
import type { UserWithSecret } from "../core/types.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store } from "../store/store.js";

/** The sealing context of a user's secret key: binds the sealed value to its access key. */
export function userSecretContext(accessKeyId: string): string {
  return `user-secret:${accessKeyId}`;
}

/** Looks users up by access key, with a short positive cache. */
export class UserDirectory {
  readonly #cache = new Map<string, { user: UserWithSecret; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** The user with this access key, or null. `nowMs` is the request's clock. */
  async lookup(accessKeyId: string, nowMs: number): Promise<UserWithSecret | null> {
    const hit = this.#cache.get(accessKeyId);
    if (hit && hit.until > nowMs) return hit.user;
    const record = await this.store.users.findUserByAccessKey(accessKeyId);
    if (record === null) {
      this.#cache.delete(accessKeyId);
      return null;
    }
    const { secretSealed, ...rest } = record;
    const user: UserWithSecret = { ...rest, secretAccessKey: this.box.open(secretSealed, userSecretContext(accessKeyId)) };
    if (this.#cache.size >= this.maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(accessKeyId, { user, until: nowMs + this.ttlMs });
    return user;
  }

  /** Drops the user's cached key: the store no longer knows the user. */
  forgetUser(userId: string): void {
    for (const [key, { user }] of this.#cache) if (user.id === userId) this.#cache.delete(key);
  }
}
