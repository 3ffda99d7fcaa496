// Scheduled actions in the controller, on a virtual clock: each occurrence runs once — not again
// on later passes, after a restart or on a second controller over the same store — and is not
// skipped by a restart inside the minute; Phantom groups keep n_preserve = desired, sensor_engine
// groups move their metric range; a suspended ScheduledActions process misses occurrences.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ControllerHarness } from "../test-support/controller-harness.js";
import { createLogger } from "../observability/logger.js";
import { ScheduledActionRunner } from "./scheduled-action-runner.js";

const at = (iso: string) => new Date(iso);
/** A fence with no lease: these runners race on the occurrence record alone. */
const unfenced = () => ({ holder: "test", leases: [], now: new Date(0), stallLimitMs: 15_000 });
/** Moves the harness's clock forward to `iso`. */
const setClock = (h: ControllerHarness, iso: string) => h.clock.advance(at(iso).getTime() - h.clock.now().getTime());

describe("scheduled actions, on a virtual clock", () => {
  const harnesses: ControllerHarness[] = [];
  const start = async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }]);
    harnesses.push(h);
    setClock(h, "2026-12-05T01:50:00Z");
    await h.createGroup("g", "hotel:-1", 10, { maxSize: 20 });
    await h.run(2);
    return h;
  };
  after(() => Promise.all(harnesses.map((h) => h.close())));

  const group = async (h: ControllerHarness) => (await h.store.reads(h.user.id).getGroup("g"))!;
  const scheduled = async (h: ControllerHarness) => (await h.activities("g")).filter((a) => a.cause.includes("scheduled action"));
  const nightly = (h: ControllerHarness, over: Record<string, unknown> = {}) =>
    h.api("PutScheduledUpdateGroupAction", { AutoScalingGroupName: "g", ScheduledActionName: "nightly", Recurrence: "0 2 * * *", DesiredCapacity: 2, ...over });

  it("runs an occurrence once at its minute: desired capacity and n_preserve move, VMs follow, one activity", async () => {
    const h = await start();
    await nightly(h);
    setClock(h, "2026-12-05T01:59:55Z");
    await h.run(4); // 01:59:55 … 02:00:10
    const g = await group(h);
    assert.equal(g.desiredCapacity, 2);
    assert.equal(g.tags.find((t) => t.key === "n_preserve")?.value, "2");
    assert.deepEqual(await h.layout("g"), { hotel: 2 });
    const runs = await scheduled(h);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.cause, "At 2026-12-05T02:00:00Z scheduled action nightly changed the desired capacity from 10 to 2 (min: 0, max: 20, desired: 2).");
    assert.equal(runs[0]!.description, "Changing the desired capacity from 10 to 2");
    // Set back by hand: the occurrence that ran does not run again, on later passes or after a restart.
    await h.api("SetDesiredCapacity", { AutoScalingGroupName: "g", DesiredCapacity: 10 });
    await h.run(3);
    await h.restart();
    await h.run(3);
    assert.equal((await group(h)).desiredCapacity, 10);
    assert.equal((await scheduled(h)).length, 1);
    // The next night runs again.
    setClock(h, "2026-12-06T02:00:05Z");
    await h.run(1);
    assert.equal((await group(h)).desiredCapacity, 2);
    assert.equal((await scheduled(h)).length, 2);
  });

  it("is not skipped when the controller restarts inside the minute", async () => {
    const h = await start();
    await nightly(h);
    setClock(h, "2026-12-05T01:59:58Z");
    await h.run(1);
    // Down from 01:59:58 to 02:00:40: the occurrence at 02:00:00 had no pass.
    await h.restart();
    setClock(h, "2026-12-05T02:00:40Z");
    await h.run(1);
    assert.equal((await group(h)).desiredCapacity, 2);
    assert.equal((await scheduled(h)).length, 1);
  });

  it("runs once when two controllers over one store both find it due", async () => {
    const h = await start();
    await nightly(h);
    const groups = new Map((await h.store.controller.loadSnapshot()).groups.map((g) => [g.group.id, g]));
    const runners = [1, 2].map(() => new ScheduledActionRunner({ store: h.store, logger: createLogger("silent") }));
    const changed = await Promise.all(runners.map((r) => r.run(groups, at("2026-12-05T02:00:01Z"), unfenced)));
    assert.equal(changed.flatMap((c) => c.changed).length, 1);
    assert.equal((await scheduled(h)).length, 1);
    assert.equal((await group(h)).desiredCapacity, 2);
  });

  it("a one-time action runs at its StartTime and is then gone", async () => {
    const h = await start();
    await h.api("PutScheduledUpdateGroupAction", { AutoScalingGroupName: "g", ScheduledActionName: "once", StartTime: at("2026-12-05T03:00:00Z"), MinSize: 12 });
    setClock(h, "2026-12-05T03:00:02Z");
    await h.run(2);
    const g = await group(h);
    assert.deepEqual([g.minSize, g.desiredCapacity], [12, 12]);
    assert.deepEqual(((await h.api("DescribeScheduledActions", {}))!.ScheduledUpdateGroupActions as unknown[]).length, 0);
  });

  it("misses occurrences while ScheduledActions is suspended, as AWS does", async () => {
    const h = await start();
    await nightly(h);
    await h.api("SuspendProcesses", { AutoScalingGroupName: "g", ScalingProcesses: ["ScheduledActions"] });
    setClock(h, "2026-12-05T02:00:01Z");
    await h.run(2);
    await h.api("ResumeProcesses", { AutoScalingGroupName: "g" });
    setClock(h, "2026-12-05T02:11:00Z");
    await h.run(2);
    assert.equal((await group(h)).desiredCapacity, 10);
    assert.equal((await scheduled(h)).length, 0);
  });

  it("on a sensor_engine group, moves the range the metrics move in", async () => {
    const h = await start();
    await h.createSensorGroup("s", "hotel:-1", { minimum_vms: "1", maximum_vms: "3" }, 10);
    await h.api("PutScheduledUpdateGroupAction", { AutoScalingGroupName: "s", ScheduledActionName: "day", Recurrence: "0 8 * * *", MinSize: 4, MaxSize: 6 });
    setClock(h, "2026-12-05T08:00:01Z");
    await h.run(2);
    const s = (await h.store.reads(h.user.id).getGroup("s"))!;
    assert.deepEqual([s.minSize, s.maxSize, s.desiredCapacity], [4, 6, 4]);
    assert.deepEqual(
      ["minimum_vms", "maximum_vms"].map((k) => s.tags.find((t) => t.key === k)?.value),
      ["4", "6"],
    );
    assert.deepEqual(await h.layout("s"), { hotel: 4 });
  });
});
