/**
 * CreateLaunchConfiguration, DeleteLaunchConfiguration and DescribeLaunchConfigurations through
 * the AWS SDK for JavaScript against a real Phantom without a default site: the `<name>@<site>`
 * convention, required members, duplicates, deletion of a configuration in use, pagination.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeTagsCommand,
  type AutoScalingClient,
  type CreateLaunchConfigurationCommandInput,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, phantomTags, rejectsWith, sdkClient, walkPages } from "../test-support/sdk-client.js";

describe("launch configurations through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
  });
  after(() => phantom.close());

  const names = async (input: { LaunchConfigurationNames?: string[] } = {}) =>
    ((await alice.send(new DescribeLaunchConfigurationsCommand(input))).LaunchConfigurations ?? []).map((lc) => lc.LaunchConfigurationName);

  it("creates <name>@<site> and describes it in AWS's shape", async () => {
    const startedAt = Date.now();
    const created = await alice.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: "web@hotel",
        ImageId: "ami-hotel1",
        InstanceType: "m1.large",
        KeyName: "alice-key",
        SecurityGroups: ["default", "web"],
        UserData: Buffer.from("#!/bin/sh\necho hi\n").toString("base64"),
      }),
    );
    assert.equal(created.$metadata.httpStatusCode, 200);
    const out = await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ["web@hotel"] }));
    assert.equal(out.NextToken, undefined);
    assert.equal(out.LaunchConfigurations?.length, 1);
    const lc = out.LaunchConfigurations[0]!;
    assert.equal(lc.LaunchConfigurationName, "web@hotel");
    assert.match(lc.LaunchConfigurationARN ?? "", /^arn:phantom:autoscaling:phantom:\d{12}:launchConfiguration:[0-9a-f-]{36}:launchConfigurationName\/web@hotel$/);
    assert.equal(lc.ImageId, "ami-hotel1");
    assert.equal(lc.InstanceType, "m1.large");
    assert.equal(lc.KeyName, "alice-key");
    assert.deepEqual(lc.SecurityGroups, ["default", "web"]);
    assert.equal(Buffer.from(lc.UserData ?? "", "base64").toString(), "#!/bin/sh\necho hi\n");
    assert.deepEqual(lc.InstanceMonitoring, { Enabled: true });
    assert.equal(lc.EbsOptimized, false);
    assert.ok(lc.CreatedTime instanceof Date);
    assert.ok(Math.abs(lc.CreatedTime.getTime() - startedAt) < 60_000, `CreatedTime ${lc.CreatedTime.toISOString()}`);
  });

  it("lists only the names asked for, ignoring absent ones", async () => {
    await createLaunchConfigurations(alice, ["web@ec2"]);
    assert.deepEqual(await names({ LaunchConfigurationNames: ["web@ec2", "absent@hotel"] }), ["web@ec2"]);
    assert.deepEqual(await names({ LaunchConfigurationNames: ["absent@hotel"] }), []);
  });

  const refused: [string, Partial<CreateLaunchConfigurationCommandInput>, RegExp][] = [
    ["an unknown site, listing the configured ones", { LaunchConfigurationName: "web@mars" }, /^Launch configuration name 'web@mars': 'mars' is not a configured site\. Configured sites: hotel, sierra, ec2\.$/],
    ["a name without a site when there is no default site", { LaunchConfigurationName: "web" }, /^Launch configuration name 'web' has no site\. Phantom names launch configurations <name>@<site>, one per site a group may use, e\.g\. 'web@hotel'\. Configured sites: hotel, sierra, ec2\.$/],
    ["an empty name before @", { LaunchConfigurationName: "@hotel" }, /empty name before '@'; use <name>@<site>/],
    ["a missing ImageId", { ImageId: undefined }, /^Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters\. ImageId is what VMs launched on sierra get\.$/],
    ["a missing InstanceType", { InstanceType: undefined }, /^Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters\. InstanceType is what VMs launched on sierra get\.$/],
    ["an InstanceId instead of an image", { InstanceId: "i-123" }, /InstanceId is not supported/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what} with ValidationError and creates nothing`, async () => {
      const input = { LaunchConfigurationName: "bad@sierra", ImageId: "ami-1", InstanceType: "m1.small", ...change };
      await rejectsWith(alice.send(new CreateLaunchConfigurationCommand(input)), { code: "ValidationError", message });
      assert.deepEqual(await names(), ["web@ec2", "web@hotel"]);
    });
  }

  it("refuses a duplicate with AlreadyExists and keeps the first", async () => {
    await rejectsWith(
      alice.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel", ImageId: "ami-other", InstanceType: "m1.small" })),
      { code: "AlreadyExists", message: /^Launch Configuration by this name already exists - A launch configuration already exists with the name web@hotel$/ },
    );
    const out = await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ["web@hotel"] }));
    assert.equal(out.LaunchConfigurations?.[0]?.ImageId, "ami-hotel1");
  });

  it("refuses to delete a configuration a group uses (ResourceInUse), then deletes it once the group is gone", async () => {
    await alice.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "uses-web",
        LaunchConfigurationName: "web",
        MinSize: 0,
        MaxSize: 4,
        Tags: phantomTags("hotel:2,ec2:-1", 0),
      }),
    );
    for (const name of ["web@hotel", "web@ec2"]) {
      await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: name })), {
        code: "ResourceInUse",
        message: new RegExp(`^Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup uses-web$`),
      });
    }
    assert.deepEqual(await names(), ["web@ec2", "web@hotel"]);
    await alice.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "uses-web" }));
    await alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "web@ec2" }));
    assert.deepEqual(await names(), ["web@hotel"]);
  });

  it("refuses to delete a configuration that does not exist", async () => {
    await rejectsWith(alice.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: "absent@hotel" })), {
      code: "ValidationError",
      message: /^Launch configuration name not found - Launch configuration absent@hotel not found$/,
    });
  });

  describe("pagination", () => {
    const created = Array.from({ length: 7 }, (_, i) => `page${i}@sierra`);
    before(() => createLaunchConfigurations(alice, created));

    it("walks every page with MaxRecords and NextToken, matching the full listing", async () => {
      const full = await alice.send(new DescribeLaunchConfigurationsCommand({}));
      const all = (full.LaunchConfigurations ?? []).map((lc) => lc.LaunchConfigurationName);
      assert.deepEqual(all, [...created, "web@hotel"]);
      assert.equal(full.NextToken, undefined);
      const walked = await walkPages(3, async (MaxRecords, NextToken) => {
        const out = await alice.send(new DescribeLaunchConfigurationsCommand({ MaxRecords, NextToken }));
        return { items: (out.LaunchConfigurations ?? []).map((lc) => lc.LaunchConfigurationName), next: out.NextToken };
      });
      assert.deepEqual(walked, { items: all, pages: 3 });
    });

    it("pages a listing by names too", async () => {
      const wanted = ["page1@sierra", "page4@sierra", "page6@sierra", "absent@sierra"];
      const walked = await walkPages(2, async (MaxRecords, NextToken) => {
        const out = await alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: wanted, MaxRecords, NextToken }));
        return { items: (out.LaunchConfigurations ?? []).map((lc) => lc.LaunchConfigurationName), next: out.NextToken };
      });
      assert.deepEqual(walked, { items: ["page1@sierra", "page4@sierra", "page6@sierra"], pages: 2 });
    });

    for (const MaxRecords of [0, 101]) {
      it(`refuses MaxRecords ${MaxRecords} with ValidationError`, async () => {
        await rejectsWith(alice.send(new DescribeLaunchConfigurationsCommand({ MaxRecords })), {
          code: "ValidationError",
          message: new RegExp(`^1 validation error detected: Value '${MaxRecords}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100$`),
        });
      });
    }

    it("refuses a garbage, a forged and a misused NextToken with InvalidNextToken", async () => {
      const first = await alice.send(new DescribeLaunchConfigurationsCommand({ MaxRecords: 2 }));
      assert.ok(first.NextToken !== undefined);
      const forged = Buffer.from(JSON.stringify(["AAAAAAAAAAAAAAAA", "page0@sierra"])).toString("base64url");
      const calls = [
        () => alice.send(new DescribeLaunchConfigurationsCommand({ NextToken: "garbage!" })),
        () => alice.send(new DescribeLaunchConfigurationsCommand({ NextToken: forged })),
        // The token of another query, and of another action.
        () => alice.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ["page1@sierra"], NextToken: first.NextToken })),
        () => alice.send(new DescribeTagsCommand({ NextToken: first.NextToken })),
      ];
      for (const call of calls) {
        await rejectsWith(call(), { code: "InvalidNextToken", message: /^The token is not valid\.$/ });
      }
    });
  });
});
