/** A clock that only moves when told to: controller tests run hours of cloud time in seconds. */
import type { Clock } from "../controller/clock.js";

/** A settable clock. */
export class VirtualClock implements Clock {
  #ms: number;

  constructor(start: Date = new Date("2026-11-26T12:00:00Z")) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    if (ms < 0) throw new Error("a clock does not go back");
    this.#ms += ms;
  }
}
