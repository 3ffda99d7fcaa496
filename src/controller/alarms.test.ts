// Metric alarms in the controller, on a virtual clock: an alarm entering ALARM runs its scaling
// policy (activity cause naming the alarm), again each period while it stays there subject to the
// simple policy's cooldown, and stops when it goes back to OK; step policies are measured against
// the breaching value and a step repeated during warm-up adds nothing; AlarmNotification and
// ActionsEnabled are obeyed; SetAlarmState runs the actions of the state set; state and the last
// run survive a restart; a replica that lost the shard records nothing.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ControllerHarness } from "../test-support/controller-harness.js";
import { createLogger } from "../observability/logger.js";
import { AlarmEvaluator } from "./alarm-evaluator.js";

const at = (iso: string) => new Date(iso);
/** Moves the harness's clock forward to `iso`. */
const setClock = (h: ControllerHarness, iso: string) => h.clock.advance(at(iso).getTime() - h.clock.now().getTime());

describe("metric alarms run scaling policies, on a virtual clock", () => {
  const harnesses: ControllerHarness[] = [];
  after(() => Promise.all(harnesses.map((h) => h.close())));

  /** A group `g` of 2 VMs on hotel (max 10), its clock at 13:00:00. */
  const start = async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }]);
    harnesses.push(h);
    setClock(h, "2026-12-05T12:59:50Z");
    await h.createGroup("g", "hotel:-1", 2, { maxSize: 10 });
    await h.run(2);
    return h;
  };
  const desired = async (h: ControllerHarness) => (await h.store.reads(h.user.id).getGroup("g"))!.desiredCapacity;
  /** The causes of the alarms' activities, oldest first. */
  const alarmCauses = async (h: ControllerHarness) =>
    (await h.activities("g"))
      .filter((a) => a.cause.includes("monitor alarm"))
      .sort((a, b) => a.startTime.getTime() - b.startTime.getTime())
      .map((a) => a.cause);
  /** `Load` of group g in the minute starting at `iso`. */
  const load = (h: ControllerHarness, iso: string, value: number) =>
    h.api("PutMetricData", {
      Namespace: "App",
      MetricData: [{ MetricName: "Load", Dimensions: [{ Name: "AutoScalingGroupName", Value: "g" }], Timestamp: at(iso), Value: value }],
    });
  const policy = async (h: ControllerHarness, input: Record<string, unknown>) =>
    (await h.api("PutScalingPolicy", { AutoScalingGroupName: "g", ...input }))!.PolicyARN as string;
  const alarm = (h: ControllerHarness, actions: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    h.api("PutMetricAlarm", {
      AlarmName: "high",
      Namespace: "App",
      MetricName: "Load",
      Dimensions: [{ Name: "AutoScalingGroupName", Value: "g" }],
      Statistic: "Average",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 70,
      ComparisonOperator: "GreaterThanThreshold",
      ...actions,
      ...over,
    });
  const described = async (h: ControllerHarness) => ((await h.api("DescribeAlarms", { AlarmNames: ["high"] }))!.MetricAlarms as { StateValue: string; StateReason: string }[])[0]!;
  const history = async (h: ControllerHarness, type: string) =>
    ((await h.api("DescribeAlarmHistory", { AlarmName: "high", HistoryItemType: type, ScanBy: "TimestampAscending" }))!.AlarmHistoryItems as { HistorySummary: string }[]).map(
      (i) => i.HistorySummary,
    );

  it("enters ALARM and runs a simple policy, again each period once the cooldown is over, and stops at OK", async () => {
    const h = await start();
    const out = await policy(h, { PolicyName: "out", AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 2, Cooldown: 120 });
    await alarm(h, { AlarmActions: [out] });
    await load(h, "2026-12-05T13:00:10Z", 85);
    setClock(h, "2026-12-05T13:01:05Z");
    await h.run(1);
    assert.equal(await desired(h), 4);
    assert.deepEqual(await alarmCauses(h), ["At 2026-12-05T13:01:05Z a monitor alarm high in state ALARM triggered policy out changing the desired capacity from 2 to 4."]);
    const a = await described(h);
    assert.equal(a.StateValue, "ALARM");
    assert.equal(
      a.StateReason,
      "Threshold Crossed: 1 out of the last 1 datapoints [85.0 (05/12/26 13:00:00)] was greater than the threshold (70.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition).",
    );
    assert.deepEqual(await history(h, "StateUpdate"), ["Alarm updated from INSUFFICIENT_DATA to ALARM"]);
    assert.deepEqual(await history(h, "Action"), [`Successfully executed action ${out}`]);
    assert.deepEqual(await h.layout("g"), { hotel: 4 }, "placement follows the new desired capacity");

    // Still breaching: passes within the period run nothing; the next period is inside the cooldown.
    for (const minute of ["13:01", "13:02", "13:03", "13:04"]) await load(h, `2026-12-05T${minute}:10Z`, 90);
    await h.run(6); // to 13:01:35
    setClock(h, "2026-12-05T13:02:10Z");
    await h.run(1);
    assert.equal(await desired(h), 4, "in the cooldown of 120 s");
    setClock(h, "2026-12-05T13:03:10Z");
    await h.run(1);
    assert.equal(await desired(h), 6, "the next period after the cooldown");
    assert.equal((await alarmCauses(h)).length, 2);

    await load(h, "2026-12-05T13:05:10Z", 10);
    setClock(h, "2026-12-05T13:06:05Z");
    await h.run(3);
    assert.equal((await described(h)).StateValue, "OK");
    setClock(h, "2026-12-05T13:09:05Z");
    await h.run(2);
    assert.equal(await desired(h), 6);
    // No data since 13:05: missing data (the default treatment) makes it INSUFFICIENT_DATA.
    assert.deepEqual(await history(h, "StateUpdate"), [
      "Alarm updated from INSUFFICIENT_DATA to ALARM",
      "Alarm updated from ALARM to OK",
      "Alarm updated from OK to INSUFFICIENT_DATA",
    ]);
  });

  it("measures step adjustments against the breaching value; a step repeated while warming up adds nothing, a larger one adds the difference", async () => {
    const h = await start();
    const steps = [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 20, MetricIntervalUpperBound: 40, ScalingAdjustment: 3 },
      { MetricIntervalLowerBound: 40, ScalingAdjustment: 6 },
    ];
    const out = await policy(h, { PolicyName: "steps", PolicyType: "StepScaling", AdjustmentType: "ChangeInCapacity", StepAdjustments: steps, EstimatedInstanceWarmup: 300 });
    await alarm(h, { AlarmActions: [out] });
    await load(h, "2026-12-05T13:00:10Z", 95); // 25 above the threshold: +3
    setClock(h, "2026-12-05T13:01:05Z");
    await h.run(1);
    assert.equal(await desired(h), 5);
    await load(h, "2026-12-05T13:01:10Z", 95);
    setClock(h, "2026-12-05T13:02:05Z");
    await h.run(1);
    assert.equal(await desired(h), 5, "the same step during the warm-up: one change");
    await load(h, "2026-12-05T13:02:10Z", 115); // 45 above: +6 from the 2 before the warm-up
    setClock(h, "2026-12-05T13:03:05Z");
    await h.run(1);
    assert.equal(await desired(h), 8);
    assert.deepEqual(await alarmCauses(h), [
      "At 2026-12-05T13:01:05Z a monitor alarm high in state ALARM triggered policy steps changing the desired capacity from 2 to 5.",
      "At 2026-12-05T13:03:05Z a monitor alarm high in state ALARM triggered policy steps changing the desired capacity from 5 to 8.",
    ]);
    // After the warm-up the step counts from the capacity again, clamped to MaxSize.
    await load(h, "2026-12-05T13:08:10Z", 115);
    setClock(h, "2026-12-05T13:09:05Z");
    await h.run(1);
    assert.equal(await desired(h), 10);
    assert.match((await alarmCauses(h))[2]!, /from 8 to 10 \(14 clamped to MaxSize 10\)\.$/);
  });

  it("changes state but runs nothing while AlarmNotification is suspended or actions are disabled; runs once resumed", async () => {
    const h = await start();
    const out = await policy(h, { PolicyName: "out", AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 });
    await alarm(h, { AlarmActions: [out] });
    await h.api("SuspendProcesses", { AutoScalingGroupName: "g", ScalingProcesses: ["AlarmNotification"] });
    for (const minute of ["13:00", "13:01", "13:02"]) await load(h, `2026-12-05T${minute}:10Z`, 85);
    setClock(h, "2026-12-05T13:01:05Z");
    await h.run(3);
    assert.equal((await described(h)).StateValue, "ALARM");
    assert.equal(await desired(h), 2);
    await h.api("DisableAlarmActions", { AlarmNames: ["high"] });
    await h.api("ResumeProcesses", { AutoScalingGroupName: "g" });
    setClock(h, "2026-12-05T13:02:05Z");
    await h.run(2);
    assert.equal(await desired(h), 2, "actions disabled");
    await h.api("EnableAlarmActions", { AlarmNames: ["high"] });
    setClock(h, "2026-12-05T13:02:30Z");
    await h.run(1);
    assert.equal(await desired(h), 3);
  });

  it("runs the actions of a state set with SetAlarmState once, then evaluates the metric again", async () => {
    const h = await start();
    const out = await policy(h, { PolicyName: "out", AdjustmentType: "ExactCapacity", ScalingAdjustment: 6 });
    await alarm(h, { AlarmActions: [out] });
    await load(h, "2026-12-05T13:00:10Z", 5);
    setClock(h, "2026-12-05T13:01:05Z");
    await h.run(1);
    assert.equal((await described(h)).StateValue, "OK");
    await h.api("SetAlarmState", { AlarmName: "high", StateValue: "ALARM", StateReason: "drill" });
    await h.run(1);
    assert.equal(await desired(h), 6);
    await h.run(1);
    assert.equal((await described(h)).StateValue, "OK");
    assert.equal((await alarmCauses(h)).length, 1);
  });

  it("keeps the state and the last run across a restart: no second run inside the period", async () => {
    const h = await start();
    const out = await policy(h, { PolicyName: "out", AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 });
    await alarm(h, { AlarmActions: [out] }, { Period: 300 });
    await load(h, "2026-12-05T13:00:10Z", 85);
    setClock(h, "2026-12-05T13:05:05Z");
    await h.run(1);
    assert.equal(await desired(h), 3);
    await h.restart();
    await h.run(5);
    assert.equal(await desired(h), 3);
    assert.equal((await described(h)).StateValue, "ALARM");
    assert.equal((await history(h, "StateUpdate")).length, 1);
  });

  it("records nothing for an alarm whose shard this replica no longer holds, and reports the shard lost", async () => {
    const h = await start();
    const out = await policy(h, { PolicyName: "out", AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 });
    await alarm(h, { AlarmActions: [out] });
    await load(h, "2026-12-05T13:00:10Z", 85);
    const groups = new Map((await h.store.controller.loadSnapshot()).groups.map((g) => [g.group.id, g]));
    const evaluator = new AlarmEvaluator({ store: h.store, logger: createLogger("silent") });
    const now = at("2026-12-05T13:01:05Z");
    const notHeld = await evaluator.run(groups, now, () => null);
    assert.deepEqual(notHeld, { changed: [], lostShards: [] });
    const stale = await evaluator.run(groups, now, () => ({ holder: "someone-else", leases: [{ shard: 3, epoch: 99 }], now, stallLimitMs: 15_000 }));
    assert.deepEqual(stale, { changed: [], lostShards: [3] });
    assert.equal(await desired(h), 2);
    assert.equal((await described(h)).StateValue, "INSUFFICIENT_DATA");
  });
});
