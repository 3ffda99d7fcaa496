/**
 * Signing times: parsing the formats clients send and checking them against the server clock.
 * `now` is always an argument so tests (and replays of captured requests) control time.
 */
import { signatureExpired } from "./auth-errors.js";

/** How far a signing time may be from the server clock, either way (AWS uses 15 minutes). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Longest a signature may stay valid ahead (SigV4 `X-Amz-Expires`, SigV2 `Expires`): one week, as AWS allows. */
export const MAX_SIGNATURE_LIFETIME_S = 604800;

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const HTTP_DATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A UTC date from its parts, or `undefined` when a part is out of range (month 13, 31 Feb…). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number): Date | undefined {
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? date : undefined;
}

/** Parses SigV4's ISO 8601 basic format, `20261126T113724Z`; `undefined` when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return utc(y, mo, d, h, mi, s);
}

/** Parses an RFC 7231 `Date` header, `Thu, 26 Nov 2026 11:37:24 GMT`; `undefined` when malformed. */
export function parseHttpDate(value: string): Date | undefined {
  const m = HTTP_DATE.exec(value);
  if (m === null) return undefined;
  const month = MONTHS.indexOf(m[2] as string) + 1;
  if (month === 0) return undefined;
  return utc(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Parses SigV2's `Timestamp`/`Expires` (ISO 8601 extended, `Z` or an offset); `undefined` when malformed. */
export function parseIsoTimestamp(value: string): Date | undefined {
  if (!ISO_8601.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Formats a time as SigV4's `20261126T113724Z`. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}/, "").replace(/[-:]/g, "");
}

/**
 * Throws `RequestExpired`, worded as AWS words it, when `signedAt` is more than
 * {@link MAX_CLOCK_SKEW_MS} after `now`: a client clock running fast, or a request signed ahead.
 */
export function checkNotInFuture(signedAt: Date, now: Date): void {
  const latest = now.getTime() + MAX_CLOCK_SKEW_MS;
  if (signedAt.getTime() > latest) {
    throw signatureExpired(
      `Signature not yet current: ${formatAmzDate(signedAt)} is still later than ` +
        `${formatAmzDate(new Date(latest))} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

/**
 * Throws `RequestExpired`, worded as AWS words it, when `signedAt` is more than
 * {@link MAX_CLOCK_SKEW_MS} before or after `now`. This bounds how long a captured request
 * can be replayed.
 */
export function checkClockSkew(signedAt: Date, now: Date): void {
  const earliest = now.getTime() - MAX_CLOCK_SKEW_MS;
  if (signedAt.getTime() < earliest) {
    throw signatureExpired(
      `Signature expired: ${formatAmzDate(signedAt)} is now earlier than ` +
        `${formatAmzDate(new Date(earliest))} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  checkNotInFuture(signedAt, now);
}
