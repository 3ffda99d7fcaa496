import assert from "node:assert/strict";
import { test } from "node:test";
import { isPhantomError } from "../../core/errors.js";
import { checkClockSkew, checkNotInFuture, formatAmzDate, parseAmzDate, parseHttpDate, parseIsoTimestamp } from "./clock.js";

const T = new Date("2026-11-26T11:37:24Z");

test("the three date formats parse strictly", () => {
  assert.deepEqual(parseAmzDate("20261126T113724Z"), T);
  assert.deepEqual(parseHttpDate("Thu, 26 Nov 2026 11:37:24 GMT"), T);
  assert.deepEqual(parseIsoTimestamp("2026-11-26T11:37:24Z"), T);
  assert.deepEqual(parseIsoTimestamp("2026-11-26T11:37:24.000Z"), T);
  assert.deepEqual(parseIsoTimestamp("2026-11-26T12:37:24+01:00"), T);
  for (const bad of ["20261126T113724", "20261326T113724Z", "20260230T000000Z", "2026-11-26T11:37:24Z", " 20261126T113724Z"]) {
    assert.equal(parseAmzDate(bad), undefined, bad);
  }
  assert.equal(parseHttpDate("Thu, 26 Foo 2026 11:37:24 GMT"), undefined);
  assert.equal(parseIsoTimestamp("2026-11-26 11:37:24Z"), undefined);
  assert.equal(parseIsoTimestamp("2026-11-26T11:37:24"), undefined);
  assert.equal(formatAmzDate(T), "20261126T113724Z");
});

test("fifteen minutes of skew either way are allowed, and no more", () => {
  const minute = 60_000;
  checkClockSkew(T, new Date(T.getTime() + 15 * minute));
  checkClockSkew(T, new Date(T.getTime() - 15 * minute));
  assert.throws(() => checkClockSkew(T, new Date(T.getTime() + 15 * minute + 1)), (e) => isPhantomError(e, "RequestExpired"));
  assert.throws(() => checkNotInFuture(T, new Date(T.getTime() - 15 * minute - 1)), (e) => isPhantomError(e, "RequestExpired"));
  checkNotInFuture(T, new Date(T.getTime() + 100 * minute));
});

test("the messages read like AWS's", () => {
  assert.throws(
    () => checkClockSkew(T, new Date("2026-11-26T12:15:00Z")),
    (e) =>
      isPhantomError(e, "RequestExpired") &&
      e.message === "Signature expired: 20261126T113724Z is now earlier than 20261126T120000Z (20261126T121500Z - 15 min.)",
  );
  assert.throws(
    () => checkClockSkew(T, new Date("2026-11-26T11:00:00Z")),
    (e) =>
      isPhantomError(e, "RequestExpired") &&
      e.message === "Signature not yet current: 20261126T113724Z is still later than 20261126T111500Z (20261126T110000Z + 15 min.)",
  );
});
