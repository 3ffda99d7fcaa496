/**
 * CreateOrUpdateTags, DeleteTags and DescribeTags through the AWS SDK for JavaScript: placement
 * tags reconfigure a live group with the checks of CreateAutoScalingGroup, a request over several
 * groups changes all or none, DescribeTags filters and pages.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeTagsCommand,
  type AutoScalingClient,
  type Filter,
  type Tag,
  type TagDescription,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, describeGroup, phantomTags, rejectsWith, sdkClient, tagOf, walkPages } from "../test-support/sdk-client.js";

describe("tags through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    await createLaunchConfigurations(alice, ["web@hotel", "web@ec2"]);
    for (const [name, clouds, n] of [["g1", "hotel:8", 2], ["g2", "hotel:2,ec2:-1", 1]] as const) {
      await alice.send(
        new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 0, MaxSize: 10, Tags: phantomTags(clouds, n) }),
      );
    }
  });
  after(() => phantom.close());

  const tag = (ResourceId: string, Key: string, Value?: string, PropagateAtLaunch?: boolean): Tag => ({
    ResourceId,
    ResourceType: "auto-scaling-group",
    Key,
    ...(Value !== undefined ? { Value } : {}),
    ...(PropagateAtLaunch !== undefined ? { PropagateAtLaunch } : {}),
  });
  const upsert = (...Tags: Tag[]) => alice.send(new CreateOrUpdateTagsCommand({ Tags }));
  const remove = (...Tags: Tag[]) => alice.send(new DeleteTagsCommand({ Tags }));
  const placement = async (name: string) => {
    const g = await describeGroup(alice, name);
    return { zones: g.AvailabilityZones, desired: g.DesiredCapacity, clouds: tagOf(g, "clouds"), nPreserve: tagOf(g, "n_preserve") };
  };
  const described = async (Filters?: Filter[]) =>
    ((await alice.send(new DescribeTagsCommand({ Filters }))).Tags ?? []).map((t) => `${t.ResourceId}:${t.Key}=${t.Value}`);

  it("reconfigures a group's sites with the clouds tag", async () => {
    await upsert(tag("g1", "clouds", "ec2:4,hotel:-1"));
    assert.deepEqual(await placement("g1"), { zones: ["ec2", "hotel"], desired: 2, clouds: "ec2:4,hotel:-1", nPreserve: "2" });
  });

  it("resizes a group with the n_preserve tag", async () => {
    await upsert(tag("g1", "n_preserve", "7"));
    assert.deepEqual(await placement("g1"), { zones: ["ec2", "hotel"], desired: 7, clouds: "ec2:4,hotel:-1", nPreserve: "7" });
  });

  const refused: [string, Tag[], RegExp][] = [
    ["a site without its launch configuration", [tag("g1", "clouds", "sierra:1,hotel:-1")], /^Launch configuration name not found - .*missing: web@sierra\./],
    ["a malformed clouds tag", [tag("g1", "clouds", "hotel")], /^The entry 'hotel' of the tag clouds must be site:max/],
    ["an unknown site", [tag("g1", "clouds", "mars:1")], /^The tag clouds: 'mars' is not a configured site\. Configured sites: hotel, sierra, ec2\.$/],
    ["n_preserve above MaxSize", [tag("g1", "n_preserve", "11")], /^Desired capacity:11 must be between the specified min size:0 and max size:10 \(the tag n_preserve is the desired capacity of a Phantom group\)$/],
    ["a malformed n_preserve", [tag("g1", "n_preserve", "seven")], /^The tag n_preserve='seven' must be a whole number/],
    ["PHANTOM_DEFINITION=sensor_engine without its metric tags", [tag("g1", "PHANTOM_DEFINITION", "sensor_engine")], /^The tag n_preserve does not apply|needs the tag metric=/],
    ["a tag without ResourceId", [{ Key: "team", Value: "a" }], /^The tag team has no ResourceId: name the Auto Scaling group it belongs to\.$/],
    ["another ResourceType", [{ ...tag("g1", "team", "a"), ResourceType: "instance" }], /^ResourceType 'instance' is not supported; tags belong to 'auto-scaling-group'\.$/],
    ["an aws: key", [tag("g1", "aws:cloudformation", "x")], /^Tag keys starting with 'aws:' are reserved: aws:cloudformation$/],
    ["a key given twice", [tag("g1", "team", "a"), tag("g1", "team", "b")], /^Duplicate tag key team$/],
    ["a group that does not exist", [tag("ghost", "team", "a")], /^AutoScalingGroup name not found - AutoScalingGroup 'ghost' not found$/],
  ];
  for (const [what, tags, message] of refused) {
    it(`CreateOrUpdateTags refuses ${what} and changes nothing`, async () => {
      await rejectsWith(upsert(...tags), { code: "ValidationError", message });
      assert.deepEqual(await placement("g1"), { zones: ["ec2", "hotel"], desired: 7, clouds: "ec2:4,hotel:-1", nPreserve: "7" });
      assert.equal(tagOf(await describeGroup(alice, "g1"), "team"), undefined);
    });
  }

  it("changes several groups in one request", async () => {
    await upsert(tag("g1", "team", "red", true), tag("g2", "team", "blue"), tag("g2", "n_preserve", "3"));
    assert.deepEqual(await described([{ Name: "key", Values: ["team"] }]), ["g1:team=red", "g2:team=blue"]);
    assert.equal((await placement("g2")).desired, 3);
  });

  it("changes all groups or none: one bad group leaves the other untouched", async () => {
    await rejectsWith(upsert(tag("g1", "n_preserve", "4"), tag("g1", "team", "green"), tag("g2", "n_preserve", "99")), {
      code: "ValidationError",
      message: /^Desired capacity:99 must be between/,
    });
    await rejectsWith(upsert(tag("g2", "team", "green"), tag("ghost", "team", "green")), {
      code: "ValidationError",
      message: /AutoScalingGroup 'ghost' not found$/,
    });
    assert.deepEqual(await placement("g1"), { zones: ["ec2", "hotel"], desired: 7, clouds: "ec2:4,hotel:-1", nPreserve: "7" });
    assert.equal((await placement("g2")).desired, 3);
    assert.deepEqual(await described([{ Name: "key", Values: ["team"] }]), ["g1:team=red", "g2:team=blue"]);
  });

  it("updates an existing tag's value and PropagateAtLaunch", async () => {
    await upsert(tag("g2", "team", "amber", true));
    const g = await describeGroup(alice, "g2");
    assert.deepEqual(
      g.Tags?.find((t) => t.Key === "team"),
      { ResourceId: "g2", ResourceType: "auto-scaling-group", Key: "team", Value: "amber", PropagateAtLaunch: true },
    );
  });

  it("DeleteTags removes ordinary tags, ignoring absent ones", async () => {
    await upsert(tag("g2", "scratch", "1"));
    await remove(tag("g2", "scratch"), tag("g2", "never-there"));
    assert.deepEqual(await described([{ Name: "auto-scaling-group", Values: ["g2"] }]), [
      "g2:PHANTOM_DEFINITION=error_overflow_n_preserving",
      "g2:clouds=hotel:2,ec2:-1",
      "g2:n_preserve=3",
      "g2:team=amber",
    ]);
  });

  for (const key of ["PHANTOM_DEFINITION", "clouds", "n_preserve"]) {
    it(`DeleteTags refuses to remove the placement tag ${key}`, async () => {
      await rejectsWith(remove(tag("g2", "team"), tag("g2", key)), {
        code: "ValidationError",
        message: new RegExp(`^The tag ${key} defines the placement of Phantom group g2 and cannot be deleted; change its value with CreateOrUpdateTags instead\\.$`),
      });
      const g = await describeGroup(alice, "g2");
      assert.equal(tagOf(g, "team"), "amber", "nothing of the refused request was applied");
      assert.ok(tagOf(g, key) !== undefined);
    });
  }

  it("DeleteTags refuses a group that does not exist", async () => {
    await rejectsWith(remove(tag("ghost", "team")), { code: "ValidationError", message: /AutoScalingGroup 'ghost' not found$/ });
  });

  describe("DescribeTags", () => {
    before(async () => {
      for (const name of ["g3", "g4", "g5"]) {
        await alice.send(
          new CreateAutoScalingGroupCommand({
            AutoScalingGroupName: name,
            LaunchConfigurationName: "web",
            MinSize: 0,
            MaxSize: 1,
            Tags: [...phantomTags("hotel:1", 0), { Key: "team", Value: name === "g4" ? "red" : "blue", PropagateAtLaunch: name === "g5" }],
          }),
        );
      }
    });

    it("lists every tag of the user's groups in AWS's shape, ordered by group and key", async () => {
      const out = await alice.send(new DescribeTagsCommand({}));
      assert.equal(out.NextToken, undefined);
      const tags = out.Tags ?? [];
      assert.equal(tags.length, 5 * 3 + 5);
      assert.deepEqual(tags[0], {
        ResourceId: "g1",
        ResourceType: "auto-scaling-group",
        Key: "PHANTOM_DEFINITION",
        Value: "error_overflow_n_preserving",
        PropagateAtLaunch: false,
      });
      const order = tags.map((t) => [t.ResourceId ?? "", t.Key ?? ""] as const);
      const sorted = [...order].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
      assert.deepEqual(order, sorted);
    });

    const cases: [string, Filter[], string[]][] = [
      ["auto-scaling-group", [{ Name: "auto-scaling-group", Values: ["g3", "g4"] }], [
        "g3:PHANTOM_DEFINITION=error_overflow_n_preserving", "g3:clouds=hotel:1", "g3:n_preserve=0", "g3:team=blue",
        "g4:PHANTOM_DEFINITION=error_overflow_n_preserving", "g4:clouds=hotel:1", "g4:n_preserve=0", "g4:team=red",
      ]],
      ["key", [{ Name: "key", Values: ["team"] }], ["g1:team=red", "g2:team=amber", "g3:team=blue", "g4:team=red", "g5:team=blue"]],
      ["value", [{ Name: "value", Values: ["red", "amber"] }], ["g1:team=red", "g2:team=amber", "g4:team=red"]],
      ["propagate-at-launch", [{ Name: "propagate-at-launch", Values: ["true"] }], ["g1:team=red", "g2:team=amber", "g5:team=blue"]],
      ["key and value together", [{ Name: "key", Values: ["clouds"] }, { Name: "value", Values: ["hotel:1", "ec2:4,hotel:-1"] }], ["g1:clouds=ec2:4,hotel:-1", "g3:clouds=hotel:1", "g4:clouds=hotel:1", "g5:clouds=hotel:1"]],
      ["group, key and propagate-at-launch", [{ Name: "auto-scaling-group", Values: ["g4", "g5"] }, { Name: "key", Values: ["team"] }, { Name: "propagate-at-launch", Values: ["false"] }], ["g4:team=red"]],
      ["a value nobody has", [{ Name: "value", Values: ["purple"] }], []],
    ];
    for (const [what, filters, expected] of cases) {
      it(`filters by ${what}`, async () => assert.deepEqual(await described(filters), expected));
    }

    it("refuses an unknown filter and a bad propagate-at-launch", async () => {
      await rejectsWith(alice.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-type", Values: ["x"] }] })), {
        code: "ValidationError",
        message: /^Filter name 'resource-type' is invalid; use auto-scaling-group, key, value or propagate-at-launch\.$/,
      });
      await rejectsWith(alice.send(new DescribeTagsCommand({ Filters: [{ Name: "propagate-at-launch", Values: ["maybe"] }] })), {
        code: "ValidationError",
        message: /^The filter propagate-at-launch takes one value: true or false\.$/,
      });
    });

    it("walks every page with MaxRecords and NextToken, with and without a filter", async () => {
      const page = (Filters?: Filter[]) => async (MaxRecords: number, NextToken: string | undefined) => {
        const out = await alice.send(new DescribeTagsCommand({ Filters, MaxRecords, NextToken }));
        return { items: out.Tags ?? [], next: out.NextToken };
      };
      const full: TagDescription[] = (await alice.send(new DescribeTagsCommand({}))).Tags ?? [];
      assert.deepEqual(await walkPages(3, page()), { items: full, pages: 7 });
      const teams = await walkPages(2, page([{ Name: "key", Values: ["team"] }]));
      assert.deepEqual(teams.items.map((t) => t.ResourceId), ["g1", "g2", "g3", "g4", "g5"]);
      assert.equal(teams.pages, 3);
    });

    for (const MaxRecords of [0, 101]) {
      it(`refuses MaxRecords ${MaxRecords}`, async () => {
        await rejectsWith(alice.send(new DescribeTagsCommand({ MaxRecords })), {
          code: "ValidationError",
          message: new RegExp(`^1 validation error detected: Value '${MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100$`),
        });
      });
    }

    it("refuses a garbage NextToken and one replayed with another filter", async () => {
      const first = await alice.send(new DescribeTagsCommand({ MaxRecords: 1 }));
      assert.ok(first.NextToken !== undefined);
      await rejectsWith(alice.send(new DescribeTagsCommand({ NextToken: "%%%" })), { code: "InvalidNextToken", message: /not valid/ });
      await rejectsWith(alice.send(new DescribeTagsCommand({ NextToken: first.NextToken, Filters: [{ Name: "key", Values: ["team"] }] })), {
        code: "InvalidNextToken",
        message: /not valid/,
      });
    });
  });
});
