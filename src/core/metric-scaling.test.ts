import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  sensorSeries,
  capacityChangeActivity,
  clamp,
  combineChanges,
  decideSensor,
  decideTargetTracking,
  sampleValue,
  type CapacityChange,
  type Sample,
  type ScalingGroup,
  type TargetTracking,
} from "./metric-scaling.js";
import { parseSensorTags, type SensorDefinition } from "./sensor-tags.js";
import type { Statistic } from "./metric-data.js";

const T = (hms: string) => new Date(`2026-11-26T${hms}Z`);
const NOW = T("12:05:30");
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const minuteStart = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);

/** One minute's aggregate: `count` samples of `value`. */
const sample = (minute: Date | string, value: number, count = 1): Sample => ({
  minute: typeof minute === "string" ? T(minute) : minute,
  sampleCount: count,
  sum: value * count,
  minimum: value,
  maximum: value,
});

describe("sampleValue", () => {
  const cases: [string, Sample[], Statistic, number, Date, number | null][] = [
    ["the minute now is in counts", [sample("12:05:00", 7)], "Average", 60, NOW, 7],
    ["a minute overlapping the start of the window counts", [sample("12:04:00", 7)], "Average", 60, NOW, 7],
    ["a minute that ended at the start of the window does not", [sample("12:03:00", 7)], "Average", 60, T("12:05:00"), null],
    ["a minute ending a millisecond after the start of the window counts", [sample("12:03:00", 7)], "Average", 60, T("12:04:59.999"), 7],
    ["a minute starting exactly at now counts", [sample("12:05:00", 7)], "Average", 60, T("12:05:00"), 7],
    ["a minute starting after now is ignored", [sample("12:06:00", 7)], "Average", 60, NOW, null],
    ["a minute starting a millisecond after now is ignored", [sample("12:05:00", 7)], "Average", 60, T("12:04:59.999"), null],
    ["a minute before the window is ignored", [sample("12:03:00", 100), sample("12:05:00", 1)], "Maximum", 60, NOW, 1],
    ["a longer period reaches back further", [sample("12:00:00", 1), sample("11:59:00", 100), sample("12:05:00", 3)], "Sum", 300, NOW, 4],
    ["Average is weighted by sample counts", [sample("12:04:00", 10, 1), sample("12:05:00", 2, 3)], "Average", 60, NOW, 4],
    ["SampleCount adds the counts", [sample("12:04:00", 10, 2), sample("12:05:00", 2, 3)], "SampleCount", 60, NOW, 5],
    ["Minimum over the window", [sample("12:04:00", 10), sample("12:05:00", 2)], "Minimum", 60, NOW, 2],
    ["no samples", [], "Average", 60, NOW, null],
  ];
  for (const [name, samples, statistic, period, now, expected] of cases) {
    it(name, () => assert.equal(sampleValue(samples, statistic, period, now), expected));
  }
});

const group = (over: Partial<ScalingGroup> = {}): ScalingGroup => ({
  name: "web",
  desiredCapacity: 3,
  minSize: 1,
  maxSize: 10,
  defaultCooldown: 300,
  scaledAt: null,
  ...over,
});

function sensor(over: Record<string, string> = {}): SensorDefinition {
  const all = { metric: "MyApp/QueueLength", scale_up_threshold: "100", scale_down_threshold: "10", ...over };
  return parseSensorTags(Object.entries(all).map(([key, value]) => ({ key, value })));
}

describe("decideSensor", () => {
  const cases: [string, Record<string, string>, Partial<ScalingGroup>, number, number | null, RegExp?][] = [
    ["above scale_up_threshold grows by one", {}, {}, 150, 4, /\(above scale_up_threshold 100\), changing the desired capacity from 3 to 4\.$/],
    ["above scale_up_threshold grows by scale_up_n_vms", { scale_up_n_vms: "3" }, {}, 101, 6, /from 3 to 6\.$/],
    ["below scale_down_threshold shrinks by one", {}, {}, 5, 2, /\(below scale_down_threshold 10\), changing the desired capacity from 3 to 2\.$/],
    ["below scale_down_threshold shrinks by scale_down_n_vms", { scale_down_n_vms: "2" }, {}, 9.99, 1, /was 9\.99 .*from 3 to 1\.$/],
    ["between the thresholds keeps the size", {}, {}, 50, null],
    ["exactly at scale_up_threshold keeps the size", {}, {}, 100, null],
    ["exactly at scale_down_threshold keeps the size", {}, {}, 10, null],
    ["a negative value below a negative threshold shrinks", { scale_up_threshold: "-1", scale_down_threshold: "-5" }, {}, -6, 2, /was -6 \(below scale_down_threshold -5\)/],
    ["a step past maximum_vms is clamped to it", { scale_up_n_vms: "3", maximum_vms: "4" }, {}, 150, 4, /from 3 to 4 \(6 clamped to maximum_vms 4\)\.$/],
    ["a step past MaxSize is clamped to it", { scale_up_n_vms: "3" }, { desiredCapacity: 9 }, 150, 10, /from 9 to 10 \(12 clamped to MaxSize 10\)\.$/],
    ["a maximum_vms above MaxSize gives way to MaxSize", { scale_up_n_vms: "3", maximum_vms: "12" }, { desiredCapacity: 9 }, 150, 10, /\(12 clamped to MaxSize 10\)\.$/],
    ["a step below minimum_vms is clamped to it", { scale_down_n_vms: "3", minimum_vms: "2" }, {}, 5, 2, /from 3 to 2 \(0 clamped to minimum_vms 2\)\.$/],
    ["a step below MinSize is clamped to it", { scale_down_n_vms: "3" }, { desiredCapacity: 2 }, 5, 1, /from 2 to 1 \(-1 clamped to MinSize 1\)\.$/],
    ["a minimum_vms below MinSize gives way to MinSize", { scale_down_n_vms: "3", minimum_vms: "0" }, { desiredCapacity: 2 }, 5, 1, /\(-1 clamped to MinSize 1\)\.$/],
    ["already at maximum_vms keeps the size", { maximum_vms: "3" }, {}, 150, null],
    ["already at MaxSize keeps the size", {}, { desiredCapacity: 10 }, 150, null],
    ["already at minimum_vms keeps the size", { minimum_vms: "3" }, {}, 5, null],
    ["already at MinSize keeps the size", {}, { desiredCapacity: 1 }, 5, null],
  ];
  for (const [name, over, groupOver, value, desired, cause] of cases) {
    it(name, () => {
      const change = decideSensor(sensor(over), group(groupOver), [sample("12:05:00", value)], NOW);
      assert.equal(change?.desired ?? null, desired);
      if (cause) assert.match(change!.cause, cause);
    });
  }

  it("states the time, statistic, metric, period, value, threshold and both counts in the Cause", () => {
    const change = decideSensor(sensor({ sample_function: "Maximum", sample_period: "120" }), group(), [sample("12:04:00", 150.123456)], NOW);
    assert.deepEqual(change, {
      desired: 4,
      cause:
        "At 2026-11-26T12:05:30Z the Maximum of MyApp/QueueLength over the last 120 s was 150.1235 " +
        "(above scale_up_threshold 100), changing the desired capacity from 3 to 4.",
    });
  });

  it("reads the statistic of sample_function over sample_period", () => {
    const samples = [sample("12:02:00", 400), sample("12:05:00", 20)];
    assert.equal(decideSensor(sensor(), group(), samples, NOW), null, "Average over 60 s sees only 20");
    assert.equal(decideSensor(sensor({ sample_period: "240" }), group(), samples, NOW)?.desired, 4, "Average over 240 s is 210");
    assert.equal(decideSensor(sensor({ sample_function: "Minimum", sample_period: "240" }), group(), samples, NOW), null, "Minimum over 240 s is 20");
  });

  it("keeps the size without samples in the period", () => {
    assert.equal(decideSensor(sensor(), group(), [], NOW), null);
    assert.equal(decideSensor(sensor(), group(), [sample("12:00:00", 500)], NOW), null);
  });

  const scaledAt = T("12:00:00");
  const cooldowns: [string, Record<string, string>, Partial<ScalingGroup>, Date, number | null][] = [
    ["cooldown_period: one millisecond before it ends, nothing", { cooldown_period: "120" }, { scaledAt }, plus(scaledAt, 119_999), null],
    ["cooldown_period: the moment it ends, the group scales", { cooldown_period: "120" }, { scaledAt }, plus(scaledAt, 120_000), 4],
    ["cooldown_period wins over a longer DefaultCooldown", { cooldown_period: "60" }, { scaledAt, defaultCooldown: 600 }, plus(scaledAt, 60_000), 4],
    ["no cooldown_period: DefaultCooldown, one millisecond before it ends", {}, { scaledAt }, plus(scaledAt, 299_999), null],
    ["no cooldown_period: DefaultCooldown, the moment it ends", {}, { scaledAt }, plus(scaledAt, 300_000), 4],
    ["cooldown_period 0 allows a change at once", { cooldown_period: "0" }, { scaledAt }, scaledAt, 4],
    ["never scaled: no cooldown", {}, { scaledAt: null }, scaledAt, 4],
  ];
  for (const [name, over, groupOver, now, desired] of cooldowns) {
    it(name, () => {
      const change = decideSensor(sensor(over), group(groupOver), [sample(minuteStart(now), 150)], now);
      assert.equal(change?.desired ?? null, desired);
    });
  }

  /**
   * Minute m carries 150 (above) when m is even, 5 (below) when odd. At the start of each minute
   * the controller decides on what it has (the minutes before) and applies the change.
   */
  function simulate(cooldownSeconds: number, minutes: number): Date[] {
    const def = sensor({ cooldown_period: String(cooldownSeconds) });
    let g = group({ desiredCapacity: 5 });
    const samples: Sample[] = [];
    const changes: Date[] = [];
    for (let m = 0; m < minutes; m++) {
      samples.push(sample(plus(T("12:00:00"), m * 60_000), m % 2 === 0 ? 150 : 5));
      const now = plus(T("12:00:00"), (m + 1) * 60_000);
      const change = decideSensor(def, g, samples, now);
      if (change) {
        g = { ...g, desiredCapacity: change.desired, scaledAt: now };
        changes.push(now);
      }
    }
    return changes;
  }

  it("flaps every minute without a cooldown (the sequence alternates around the thresholds)", () => {
    assert.equal(simulate(0, 30).length, 30);
  });

  for (const cooldown of [120, 180, 300]) {
    it(`changes at most once per ${cooldown} s cooldown while the value alternates`, () => {
      const changes = simulate(cooldown, 30);
      assert.ok(changes.length > 1, "it still scales");
      assert.ok(changes.length <= Math.ceil((30 * 60) / cooldown), `${changes.length} changes in 30 minutes`);
      for (let i = 1; i < changes.length; i++) {
        assert.ok(changes[i]!.getTime() - changes[i - 1]!.getTime() >= cooldown * 1000, `changes ${i - 1} and ${i} too close`);
      }
    });
  }
});

describe("decideTargetTracking", () => {
  const tt = (over: Partial<TargetTracking> = {}): TargetTracking => ({
    policyName: "cpu50",
    namespace: "MyApp",
    metricName: "CPU",
    statistic: "Average",
    targetValue: 50,
    disableScaleIn: false,
    cooldownSeconds: null,
    ...over,
  });
  const cases: [string, Partial<TargetTracking>, Partial<ScalingGroup>, number, number | null, RegExp?][] = [
    ["4 VMs at 45 against 50 stay at 4 (3 would be above the target)", {}, { desiredCapacity: 4 }, 45, null],
    ["4 VMs at 37 against 50 go to 3 (3 stay at or below the target)", {}, { desiredCapacity: 4 }, 37, 3, /at 37 against its target 50, changing the desired capacity from 4 to 3\.$/],
    ["4 VMs at 37.5 against 50 go to exactly 3", {}, { desiredCapacity: 4 }, 37.5, 3],
    ["4 VMs at the target stay", {}, { desiredCapacity: 4 }, 50, null],
    ["4 VMs just above the target grow by one", {}, { desiredCapacity: 4 }, 51, 5],
    ["4 VMs at twice the target double", {}, { desiredCapacity: 4 }, 100, 8],
    ["4 VMs at half the target halve", {}, { desiredCapacity: 4 }, 25, 2],
    ["an empty group scales from one VM", {}, { desiredCapacity: 0, minSize: 0 }, 120, 3, /from 0 to 3\.$/],
    ["an empty group with no load stays empty", {}, { desiredCapacity: 0, minSize: 0 }, 0, null],
    ["no load shrinks to MinSize, stated", {}, { desiredCapacity: 4 }, 0, 1, /from 4 to 1 \(0 clamped to MinSize 1\)\.$/],
    ["a negative value shrinks to MinSize", {}, { desiredCapacity: 4 }, -3, 1],
    ["DisableScaleIn keeps the size below the target", { disableScaleIn: true }, { desiredCapacity: 4 }, 25, null],
    ["DisableScaleIn still scales out", { disableScaleIn: true }, { desiredCapacity: 4 }, 100, 8],
    ["a scale-out past MaxSize is clamped, stated", {}, { desiredCapacity: 4 }, 200, 10, /from 4 to 10 \(16 clamped to MaxSize 10\)\.$/],
    ["already at MaxSize keeps the size", {}, { desiredCapacity: 10 }, 200, null],
    ["already at MinSize keeps the size", {}, { desiredCapacity: 1 }, 10, null],
    ["Maximum as the statistic", { statistic: "Maximum" }, { desiredCapacity: 2 }, 75, 3, /found the Maximum of MyApp\/CPU at 75/],
  ];
  for (const [name, over, groupOver, value, desired, cause] of cases) {
    it(name, () => {
      const change = decideTargetTracking(tt(over), group(groupOver), [sample("12:05:00", value)], NOW);
      assert.equal(change?.desired ?? null, desired);
      if (cause) assert.match(change!.cause, cause);
    });
  }

  it("states the time, policy, statistic, metric, value, target and counts in the Cause", () => {
    assert.deepEqual(decideTargetTracking(tt(), group({ desiredCapacity: 4 }), [sample("12:05:00", 62.55555)], NOW), {
      desired: 6,
      cause: "At 2026-11-26T12:05:30Z target tracking policy cpu50 found the Average of MyApp/CPU at 62.5556 against its target 50, changing the desired capacity from 4 to 6.",
    });
  });

  it("keeps the size without samples, or with a target that is not positive", () => {
    assert.equal(decideTargetTracking(tt(), group({ desiredCapacity: 4 }), [], NOW), null);
    assert.equal(decideTargetTracking(tt(), group({ desiredCapacity: 4 }), [sample("12:00:00", 500)], NOW), null);
    assert.equal(decideTargetTracking(tt({ targetValue: 0 }), group({ desiredCapacity: 4 }), [sample("12:05:00", 500)], NOW), null);
  });

  it("does not flap when an even load settles just under the target", () => {
    const load = 148;
    let g = group({ desiredCapacity: 4, defaultCooldown: 0 });
    const sizes: number[] = [];
    for (let m = 0; m < 10; m++) {
      const now = plus(T("12:00:30"), m * 60_000);
      const change = decideTargetTracking(tt(), g, [sample(minuteStart(now), load / g.desiredCapacity)], now);
      if (change) g = { ...g, desiredCapacity: change.desired, scaledAt: now };
      sizes.push(g.desiredCapacity);
    }
    assert.deepEqual(sizes, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
  });

  const scaledAt = T("12:00:00");
  const cooldowns: [string, number | null, number, number | null][] = [
    ["EstimatedInstanceWarmup: one millisecond before it ends, nothing", 120, 119_999, null],
    ["EstimatedInstanceWarmup: the moment it ends, it scales", 120, 120_000, 8],
    ["EstimatedInstanceWarmup wins over a longer DefaultCooldown", 60, 60_000, 8],
    ["no warmup: DefaultCooldown, one millisecond before it ends", null, 299_999, null],
    ["no warmup: DefaultCooldown, the moment it ends", null, 300_000, 8],
  ];
  for (const [name, cooldownSeconds, after, desired] of cooldowns) {
    it(name, () => {
      const now = plus(scaledAt, after);
      const change = decideTargetTracking(tt({ cooldownSeconds }), group({ desiredCapacity: 4, scaledAt }), [sample(minuteStart(now), 100)], now);
      assert.equal(change?.desired ?? null, desired);
    });
  }
});

describe("combineChanges", () => {
  const c = (desired: number): CapacityChange => ({ desired, cause: `to ${desired}` });
  const cases: [string, (CapacityChange | null)[], string | null][] = [
    ["none: null", [], null],
    ["only nulls: null", [null, null], null],
    ["one scale-out", [c(5)], "to 5"],
    ["the largest scale-out wins", [c(5), c(7), c(6)], "to 7"],
    ["a scale-out wins over a scale-in", [c(2), c(5)], "to 5"],
    ["a scale-out wins over no decision", [null, c(5)], "to 5"],
    ["scale-in when every decision scales in, by the smallest step", [c(2), c(3), c(1)], "to 3"],
    ["no scale-in when one decision has none", [c(2), null], null],
    ["no scale-in when one decision keeps the current size", [c(2), c(4)], null],
    ["a decision for the current size alone: null", [c(4)], null],
  ];
  for (const [name, changes, cause] of cases) {
    it(name, () => assert.equal(combineChanges(4, changes)?.cause ?? null, cause));
  }
});

describe("sensorSeries", () => {
  const ids = new Set(["i-1", "i-2"]);
  const cases: [string, { name: string; value: string }[], boolean][] = [
    ["exactly AutoScalingGroupName=<group>", [{ name: "AutoScalingGroupName", value: "web" }], true],
    ["another group's name", [{ name: "AutoScalingGroupName", value: "db" }], false],
    ["exactly InstanceId=<one of its VMs>", [{ name: "InstanceId", value: "i-2" }], true],
    ["another VM", [{ name: "InstanceId", value: "i-9" }], false],
    ["the group's name as an InstanceId", [{ name: "InstanceId", value: "web" }], false],
    ["a VM id as the group name", [{ name: "AutoScalingGroupName", value: "i-1" }], false],
    ["the dimension name in another case", [{ name: "autoscalinggroupname", value: "web" }], false],
    ["the group dimension with another one", [{ name: "AutoScalingGroupName", value: "web" }, { name: "InstanceId", value: "i-1" }], false],
    ["no dimensions", [], false],
  ];
  for (const [name, dims, expected] of cases) {
    it(`${expected ? "takes" : "leaves"} ${name}`, () =>
      assert.equal(sensorSeries("web", ids).some((s) => JSON.stringify(s) === JSON.stringify(dims)), expected));
  }
});

describe("clamp", () => {
  const names = { min: "MinSize", max: "MaxSize" };
  const cases: [string, number, { desired: number; note: string }][] = [
    ["inside: unchanged, no note", 5, { desired: 5, note: "" }],
    ["at the minimum: no note", 1, { desired: 1, note: "" }],
    ["at the maximum: no note", 10, { desired: 10, note: "" }],
    ["above: the maximum, said", 12, { desired: 10, note: " (12 clamped to MaxSize 10)" }],
    ["below: the minimum, said", -1, { desired: 1, note: " (-1 clamped to MinSize 1)" }],
  ];
  for (const [name, wanted, expected] of cases) {
    it(name, () => assert.deepEqual(clamp(wanted, 1, 10, names), expected));
  }
  it("uses the names it is given", () => {
    assert.equal(clamp(9, 0, 4, { min: "minimum_vms", max: "maximum_vms" }).note, " (9 clamped to maximum_vms 4)");
  });
});

describe("capacityChangeActivity", () => {
  const g = { id: "g-1", name: "web", arn: "arn:g" };
  it("records a successful, finished change with its cause", () => {
    assert.deepEqual(capacityChangeActivity(g, 3, { desired: 5, cause: "because" }, NOW, "a-1"), {
      id: "a-1",
      groupId: "g-1",
      groupName: "web",
      groupArn: "arn:g",
      description: "Changing the desired capacity from 3 to 5",
      cause: "because",
      startTime: NOW,
      endTime: NOW,
      statusCode: "Successful",
      statusMessage: null,
      progress: 100,
      details: "{}",
    });
  });
  const lengths: [string, number, number, boolean][] = [
    ["keeps a Cause of 1023 characters", 1023, 1023, false],
    ["cuts a Cause of 1024 characters to 1023, ending with an ellipsis", 1024, 1023, true],
    ["cuts a long Cause to 1023", 5000, 1023, true],
  ];
  for (const [name, length, expected, cut] of lengths) {
    it(name, () => {
      const cause = capacityChangeActivity(g, 3, { desired: 5, cause: "x".repeat(length) }, NOW, "a-1").cause;
      assert.equal(cause.length, expected);
      assert.equal(cause.endsWith("…"), cut);
    });
  }
});
