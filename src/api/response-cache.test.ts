import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ResponseCache } from "./response-cache.js";

const body = (rid: string, data = "x") => `<R><Data>${data}</Data><RequestId>${rid}</RequestId></R>`;
const text = (pieces: readonly Buffer[] | undefined) => (pieces === undefined ? undefined : Buffer.concat(pieces).toString("utf8"));

describe("ResponseCache", () => {
  it("answers with the new request id while the generation is unchanged", () => {
    const cache = new ResponseCache();
    cache.set("k", 7, body("rid-1", "é"), "rid-1");
    assert.equal(text(cache.get("k", 7, "rid-2")), body("rid-2", "é"));
  });
  it("misses on another generation or key", () => {
    const cache = new ResponseCache();
    cache.set("k", 7, body("rid-1"), "rid-1");
    assert.equal(cache.get("k", 8, "rid-2"), undefined);
    assert.equal(cache.get("other", 7, "rid-2"), undefined);
  });
  it("keeps at most maxEntries, dropping the oldest", () => {
    const cache = new ResponseCache({ maxEntries: 2 });
    cache.set("a", 1, body("r"), "r");
    cache.set("b", 1, body("r"), "r");
    cache.set("c", 1, body("r"), "r");
    assert.equal(cache.get("a", 1, "x"), undefined);
    assert.ok(cache.get("b", 1, "x"));
    assert.ok(cache.get("c", 1, "x"));
  });
  it("keeps at most maxBytes, dropping the oldest, and never an answer over maxEntryBytes", () => {
    const cache = new ResponseCache({ maxBytes: 1000, maxEntryBytes: 500 });
    const big = (rid: string) => body(rid, "y".repeat(300));
    for (const key of ["a", "b", "c", "d"]) cache.set(key, 1, big("r"), "r");
    assert.ok(cache.bytes <= 1000, `holds ${cache.bytes} bytes`);
    assert.equal(cache.get("a", 1, "x"), undefined);
    assert.ok(cache.get("d", 1, "x"));
    cache.set("huge", 1, body("r", "z".repeat(600)), "r");
    assert.equal(cache.get("huge", 1, "x"), undefined);
    assert.ok(cache.bytes <= 1000);
  });
  it("keys by a digest whose length does not grow with the parameters", () => {
    const key = ResponseCache.key("u1", [["Filters.member.1.Values.member.1", "v".repeat(1_000_000)]], new Set());
    assert.ok(key.length <= 64, `a key of ${key.length} characters`);
  });
  it("keys by user and by the parameters that select the answer, in any order", () => {
    const ignored = new Set(["X-Amz-Date", "Signature"]);
    const a = ResponseCache.key("u1", [["Action", "D"], ["Names.member.1", "g"], ["Signature", "s1"]], ignored);
    const b = ResponseCache.key("u1", [["Names.member.1", "g"], ["Action", "D"], ["Signature", "s2"]], ignored);
    assert.equal(a, b);
    assert.notEqual(a, ResponseCache.key("u2", [["Action", "D"], ["Names.member.1", "g"]], ignored));
    assert.notEqual(a, ResponseCache.key("u1", [["Action", "D"], ["Names.member.1", "h"]], ignored));
  });
});

describe("ResponseCache.key", () => {
  it("does not confuse a value holding a separator with two parameters", () => {
    const none = new Set<string>();
    assert.notEqual(
      ResponseCache.key("u", [["A", "x\nB=y"]], none),
      ResponseCache.key("u", [["A", "x"], ["B", "y"]], none),
    );
  });
});
