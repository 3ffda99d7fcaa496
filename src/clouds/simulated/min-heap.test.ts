import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MinHeap } from "./min-heap.js";
import { seededRandom } from "./seeded-random.js";

describe("MinHeap", () => {
  it("pops values in key order, whatever order they were pushed in", () => {
    const random = seededRandom(7);
    const heap = new MinHeap<number>();
    const keys = Array.from({ length: 1000 }, () => Math.floor(random() * 100));
    for (const k of keys) heap.push(k, k);
    assert.equal(heap.size, 1000);
    const popped: number[] = [];
    while (heap.size > 0) {
      const key = heap.peekKey();
      popped.push(heap.pop()!);
      assert.equal(popped.at(-1), key, "peekKey names the next value");
    }
    assert.deepEqual(popped, [...keys].sort((a, b) => a - b));
  });

  it("is empty with an infinite smallest key and nothing to pop", () => {
    const heap = new MinHeap<string>();
    assert.equal(heap.peekKey(), Infinity);
    assert.equal(heap.pop(), undefined);
    heap.push(3, "c");
    heap.push(1, "a");
    assert.equal(heap.peekKey(), 1);
    assert.equal(heap.pop(), "a");
    assert.equal(heap.pop(), "c");
    assert.equal(heap.pop(), undefined);
  });
});
