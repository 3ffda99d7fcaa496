/**
 * CreateAutoScalingGroup, DescribeAutoScalingGroups, UpdateAutoScalingGroup, SetDesiredCapacity
 * and DeleteAutoScalingGroup through the AWS SDK for JavaScript: Phantom's placement tags and
 * their errors, plain AWS use with and without `default_site`, filters and pagination.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type CreateAutoScalingGroupCommandInput,
  type Filter,
  type Tag,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import {
  createLaunchConfigurations,
  describeGroup,
  groupNames,
  phantomTags,
  rejectsWith,
  sdkClient,
  tagOf,
  walkPages,
} from "../test-support/sdk-client.js";

const SITES = "Configured sites: hotel, sierra, ec2.";
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("Phantom groups through the AWS SDK (no default site)", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    await createLaunchConfigurations(alice, ["web@hotel", "web@ec2", "solo@hotel"]);
  });
  after(() => phantom.close());

  const create = (name: string, over: Partial<CreateAutoScalingGroupCommandInput> = {}) =>
    alice.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchConfigurationName: "web",
        MinSize: 0,
        MaxSize: 10,
        Tags: phantomTags("ec2:-1,hotel:8", 3),
        ...over,
      }),
    );

  it("creates a group from its tags and describes it in AWS's shape, AvailabilityZones = the ordered clouds", async () => {
    const startedAt = Date.now();
    await create("main", { AvailabilityZones: ["dummy-zone"] });
    const g = await describeGroup(alice, "main");
    assert.equal(g.AutoScalingGroupName, "main");
    assert.match(g.AutoScalingGroupARN ?? "", /^arn:phantom:autoscaling:phantom:\d{12}:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/main$/);
    assert.equal(g.LaunchConfigurationName, "web");
    assert.equal(g.MinSize, 0);
    assert.equal(g.MaxSize, 10);
    assert.equal(g.DesiredCapacity, 3);
    assert.equal(g.DefaultCooldown, 300);
    assert.deepEqual(g.AvailabilityZones, ["ec2", "hotel"]);
    assert.deepEqual(g.LoadBalancerNames, []);
    assert.equal(g.HealthCheckType, "EC2");
    assert.equal(g.HealthCheckGracePeriod, 0);
    assert.deepEqual(g.Instances, []);
    assert.deepEqual(g.TerminationPolicies, ["Default"]);
    assert.equal(g.Status, undefined);
    assert.ok(g.CreatedTime instanceof Date && Math.abs(g.CreatedTime.getTime() - startedAt) < 60_000);
    const tag = (Key: string, Value: string): Tag => ({ ResourceId: "main", ResourceType: "auto-scaling-group", Key, Value, PropagateAtLaunch: false });
    assert.deepEqual(g.Tags, [tag("PHANTOM_DEFINITION", "error_overflow_n_preserving"), tag("clouds", "ec2:-1,hotel:8"), tag("n_preserve", "3")]);
  });

  it("accepts <name>@<site> as the group's configuration, and DesiredCapacity equal to n_preserve", async () => {
    await create("by-site", { LaunchConfigurationName: "web@hotel", DesiredCapacity: 3, Tags: phantomTags("hotel:8,ec2:-1", 3) });
    const g = await describeGroup(alice, "by-site");
    assert.equal(g.LaunchConfigurationName, "web@hotel");
    assert.deepEqual(g.AvailabilityZones, ["hotel", "ec2"]);
    assert.equal(g.DesiredCapacity, 3);
  });

  const definition = { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" };
  const refused: [string, Partial<CreateAutoScalingGroupCommandInput>, RegExp][] = [
    ["PHANTOM_DEFINITION=sensor_engine with n_preserve", { Tags: [{ ...definition, Value: "sensor_engine" }, ...phantomTags("hotel:1", 1).slice(1)] }, /^The tag n_preserve does not apply to a PHANTOM_DEFINITION=sensor_engine group/],
    ["an unknown PHANTOM_DEFINITION", { Tags: [{ ...definition, Value: "bogus" }, ...phantomTags("hotel:1", 1).slice(1)] }, /^Unknown PHANTOM_DEFINITION 'bogus'; the supported definitions are error_overflow_n_preserving and sensor_engine\.$/],
    ["PHANTOM_DEFINITION without clouds", { Tags: [definition, { Key: "n_preserve", Value: "1" }] }, new RegExp(`needs the tag clouds=<site>:<max>,… .*e\\.g\\. clouds=hotel:8,ec2:-1\\. ${escape(SITES)}$`)],
    ["PHANTOM_DEFINITION without n_preserve", { Tags: [definition, { Key: "clouds", Value: "hotel:1" }] }, /needs the tag n_preserve=<number of VMs to keep>/],
    ["clouds without PHANTOM_DEFINITION", { Tags: [{ Key: "clouds", Value: "hotel:1" }] }, /^The tag clouds only takes effect on a Phantom group: add the tag PHANTOM_DEFINITION=error_overflow_n_preserving\.$/],
    ["n_preserve without PHANTOM_DEFINITION", { Tags: [{ Key: "n_preserve", Value: "1" }] }, /^The tag n_preserve only takes effect on a Phantom group/],
    ["an empty clouds tag", { Tags: phantomTags("", 1) }, new RegExp(`^The tag clouds='' must list site:max entries separated by commas.*${escape(SITES)}$`)],
    ["an empty clouds entry", { Tags: phantomTags("hotel:1,,ec2:1", 1) }, /^The tag clouds='hotel:1,,ec2:1' must list site:max entries/],
    ["a clouds entry without max", { Tags: phantomTags("hotel", 1) }, /^The entry 'hotel' of the tag clouds must be site:max with an integer max \(-1 = unlimited\)/],
    ["a clouds entry without site", { Tags: phantomTags(":3", 1) }, /^The entry ':3' of the tag clouds must be site:max/],
    ["a non-integer max", { Tags: phantomTags("hotel:1.5", 1) }, /^The entry 'hotel:1\.5' of the tag clouds must be site:max with an integer max/],
    ["a max below -1", { Tags: phantomTags("hotel:-2", 1) }, /^The maximum of site hotel in the tag clouds is -2; it must be an integer >= 0, or -1 for unlimited\.$/],
    ["a max beyond 32 bits", { Tags: phantomTags("hotel:99999999999", 1) }, /^The maximum of site hotel in the tag clouds is 99999999999/],
    ["an unknown site in clouds", { Tags: phantomTags("hotel:1,mars:2", 1) }, new RegExp(`^The tag clouds: 'mars' is not a configured site\\. ${escape(SITES)}$`)],
    ["a site listed twice", { Tags: phantomTags("hotel:1,ec2:1,hotel:2", 1) }, /^The tag clouds lists site hotel twice; list each site once, in order of preference\.$/],
    ["a non-numeric n_preserve", { Tags: phantomTags("hotel:1", "many") }, /^The tag n_preserve='many' must be a whole number of VMs to keep \(0 or more\)\.$/],
    ["a negative n_preserve", { Tags: phantomTags("hotel:1", -1) }, /^The tag n_preserve='-1' must be a whole number/],
    ["a fractional n_preserve", { Tags: phantomTags("hotel:1", "1.5") }, /^The tag n_preserve='1\.5' must be a whole number/],
    ["an empty n_preserve", { Tags: phantomTags("hotel:1", "") }, /^The tag n_preserve='' must be a whole number/],
    ["a duplicate tag key", { Tags: [...phantomTags("hotel:1", 1), { Key: "clouds", Value: "ec2:1" }] }, /^Duplicate tag key clouds$/],
    ["an aws: tag", { Tags: [...phantomTags("hotel:1", 1), { Key: "aws:owner", Value: "x" }] }, /^Tag keys starting with 'aws:' are reserved: aws:owner$/],
    ["a tag for another group", { Tags: [...phantomTags("hotel:1", 1), { Key: "k", Value: "v", ResourceId: "other" }] }, /names ResourceId 'other', but the group is 'bad'/],
    ["a site without its <name>@<site> configuration", { Tags: phantomTags("hotel:2,sierra:-1,ec2:1", 1) }, /^Launch configuration name not found - the group places VMs on hotel, sierra, ec2 and needs one launch configuration per site; missing: web@sierra\. Create it with CreateLaunchConfiguration\.$/],
    ["two sites without configurations", { LaunchConfigurationName: "solo", Tags: phantomTags("sierra:1,hotel:1,ec2:1", 1) }, /missing: solo@sierra, solo@ec2\. Create them with CreateLaunchConfiguration\.$/],
    ["a group configuration on an unknown site", { LaunchConfigurationName: "web@mars" }, new RegExp(`^Launch configuration name 'web@mars': 'mars' is not a configured site\\. ${escape(SITES)}$`)],
    ["no launch configuration", { LaunchConfigurationName: undefined }, /must contain either LaunchTemplate, LaunchConfigurationName.*Phantom uses LaunchConfigurationName\.$/],
    ["DesiredCapacity disagreeing with n_preserve", { DesiredCapacity: 4 }, /^DesiredCapacity 4 disagrees with the tag n_preserve=3: in a Phantom group they are the same setting\. Leave DesiredCapacity out or make them equal\.$/],
    ["n_preserve above MaxSize", { MaxSize: 2 }, /^Desired capacity:3 must be between the specified min size:0 and max size:2 \(the tag n_preserve is the desired capacity of a Phantom group\)$/],
    ["n_preserve below MinSize", { MinSize: 4 }, /^Desired capacity:3 must be between the specified min size:4 and max size:10 \(the tag n_preserve/],
    ["MinSize above MaxSize", { MinSize: 5, MaxSize: 4 }, /^Max bound, 4, must be greater than or equal to min bound, 5$/],
    ["a launch template", { LaunchTemplate: { LaunchTemplateName: "tmpl" } }, /^LaunchTemplate is not supported/],
    ["load balancers", { LoadBalancerNames: ["lb"] }, /^LoadBalancerNames is not supported: Phantom does not offer load balancers\.$/],
    ["ELB health checks", { HealthCheckType: "ELB" }, /^HealthCheckType 'ELB' is not supported/],
    ["VPC subnets", { VPCZoneIdentifier: "subnet-1" }, /^VPCZoneIdentifier is not supported/],
  ];
  for (const [what, over, message] of refused) {
    it(`refuses ${what} with ValidationError and creates nothing`, async () => {
      await rejectsWith(create("bad", over), { code: "ValidationError", message });
      assert.deepEqual(await groupNames(alice, ["bad"]), []);
    });
  }

  it("refuses a plain AWS group: without default_site it explains the naming convention", async () => {
    await rejectsWith(create("plain", { Tags: undefined, AvailabilityZones: ["hotel"] }), {
      code: "ValidationError",
      message: new RegExp(
        `^This Phantom has no default site, so a group needs the tags PHANTOM_DEFINITION=error_overflow_n_preserving, ` +
          `clouds=<site>:<max>,… \\(e\\.g\\. clouds=hotel:8,ec2:-1\\) and n_preserve=<count>\\. ${escape(SITES)}$`,
      ),
    });
    assert.deepEqual(await groupNames(alice, ["plain"]), []);
  });

  it("refuses a second group of the same name with AlreadyExists", async () => {
    await rejectsWith(create("main", { Tags: phantomTags("hotel:1", 1) }), {
      code: "AlreadyExists",
      message: /^AutoScalingGroup by this name already exists - A group with the name main already exists$/,
    });
    assert.equal((await describeGroup(alice, "main")).DesiredCapacity, 3);
  });

  describe("SetDesiredCapacity and UpdateAutoScalingGroup keep DesiredCapacity and n_preserve equal", () => {
    before(() => create("sized", { MinSize: 1, MaxSize: 8, Tags: phantomTags("hotel:2,ec2:-1", 2) }));

    const sizes = async () => {
      const g = await describeGroup(alice, "sized");
      return { min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, nPreserve: tagOf(g, "n_preserve"), zones: g.AvailabilityZones };
    };
    const zones = ["hotel", "ec2"];

    it("SetDesiredCapacity sets both", async () => {
      await alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "sized", DesiredCapacity: 5, HonorCooldown: true }));
      assert.deepEqual(await sizes(), { min: 1, max: 8, desired: 5, nPreserve: "5", zones });
    });

    it("SetDesiredCapacity outside MinSize..MaxSize is refused in AWS's words", async () => {
      await rejectsWith(alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "sized", DesiredCapacity: 9 })), {
        code: "ValidationError",
        message: /^New SetDesiredCapacity value 9 is above max value 8 for the AutoScalingGroup\.$/,
      });
      await rejectsWith(alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "sized", DesiredCapacity: 0 })), {
        code: "ValidationError",
        message: /^New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup\.$/,
      });
      assert.deepEqual(await sizes(), { min: 1, max: 8, desired: 5, nPreserve: "5", zones });
    });

    it("UpdateAutoScalingGroup's DesiredCapacity sets both", async () => {
      await alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", DesiredCapacity: 3 }));
      assert.deepEqual(await sizes(), { min: 1, max: 8, desired: 3, nPreserve: "3", zones });
    });

    it("a new MinSize above the capacity raises both; a new MaxSize below it lowers both", async () => {
      await alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", MinSize: 4 }));
      assert.deepEqual(await sizes(), { min: 4, max: 8, desired: 4, nPreserve: "4", zones });
      await alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", MinSize: 0, MaxSize: 2 }));
      assert.deepEqual(await sizes(), { min: 0, max: 2, desired: 2, nPreserve: "2", zones });
    });

    it("UpdateAutoScalingGroup outside the bounds is refused and changes nothing", async () => {
      await rejectsWith(alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", MaxSize: 6, DesiredCapacity: 7 })), {
        code: "ValidationError",
        message: /^Desired capacity:7 must be between the specified min size:0 and max size:6 \(the tag n_preserve is the desired capacity of a Phantom group\)$/,
      });
      await rejectsWith(alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", MinSize: 3, MaxSize: 1 })), {
        code: "ValidationError",
        message: /^Max bound, 1, must be greater than or equal to min bound, 3$/,
      });
      assert.deepEqual(await sizes(), { min: 0, max: 2, desired: 2, nPreserve: "2", zones });
    });

    it("ignores AvailabilityZones on a Phantom group", async () => {
      await alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", AvailabilityZones: ["sierra"], MaxSize: 6 }));
      assert.deepEqual(await sizes(), { min: 0, max: 6, desired: 2, nPreserve: "2", zones });
    });

    it("switches the launch configuration only when every site has one", async () => {
      await rejectsWith(alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", LaunchConfigurationName: "solo" })), {
        code: "ValidationError",
        message: /missing: solo@ec2\. Create it with CreateLaunchConfiguration\.$/,
      });
      assert.equal((await describeGroup(alice, "sized")).LaunchConfigurationName, "web");
      await createLaunchConfigurations(alice, ["solo@ec2"]);
      await alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "sized", LaunchConfigurationName: "solo@ec2" }));
      assert.equal((await describeGroup(alice, "sized")).LaunchConfigurationName, "solo@ec2");
      // The group now uses solo@hotel and solo@ec2, no longer web@*.
      await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "solo@hotel" })), {
        code: "ResourceInUse",
        message: /attached to AutoScalingGroup sized$/,
      });
    });

    it("refuses changes to a group that does not exist", async () => {
      const message = /^AutoScalingGroup name not found - AutoScalingGroup 'ghost' not found$/;
      await rejectsWith(alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "ghost", DesiredCapacity: 1 })), { code: "ValidationError", message });
      await rejectsWith(alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "ghost", MaxSize: 1 })), { code: "ValidationError", message });
      await rejectsWith(alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "ghost" })), { code: "ValidationError", message });
    });
  });

  describe("DescribeAutoScalingGroups filters and pagination", () => {
    const extra = (Key: string, Value: string): Tag => ({ Key, Value, PropagateAtLaunch: false });
    before(async () => {
      await create("f-a", { Tags: [...phantomTags("hotel:1", 0), extra("env", "prod")] });
      await create("f-b", { Tags: [...phantomTags("hotel:1", 0), extra("env", "dev"), extra("team", "x")] });
      await create("f-c", { Tags: [...phantomTags("hotel:1", 0), extra("team", "prod")] });
    });

    const filtered = async (Filters: Filter[], AutoScalingGroupNames?: string[]) =>
      ((await alice.send(new DescribeAutoScalingGroupsCommand({ Filters, AutoScalingGroupNames }))).AutoScalingGroups ?? []).map(
        (g) => g.AutoScalingGroupName,
      );

    const cases: [string, Filter[], string[]][] = [
      ["tag-key", [{ Name: "tag-key", Values: ["env"] }], ["f-a", "f-b"]],
      ["tag-key with two values (either)", [{ Name: "tag-key", Values: ["env", "team"] }], ["f-a", "f-b", "f-c"]],
      ["tag-value", [{ Name: "tag-value", Values: ["prod"] }], ["f-a", "f-c"]],
      ["tag:<key>", [{ Name: "tag:env", Values: ["prod"] }], ["f-a"]],
      ["tag:<key> with two values", [{ Name: "tag:env", Values: ["prod", "dev"] }], ["f-a", "f-b"]],
      ["two filters (both)", [{ Name: "tag-key", Values: ["team"] }, { Name: "tag-value", Values: ["dev"] }], ["f-b"]],
      ["a placement tag", [{ Name: "tag:clouds", Values: ["ec2:-1,hotel:8"] }], ["main"]],
      ["no match", [{ Name: "tag:env", Values: ["qa"] }], []],
    ];
    for (const [what, filters, expected] of cases) {
      it(`filters by ${what}`, async () => assert.deepEqual(await filtered(filters), expected));
    }

    it("combines names and filters", async () => {
      assert.deepEqual(await filtered([{ Name: "tag-value", Values: ["prod"] }], ["f-c", "f-b", "absent"]), ["f-c"]);
    });

    it("refuses an unknown filter name", async () => {
      await rejectsWith(alice.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: "instance-type", Values: ["m1.small"] }] })), {
        code: "ValidationError",
        message: /^Filter name 'instance-type' is invalid; use tag-key, tag-value or tag:<key>\.$/,
      });
    });

    it("walks every page with MaxRecords and NextToken, with and without a filter", async () => {
      const all = await groupNames(alice);
      assert.deepEqual(all, ["by-site", "f-a", "f-b", "f-c", "main", "sized"]);
      const walk = (Filters?: Filter[]) =>
        walkPages(2, async (MaxRecords, NextToken) => {
          const out = await alice.send(new DescribeAutoScalingGroupsCommand({ Filters, MaxRecords, NextToken }));
          return { items: (out.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName), next: out.NextToken };
        });
      assert.deepEqual(await walk(), { items: all, pages: 3 });
      assert.deepEqual(await walk([{ Name: "tag-key", Values: ["env", "team"] }]), { items: ["f-a", "f-b", "f-c"], pages: 2 });
    });

    for (const MaxRecords of [0, 101]) {
      it(`refuses MaxRecords ${MaxRecords}`, async () => {
        await rejectsWith(alice.send(new DescribeAutoScalingGroupsCommand({ MaxRecords })), {
          code: "ValidationError",
          message: new RegExp(`^1 validation error detected: Value '${MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100$`),
        });
      });
    }

    it("refuses a garbage NextToken, and a token replayed with another filter", async () => {
      const first = await alice.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 1 }));
      assert.ok(first.NextToken !== undefined);
      await rejectsWith(alice.send(new DescribeAutoScalingGroupsCommand({ NextToken: "bm90IGEgdG9rZW4" })), { code: "InvalidNextToken", message: /not valid/ });
      await rejectsWith(
        alice.send(new DescribeAutoScalingGroupsCommand({ NextToken: first.NextToken, Filters: [{ Name: "tag-key", Values: ["env"] }] })),
        { code: "InvalidNextToken", message: /not valid/ },
      );
      await rejectsWith(alice.send(new DescribeAutoScalingGroupsCommand({ NextToken: first.NextToken, AutoScalingGroupNames: ["main"] })), {
        code: "InvalidNextToken",
        message: /not valid/,
      });
    });
  });

  describe("DeleteAutoScalingGroup", () => {
    it("removes a group without VMs at once", async () => {
      await create("short-lived", { Tags: phantomTags("hotel:1", 0) });
      assert.deepEqual(await groupNames(alice, ["short-lived"]), ["short-lived"]);
      await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "short-lived" }));
      assert.deepEqual(await groupNames(alice, ["short-lived"]), []);
    });

    it("accepts ForceDelete", async () => {
      await create("forced", { Tags: phantomTags("hotel:1", 1) });
      const out = await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "forced", ForceDelete: true }));
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.deepEqual(await groupNames(alice, ["forced"]), []);
    });

    it("frees the name for a new group", async () => {
      await create("reborn", { Tags: phantomTags("hotel:1", 0) });
      await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "reborn" }));
      await create("reborn", { Tags: phantomTags("ec2:1", 1) });
      assert.deepEqual((await describeGroup(alice, "reborn")).AvailabilityZones, ["ec2"]);
    });
  });
});

describe("plain AWS use with default_site through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom({ default_site: "hotel" });
    alice = sdkClient(phantom, phantom.alice);
  });
  after(() => phantom.close());

  const create = (name: string, over: Partial<CreateAutoScalingGroupCommandInput> = {}) =>
    alice.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 2, MaxSize: 5, ...over }));

  it("stores a launch configuration name without @ as <name>@default_site, finds it by either name, shows it as written", async () => {
    await alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web", ImageId: "ami-web", InstanceType: "m1.small" }));
    const lcs = async (LaunchConfigurationNames?: string[]) =>
      ((await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames }))).LaunchConfigurations ?? []).map((lc) => [
        lc.LaunchConfigurationName,
        lc.ImageId,
      ]);
    assert.deepEqual(await lcs(), [["web", "ami-web"]]);
    assert.deepEqual(await lcs(["web"]), [["web", "ami-web"]]);
    assert.deepEqual(await lcs(["web@hotel"]), [["web", "ami-web"]]);
    await rejectsWith(alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel", ImageId: "a", InstanceType: "t" })), {
      code: "AlreadyExists",
      message: /already exists with the name web@hotel$/,
    });
  });

  it("places a group without PHANTOM_DEFINITION on default_site, with DesiredCapacity defaulting to MinSize", async () => {
    await create("plain");
    const g = await describeGroup(alice, "plain");
    assert.deepEqual(g.AvailabilityZones, ["hotel"]);
    assert.equal(g.DesiredCapacity, 2);
    assert.equal(g.LaunchConfigurationName, "web");
    assert.deepEqual(g.Tags, []);
  });

  it("uses AvailabilityZones as the ordered sites, each needing its configuration", async () => {
    await rejectsWith(create("zoned", { AvailabilityZones: ["sierra", "hotel"], DesiredCapacity: 3 }), {
      code: "ValidationError",
      message: /^Launch configuration name not found - the group places VMs on sierra, hotel and needs one launch configuration per site; missing: web@sierra\./,
    });
    assert.deepEqual(await groupNames(alice, ["zoned"]), []);
    await createLaunchConfigurations(alice, ["web@sierra"]);
    await create("zoned", { AvailabilityZones: ["sierra", "hotel"], DesiredCapacity: 3 });
    const g = await describeGroup(alice, "zoned");
    assert.deepEqual(g.AvailabilityZones, ["sierra", "hotel"]);
    assert.equal(g.DesiredCapacity, 3);
  });

  it("refuses AvailabilityZones that are not sites, and DesiredCapacity outside the bounds", async () => {
    await rejectsWith(create("az", { AvailabilityZones: ["us-east-1a"] }), {
      code: "ValidationError",
      message: new RegExp(`^AvailabilityZones name Phantom sites: 'us-east-1a' is not a configured site\\. ${escape(SITES)}$`),
    });
    await rejectsWith(create("az", { AvailabilityZones: ["hotel", "hotel"] }), { code: "ValidationError", message: /^AvailabilityZones lists hotel twice\.$/ });
    await rejectsWith(create("az", { DesiredCapacity: 6 }), {
      code: "ValidationError",
      message: /^Desired capacity:6 must be between the specified min size:2 and max size:5$/,
    });
    await rejectsWith(create("az", { Tags: [{ Key: "n_preserve", Value: "2" }] }), { code: "ValidationError", message: /only takes effect on a Phantom group/ });
    assert.deepEqual(await groupNames(alice), ["plain", "zoned"]);
  });

  it("moves a plain group with UpdateAutoScalingGroup's AvailabilityZones; SetDesiredCapacity adds no tag", async () => {
    await alice.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "plain", AvailabilityZones: ["sierra"] }));
    await alice.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "plain", DesiredCapacity: 4 }));
    const g = await describeGroup(alice, "plain");
    assert.deepEqual(g.AvailabilityZones, ["sierra"]);
    assert.equal(g.DesiredCapacity, 4);
    assert.deepEqual(g.Tags, []);
  });

  it("turns a plain group into a Phantom group when CreateOrUpdateTags brings the three tags", async () => {
    await alice.send(new CreateOrUpdateTagsCommand({ Tags: phantomTags("hotel:1,sierra:-1", 5).map((t) => ({ ...t, ResourceId: "zoned" })) }));
    const g = await describeGroup(alice, "zoned");
    assert.deepEqual(g.AvailabilityZones, ["hotel", "sierra"]);
    assert.equal(g.DesiredCapacity, 5);
    assert.equal(tagOf(g, "n_preserve"), "5");
  });

  it("still serves Phantom groups next to plain ones", async () => {
    await create("tagged", { MinSize: 0, Tags: phantomTags("sierra:2,hotel:-1", 1) });
    const g = await describeGroup(alice, "tagged");
    assert.deepEqual(g.AvailabilityZones, ["sierra", "hotel"]);
    assert.equal(g.DesiredCapacity, 1);
  });

  it("resolves DeleteLaunchConfiguration's name without @ to default_site", async () => {
    await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web" })), {
      code: "ResourceInUse",
      // "plain" moved to sierra; "tagged" and "zoned" still use web@hotel.
      message: /^Cannot delete launch configuration web because it is attached to AutoScalingGroup tagged$/,
    });
  });
});
