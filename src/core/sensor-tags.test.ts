import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkSensorBounds, parseMetricTag, parseSensorTags, sensorBounds, type SensorDefinition } from "./sensor-tags.js";
import { isPhantomError } from "./errors.js";

function fails(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isPhantomError(e, "ValidationError"), `expected ValidationError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Tags from `key=value` pairs; the three required tags unless overridden (`key=undefined` drops one). */
function tags(over: Record<string, string | undefined> = {}): { key: string; value: string }[] {
  const all: Record<string, string | undefined> = { metric: "MyApp/QueueLength", scale_up_threshold: "100", scale_down_threshold: "10", ...over };
  return Object.entries(all)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([key, value]) => ({ key, value }));
}

describe("parseSensorTags", () => {
  it("fills the defaults: Average over 60 s, one VM per step, the group's bounds and cooldown", () => {
    assert.deepEqual(parseSensorTags(tags()), {
      namespace: "MyApp",
      metricName: "QueueLength",
      sampleFunction: "Average",
      samplePeriodSeconds: 60,
      scaleUpThreshold: 100,
      scaleUpVms: 1,
      scaleDownThreshold: 10,
      scaleDownVms: 1,
      minimumVms: null,
      maximumVms: null,
      cooldownSeconds: null,
    } satisfies SensorDefinition);
  });

  it("reads every tag when given, ignoring other tags", () => {
    const def = parseSensorTags([
      ...tags({
        metric: "Load",
        sample_function: "Maximum",
        sample_period: "300",
        scale_up_threshold: "75.5",
        scale_up_n_vms: "3",
        scale_down_threshold: "-2e1",
        scale_down_n_vms: "2",
        minimum_vms: "0",
        maximum_vms: "9",
        cooldown_period: "0",
      }),
      { key: "PHANTOM_DEFINITION", value: "sensor_engine" },
      { key: "clouds", value: "hotel:-1" },
    ]);
    assert.deepEqual(def, {
      namespace: "Phantom",
      metricName: "Load",
      sampleFunction: "Maximum",
      samplePeriodSeconds: 300,
      scaleUpThreshold: 75.5,
      scaleUpVms: 3,
      scaleDownThreshold: -20,
      scaleDownVms: 2,
      minimumVms: 0,
      maximumVms: 9,
      cooldownSeconds: 0,
    });
  });

  const accepted: [string, Record<string, string | undefined>, Partial<SensorDefinition>][] = [
    ["each sample function: Sum", { sample_function: "Sum" }, { sampleFunction: "Sum" }],
    ["each sample function: Minimum", { sample_function: "Minimum" }, { sampleFunction: "Minimum" }],
    ["thresholds with spaces around them", { scale_up_threshold: " 50 ", scale_down_threshold: "0.5" }, { scaleUpThreshold: 50, scaleDownThreshold: 0.5 }],
    ["negative thresholds", { scale_up_threshold: "-1", scale_down_threshold: "-10" }, { scaleUpThreshold: -1, scaleDownThreshold: -10 }],
    ["minimum_vms equal to maximum_vms", { minimum_vms: "4", maximum_vms: "4" }, { minimumVms: 4, maximumVms: 4 }],
  ];
  for (const [name, over, expected] of accepted) {
    it(`accepts ${name}`, () => {
      const def = parseSensorTags(tags(over));
      for (const [k, v] of Object.entries(expected)) assert.equal(def[k as keyof SensorDefinition], v, k);
    });
  }

  const refused: [string, Record<string, string | undefined>, RegExp][] = [
    ["a missing metric", { metric: undefined }, /needs the tag metric=Namespace\/MetricName and thresholds, e\.g\. metric=MyApp\/QueueLength/],
    ["a missing scale_up_threshold", { scale_up_threshold: undefined }, /needs the tags scale_up_threshold and scale_down_threshold/],
    ["a missing scale_down_threshold", { scale_down_threshold: undefined }, /needs the tags scale_up_threshold and scale_down_threshold/],
    ["a scale_down_threshold above scale_up_threshold", { scale_up_threshold: "10", scale_down_threshold: "20" }, /scale_down_threshold \(20\) must be below scale_up_threshold \(10\): between them the group keeps its size/],
    ["equal thresholds", { scale_up_threshold: "10", scale_down_threshold: "10" }, /scale_down_threshold \(10\) must be below scale_up_threshold \(10\)/],
    ["a threshold that is not a number", { scale_up_threshold: "lots" }, /The tag scale_up_threshold='lots' must be a number, e\.g\. scale_up_threshold=75/],
    ["an empty threshold", { scale_down_threshold: "" }, /The tag scale_down_threshold='' must be a number/],
    ["an infinite threshold", { scale_up_threshold: "1e999" }, /The tag scale_up_threshold='1e999' must be a number/],
    ["an unknown sample_function", { sample_function: "Median" }, /The tag sample_function='Median' must be one of Average, Sum, Minimum, Maximum/],
    ["a sample_function in the wrong case", { sample_function: "average" }, /sample_function='average'/],
    ["a sample_period that is not a multiple of 60", { sample_period: "90" }, /The tag sample_period='90' must be a multiple of 60 seconds: Phantom keeps one point per minute/],
    ["a sample_period below 60", { sample_period: "30" }, /The tag sample_period='30' must be a whole number of at least 60/],
    ["a sample_period of 0", { sample_period: "0" }, /sample_period='0' must be a whole number of at least 60/],
    ["a fractional sample_period", { sample_period: "60.0" }, /sample_period='60\.0' must be a whole number/],
    ["a non-integer scale_up_n_vms", { scale_up_n_vms: "1.5" }, /The tag scale_up_n_vms='1\.5' must be a whole number of at least 1/],
    ["scale_up_n_vms 0", { scale_up_n_vms: "0" }, /The tag scale_up_n_vms='0' must be a whole number of at least 1/],
    ["scale_down_n_vms 0", { scale_down_n_vms: "0" }, /The tag scale_down_n_vms='0' must be a whole number of at least 1/],
    ["a negative scale_down_n_vms", { scale_down_n_vms: "-1" }, /scale_down_n_vms='-1' must be a whole number/],
    ["a negative minimum_vms", { minimum_vms: "-1" }, /The tag minimum_vms='-1' must be a whole number \(0 or more\)/],
    ["a maximum_vms beyond 32 bits", { maximum_vms: "2147483648" }, /The tag maximum_vms='2147483648' must be a whole number/],
    ["a non-integer cooldown_period", { cooldown_period: "1m" }, /The tag cooldown_period='1m' must be a whole number \(0 or more\)/],
    ["minimum_vms above maximum_vms", { minimum_vms: "5", maximum_vms: "3" }, /The tag minimum_vms \(5\) must not exceed maximum_vms \(3\)/],
    ["a metric with an empty name", { metric: "MyApp/" }, /The tag metric='MyApp\/' must name a metric as Namespace\/MetricName/],
  ];
  for (const [name, over, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => parseSensorTags(tags(over)), pattern));
  }
});

describe("parseMetricTag", () => {
  const good: [string, string, string][] = [
    ["QueueLength", "Phantom", "QueueLength"],
    ["MyApp/QueueLength", "MyApp", "QueueLength"],
    ["a/b/c", "a/b", "c"],
    ["Custom/Web Tier/Latency", "Custom/Web Tier", "Latency"],
  ];
  for (const [value, namespace, metricName] of good) {
    it(`splits '${value}' into ${namespace} and ${metricName}`, () => assert.deepEqual(parseMetricTag(value), { namespace, metricName }));
  }

  const bad: [string, string][] = [
    ["an empty value", ""],
    ["an empty namespace", "/QueueLength"],
    ["an empty metric name", "MyApp/"],
    ["a lone slash", "/"],
    ["an empty last part", "a/b/"],
    ["a metric name over 255 characters", `MyApp/${"m".repeat(256)}`],
    ["a namespace over 255 characters", `${"n".repeat(256)}/m`],
  ];
  for (const [name, value] of bad) {
    it(`refuses ${name}`, () => fails(() => parseMetricTag(value), /must name a metric as Namespace\/MetricName \(e\.g\. MyApp\/QueueLength\), or a MetricName in the Phantom namespace/));
  }
  it("accepts names of exactly 255 characters", () => {
    assert.equal(parseMetricTag(`${"n".repeat(255)}/${"m".repeat(255)}`).metricName.length, 255);
  });
});

describe("sensorBounds", () => {
  const def = (minimumVms: number | null, maximumVms: number | null): SensorDefinition => ({ ...parseSensorTags(tags()), minimumVms, maximumVms });
  const cases: [string, number | null, number | null, { min: number; max: number }][] = [
    ["the group's bounds when the tags give none", null, null, { min: 1, max: 10 }],
    ["minimum_vms in place of MinSize", 3, null, { min: 3, max: 10 }],
    ["maximum_vms in place of MaxSize", null, 6, { min: 1, max: 6 }],
    ["both tags", 2, 8, { min: 2, max: 8 }],
    ["minimum_vms 0 (not taken as absent)", 0, 0, { min: 0, max: 0 }],
  ];
  for (const [name, min, max, expected] of cases) {
    it(name, () => assert.deepEqual(sensorBounds(def(min, max), { minSize: 1, maxSize: 10 }), expected));
  }
});

describe("checkSensorBounds", () => {
  const def = (minimumVms: number | null, maximumVms: number | null): SensorDefinition => ({ ...parseSensorTags(tags()), minimumVms, maximumVms });
  const group = { minSize: 2, maxSize: 10 };
  const inside: [string, number | null, number | null][] = [
    ["no bounds", null, null],
    ["bounds equal to MinSize and MaxSize", 2, 10],
    ["bounds strictly inside", 3, 9],
    ["both at MinSize", 2, 2],
    ["both at MaxSize", 10, 10],
  ];
  for (const [name, min, max] of inside) {
    it(`accepts ${name}`, () => assert.doesNotThrow(() => checkSensorBounds(def(min, max), group)));
  }
  const outside: [string, number | null, number | null, RegExp][] = [
    ["minimum_vms below MinSize", 1, null, /^The tag minimum_vms=1 must lie within the group's MinSize 2 and MaxSize 10\.$/],
    ["minimum_vms above MaxSize", 11, null, /^The tag minimum_vms=11 must lie within the group's MinSize 2 and MaxSize 10\.$/],
    ["maximum_vms above MaxSize", null, 11, /^The tag maximum_vms=11 must lie within the group's MinSize 2 and MaxSize 10\.$/],
    ["maximum_vms below MinSize", null, 1, /^The tag maximum_vms=1 must lie within/],
    ["a good minimum_vms with a bad maximum_vms", 3, 12, /maximum_vms=12/],
  ];
  for (const [name, min, max, pattern] of outside) {
    it(`refuses ${name}`, () => fails(() => checkSensorBounds(def(min, max), group), pattern));
  }
});
