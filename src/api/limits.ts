/**
 * The bounds Phantom's API layer keeps on itself, in one place (the wire codec's per-request
 * limits are in `aws-wire/limits.ts`).
 */

/** Largest request head (request line and headers): room for boto 2's long GET queries. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Bytes of answers the response cache may hold, keys included. */
export const RESPONSE_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** Answers the response cache may hold. */
export const RESPONSE_CACHE_MAX_ENTRIES = 2048;

/** Largest single answer worth caching: a bigger one would push out many others. */
export const RESPONSE_CACHE_MAX_ENTRY_BYTES = RESPONSE_CACHE_MAX_BYTES / 16;
