/** The depth scans that run before the JSON and CBOR parsers. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cbor } from "@smithy/core/cbor";
import { cborNestingWithin, jsonNestingWithin } from "./nesting-depth.js";

const json = (text: string, max: number): boolean => jsonNestingWithin(Buffer.from(text), max);

/** A value nested `depth` deep: arrays in maps in arrays … */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

describe("jsonNestingWithin", () => {
  it("counts arrays and objects, not brackets inside strings", () => {
    assert.equal(json(JSON.stringify(nested(3)), 3), true);
    assert.equal(json(JSON.stringify(nested(4)), 3), false);
    assert.equal(json(`{"a":"[[[[{{{{\\"[[["}`, 1), true);
    assert.equal(json(`["\\\\",[[1]]]`, 2), false);
  });
  it("refuses a megabyte of '[' at the first bracket past the limit", () => {
    assert.equal(jsonNestingWithin(Buffer.alloc(1024 * 1024, "["), 32), false);
  });
});

describe("cborNestingWithin", () => {
  const bytes = (value: unknown): Uint8Array => cbor.serialize(value);
  it("agrees with the depth of what smithy's codec wrote", () => {
    for (let depth = 0; depth < 8; depth++) {
      assert.equal(cborNestingWithin(bytes(nested(depth)), 5), depth <= 5, `depth ${depth}`);
    }
    assert.equal(cborNestingWithin(bytes({ a: "x".repeat(1000), b: [1, 2, { c: new Uint8Array(300) }], d: -5, e: 1.5 }), 3), true);
  });
  it("reads indefinite lengths, tags and breaks", () => {
    // [_ [_ 1, 2], tag 1 (0)] : an indefinite array holding an indefinite array and a tag.
    const indefinite = Uint8Array.from([0x9f, 0x9f, 0x01, 0x02, 0xff, 0xc1, 0x00, 0xff]);
    assert.equal(cborNestingWithin(indefinite, 2), true);
    assert.equal(cborNestingWithin(indefinite, 1), false);
  });
  it("refuses 100,000 nested arrays without recursion", () => {
    assert.equal(cborNestingWithin(Buffer.concat([Buffer.alloc(100_000, 0x81), Buffer.from([0])]), 32), false);
  });
  it("lets malformed input through for the decoder to report", () => {
    assert.equal(cborNestingWithin(Uint8Array.from([0x82, 0x01]), 32), true);
    assert.equal(cborNestingWithin(Uint8Array.from([0x1c]), 32), true);
  });
});
