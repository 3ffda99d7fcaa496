import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { forEachBounded } from "./bounded-concurrency.js";

/** Runs `items` (key per item) with the limits; records the most running at once, overall and per key, and the start order. */
async function observe(keys: readonly string[], limits: { total: number; perKey: number }) {
  let running = 0;
  let most = 0;
  const perKey = new Map<string, number>();
  const mostPerKey = new Map<string, number>();
  const started: number[] = [];
  await forEachBounded(
    keys.map((key, index) => ({ key, index })),
    (item) => item.key,
    limits,
    async ({ key, index }) => {
      started.push(index);
      running += 1;
      most = Math.max(most, running);
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      mostPerKey.set(key, Math.max(mostPerKey.get(key) ?? 0, perKey.get(key)!));
      // Let others start before this one ends.
      await new Promise((resolve) => setTimeout(resolve, 1 + (index % 3)));
      perKey.set(key, perKey.get(key)! - 1);
      running -= 1;
    },
  );
  return { most, mostPerKey, started };
}

describe("forEachBounded", () => {
  const cases = [
    { name: "one key: bounded by perKey", keys: Array(20).fill("a"), limits: { total: 8, perKey: 3 }, most: 3 },
    { name: "many keys: bounded by total", keys: Array.from({ length: 40 }, (_, i) => `k${i % 10}`), limits: { total: 5, perKey: 2 }, most: 5 },
    { name: "every item its own key", keys: Array.from({ length: 30 }, (_, i) => `k${i}`), limits: { total: 4, perKey: 1 }, most: 4 },
    { name: "fewer items than slots", keys: ["a", "b"], limits: { total: 32, perKey: 8 }, most: 2 },
  ];
  for (const c of cases) {
    it(`${c.name}: runs every item once, never more than allowed at once`, async () => {
      const seen = await observe(c.keys, c.limits);
      assert.deepEqual([...seen.started].sort((a, b) => a - b), c.keys.map((_, i) => i));
      assert.equal(seen.most, c.most);
      for (const [key, most] of seen.mostPerKey) assert.ok(most <= c.limits.perKey, `${key} ran ${most} at once`);
    });
  }

  it("lets keys take turns: a key with many items does not hold back the others", async () => {
    const keys = [...Array(10).fill("busy"), "quiet"];
    const { started } = await observe(keys, { total: 2, perKey: 2 });
    assert.ok(started.indexOf(10) <= 2, `the quiet key's item started ${started.indexOf(10)}th`);
  });

  it("resolves at once for no items, and rejects with the first error", async () => {
    await forEachBounded([], () => "a", { total: 1, perKey: 1 }, () => Promise.reject(new Error("never")));
    const ran: number[] = [];
    await assert.rejects(
      forEachBounded([1, 2, 3, 4], () => "a", { total: 1, perKey: 1 }, async (n) => {
        ran.push(n);
        if (n === 2) throw new Error("two failed");
      }),
      /two failed/,
    );
    assert.deepEqual(ran, [1, 2], "nothing starts after a failure");
  });
});
