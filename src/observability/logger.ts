/**
 * Structured JSON logs (pino). Secrets never reach a log line: the fields that could hold one
 * are redacted wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Field paths that may carry secrets; pino replaces their values. */
const REDACT = [
  "secretAccessKey",
  "*.secretAccessKey",
  "secret",
  "*.secret",
  "password",
  "*.password",
  // Keystone credentials (`DriverCredentials` of an OpenStack site).
  "auth.secret",
  "*.auth.secret",
  "auth.password",
  "*.auth.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
];

/**
 * The process logger. `PHANTOM_LOG_LEVEL` sets the level (default `info`; tests pass `silent`).
 * Lines go to stdout, or to `destination` (tests read them there).
 */
export function createLogger(level: string = process.env.PHANTOM_LOG_LEVEL ?? "info", destination?: DestinationStream): Logger {
  const options = { level, base: { service: "phantom" }, redact: { paths: REDACT, censor: "[redacted]" } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
