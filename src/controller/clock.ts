/**
 * Time, injected. The controller and the simulated clouds read `now()` from a clock instead of
 * `Date.now()`, so tests run them on a virtual clock that jumps minutes in microseconds.
 */

/** Where the current time comes from. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
