import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  changeTags,
  createGroup,
  markDeleting,
  requireLaunchConfigurations,
  setDesiredCapacity,
  tagsFromInput,
  updateGroup,
  type CreateGroupInput,
} from "./group-changes.js";
import { isPhantomError, type AwsErrorCode } from "./errors.js";
import type { SiteCatalog } from "./sites.js";

const catalog: SiteCatalog = { names: ["hotel", "sierra", "ec2"], defaultSite: "hotel" };
const identity = { id: "g-1", arn: "arn:phantom:autoscaling:phantom:123456789012:autoScalingGroup:g-1:autoScalingGroupName/g", now: new Date(0) };

const phantomTags = (clouds = "hotel:8,ec2:-1", n = "10") => [
  { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
  { Key: "clouds", Value: clouds },
  { Key: "n_preserve", Value: n },
];
const phantomInput = (over: Partial<CreateGroupInput> = {}): CreateGroupInput => ({
  AutoScalingGroupName: "g",
  LaunchConfigurationName: "mylaunch",
  MinSize: 0,
  MaxSize: 20,
  AvailabilityZones: ["dummy-zone"],
  Tags: phantomTags(),
  ...over,
});

function fails(fn: () => unknown, code: AwsErrorCode, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isPhantomError(e, code), `expected ${code}, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("createGroup", () => {
  it("builds a Phantom group from its tags, ignoring AvailabilityZones", () => {
    const g = createGroup(phantomInput(), catalog, identity);
    assert.equal(g.definition, "error_overflow_n_preserving");
    assert.deepEqual(g.clouds, [{ site: "hotel", max: 8 }, { site: "ec2", max: -1 }]);
    assert.equal(g.desiredCapacity, 10);
    assert.equal(g.launchConfigurationBase, "mylaunch");
    assert.deepEqual(g.tags.map((t) => t.key), ["PHANTOM_DEFINITION", "clouds", "n_preserve"]);
    assert.equal(g.status, "active");
    assert.equal(g.defaultCooldown, 300);
  });
  it("accepts DesiredCapacity equal to n_preserve", () => {
    assert.equal(createGroup(phantomInput({ DesiredCapacity: 10 }), catalog, identity).desiredCapacity, 10);
  });
  it("takes the base of name@site", () => {
    assert.equal(createGroup(phantomInput({ LaunchConfigurationName: "mylaunch@ec2" }), catalog, identity).launchConfigurationBase, "mylaunch");
  });
  it("places a plain AWS group on its zones with DesiredCapacity defaulting to MinSize", () => {
    const g = createGroup({ AutoScalingGroupName: "p", LaunchConfigurationName: "lc", MinSize: 2, MaxSize: 5, AvailabilityZones: ["sierra"] }, catalog, identity);
    assert.equal(g.definition, null);
    assert.deepEqual(g.clouds, [{ site: "sierra", max: -1 }]);
    assert.equal(g.desiredCapacity, 2);
  });
  it("echoes the members it stores without acting on them", () => {
    const g = createGroup(phantomInput({ TerminationPolicies: ["OldestInstance"], NewInstancesProtectedFromScaleIn: true }), catalog, identity);
    assert.deepEqual(g.extra, { TerminationPolicies: ["OldestInstance"], NewInstancesProtectedFromScaleIn: true });
  });
  const bad: [string, Partial<CreateGroupInput>, AwsErrorCode, RegExp][] = [
    ["DesiredCapacity disagreeing with n_preserve", { DesiredCapacity: 3 }, "ValidationError", /DesiredCapacity 3 disagrees with the tag n_preserve=10/],
    ["n_preserve above MaxSize", { MaxSize: 5 }, "ValidationError", /Desired capacity:10 must be between the specified min size:0 and max size:5.*n_preserve/],
    ["MinSize above MaxSize", { MinSize: 3, MaxSize: 2 }, "ValidationError", /Max bound, 2, must be greater than or equal to min bound, 3/],
    ["negative sizes", { MinSize: -1, MaxSize: -2 }, "ValidationError", /^2 validation errors detected: Value '-1' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '-2' at 'maxSize'/],
    ["a negative cooldown", { DefaultCooldown: -5 }, "ValidationError", /^1 validation error detected: Value '-5' at 'defaultCooldown'/],
    ["no launch configuration", { LaunchConfigurationName: undefined }, "ValidationError", /LaunchConfigurationName/],
    ["a launch template", { LaunchTemplate: { LaunchTemplateName: "t" } }, "ValidationError", /LaunchTemplate is not supported/],
    ["load balancers", { LoadBalancerNames: ["lb"] }, "ValidationError", /LoadBalancerNames is not supported/],
    ["ELB health checks", { HealthCheckType: "ELB" }, "ValidationError", /HealthCheckType 'ELB'/],
    ["an unknown site in clouds", { Tags: phantomTags("mars:1") }, "ValidationError", /'mars' is not a configured site/],
    ["duplicate tag keys", { Tags: [...phantomTags(), { Key: "clouds", Value: "hotel:1" }] }, "ValidationError", /Duplicate tag key clouds/],
    ["aws: tags", { Tags: [...phantomTags(), { Key: "aws:x", Value: "1" }] }, "ValidationError", /reserved/],
    ["a tag for another group", { Tags: [{ Key: "k", Value: "v", ResourceId: "other" }] }, "ValidationError", /ResourceId 'other'/],
    ["51 tags", { Tags: [...phantomTags(), ...Array.from({ length: 48 }, (_, i) => ({ Key: `k${i}`, Value: "v" }))] }, "LimitExceeded", /at most 50 tags/],
    ["a launch configuration on an unknown site", { LaunchConfigurationName: "lc@mars" }, "ValidationError", /'mars' is not a configured site/],
  ];
  for (const [name, over, code, pattern] of bad) {
    it(`rejects ${name}`, () => fails(() => createGroup(phantomInput(over), catalog, identity), code, pattern));
  }
  it("rejects a plain group when there is no default site, explaining the convention", () => {
    fails(
      () => createGroup({ AutoScalingGroupName: "p", LaunchConfigurationName: "lc@hotel", MinSize: 0, MaxSize: 1 }, { ...catalog, defaultSite: null }, identity),
      "ValidationError",
      /no default site.*PHANTOM_DEFINITION/,
    );
  });
});

describe("requireLaunchConfigurations", () => {
  const g = createGroup(phantomInput(), catalog, identity);
  it("passes when every site has one", () => {
    requireLaunchConfigurations(g, new Set(["mylaunch@hotel", "mylaunch@ec2"]));
  });
  it("names the missing ones", () => {
    fails(() => requireLaunchConfigurations(g, new Set(["mylaunch@hotel"])), "ValidationError", /missing: mylaunch@ec2\. Create it/);
  });
});

describe("setDesiredCapacity", () => {
  const g = createGroup(phantomInput({ MinSize: 1, MaxSize: 12 }), catalog, identity);
  it("keeps n_preserve equal to the desired capacity", () => {
    const next = setDesiredCapacity(g, 4);
    assert.equal(next.desiredCapacity, 4);
    assert.equal(next.tags.find((t) => t.key === "n_preserve")?.value, "4");
  });
  it("uses AWS's words out of bounds", () => {
    fails(() => setDesiredCapacity(g, 13), "ValidationError", /^New SetDesiredCapacity value 13 is above max value 12 for the AutoScalingGroup\.$/);
    fails(() => setDesiredCapacity(g, 0), "ValidationError", /^New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup\.$/);
  });
  it("refuses a group that is being deleted", () => {
    fails(() => setDesiredCapacity(markDeleting(g), 2), "ValidationError", /pending delete/);
  });
});

describe("updateGroup", () => {
  const g = createGroup(phantomInput({ MinSize: 1, MaxSize: 12 }), catalog, identity);
  it("raises the desired capacity to a new MinSize, and the tag with it", () => {
    const next = updateGroup(g, { AutoScalingGroupName: "g", MinSize: 11 }, catalog);
    assert.equal(next.desiredCapacity, 11);
    assert.equal(next.tags.find((t) => t.key === "n_preserve")?.value, "11");
  });
  it("lowers the desired capacity to a new MaxSize", () => {
    assert.equal(updateGroup(g, { AutoScalingGroupName: "g", MaxSize: 3 }, catalog).desiredCapacity, 3);
  });
  it("sets DesiredCapacity and n_preserve together", () => {
    const next = updateGroup(g, { AutoScalingGroupName: "g", DesiredCapacity: 2 }, catalog);
    assert.equal(next.tags.find((t) => t.key === "n_preserve")?.value, "2");
  });
  it("ignores AvailabilityZones on a Phantom group, uses them on a plain one", () => {
    assert.deepEqual(updateGroup(g, { AutoScalingGroupName: "g", AvailabilityZones: ["sierra"] }, catalog).clouds, g.clouds);
    const plain = createGroup({ AutoScalingGroupName: "p", LaunchConfigurationName: "lc", MinSize: 0, MaxSize: 5 }, catalog, identity);
    assert.deepEqual(updateGroup(plain, { AutoScalingGroupName: "p", AvailabilityZones: ["sierra", "ec2"] }, catalog).clouds.map((c) => c.site), ["sierra", "ec2"]);
  });
  it("rejects a desired capacity outside the new bounds", () => {
    fails(() => updateGroup(g, { AutoScalingGroupName: "g", MaxSize: 3, DesiredCapacity: 5 }, catalog), "ValidationError", /Desired capacity:5 must be between/);
  });
  it("switches the launch configuration base", () => {
    assert.equal(updateGroup(g, { AutoScalingGroupName: "g", LaunchConfigurationName: "v2@hotel" }, catalog).launchConfigurationBase, "v2");
  });
});

describe("changeTags", () => {
  const g = createGroup(phantomInput({ MinSize: 0, MaxSize: 12 }), catalog, identity);
  const tag = (key: string, value: string) => ({ key, value, propagateAtLaunch: false });
  it("reconfigures clouds and n_preserve", () => {
    const next = changeTags(g, [tag("clouds", "sierra:2,hotel:-1"), tag("n_preserve", "3")], [], catalog);
    assert.deepEqual(next.clouds, [{ site: "sierra", max: 2 }, { site: "hotel", max: -1 }]);
    assert.equal(next.desiredCapacity, 3);
  });
  it("checks n_preserve against the bounds", () => {
    fails(() => changeTags(g, [tag("n_preserve", "13")], [], catalog), "ValidationError", /Desired capacity:13/);
  });
  it("refuses to delete a placement tag", () => {
    fails(() => changeTags(g, [], ["clouds"], catalog), "ValidationError", /cannot be deleted/);
  });
  it("adds and deletes ordinary tags, sorted by key", () => {
    const next = changeTags(g, [tag("zeta", "1"), tag("alpha", "2")], [], catalog);
    assert.deepEqual(next.tags.map((t) => t.key), ["PHANTOM_DEFINITION", "alpha", "clouds", "n_preserve", "zeta"]);
    assert.deepEqual(changeTags(next, [], ["zeta", "absent"], catalog).tags.map((t) => t.key), ["PHANTOM_DEFINITION", "alpha", "clouds", "n_preserve"]);
  });
  it("turns a plain group into a Phantom group when all three tags arrive", () => {
    const plain = createGroup({ AutoScalingGroupName: "p", LaunchConfigurationName: "lc", MinSize: 0, MaxSize: 5 }, catalog, identity);
    const next = changeTags(plain, tagsFromInput("p", phantomTags("sierra:1", "2")), [], catalog);
    assert.equal(next.definition, "error_overflow_n_preserving");
    assert.equal(next.desiredCapacity, 2);
  });
});
