import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { backOff, backoffSeconds, isBackingOff } from "./backoff.js";

const T0 = new Date("2026-11-26T12:00:00Z");
const settings = { initialMs: 30_000, maxMs: 600_000 };

describe("backOff", () => {
  it("doubles from the initial wait up to the maximum", () => {
    const waits: number[] = [];
    let b = undefined;
    for (let k = 0; k < 8; k++) {
      b = backOff(b, "u", "hotel", "InsufficientInstanceCapacity", T0, settings);
      waits.push((b.until.getTime() - T0.getTime()) / 1000);
    }
    assert.deepEqual(waits, [30, 60, 120, 240, 480, 600, 600, 600]);
    assert.equal(b?.failures, 8);
  });
  it("stays capped for a very long failure streak", () => {
    const b = backOff({ userId: "u", site: "s", failures: 5000, until: T0, lastError: "x" }, "u", "s", "y", T0, settings);
    assert.equal(b.until.getTime() - T0.getTime(), 600_000);
  });
  it("holds until its end, not after", () => {
    const b = backOff(undefined, "u", "hotel", "e", T0, settings);
    assert.equal(isBackingOff(b, new Date(T0.getTime() + 29_999)), true);
    assert.equal(isBackingOff(b, new Date(T0.getTime() + 30_000)), false);
    assert.equal(isBackingOff(undefined, T0), false);
    assert.equal(backoffSeconds(b, new Date(T0.getTime() + 10_500)), 20);
  });
});
