import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { placementFromTags } from "./placement-tags.js";
import { changeTags, createGroup, setDesiredCapacity, tagsFromInput, updateGroup, type CreateGroupInput } from "./group-changes.js";
import { parseSensorTags } from "./sensor-tags.js";
import { isPhantomError, type AwsErrorCode } from "./errors.js";
import type { SiteCatalog } from "./sites.js";
import type { GroupTag } from "./types.js";

const catalog: SiteCatalog = { names: ["hotel", "sierra", "ec2"], defaultSite: "hotel" };
const identity = { id: "g-1", arn: "arn:phantom:autoscaling:phantom:123456789012:autoScalingGroup:g-1:autoScalingGroupName/g", now: new Date(0) };

function fails(fn: () => unknown, code: AwsErrorCode, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isPhantomError(e, code), `expected ${code}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

const tag = (key: string, value: string): GroupTag => ({ key, value, propagateAtLaunch: false });

/** Sensor group tags as `key=value` pairs; `undefined` drops a tag. */
function sensorTags(over: Record<string, string | undefined> = {}): { Key: string; Value: string }[] {
  const all: Record<string, string | undefined> = {
    PHANTOM_DEFINITION: "sensor_engine",
    clouds: "hotel:8,ec2:-1",
    metric: "MyApp/QueueLength",
    scale_up_threshold: "100",
    scale_down_threshold: "10",
    ...over,
  };
  return Object.entries(all)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([Key, Value]) => ({ Key, Value }));
}
const asTags = (input: { Key: string; Value: string }[]) => input.map((t) => ({ key: t.Key, value: t.Value }));

const sensorInput = (over: Partial<CreateGroupInput> = {}, tagOver: Record<string, string | undefined> = {}): CreateGroupInput => ({
  AutoScalingGroupName: "s",
  LaunchConfigurationName: "mylaunch",
  MinSize: 1,
  MaxSize: 10,
  Tags: sensorTags(tagOver),
  ...over,
});

describe("placementFromTags with PHANTOM_DEFINITION=sensor_engine", () => {
  it("returns the sensor definition, the clouds and no n_preserve", () => {
    const p = placementFromTags(asTags(sensorTags({ minimum_vms: "2" })), catalog);
    assert.deepEqual(p, {
      definition: "sensor_engine",
      clouds: [{ site: "hotel", max: 8 }, { site: "ec2", max: -1 }],
      nPreserve: null,
      sensor: parseSensorTags(asTags(sensorTags({ minimum_vms: "2" }))),
    });
    assert.equal(p?.sensor?.minimumVms, 2);
  });

  const refused: [string, Record<string, string | undefined>, RegExp][] = [
    ["a group without clouds", { clouds: undefined }, /A group with PHANTOM_DEFINITION=sensor_engine needs the tag clouds=<site>:<max>.*Configured sites: hotel, sierra, ec2/],
    ["n_preserve, naming minimum_vms and maximum_vms", { n_preserve: "3" }, /The tag n_preserve does not apply to a PHANTOM_DEFINITION=sensor_engine group: its size follows the metric between minimum_vms and maximum_vms\. Remove n_preserve\./],
    ["a bad clouds tag", { clouds: "mars:1" }, /'mars' is not a configured site/],
    ["missing sensor tags", { metric: undefined }, /needs the tag metric=Namespace\/MetricName/],
    ["bad sensor tags", { sample_period: "61" }, /sample_period='61' must be a multiple of 60/],
  ];
  for (const [name, over, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => placementFromTags(asTags(sensorTags(over)), catalog), "ValidationError", pattern));
  }
});

describe("createGroup of a sensor group", () => {
  const created: [string, Partial<CreateGroupInput>, Record<string, string | undefined>, number][] = [
    ["desired capacity defaults to minimum_vms", {}, { minimum_vms: "3" }, 3],
    ["desired capacity defaults to MinSize without minimum_vms", {}, {}, 1],
    ["a DesiredCapacity given wins over minimum_vms", { DesiredCapacity: 5 }, { minimum_vms: "3" }, 5],
    ["a DesiredCapacity given wins over MinSize", { DesiredCapacity: 0, MinSize: 0 }, {}, 0],
  ];
  for (const [name, over, tagOver, desired] of created) {
    it(name, () => {
      const g = createGroup(sensorInput(over, tagOver), catalog, identity);
      assert.equal(g.desiredCapacity, desired);
      assert.equal(g.definition, "sensor_engine");
      assert.deepEqual(g.clouds, [{ site: "hotel", max: 8 }, { site: "ec2", max: -1 }]);
      assert.equal(g.tags.some((t) => t.key === "n_preserve"), false);
    });
  }

  const refused: [string, Partial<CreateGroupInput>, Record<string, string | undefined>, RegExp][] = [
    ["minimum_vms below MinSize", {}, { minimum_vms: "0" }, /The tag minimum_vms=0 must lie within the group's MinSize 1 and MaxSize 10/],
    ["minimum_vms above MaxSize", {}, { minimum_vms: "11", maximum_vms: "12" }, /The tag minimum_vms=11 must lie within the group's MinSize 1 and MaxSize 10/],
    ["maximum_vms above MaxSize", {}, { maximum_vms: "11" }, /The tag maximum_vms=11 must lie within the group's MinSize 1 and MaxSize 10/],
    ["a DesiredCapacity above MaxSize", { DesiredCapacity: 11 }, {}, /Desired capacity:11 must be between the specified min size:1 and max size:10/],
    ["n_preserve on a sensor group", {}, { n_preserve: "2" }, /Remove n_preserve/],
  ];
  for (const [name, over, tagOver, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => createGroup(sensorInput(over, tagOver), catalog, identity), "ValidationError", pattern));
  }

  it(
    "does not tell a sensor group that n_preserve is its desired capacity",
    () => {
      fails(() => createGroup(sensorInput({ DesiredCapacity: 11 }), catalog, identity), "ValidationError", /^Desired capacity:11 must be between the specified min size:1 and max size:10$/);
    },
  );
});

describe("updateGroup of a sensor group", () => {
  const g = createGroup(sensorInput({ MinSize: 1, MaxSize: 10 }, { minimum_vms: "2", maximum_vms: "8" }), catalog, identity);
  it("starts at minimum_vms", () => assert.equal(g.desiredCapacity, 2));

  const accepted: [string, Parameters<typeof updateGroup>[1], { min: number; max: number; desired: number }][] = [
    ["MinSize raised up to minimum_vms raises nothing else", { AutoScalingGroupName: "s", MinSize: 2 }, { min: 2, max: 10, desired: 2 }],
    ["MaxSize lowered down to maximum_vms", { AutoScalingGroupName: "s", MaxSize: 8 }, { min: 1, max: 8, desired: 2 }],
    ["DesiredCapacity within the group's bounds", { AutoScalingGroupName: "s", DesiredCapacity: 6 }, { min: 1, max: 10, desired: 6 }],
  ];
  for (const [name, input, expected] of accepted) {
    it(`accepts ${name}`, () => {
      const next = updateGroup(g, input, catalog);
      assert.deepEqual({ min: next.minSize, max: next.maxSize, desired: next.desiredCapacity }, expected);
      assert.deepEqual(next.tags, g.tags, "a sensor group's tags do not follow the desired capacity");
    });
  }

  const refused: [string, Parameters<typeof updateGroup>[1], RegExp][] = [
    ["MinSize moved above minimum_vms", { AutoScalingGroupName: "s", MinSize: 3 }, /The tag minimum_vms=2 must lie within the group's MinSize 3 and MaxSize 10/],
    ["MaxSize moved below maximum_vms", { AutoScalingGroupName: "s", MaxSize: 7 }, /The tag maximum_vms=8 must lie within the group's MinSize 1 and MaxSize 7/],
    ["MaxSize moved below minimum_vms", { AutoScalingGroupName: "s", MaxSize: 1 }, /The tag minimum_vms=2 must lie within the group's MinSize 1 and MaxSize 1/],
  ];
  for (const [name, input, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => updateGroup(g, input, catalog), "ValidationError", pattern));
  }

  it("lets SetDesiredCapacity move it and leaves the tags alone", () => {
    const next = setDesiredCapacity(g, 9);
    assert.equal(next.desiredCapacity, 9);
    assert.deepEqual(next.tags, g.tags);
  });
});

describe("changeTags on sensor groups", () => {
  const overflowTags = [
    { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
    { Key: "clouds", Value: "hotel:8,ec2:-1" },
    { Key: "n_preserve", Value: "4" },
  ];
  const overflow = createGroup({ AutoScalingGroupName: "s", LaunchConfigurationName: "mylaunch", MinSize: 1, MaxSize: 10, Tags: overflowTags }, catalog, identity);
  const sensor = createGroup(sensorInput({}, { minimum_vms: "2" }), catalog, identity);
  const toSensor = [
    tag("PHANTOM_DEFINITION", "sensor_engine"),
    tag("metric", "MyApp/QueueLength"),
    tag("scale_up_threshold", "100"),
    tag("scale_down_threshold", "10"),
  ];

  it("switches an error_overflow_n_preserving group to sensor_engine while deleting n_preserve in the same call", () => {
    const next = changeTags(overflow, toSensor, ["n_preserve"], catalog);
    assert.equal(next.definition, "sensor_engine");
    assert.equal(next.desiredCapacity, 4, "the desired capacity is kept");
    assert.deepEqual(next.clouds, overflow.clouds);
    assert.deepEqual(next.tags.map((t) => t.key), ["PHANTOM_DEFINITION", "clouds", "metric", "scale_down_threshold", "scale_up_threshold"]);
  });

  it("switches a sensor group back to error_overflow_n_preserving with an n_preserve", () => {
    const next = changeTags(sensor, [tag("PHANTOM_DEFINITION", "error_overflow_n_preserving"), tag("n_preserve", "7")], [], catalog);
    assert.equal(next.definition, "error_overflow_n_preserving");
    assert.equal(next.desiredCapacity, 7);
  });

  it("changes a sensor group's thresholds and keeps its desired capacity", () => {
    const next = changeTags(sensor, [tag("scale_up_threshold", "500"), tag("sample_function", "Maximum")], ["minimum_vms"], catalog);
    assert.equal(next.desiredCapacity, sensor.desiredCapacity);
    assert.deepEqual(
      [parseSensorTags(next.tags).scaleUpThreshold, parseSensorTags(next.tags).sampleFunction, parseSensorTags(next.tags).minimumVms],
      [500, "Maximum", null],
    );
  });

  const refused: [string, () => unknown, RegExp][] = [
    ["switching to sensor_engine while keeping n_preserve", () => changeTags(overflow, toSensor, [], catalog), /The tag n_preserve does not apply to a PHANTOM_DEFINITION=sensor_engine group.*Remove n_preserve/],
    ["deleting n_preserve without switching to sensor_engine", () => changeTags(overflow, [], ["n_preserve"], catalog), /The tag n_preserve defines the placement of Phantom group s and cannot be deleted/],
    ["deleting n_preserve while switching to another definition", () => changeTags(overflow, [tag("PHANTOM_DEFINITION", "error_overflow_n_preserving")], ["n_preserve"], catalog), /n_preserve .*cannot be deleted/],
    ["switching to sensor_engine without the sensor tags", () => changeTags(overflow, [tag("PHANTOM_DEFINITION", "sensor_engine")], ["n_preserve"], catalog), /needs the tag metric=Namespace\/MetricName/],
    ["switching with minimum_vms below MinSize", () => changeTags(overflow, [...toSensor, tag("minimum_vms", "0")], ["n_preserve"], catalog), /The tag minimum_vms=0 must lie within the group's MinSize 1 and MaxSize 10/],
    ["a maximum_vms above MaxSize on a sensor group", () => changeTags(sensor, [tag("maximum_vms", "11")], [], catalog), /The tag maximum_vms=11 must lie within the group's MinSize 1 and MaxSize 10/],
    ["bad thresholds on a sensor group", () => changeTags(sensor, [tag("scale_down_threshold", "100")], [], catalog), /scale_down_threshold \(100\) must be below scale_up_threshold \(100\)/],
    ["deleting the metric of a sensor group", () => changeTags(sensor, [], ["metric"], catalog), /needs the tag metric=Namespace\/MetricName/],
    ["deleting PHANTOM_DEFINITION of a sensor group", () => changeTags(sensor, [], ["PHANTOM_DEFINITION"], catalog), /The tag PHANTOM_DEFINITION defines the placement of Phantom group s and cannot be deleted/],
    ["deleting clouds of a sensor group", () => changeTags(sensor, [], ["clouds"], catalog), /The tag clouds defines the placement .* cannot be deleted/],
    ["adding n_preserve to a sensor group", () => changeTags(sensor, [tag("n_preserve", "3")], [], catalog), /Remove n_preserve/],
  ];
  for (const [name, fn, pattern] of refused) {
    it(`refuses ${name}`, () => fails(fn, "ValidationError", pattern));
  }

  it("turns a plain group into a sensor group when its tags arrive", () => {
    const plain = createGroup({ AutoScalingGroupName: "p", LaunchConfigurationName: "lc", MinSize: 0, MaxSize: 5, DesiredCapacity: 2 }, catalog, identity);
    const next = changeTags(plain, tagsFromInput("p", sensorTags({ clouds: "sierra:-1" })), [], catalog);
    assert.equal(next.definition, "sensor_engine");
    assert.deepEqual(next.clouds, [{ site: "sierra", max: -1 }]);
    assert.equal(next.desiredCapacity, 2);
  });
});
