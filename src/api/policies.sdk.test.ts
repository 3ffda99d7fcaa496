/**
 * Scaling policies through the AWS SDK for JavaScript: PutScalingPolicy of each type,
 * DescribePolicies in AWS's shape with filters and pagination, ExecutePolicy with its activity,
 * cooldown and clamping, DeletePolicy, and their errors.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DeletePolicyCommand,
  DescribePoliciesCommand,
  DescribeScalingActivitiesCommand,
  ExecutePolicyCommand,
  PutScalingPolicyCommand,
  type Activity,
  type AutoScalingClient,
  type PutScalingPolicyCommandInput,
  type ScalingPolicy,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, describeGroup, phantomTags, rejectsWith, sdkClient, tagOf, walkPages } from "../test-support/sdk-client.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Phantom's policy ARN for group `g` and policy `p`. */
const arnOf = (g: string, p: string) =>
  new RegExp(`^arn:phantom:autoscaling:phantom:\\d{12}:scalingPolicy:[0-9a-f-]{36}:autoScalingGroupName/${g}:policyName/${p}$`);

describe("scaling policies through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;
  let bob: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    bob = sdkClient(phantom, phantom.bob);
    await createLaunchConfigurations(alice, ["web@hotel", "web@ec2"]);
    await createLaunchConfigurations(bob, ["web@hotel", "web@ec2"]);
  });
  after(() => {
    alice?.destroy();
    bob?.destroy();
    return phantom?.close();
  });

  /** A Phantom group of `client` with n_preserve (= DesiredCapacity) `n`, sizes 0..10. */
  const createGroup = (client: AutoScalingClient, name: string, n = 2, maxSize = 10) =>
    client.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchConfigurationName: "web",
        MinSize: 0,
        MaxSize: maxSize,
        Tags: phantomTags("hotel:8,ec2:-1", n),
      }),
    );

  const put = (client: AutoScalingClient, input: PutScalingPolicyCommandInput) => client.send(new PutScalingPolicyCommand(input));
  const describePolicies = async (client: AutoScalingClient, input: ConstructorParameters<typeof DescribePoliciesCommand>[0] = {}) =>
    (await client.send(new DescribePoliciesCommand(input))).ScalingPolicies ?? [];
  const ids = (ps: readonly ScalingPolicy[]) => ps.map((p) => `${p.AutoScalingGroupName}/${p.PolicyName}`);

  const simple = (group: string, name: string, over: Partial<PutScalingPolicyCommandInput> = {}): PutScalingPolicyCommandInput => ({
    AutoScalingGroupName: group,
    PolicyName: name,
    PolicyType: "SimpleScaling",
    AdjustmentType: "ChangeInCapacity",
    ScalingAdjustment: 2,
    ...over,
  });
  const step = (group: string, name: string): PutScalingPolicyCommandInput => ({
    AutoScalingGroupName: group,
    PolicyName: name,
    PolicyType: "StepScaling",
    AdjustmentType: "ChangeInCapacity",
    MetricAggregationType: "Maximum",
    EstimatedInstanceWarmup: 120,
    StepAdjustments: [
      { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
    ],
  });
  const tracking = (group: string, name: string): PutScalingPolicyCommandInput => ({
    AutoScalingGroupName: group,
    PolicyName: name,
    PolicyType: "TargetTrackingScaling",
    TargetTrackingConfiguration: {
      TargetValue: 60,
      CustomizedMetricSpecification: { MetricName: "Load", Namespace: "App", Statistic: "Average", Dimensions: [{ Name: "AutoScalingGroupName", Value: group }] },
    },
  });

  /** The group's newest activities, newest first. */
  async function activities(client: AutoScalingClient, group: string): Promise<Activity[]> {
    return (await client.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group }))).Activities ?? [];
  }

  it("puts a policy of each type, answering a PolicyARN of Phantom's form, and describes them in AWS's shape", async () => {
    await createGroup(alice, "shape");
    const a = await put(alice, simple("shape", "up", { Cooldown: 120 }));
    const b = await put(alice, step("shape", "steps"));
    const c = await put(alice, tracking("shape", "track"));
    assert.match(a.PolicyARN ?? "", arnOf("shape", "up"));
    assert.match(b.PolicyARN ?? "", arnOf("shape", "steps"));
    assert.match(c.PolicyARN ?? "", arnOf("shape", "track"));
    assert.deepEqual(a.Alarms, []);
    assert.equal(new Set([a.PolicyARN, b.PolicyARN, c.PolicyARN]).size, 3);

    const policies = await describePolicies(alice, { AutoScalingGroupName: "shape" });
    assert.deepEqual(ids(policies), ["shape/steps", "shape/track", "shape/up"]);
    const [steps, track, up] = policies as [ScalingPolicy, ScalingPolicy, ScalingPolicy];
    assert.deepEqual(up, {
      AutoScalingGroupName: "shape",
      PolicyName: "up",
      PolicyARN: a.PolicyARN,
      PolicyType: "SimpleScaling",
      AdjustmentType: "ChangeInCapacity",
      ScalingAdjustment: 2,
      Cooldown: 120,
      Alarms: [],
      Enabled: true,
    });
    assert.equal(steps.PolicyARN, b.PolicyARN);
    assert.equal(steps.PolicyType, "StepScaling");
    assert.equal(steps.MetricAggregationType, "Maximum");
    assert.equal(steps.EstimatedInstanceWarmup, 120);
    // Steps come back ordered by their lower bound.
    assert.deepEqual(steps.StepAdjustments, [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 10, ScalingAdjustment: 3 },
    ]);
    assert.equal(track.PolicyARN, c.PolicyARN);
    assert.equal(track.PolicyType, "TargetTrackingScaling");
    assert.deepEqual(track.TargetTrackingConfiguration, {
      TargetValue: 60,
      DisableScaleIn: false,
      CustomizedMetricSpecification: { MetricName: "Load", Namespace: "App", Statistic: "Average", Dimensions: [{ Name: "AutoScalingGroupName", Value: "shape" }] },
    });
    assert.equal(track.Enabled, true);
  });

  it("replaces a policy put again under its name, keeping its ARN", async () => {
    await createGroup(alice, "replace");
    const first = await put(alice, simple("replace", "p"));
    const second = await put(alice, step("replace", "p"));
    assert.equal(second.PolicyARN, first.PolicyARN);
    const [p] = await describePolicies(alice, { AutoScalingGroupName: "replace" });
    assert.equal(p?.PolicyARN, first.PolicyARN);
    assert.equal(p?.PolicyType, "StepScaling");
    assert.equal(p?.ScalingAdjustment, undefined);
    assert.equal(p?.StepAdjustments?.length, 2);
  });

  it("filters DescribePolicies by group, names, ARNs and types, and pages with MaxRecords/NextToken", async () => {
    await createGroup(alice, "filter-a");
    await createGroup(alice, "filter-b");
    const arns: Record<string, string> = {};
    for (const g of ["filter-a", "filter-b"]) {
      for (const n of ["s1", "s2", "s3"]) arns[`${g}/${n}`] = (await put(alice, simple(g, n))).PolicyARN!;
      arns[`${g}/st`] = (await put(alice, step(g, "st"))).PolicyARN!;
      arns[`${g}/tt`] = (await put(alice, tracking(g, "tt"))).PolicyARN!;
    }
    const inA = ["filter-a/s1", "filter-a/s2", "filter-a/s3", "filter-a/st", "filter-a/tt"];
    const inB = inA.map((n) => n.replace("filter-a", "filter-b"));
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "filter-a" })), inA);
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "filter-b", PolicyNames: ["s2", "tt", "nope"] })), ["filter-b/s2", "filter-b/tt"]);
    assert.deepEqual(ids(await describePolicies(alice, { PolicyNames: ["st"] })).filter((n) => n.startsWith("filter-")), ["filter-a/st", "filter-b/st"]);
    assert.deepEqual(ids(await describePolicies(alice, { PolicyNames: [arns["filter-b/s3"]!, arns["filter-a/tt"]!] })), ["filter-a/tt", "filter-b/s3"]);
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "filter-a", PolicyNames: [arns["filter-b/s3"]!] })), []);
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "filter-b", PolicyTypes: ["StepScaling", "TargetTrackingScaling"] })), ["filter-b/st", "filter-b/tt"]);
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "filter-a", PolicyTypes: ["SimpleScaling"] })), ["filter-a/s1", "filter-a/s2", "filter-a/s3"]);
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "no-such-group" })), []);
    for (const p of await describePolicies(alice, { AutoScalingGroupName: "filter-b" })) assert.equal(p.PolicyARN, arns[`${p.AutoScalingGroupName}/${p.PolicyName}`]);

    for (const size of [1, 2, 3]) {
      const walked = await walkPages(size, async (MaxRecords, NextToken) => {
        const out = await alice.send(new DescribePoliciesCommand({ PolicyNames: ["s1", "s2", "s3", "st", "tt"], MaxRecords, NextToken }));
        return { items: ids(out.ScalingPolicies ?? []).filter((n) => n.startsWith("filter-")), next: out.NextToken };
      });
      assert.deepEqual(walked.items, [...inA, ...inB], `MaxRecords ${size}`);
    }
    const walkedGroup = await walkPages(2, async (MaxRecords, NextToken) => {
      const out = await alice.send(new DescribePoliciesCommand({ AutoScalingGroupName: "filter-b", MaxRecords, NextToken }));
      return { items: ids(out.ScalingPolicies ?? []), next: out.NextToken };
    });
    assert.deepEqual(walkedGroup, { items: inB, pages: 3 });
    // A token belongs to its query.
    const first = await alice.send(new DescribePoliciesCommand({ AutoScalingGroupName: "filter-b", MaxRecords: 2 }));
    assert.ok(first.NextToken !== undefined);
    await rejectsWith(alice.send(new DescribePoliciesCommand({ AutoScalingGroupName: "filter-a", MaxRecords: 2, NextToken: first.NextToken })), {
      code: "InvalidNextToken",
      message: /./,
    });
  });

  it("executes a simple policy: DesiredCapacity and n_preserve move, and a Successful activity names the policy and the counts", async () => {
    await createGroup(alice, "exec", 2);
    await put(alice, simple("exec", "up"));
    const before = Date.now();
    const out = await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "exec", PolicyName: "up" }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    const g = await describeGroup(alice, "exec");
    assert.equal(g.DesiredCapacity, 4);
    assert.equal(tagOf(g, "n_preserve"), "4");
    const [latest] = await activities(alice, "exec");
    assert.ok(latest !== undefined);
    assert.equal(latest.StatusCode, "Successful");
    assert.equal(latest.Progress, 100);
    assert.equal(latest.AutoScalingGroupName, "exec");
    assert.match(latest.Description ?? "", /^Changing the desired capacity from 2 to 4$/);
    assert.match(latest.Cause ?? "", /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a user request executed policy up, changing the desired capacity from 2 to 4\.$/);
    assert.ok(latest.StartTime instanceof Date && latest.StartTime.getTime() >= before - 1000);

    // By ARN alone, without the group name; and past MaxSize it clamps and says so.
    const { PolicyARN } = await put(alice, simple("exec", "exact", { AdjustmentType: "ExactCapacity", ScalingAdjustment: 50 }));
    await alice.send(new ExecutePolicyCommand({ PolicyName: PolicyARN }));
    const clamped = await describeGroup(alice, "exec");
    assert.equal(clamped.DesiredCapacity, 10);
    assert.equal(tagOf(clamped, "n_preserve"), "10");
    const [newest] = await activities(alice, "exec");
    assert.match(newest?.Cause ?? "", /executed policy exact, changing the desired capacity from 4 to 10 \(50 clamped to MaxSize 10\)\.$/);

    // Percent: 10 × −25% = −2.5 → −2.
    await put(alice, simple("exec", "shrink", { AdjustmentType: "PercentChangeInCapacity", ScalingAdjustment: -25 }));
    await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "exec", PolicyName: "shrink" }));
    assert.equal((await describeGroup(alice, "exec")).DesiredCapacity, 8);
    assert.equal((await activities(alice, "exec")).length, 3);
  });

  it("refuses ExecutePolicy with HonorCooldown during the cooldown (ScalingActivityInProgress); without it the policy runs", async () => {
    await createGroup(alice, "cool", 1);
    await put(alice, simple("cool", "up", { ScalingAdjustment: 1, Cooldown: 600 }));
    // No change yet: HonorCooldown finds no cooldown running.
    await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "cool", PolicyName: "up", HonorCooldown: true }));
    assert.equal((await describeGroup(alice, "cool")).DesiredCapacity, 2);
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "cool", PolicyName: "up", HonorCooldown: true })), {
      code: "ScalingActivityInProgress",
      message: /^The group cool is in its cooldown of 600 s after the change at .*; execute without HonorCooldown to change it now\.$/,
    });
    assert.equal((await describeGroup(alice, "cool")).DesiredCapacity, 2);
    assert.equal((await activities(alice, "cool")).length, 1);
    await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "cool", PolicyName: "up", HonorCooldown: false }));
    assert.equal((await describeGroup(alice, "cool")).DesiredCapacity, 3);
  });

  it("executes a step policy by MetricValue and BreachThreshold, and needs both", async () => {
    await createGroup(alice, "stepped", 2);
    await put(alice, step("stepped", "st"));
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "stepped", PolicyName: "st" })), {
      code: "ValidationError",
      message: /^Executing a step scaling policy needs both MetricValue and BreachThreshold\.$/,
    });
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "stepped", PolicyName: "st", MetricValue: 90 })), {
      code: "ValidationError",
      message: /needs both MetricValue and BreachThreshold/,
    });
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "stepped", PolicyName: "st", MetricValue: 90, BreachThreshold: 70, HonorCooldown: true })), {
      code: "ValidationError",
      message: /HonorCooldown is not supported for step scaling policies/,
    });
    assert.equal((await describeGroup(alice, "stepped")).DesiredCapacity, 2);
    // 85 − 70 = 15: the step from 10 up adds 3.
    await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "stepped", PolicyName: "st", MetricValue: 85, BreachThreshold: 70 }));
    const g = await describeGroup(alice, "stepped");
    assert.equal(g.DesiredCapacity, 5);
    assert.equal(tagOf(g, "n_preserve"), "5");
    const [latest] = await activities(alice, "stepped");
    assert.equal(latest?.StatusCode, "Successful");
    assert.match(latest?.Cause ?? "", /executed step scaling policy st with the metric at 85 against the breach threshold 70, changing the desired capacity from 2 to 5\.$/);
    // 72 − 70 = 2: the step [0, 10) adds 1.
    await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "stepped", PolicyName: "st", MetricValue: 72, BreachThreshold: 70 }));
    assert.equal((await describeGroup(alice, "stepped")).DesiredCapacity, 6);
    // Below the threshold no step applies: nothing changes, no activity.
    await alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "stepped", PolicyName: "st", MetricValue: 50, BreachThreshold: 70 }));
    assert.equal((await describeGroup(alice, "stepped")).DesiredCapacity, 6);
    assert.equal((await activities(alice, "stepped")).length, 2);
  });

  it("refuses to execute a target tracking policy, and refuses MetricValue for a simple one", async () => {
    await createGroup(alice, "tracked", 2);
    await put(alice, tracking("tracked", "tt"));
    await put(alice, simple("tracked", "up"));
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "tracked", PolicyName: "tt" })), {
      code: "ValidationError",
      message: /^Policy tt is a target tracking policy; Phantom runs it from its metric, it cannot be executed\.$/,
    });
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "tracked", PolicyName: "up", MetricValue: 1, BreachThreshold: 0 })), {
      code: "ValidationError",
      message: /^MetricValue and BreachThreshold are only supported for step scaling policies\.$/,
    });
    assert.equal((await describeGroup(alice, "tracked")).DesiredCapacity, 2);
    assert.deepEqual(await activities(alice, "tracked"), []);
  });

  describe("PutScalingPolicy refusals", () => {
    before(() => createGroup(alice, "refuse"));
    const refusals: [string, PutScalingPolicyCommandInput, RegExp][] = [
      [
        "PredefinedMetricSpecification",
        {
          AutoScalingGroupName: "refuse",
          PolicyName: "p",
          PolicyType: "TargetTrackingScaling",
          TargetTrackingConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: "ASGAverageCPUUtilization" } },
        },
        /^PredefinedMetricSpecification is not supported: Phantom has no built-in metrics/,
      ],
      ["an unknown group", simple("no-such-group", "p"), /^AutoScalingGroup name not found - AutoScalingGroup 'no-such-group' not found$/],
      ["a simple policy without ScalingAdjustment", simple("refuse", "p", { ScalingAdjustment: undefined }), /^ScalingAdjustment is required for policy type SimpleScaling\.$/],
      ["a simple policy without AdjustmentType", simple("refuse", "p", { AdjustmentType: undefined }), /^AdjustmentType is required for policy type SimpleScaling\.$/],
      ["a step policy without steps", { ...step("refuse", "p"), StepAdjustments: undefined }, /^StepAdjustments are required for policy type StepScaling\.$/],
      [
        "overlapping steps",
        { ...step("refuse", "p"), StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 10, ScalingAdjustment: 2 }] },
        /overlapping intervals/,
      ],
      ["Cooldown on a step policy", { ...step("refuse", "p"), Cooldown: 60 }, /^Cooldown is not supported for policy type StepScaling\.$/],
      ["a disabled policy", simple("refuse", "p", { Enabled: false }), /^Disabled policies are not supported/],
    ];
    for (const [label, input, message] of refusals) {
      it(`refuses ${label} with ValidationError, storing nothing`, async () => {
        await rejectsWith(put(alice, input), { code: "ValidationError", message });
        assert.deepEqual(await describePolicies(alice, { AutoScalingGroupName: "refuse" }), []);
      });
    }
  });

  it("deletes a policy, by group and name or by ARN; a missing policy or group is a ValidationError", async () => {
    await createGroup(alice, "del");
    await put(alice, simple("del", "a"));
    const { PolicyARN } = await put(alice, simple("del", "b"));
    await put(alice, simple("del", "c"));
    await alice.send(new DeletePolicyCommand({ AutoScalingGroupName: "del", PolicyName: "a" }));
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "del" })), ["del/b", "del/c"]);
    await alice.send(new DeletePolicyCommand({ PolicyName: PolicyARN }));
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "del" })), ["del/c"]);
    assert.deepEqual(await describePolicies(alice, { PolicyNames: [PolicyARN!] }), []);

    await rejectsWith(alice.send(new DeletePolicyCommand({ AutoScalingGroupName: "del", PolicyName: "a" })), {
      code: "ValidationError",
      message: /^No scaling policy named a in AutoScalingGroup del was found\.$/,
    });
    await rejectsWith(alice.send(new DeletePolicyCommand({ PolicyName: PolicyARN })), { code: "ValidationError", message: /^No scaling policy named arn:phantom:.* was found\.$/ });
    await rejectsWith(alice.send(new DeletePolicyCommand({ AutoScalingGroupName: "no-such-group", PolicyName: "c" })), {
      code: "ValidationError",
      message: /^AutoScalingGroup name not found - AutoScalingGroup 'no-such-group' not found$/,
    });
    await rejectsWith(alice.send(new DeletePolicyCommand({ PolicyName: "c" })), {
      code: "ValidationError",
      message: /^AutoScalingGroupName is required unless PolicyName is the policy's ARN\.$/,
    });
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "del", PolicyName: "a" })), {
      code: "ValidationError",
      message: /^No scaling policy named a in AutoScalingGroup del was found\.$/,
    });
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "no-such-group", PolicyName: "a" })), {
      code: "ValidationError",
      message: /^AutoScalingGroup name not found - AutoScalingGroup 'no-such-group' not found$/,
    });
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "del" })), ["del/c"]);
  });

  it("keeps users' policies apart: bob's same-named group and policies are his, alice's are invisible to him", async () => {
    await createGroup(alice, "shared", 2);
    await createGroup(bob, "shared", 2);
    const mine = await put(alice, simple("shared", "up"));
    const theirs = await put(bob, simple("shared", "up", { ScalingAdjustment: 5 }));
    assert.notEqual(mine.PolicyARN, theirs.PolicyARN);
    const bobs = await describePolicies(bob);
    assert.deepEqual(bobs.map((p) => p.PolicyARN), [theirs.PolicyARN]);
    assert.equal(bobs[0]?.ScalingAdjustment, 5);
    assert.deepEqual(await describePolicies(bob, { PolicyNames: [mine.PolicyARN!] }), []);
    assert.ok((await describePolicies(alice)).every((p) => p.PolicyARN !== theirs.PolicyARN));
    // Bob can neither run nor delete alice's policy by its ARN.
    await rejectsWith(bob.send(new ExecutePolicyCommand({ PolicyName: mine.PolicyARN })), { code: "ValidationError", message: /^No scaling policy named arn:.* was found\.$/ });
    await rejectsWith(bob.send(new DeletePolicyCommand({ PolicyName: mine.PolicyARN })), { code: "ValidationError", message: /^No scaling policy named arn:.* was found\.$/ });
    assert.equal((await describeGroup(alice, "shared")).DesiredCapacity, 2);
    assert.deepEqual((await describePolicies(alice, { AutoScalingGroupName: "shared" })).map((p) => p.PolicyARN), [mine.PolicyARN]);
    // Each runs their own.
    await bob.send(new ExecutePolicyCommand({ AutoScalingGroupName: "shared", PolicyName: "up" }));
    assert.equal((await describeGroup(bob, "shared")).DesiredCapacity, 7);
    assert.equal((await describeGroup(alice, "shared")).DesiredCapacity, 2);
  });

  it("allows 50 policies per group: a 51st is LimitExceeded, replacing one of the 50 is fine", async () => {
    await createGroup(alice, "many", 0);
    for (let i = 0; i < 50; i++) await put(alice, simple("many", `p${String(i).padStart(2, "0")}`));
    await rejectsWith(put(alice, simple("many", "p50")), { code: "LimitExceeded", message: /^A group can have at most 50 scaling policies\.$/ });
    await put(alice, simple("many", "p07", { ScalingAdjustment: 9 }));
    const all = await walkPages(50, async (MaxRecords, NextToken) => {
      const out = await alice.send(new DescribePoliciesCommand({ AutoScalingGroupName: "many", MaxRecords, NextToken }));
      return { items: out.ScalingPolicies ?? [], next: out.NextToken };
    });
    assert.equal(all.items.length, 50);
    assert.equal(all.items.find((p) => p.PolicyName === "p07")?.ScalingAdjustment, 9);
    assert.equal(all.items.some((p) => p.PolicyName === "p50"), false);
  });

  it("removes a group's policies with the group", async () => {
    await createGroup(alice, "doomed", 0);
    await createGroup(alice, "keeper", 0);
    const { PolicyARN } = await put(alice, simple("doomed", "up"));
    await put(alice, tracking("doomed", "tt"));
    await put(alice, simple("keeper", "up"));
    await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "doomed" }));
    assert.deepEqual(await describePolicies(alice, { AutoScalingGroupName: "doomed" }), []);
    assert.deepEqual(await describePolicies(alice, { PolicyNames: [PolicyARN!] }), []);
    assert.deepEqual(ids(await describePolicies(alice, { AutoScalingGroupName: "keeper" })), ["keeper/up"]);
    // A new group of that name starts without them.
    await createGroup(alice, "doomed", 0);
    assert.deepEqual(await describePolicies(alice, { AutoScalingGroupName: "doomed" }), []);
    await rejectsWith(alice.send(new ExecutePolicyCommand({ AutoScalingGroupName: "doomed", PolicyName: "up" })), {
      code: "ValidationError",
      message: /^No scaling policy named up in AutoScalingGroup doomed was found\.$/,
    });
  });
});
