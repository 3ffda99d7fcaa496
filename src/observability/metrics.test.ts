import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PhantomMetrics } from "./metrics.js";

/** The samples of `name` in an exposition, by their label text. */
function samples(body: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of body.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, "gm"))) out.set(m[1] ?? "", Number(m[2]));
  return out;
}

describe("PhantomMetrics", () => {
  const metrics = () => new PhantomMetrics({ vmCounts: () => [], shardsHeld: () => 2, shardLeases: () => ({ renewals: 3, losses: 1 }) });

  it("counts passes per shard covered, one series per shard and none for shards never held", async () => {
    const m = metrics();
    m.pass(12, [0, 3]);
    m.pass(15, [3]);
    m.pass(9);
    const { body } = await m.text();
    assert.deepEqual(samples(body, "phantom_controller_shard_passes_total"), new Map([['{shard="0"}', 1], ['{shard="3"}', 2]]));
    assert.equal(samples(body, "phantom_reconcile_duration_seconds_count").get(""), 3);
  });

  it("shows shards held and lease renewals and losses as read at the scrape", async () => {
    const { body } = await metrics().text();
    assert.equal(samples(body, "phantom_controller_shards_held").get(""), 2);
    assert.equal(samples(body, "phantom_controller_shard_renewals_total").get(""), 3);
    assert.equal(samples(body, "phantom_controller_shard_losses_total").get(""), 1);
  });
});
