import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyScheduledAction, dueOccurrence, nextOccurrence, scheduleSpec, type ScheduleInput, type ScheduleSpec } from "./scheduled-actions.js";
import type { Group } from "./types.js";

const NOW = new Date("2026-12-05T08:00:30Z");
const at = (iso: string) => new Date(iso);
const spec = (over: Partial<ScheduleSpec>): ScheduleSpec => ({
  startTime: null,
  endTime: null,
  recurrence: null,
  timeZone: null,
  minSize: null,
  maxSize: null,
  desiredCapacity: 2,
  ...over,
});

describe("scheduleSpec: AWS's rules", () => {
  const refused: [string, Omit<ScheduleInput, "ScheduledActionName">, RegExp][] = [
    ["no sizes", { Recurrence: "0 9 * * *" }, /^At least one of MinSize, MaxSize or DesiredCapacity must be specified\.$/],
    ["min above max", { Recurrence: "0 9 * * *", MinSize: 5, MaxSize: 2 }, /^Max bound, 2, must be greater than or equal to min bound, 5$/],
    ["neither a start nor a recurrence", { DesiredCapacity: 1 }, /^Either StartTime or Recurrence must be given/],
    ["a start in the past", { StartTime: at("2026-12-05T07:00:00Z"), DesiredCapacity: 1 }, /^Given start time is in the past$/],
    ["an end in the past", { Recurrence: "0 9 * * *", EndTime: at("2026-12-05T07:00:00Z"), DesiredCapacity: 1 }, /^Given end time is in the past$/],
    [
      "an end before the start",
      { Recurrence: "0 9 * * *", StartTime: at("2026-12-07T00:00:00Z"), EndTime: at("2026-12-06T00:00:00Z"), DesiredCapacity: 1 },
      /^Start time must be before end time$/,
    ],
    ["Time and StartTime that differ", { Time: at("2026-12-06T00:00:00Z"), StartTime: at("2026-12-07T00:00:00Z"), DesiredCapacity: 1 }, /^Time and StartTime differ/],
    ["six cron fields", { Recurrence: "0 0 9 * * *", DesiredCapacity: 1 }, /^Given recurrence '0 0 9 \* \* \*' is not a valid cron expression: Phantom takes five fields/],
    ["a bad cron field", { Recurrence: "61 9 * * *", DesiredCapacity: 1 }, /^Given recurrence '61 9 \* \* \*' is not a valid cron expression/],
    ["an unknown time zone", { Recurrence: "0 9 * * *", TimeZone: "Mars/Olympus", DesiredCapacity: 1 }, /^Invalid time zone 'Mars\/Olympus'/],
    ["a time zone without a recurrence", { StartTime: at("2026-12-06T00:00:00Z"), TimeZone: "Etc/UTC", DesiredCapacity: 1 }, /^TimeZone is only valid with a Recurrence\.$/],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => scheduleSpec({ ScheduledActionName: "a", ...input }, NOW), { name: "ValidationError", message });
    });
  }

  it("takes Time as StartTime, and keeps what an update leaves out", () => {
    const first = scheduleSpec({ ScheduledActionName: "a", Time: at("2026-12-06T00:00:00Z"), MinSize: 1, DesiredCapacity: 3 }, NOW);
    assert.deepEqual(first, spec({ startTime: at("2026-12-06T00:00:00Z"), minSize: 1, desiredCapacity: 3 }));
    const updated = scheduleSpec({ ScheduledActionName: "a", DesiredCapacity: 5 }, NOW, first);
    assert.deepEqual(updated, spec({ startTime: at("2026-12-06T00:00:00Z"), minSize: 1, desiredCapacity: 5 }));
  });
});

describe("occurrences", () => {
  const putAt = at("2026-12-01T00:00:00Z");
  const rows: [string, Partial<ScheduleSpec> & { putAt?: Date }, Date, string | null][] = [
    ["a daily cron at its minute", { recurrence: "0 8 * * *" }, at("2026-12-05T08:00:00Z"), "2026-12-05T08:00:00.000Z"],
    ["a daily cron 30 s later (a restart inside the minute)", { recurrence: "0 8 * * *" }, at("2026-12-05T08:00:30Z"), "2026-12-05T08:00:00.000Z"],
    ["a daily cron 9 minutes later (a lease taken over)", { recurrence: "0 8 * * *" }, at("2026-12-05T08:09:00Z"), "2026-12-05T08:00:00.000Z"],
    ["a daily cron 11 minutes later: skipped, as AWS does", { recurrence: "0 8 * * *" }, at("2026-12-05T08:11:00Z"), null],
    ["a daily cron before its minute", { recurrence: "0 8 * * *" }, at("2026-12-05T07:59:59Z"), null],
    ["not an occurrence before the action was put", { recurrence: "0 8 * * *", putAt: at("2026-12-05T08:00:10Z") }, at("2026-12-05T08:00:30Z"), null],
    ["in its time zone", { recurrence: "0 9 * * *", timeZone: "Europe/Paris" }, at("2026-12-05T08:00:05Z"), "2026-12-05T08:00:00.000Z"],
    ["not before StartTime", { recurrence: "* * * * *", startTime: at("2026-12-05T08:05:00Z") }, at("2026-12-05T08:03:00Z"), null],
    ["not after EndTime", { recurrence: "0 8 * * *", endTime: at("2026-12-05T07:00:00Z") }, at("2026-12-05T08:00:30Z"), null],
    ["a one-time action at its time", { startTime: at("2026-12-05T08:00:00Z") }, at("2026-12-05T08:00:01Z"), "2026-12-05T08:00:00.000Z"],
    ["a one-time action before its time", { startTime: at("2026-12-05T08:00:00Z") }, at("2026-12-05T07:59:00Z"), null],
  ];
  for (const [what, over, now, expected] of rows) {
    it(`due: ${what}`, () => {
      const due = dueOccurrence({ ...spec(over), putAt: over.putAt ?? putAt }, now);
      assert.equal(due?.toISOString() ?? null, expected);
    });
  }

  it("next: the first occurrence from a moment, within StartTime and EndTime", () => {
    assert.equal(nextOccurrence(spec({ recurrence: "30 2 * * *" }), NOW)?.toISOString(), "2026-12-06T02:30:00.000Z");
    assert.equal(nextOccurrence(spec({ recurrence: "30 2 * * *", endTime: at("2026-12-06T00:00:00Z") }), NOW), null);
    assert.equal(nextOccurrence(spec({ startTime: at("2026-12-09T00:00:00Z") }), NOW)?.toISOString(), "2026-12-09T00:00:00.000Z");
  });
});

describe("applyScheduledAction", () => {
  const group = (definition: Group["definition"], tags: Record<string, string> = {}): Group => ({
    id: "g",
    name: "g",
    arn: "arn",
    launchConfigurationName: "lc",
    launchConfigurationBase: "lc",
    minSize: 0,
    maxSize: 20,
    desiredCapacity: 10,
    defaultCooldown: 300,
    healthCheckType: "EC2",
    healthCheckGracePeriod: 0,
    definition,
    clouds: [{ site: "hotel", max: -1 }],
    tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
    status: "active",
    createdTime: NOW,
    scaledAt: null,
    extra: {},
  });
  const tag = (g: Group | null, key: string) => g?.tags.find((t) => t.key === key)?.value;

  it("on a Phantom group, the desired capacity is n_preserve", () => {
    const c = applyScheduledAction(group("error_overflow_n_preserving", { n_preserve: "10" }), { ...spec({ desiredCapacity: 2 }), name: "nightly" }, NOW);
    assert.equal(c.group?.desiredCapacity, 2);
    assert.equal(tag(c.group, "n_preserve"), "2");
    assert.equal(c.cause, "At 2026-12-05T08:00:30Z scheduled action nightly changed the desired capacity from 10 to 2 (min: 0, max: 20, desired: 2).");
  });

  it("on a sensor_engine group, the bounds move the range the metrics move in", () => {
    const c = applyScheduledAction(group("sensor_engine", { minimum_vms: "1", maximum_vms: "5" }), { ...spec({ minSize: 4, maxSize: 8, desiredCapacity: null }), name: "day" }, NOW);
    assert.deepEqual([c.group?.minSize, c.group?.maxSize, c.group?.desiredCapacity], [4, 8, 8]);
    assert.deepEqual([tag(c.group, "minimum_vms"), tag(c.group, "maximum_vms")], ["4", "8"]);
  });

  it("brings the desired capacity within new bounds; a plain group gets no tag", () => {
    const c = applyScheduledAction(group(null), { ...spec({ minSize: 12, desiredCapacity: null }), name: "up" }, NOW);
    assert.deepEqual([c.group?.minSize, c.group?.desiredCapacity, c.group?.tags], [12, 12, []]);
  });

  it("cannot run a minimum above the group's maximum, and says so", () => {
    const c = applyScheduledAction(group(null), { ...spec({ minSize: 30, desiredCapacity: null }), name: "big" }, NOW);
    assert.equal(c.group, null);
    assert.match(c.cause, /scheduled action big could not run: its minimum size 30 is above the group's maximum size 20\.$/);
  });
});
