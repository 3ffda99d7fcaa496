/**
 * `MaxRecords`/`NextToken` for every Describe action. A token is opaque to clients: it carries
 * the store's keyset position and a fingerprint of the query it belongs to, so a token replayed
 * with other filters is refused with `InvalidNextToken` instead of silently skipping rows.
 */
import { createHash } from "node:crypto";
import { InvalidNextTokenError, ValidationError } from "../core/errors.js";
import type { Page } from "../store/store.js";

/** AWS's default and largest page size of one Describe action. */
export interface PageLimits {
  readonly defaultSize: number;
  readonly maxSize: number;
}

function fingerprint(action: string, query: unknown): string {
  return createHash("sha256").update(action).update("\0").update(JSON.stringify(query)).digest("base64url").slice(0, 16);
}

/**
 * The store page a request asks for. `query` is everything that selects rows besides the
 * token and the page size (names, filters).
 */
export function requestedPage(
  action: string,
  query: unknown,
  input: { readonly MaxRecords?: number; readonly NextToken?: string },
  limits: PageLimits,
): Page {
  const limit = input.MaxRecords ?? limits.defaultSize;
  if (limit < 1 || limit > limits.maxSize) {
    throw new ValidationError(
      `1 validation error detected: Value '${limit}' at 'maxRecords' failed to satisfy constraint: ` +
        `Member must have value between 1 and ${limits.maxSize}`,
    );
  }
  if (input.NextToken === undefined || input.NextToken === "") return { limit };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(input.NextToken, "base64url").toString("utf8"));
  } catch (e) {
    throw new InvalidNextTokenError(undefined, { cause: e });
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    decoded[0] !== fingerprint(action, query) ||
    typeof decoded[1] !== "string"
  ) {
    throw new InvalidNextTokenError();
  }
  return { limit, after: decoded[1] };
}

/** The `NextToken` to return for the store's `next` key, or undefined on the last page. */
export function nextToken(action: string, query: unknown, next: string | null): string | undefined {
  if (next === null) return undefined;
  return Buffer.from(JSON.stringify([fingerprint(action, query), next]), "utf8").toString("base64url");
}
