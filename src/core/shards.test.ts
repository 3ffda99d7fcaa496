import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { fairShare, shardKey, shardOf } from "./shards.js";

test("shard keys are stable, non-negative 31-bit integers", () => {
  // Stored in the database: a change here would move every group to another shard.
  assert.equal(shardKey(""), 0x811c9dc5 % 0x80000000);
  assert.equal(shardKey("a"), 0xe40c292c % 0x80000000);
  for (let k = 0; k < 1000; k++) {
    const key = shardKey(randomUUID());
    assert.ok(Number.isInteger(key) && key >= 0 && key < 2 ** 31);
  }
});

test("group ids spread evenly over the shards", () => {
  const counts = new Array<number>(64).fill(0);
  for (let k = 0; k < 64_000; k++) counts[shardOf(randomUUID(), 64)]!++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `a shard got ${c} of 64,000 groups`);
});

test("fair shares cover every shard", () => {
  for (const [shards, replicas, share] of [
    [64, 1, 64],
    [64, 2, 32],
    [64, 3, 22],
    [4, 3, 2],
    [1, 5, 1],
    [8, 0, 8],
  ] as const) {
    assert.equal(fairShare(shards, replicas), share, `${shards} shards over ${replicas}`);
  }
});
