import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  adjusted,
  alarmPolicyChange,
  executePolicy,
  policyFromInput,
  targetTrackingOf,
  type ExecuteInput,
  type PutScalingPolicyInput,
} from "./scaling-policies.js";
import type { ScalingGroup } from "./metric-scaling.js";
import { isPhantomError, type AwsErrorCode } from "./errors.js";

const NOW = new Date("2026-11-26T12:05:30Z");
const identity = { groupId: "g-1", groupName: "web", arn: "arn:phantom:autoscaling:phantom:123456789012:scalingPolicy:p" };
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

function fails(fn: () => unknown, code: AwsErrorCode, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isPhantomError(e, code), `expected ${code}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

type Input = Omit<PutScalingPolicyInput, "AutoScalingGroupName" | "PolicyName">;
const put = (input: Input, name = "p") => policyFromInput({ AutoScalingGroupName: "web", PolicyName: name, ...input }, identity);

const simple: Input = { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 };
const step: Input = {
  PolicyType: "StepScaling",
  AdjustmentType: "ChangeInCapacity",
  StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
};
const customized = { MetricName: "CPU", Namespace: "MyApp", Statistic: "Average" };
const target: Input = {
  PolicyType: "TargetTrackingScaling",
  TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: 50 },
};

describe("adjusted", () => {
  const cases: [string, number, Parameters<typeof adjusted>[1], number, number | undefined, number][] = [
    ["ChangeInCapacity adds", 3, "ChangeInCapacity", 2, undefined, 5],
    ["ChangeInCapacity subtracts, unclamped", 3, "ChangeInCapacity", -5, undefined, -2],
    ["ExactCapacity sets", 3, "ExactCapacity", 7, undefined, 7],
    ["10 VMs +25%: 2.5 rounds down to 2", 10, "PercentChangeInCapacity", 25, undefined, 12],
    ["10 VMs +127%: 12.7 rounds down to 12", 10, "PercentChangeInCapacity", 127, undefined, 22],
    ["10 VMs +5%: 0.5 rounds up to 1", 10, "PercentChangeInCapacity", 5, undefined, 11],
    ["10 VMs −5%: −0.5 rounds to −1", 10, "PercentChangeInCapacity", -5, undefined, 9],
    ["10 VMs −66.7%: −6.67 rounds up to −6", 10, "PercentChangeInCapacity", -66.7, undefined, 4],
    ["10 VMs +10%: exactly 1", 10, "PercentChangeInCapacity", 10, undefined, 11],
    ["10 VMs −10%: exactly −1", 10, "PercentChangeInCapacity", -10, undefined, 9],
    ["10 VMs −50%: −5", 10, "PercentChangeInCapacity", -50, undefined, 5],
    ["3 VMs +200%: 6", 3, "PercentChangeInCapacity", 200, undefined, 9],
    ["0%: no change", 10, "PercentChangeInCapacity", 0, undefined, 10],
    ["a percent of no VMs: no change", 0, "PercentChangeInCapacity", 50, undefined, 0],
    ["MinAdjustmentMagnitude raises a small step up", 10, "PercentChangeInCapacity", 10, 3, 13],
    ["MinAdjustmentMagnitude raises a small step down", 10, "PercentChangeInCapacity", -10, 3, 7],
    ["MinAdjustmentMagnitude raises a rounded-up fraction", 10, "PercentChangeInCapacity", 5, 2, 12],
    ["MinAdjustmentMagnitude leaves a larger step alone", 10, "PercentChangeInCapacity", 50, 2, 15],
    ["MinAdjustmentMagnitude does not turn 0% into a step", 10, "PercentChangeInCapacity", 0, 2, 10],
  ];
  for (const [name, current, type, adjustment, min, expected] of cases) {
    it(name, () => assert.equal(adjusted(current, type, adjustment, min), expected));
  }
});

describe("policyFromInput", () => {
  it("makes a SimpleScaling policy when PolicyType is absent, with only the members given", () => {
    assert.deepEqual(put(simple, "up"), {
      groupId: "g-1",
      groupName: "web",
      name: "up",
      arn: identity.arn,
      policyType: "SimpleScaling",
      spec: { PolicyType: "SimpleScaling", Enabled: true, AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 },
    });
  });

  const accepted: [string, Input, Record<string, unknown>][] = [
    ["a simple policy with Cooldown", { ...simple, Cooldown: 60 }, { Cooldown: 60 }],
    ["a simple percent policy with MinAdjustmentMagnitude", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 10, MinAdjustmentMagnitude: 2 }, { MinAdjustmentMagnitude: 2 }],
    ["the legacy MinAdjustmentStep as MinAdjustmentMagnitude", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 10, MinAdjustmentStep: 3 }, { MinAdjustmentMagnitude: 3 }],
    ["an ExactCapacity of 0", { AdjustmentType: "ExactCapacity", ScalingAdjustment: 0 }, { ScalingAdjustment: 0 }],
    ["a negative ChangeInCapacity", { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: -2 }, { ScalingAdjustment: -2 }],
    ["a step policy, MetricAggregationType defaulting to Average", step, { PolicyType: "StepScaling", MetricAggregationType: "Average" }],
    ["a step policy with EstimatedInstanceWarmup", { ...step, EstimatedInstanceWarmup: 90, MetricAggregationType: "Maximum" }, { EstimatedInstanceWarmup: 90, MetricAggregationType: "Maximum" }],
    [
      "steps that start away from the threshold",
      { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 5, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 2 }] },
      { StepAdjustments: [{ MetricIntervalLowerBound: 5, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 2 }] },
    ],
    [
      "steps sorted by their lower bounds",
      {
        ...step,
        StepAdjustments: [
          { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
          { MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
        ],
      },
      {
        StepAdjustments: [
          { MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
          { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
        ],
      },
    ],
    ["target tracking, DisableScaleIn defaulting to false", target, { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: 50, DisableScaleIn: false } }],
    [
      "target tracking with DisableScaleIn and EstimatedInstanceWarmup",
      { ...target, EstimatedInstanceWarmup: 120, TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: 0.5, DisableScaleIn: true } },
      { EstimatedInstanceWarmup: 120, TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: 0.5, DisableScaleIn: true } },
    ],
  ];
  for (const [name, input, expected] of accepted) {
    it(`accepts ${name}`, () => {
      const spec = put(input).spec;
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(spec[k], v, k);
      assert.equal(Object.values(spec).includes(undefined), false, "no undefined members");
    });
  }

  const refused: [string, Input, RegExp][] = [
    ["an unknown PolicyType", { ...simple, PolicyType: "PredictiveScaling" }, /^Policy type PredictiveScaling is not supported: Phantom runs SimpleScaling, StepScaling, TargetTrackingScaling\.$/],
    ["a disabled policy", { ...simple, Enabled: false }, /Disabled policies are not supported: delete the policy instead/],
    ["PredictiveScalingConfiguration", { ...simple, PredictiveScalingConfiguration: {} }, /^PredictiveScalingConfiguration is not supported for policy type SimpleScaling\.$/],
    // SimpleScaling
    ["StepAdjustments on a simple policy", { ...simple, StepAdjustments: [{ ScalingAdjustment: 1 }] }, /^StepAdjustments is not supported for policy type SimpleScaling\.$/],
    ["MetricAggregationType on a simple policy", { ...simple, MetricAggregationType: "Average" }, /^MetricAggregationType is not supported for policy type SimpleScaling\.$/],
    ["EstimatedInstanceWarmup on a simple policy", { ...simple, EstimatedInstanceWarmup: 60 }, /^EstimatedInstanceWarmup is not supported for policy type SimpleScaling\.$/],
    ["TargetTrackingConfiguration on a simple policy", { ...simple, TargetTrackingConfiguration: { TargetValue: 1 } }, /^TargetTrackingConfiguration is not supported for policy type SimpleScaling\.$/],
    ["a simple policy without AdjustmentType", { ScalingAdjustment: 1 }, /^AdjustmentType is required for policy type SimpleScaling\.$/],
    ["an unknown AdjustmentType", { AdjustmentType: "Double", ScalingAdjustment: 1 }, /^Invalid adjustment type Double; use one of ChangeInCapacity, ExactCapacity, PercentChangeInCapacity\.$/],
    ["a simple policy without ScalingAdjustment", { AdjustmentType: "ChangeInCapacity" }, /^ScalingAdjustment is required for policy type SimpleScaling\.$/],
    ["a negative ExactCapacity", { AdjustmentType: "ExactCapacity", ScalingAdjustment: -1 }, /ScalingAdjustment of an ExactCapacity policy must not be negative/],
    ["MinAdjustmentMagnitude with ChangeInCapacity", { ...simple, MinAdjustmentMagnitude: 2 }, /MinAdjustmentMagnitude is only supported with the adjustment type PercentChangeInCapacity/],
    ["MinAdjustmentMagnitude with ExactCapacity", { AdjustmentType: "ExactCapacity", ScalingAdjustment: 1, MinAdjustmentMagnitude: 2 }, /only supported with the adjustment type PercentChangeInCapacity/],
    ["MinAdjustmentMagnitude 0", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 10, MinAdjustmentMagnitude: 0 }, /MinAdjustmentMagnitude must be at least 1; it is 0/],
    // StepScaling
    ["ScalingAdjustment on a step policy", { ...step, ScalingAdjustment: 1 }, /^ScalingAdjustment is not supported for policy type StepScaling\.$/],
    ["Cooldown on a step policy", { ...step, Cooldown: 60 }, /^Cooldown is not supported for policy type StepScaling\.$/],
    ["TargetTrackingConfiguration on a step policy", { ...step, TargetTrackingConfiguration: { TargetValue: 1 } }, /^TargetTrackingConfiguration is not supported for policy type StepScaling\.$/],
    ["a step policy without AdjustmentType", { ...step, AdjustmentType: undefined }, /^AdjustmentType is required for policy type StepScaling\.$/],
    ["a Sum MetricAggregationType", { ...step, MetricAggregationType: "Sum" }, /^Invalid MetricAggregationType Sum; use Average, Minimum or Maximum\.$/],
    ["MinAdjustmentMagnitude on a ChangeInCapacity step policy", { ...step, MinAdjustmentMagnitude: 1 }, /only supported with the adjustment type PercentChangeInCapacity/],
    ["a step policy without steps", { ...step, StepAdjustments: undefined }, /StepAdjustments are required for policy type StepScaling/],
    ["a step policy with an empty list of steps", { ...step, StepAdjustments: [] }, /StepAdjustments are required for policy type StepScaling/],
    [
      "overlapping steps",
      { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 2 }] },
      /Step adjustments have overlapping intervals/,
    ],
    [
      "a gap between steps",
      { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }] },
      /Step adjustments leave a gap between 10 and 20/,
    ],
    [
      "two steps open below",
      { ...step, StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }, { MetricIntervalUpperBound: 10, ScalingAdjustment: -2 }] },
      /overlapping intervals/,
    ],
    [
      "two steps open above",
      { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 2 }] },
      /overlapping intervals/,
    ],
    [
      "a step open at both ends among others",
      { ...step, StepAdjustments: [{ ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }] },
      /^The upper and lower bound can't be null in the same step adjustment\.$/,
    ],
    [
      "a lower bound above the upper bound",
      { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 10, MetricIntervalUpperBound: 5, ScalingAdjustment: 1 }] },
      /MetricIntervalLowerBound \(10\) must be less than MetricIntervalUpperBound \(5\)/,
    ],
    [
      "a lower bound equal to the upper bound",
      { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 5, MetricIntervalUpperBound: 5, ScalingAdjustment: 1 }] },
      /MetricIntervalLowerBound \(5\) must be less than MetricIntervalUpperBound \(5\)/,
    ],
    [
      "a negative ExactCapacity step",
      { ...step, AdjustmentType: "ExactCapacity", StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: -1 }] },
      /ScalingAdjustment of an ExactCapacity step must not be negative/,
    ],
    // TargetTrackingScaling
    ["AdjustmentType on target tracking", { ...target, AdjustmentType: "ChangeInCapacity" }, /^AdjustmentType is not supported for policy type TargetTrackingScaling\.$/],
    ["ScalingAdjustment on target tracking", { ...target, ScalingAdjustment: 1 }, /^ScalingAdjustment is not supported for policy type TargetTrackingScaling\.$/],
    ["MinAdjustmentMagnitude on target tracking", { ...target, MinAdjustmentMagnitude: 1 }, /^MinAdjustmentMagnitude is not supported for policy type TargetTrackingScaling\.$/],
    ["MinAdjustmentStep on target tracking", { ...target, MinAdjustmentStep: 1 }, /^MinAdjustmentStep is not supported for policy type TargetTrackingScaling\.$/],
    ["Cooldown on target tracking", { ...target, Cooldown: 60 }, /^Cooldown is not supported for policy type TargetTrackingScaling\.$/],
    ["StepAdjustments on target tracking", { ...target, StepAdjustments: [{ ScalingAdjustment: 1 }] }, /^StepAdjustments is not supported for policy type TargetTrackingScaling\.$/],
    ["MetricAggregationType on target tracking", { ...target, MetricAggregationType: "Average" }, /^MetricAggregationType is not supported for policy type TargetTrackingScaling\.$/],
    ["target tracking without its configuration", { PolicyType: "TargetTrackingScaling" }, /TargetTrackingConfiguration is required for policy type TargetTrackingScaling/],
    [
      "a PredefinedMetricSpecification, pointing to CustomizedMetricSpecification",
      { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: "ASGAverageCPUUtilization" }, TargetValue: 50 } },
      /PredefinedMetricSpecification is not supported: Phantom has no built-in metrics\. Use CustomizedMetricSpecification with a metric you put with CloudWatch's PutMetricData/,
    ],
    ["no metric specification", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { TargetValue: 50 } }, /TargetTrackingConfiguration needs a CustomizedMetricSpecification/],
    [
      "metric math",
      { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: { Metrics: [{}] }, TargetValue: 50 } },
      /Metric math \(CustomizedMetricSpecification\.Metrics\) is not supported; name one metric/,
    ],
    ["a metric without MetricName", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: { ...customized, MetricName: undefined }, TargetValue: 50 } }, /CustomizedMetricSpecification needs MetricName, Namespace and Statistic/],
    ["a metric without Namespace", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: { ...customized, Namespace: undefined }, TargetValue: 50 } }, /needs MetricName, Namespace and Statistic/],
    ["a metric without Statistic", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: { ...customized, Statistic: undefined }, TargetValue: 50 } }, /needs MetricName, Namespace and Statistic/],
    ["an unknown Statistic", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: { ...customized, Statistic: "p99" }, TargetValue: 50 } }, /^Invalid Statistic p99; use one of Average, Minimum, Maximum, SampleCount, Sum\.$/],
    ["a TargetValue of 0", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: 0 } }, /^TargetValue must be greater than 0; it is 0\.$/],
    ["a negative TargetValue", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: -5 } }, /TargetValue must be greater than 0; it is -5/],
    ["a NaN TargetValue", { PolicyType: "TargetTrackingScaling", TargetTrackingConfiguration: { CustomizedMetricSpecification: customized, TargetValue: NaN } }, /TargetValue must be greater than 0; it is NaN/],
  ];
  for (const [name, input, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => put(input), "ValidationError", pattern));
  }

  // AWS's StepAdjustment rules (API reference, StepAdjustment): "The upper and lower bound can't be
  // null in the same step adjustment"; "If one step adjustment has a negative lower bound, then
  // there must be a step adjustment with a null lower bound"; likewise a positive upper bound
  // needs a step with a null upper bound.
  const awsRules: [string, Input][] = [
    ["a single step open at both ends", { ...step, StepAdjustments: [{ ScalingAdjustment: 2 }] }],
    ["a positive upper bound without a step open above", { ...step, StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }] }],
    ["a negative lower bound without a step open below", { ...step, StepAdjustments: [{ MetricIntervalLowerBound: -10, MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] }],
  ];
  for (const [name, input] of awsRules) {
    it(`refuses ${name}, as AWS does`, () => {
      assert.throws(() => put(input), (e: unknown) => isPhantomError(e, "ValidationError"));
    });
  }
});

const group = (over: Partial<ScalingGroup> = {}): ScalingGroup => ({
  name: "web",
  desiredCapacity: 4,
  minSize: 1,
  maxSize: 10,
  defaultCooldown: 300,
  scaledAt: null,
  ...over,
});

describe("executePolicy: simple scaling", () => {
  const cases: [string, Input, Partial<ScalingGroup>, ExecuteInput, number | null, RegExp?][] = [
    ["ChangeInCapacity grows", { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 2 }, {}, {}, 6],
    ["ChangeInCapacity shrinks", { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: -1 }, {}, {}, 3],
    ["ExactCapacity sets", { AdjustmentType: "ExactCapacity", ScalingAdjustment: 7 }, {}, {}, 7],
    ["ExactCapacity at the current size changes nothing", { AdjustmentType: "ExactCapacity", ScalingAdjustment: 4 }, {}, {}, null],
    ["PercentChangeInCapacity +50% of 4", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 50 }, {}, {}, 6],
    ["PercentChangeInCapacity +10% of 4 rounds to one", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 10 }, {}, {}, 5],
    ["PercentChangeInCapacity with MinAdjustmentMagnitude", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: 10, MinAdjustmentMagnitude: 2 }, {}, {}, 6],
    ["a step past MaxSize is clamped, stated", { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 10 }, {}, {}, 10, /from 4 to 10 \(14 clamped to MaxSize 10\)\.$/],
    ["a step below MinSize is clamped, stated", { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: -10 }, {}, {}, 1, /from 4 to 1 \(-6 clamped to MinSize 1\)\.$/],
    ["ExactCapacity 0 is clamped to MinSize", { AdjustmentType: "ExactCapacity", ScalingAdjustment: 0 }, {}, {}, 1, /\(0 clamped to MinSize 1\)/],
    ["at MaxSize already changes nothing", { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 }, { desiredCapacity: 10 }, {}, null],
    ["without HonorCooldown it acts during the cooldown", simple, { scaledAt: ago(10) }, {}, 5],
    ["with HonorCooldown false it acts during the cooldown", simple, { scaledAt: ago(10) }, { HonorCooldown: false }, 5],
    ["with HonorCooldown it acts once DefaultCooldown has passed", simple, { scaledAt: ago(300) }, { HonorCooldown: true }, 5],
    ["with HonorCooldown it acts once the policy's Cooldown has passed", { ...simple, Cooldown: 60 }, { scaledAt: ago(60) }, { HonorCooldown: true }, 5],
    ["a Cooldown of 0 replaces DefaultCooldown", { ...simple, Cooldown: 0 }, { scaledAt: NOW }, { HonorCooldown: true }, 5],
    ["with HonorCooldown a group never scaled has no cooldown", simple, { scaledAt: null }, { HonorCooldown: true }, 5],
  ];
  for (const [name, input, groupOver, exec, desired, cause] of cases) {
    it(name, () => {
      const change = executePolicy(put(input, "up"), group(groupOver), exec, NOW);
      assert.equal(change?.desired ?? null, desired);
      if (cause) assert.match(change!.cause, cause);
    });
  }

  it("states the time, the policy and both counts in the Cause", () => {
    assert.deepEqual(executePolicy(put(simple, "up"), group(), {}, NOW), {
      desired: 5,
      cause: "At 2026-11-26T12:05:30Z a user request executed policy up, changing the desired capacity from 4 to 5.",
    });
  });

  const refused: [string, Input, Partial<ScalingGroup>, ExecuteInput, AwsErrorCode, RegExp][] = [
    [
      "HonorCooldown within DefaultCooldown",
      simple, { scaledAt: ago(299) }, { HonorCooldown: true },
      "ScalingActivityInProgress",
      /^The group web is in its cooldown of 300 s after the change at 2026-11-26T12:00:31Z; execute without HonorCooldown to change it now\.$/,
    ],
    ["HonorCooldown within the policy's Cooldown", { ...simple, Cooldown: 60 }, { scaledAt: ago(59.999) }, { HonorCooldown: true }, "ScalingActivityInProgress", /cooldown of 60 s/],
    ["HonorCooldown within a policy Cooldown longer than DefaultCooldown", { ...simple, Cooldown: 600 }, { scaledAt: ago(400) }, { HonorCooldown: true }, "ScalingActivityInProgress", /cooldown of 600 s/],
    ["MetricValue on a simple policy", simple, {}, { MetricValue: 5 }, "ValidationError", /^MetricValue and BreachThreshold are only supported for step scaling policies\.$/],
    ["BreachThreshold on a simple policy", simple, {}, { BreachThreshold: 5 }, "ValidationError", /MetricValue and BreachThreshold are only supported for step scaling policies/],
  ];
  for (const [name, input, groupOver, exec, code, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => executePolicy(put(input, "up"), group(groupOver), exec, NOW), code, pattern));
  }
});

describe("executePolicy: step scaling", () => {
  // Above the threshold: [0, 10) → +1, [10, ∞) → +3. Below: (−∞, −10] → −2, (−10, 0] → −1.
  const both: Input = {
    ...step,
    StepAdjustments: [
      { MetricIntervalUpperBound: -10, ScalingAdjustment: -2 },
      { MetricIntervalLowerBound: -10, MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
    ],
  };
  // Scale-out steps from 5 above the threshold: [5, 10) → +1, [10, ∞) → +3.
  const upOnly: Input = {
    ...step,
    StepAdjustments: [{ MetricIntervalLowerBound: 5, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 }],
  };
  // Scale-in steps: (−∞, −10] → −2, (−10, 0] → −1.
  const downOnly: Input = {
    ...step,
    StepAdjustments: [{ MetricIntervalUpperBound: -10, ScalingAdjustment: -2 }, { MetricIntervalLowerBound: -10, MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }],
  };

  const cases: [string, Input, number, number | null][] = [
    ["5 above the threshold: the [0, 10) step", both, 55, 5],
    ["just under 10 above: still the [0, 10) step", both, 59.99, 5],
    ["exactly 10 above: the lower bound is inclusive above the threshold", both, 60, 7],
    ["far above: the open step", both, 500, 7],
    ["5 below the threshold: the (−10, 0] step", both, 45, 3],
    ["just under 10 below: still the (−10, 0] step", both, 40.01, 3],
    ["exactly 10 below: the upper bound is inclusive below the threshold", both, 40, 2],
    ["far below: the open step", both, -500, 2],
    ["exactly 5 above with a lower bound of 5: covered (inclusive above)", upOnly, 55, 5],
    ["exactly 10 above: the [10, ∞) step, not the [5, 10) one (exclusive above)", upOnly, 60, 7],
    ["exactly 10 below: the (−∞, −10] step, not the (−10, 0] one (exclusive below)", downOnly, 40, 2],
    ["a value between the threshold and the first step: no change", upOnly, 54.99, null],
    ["a value below the threshold with only steps above: no change", upOnly, 45, null],
    ["a value above the threshold with only steps below: no change", downOnly, 55, null],
  ];
  for (const [name, input, metric, desired] of cases) {
    it(name, () => assert.equal(executePolicy(put(input), group(), { MetricValue: metric, BreachThreshold: 50 }, NOW)?.desired ?? null, desired));
  }

  it(
    "takes a metric exactly at the threshold into a (−10, 0] step, as AWS's example of a breach threshold of 50 does",
    () => {
      assert.equal(executePolicy(put(downOnly), group(), { MetricValue: 50, BreachThreshold: 50 }, NOW)?.desired, 3);
    },
  );

  it("applies a percent step with AWS's rounding", () => {
    const percent = put({ ...step, AdjustmentType: "PercentChangeInCapacity", StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 30 }] });
    assert.equal(executePolicy(percent, group(), { MetricValue: 60, BreachThreshold: 50 }, NOW)?.desired, 5);
  });

  it("applies an ExactCapacity step", () => {
    const exact = put({ ...step, AdjustmentType: "ExactCapacity", StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 8 }] });
    assert.equal(executePolicy(exact, group(), { MetricValue: 60, BreachThreshold: 50 }, NOW)?.desired, 8);
  });

  it("clamps a step to MaxSize and says so, naming the metric and the threshold", () => {
    const big = put({ ...step, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 20 }] }, "burst");
    assert.deepEqual(executePolicy(big, group(), { MetricValue: 60.123456, BreachThreshold: 50 }, NOW), {
      desired: 10,
      cause:
        "At 2026-11-26T12:05:30Z a user request executed step scaling policy burst with the metric at 60.1235 against the breach " +
        "threshold 50, changing the desired capacity from 4 to 10 (24 clamped to MaxSize 10).",
    });
  });

  it("does not wait for a cooldown", () => {
    assert.equal(executePolicy(put(both), group({ scaledAt: NOW }), { MetricValue: 55, BreachThreshold: 50 }, NOW)?.desired, 5);
  });

  const refused: [string, ExecuteInput, RegExp][] = [
    ["no MetricValue", { BreachThreshold: 50 }, /^Executing a step scaling policy needs both MetricValue and BreachThreshold\.$/],
    ["no BreachThreshold", { MetricValue: 50 }, /needs both MetricValue and BreachThreshold/],
    ["neither", {}, /needs both MetricValue and BreachThreshold/],
    ["HonorCooldown", { HonorCooldown: true, MetricValue: 55, BreachThreshold: 50 }, /^HonorCooldown is not supported for step scaling policies\.$/],
  ];
  for (const [name, exec, pattern] of refused) {
    it(`refuses ${name}`, () => fails(() => executePolicy(put(both), group(), exec, NOW), "ValidationError", pattern));
  }
});

describe("executePolicy: target tracking", () => {
  it("refuses to execute a target tracking policy", () => {
    fails(
      () => executePolicy(put(target, "cpu50"), group(), {}, NOW),
      "ValidationError",
      /^Policy cpu50 is a target tracking policy; Phantom runs it from its metric, it cannot be executed\.$/,
    );
  });
});

describe("targetTrackingOf", () => {
  const cases: [string, Input, ReturnType<typeof targetTrackingOf>][] = [
    [
      "reads the metric, target and DisableScaleIn, with no cooldown of its own",
      target,
      { policyName: "cpu50", namespace: "MyApp", metricName: "CPU", statistic: "Average", targetValue: 50, disableScaleIn: false, cooldownSeconds: null, dimensions: [] },
    ],
    [
      "takes EstimatedInstanceWarmup as the cooldown and sorts the dimensions by name",
      {
        PolicyType: "TargetTrackingScaling",
        EstimatedInstanceWarmup: 120,
        TargetTrackingConfiguration: {
          CustomizedMetricSpecification: {
            MetricName: "Queue",
            Namespace: "Jobs",
            Statistic: "Sum",
            Dimensions: [{ Name: "b", Value: "2" }, { Name: "AutoScalingGroupName", Value: "web" }],
          },
          TargetValue: 7.5,
          DisableScaleIn: true,
        },
      },
      {
        policyName: "cpu50",
        namespace: "Jobs",
        metricName: "Queue",
        statistic: "Sum",
        targetValue: 7.5,
        disableScaleIn: true,
        cooldownSeconds: 120,
        dimensions: [{ name: "AutoScalingGroupName", value: "web" }, { name: "b", value: "2" }],
      },
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(targetTrackingOf(put(input, "cpu50")), expected));
  }
});

describe("alarmPolicyChange", () => {
  const steps: Input = {
    ...step,
    EstimatedInstanceWarmup: 300,
    StepAdjustments: [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 20, MetricIntervalUpperBound: 40, ScalingAdjustment: 3 },
      { MetricIntervalLowerBound: 40, ScalingAdjustment: 6 },
    ],
  };
  const minimum: Input = { ...steps, MetricAggregationType: "Minimum" };
  const cooling: Input = { ...simple, ScalingAdjustment: 2, Cooldown: 120 };
  const trigger = (values: number[], warming: { from: number; to: number } | null = null) => ({ alarmName: "high", state: "ALARM", threshold: 70, values, warming });
  const cases: [string, Input, Partial<ScalingGroup>, ReturnType<typeof trigger>, number | null][] = [
    ["a simple policy adjusts the desired capacity", cooling, {}, trigger([85]), 6],
    ["… but not inside its cooldown", cooling, { scaledAt: ago(60) }, trigger([85]), null],
    ["… and again once the cooldown is over", cooling, { scaledAt: ago(120) }, trigger([85]), 6],
    ["… with no datapoint at all (missing data treated as breaching)", cooling, {}, trigger([]), 6],
    ["a step policy picks the step of the breaching value minus the threshold", steps, {}, trigger([95]), 7],
    ["… of the datapoints' average by default", steps, {}, trigger([75, 115]), 7],
    ["… or their minimum with MetricAggregationType Minimum", minimum, {}, trigger([75, 115]), 5],
    ["… and changes nothing without a datapoint", steps, {}, trigger([]), null],
    ["… nor for a value below the threshold with steps above only", steps, {}, trigger([60]), null],
    ["during warm-up the same step from the capacity before adds nothing", steps, { desiredCapacity: 7 }, trigger([95], { from: 4, to: 7 }), null],
    ["… a larger step adds the difference", steps, { desiredCapacity: 7 }, trigger([115], { from: 4, to: 7 }), 10],
    ["… clamped to MaxSize", steps, { desiredCapacity: 7, maxSize: 9 }, trigger([115], { from: 4, to: 7 }), 9],
  ];
  for (const [name, input, over, t, desired] of cases) {
    it(name, () => assert.equal(alarmPolicyChange(put(input), { ...group(), ...over }, t, NOW)?.desired ?? null, desired));
  }

  it("names the alarm, its state and the policy in AWS's words", () => {
    const change = alarmPolicyChange(put(cooling, "out"), group(), trigger([85]), NOW);
    assert.equal(change?.cause, "At 2026-11-26T12:05:30Z a monitor alarm high in state ALARM triggered policy out changing the desired capacity from 4 to 6.");
  });
});
