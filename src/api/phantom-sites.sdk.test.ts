/**
 * DescribePhantomSites, Phantom's own action on the Auto Scaling endpoint: per configured site
 * in order, the user's VMs by state and the site's backoff, over real HTTP with a SigV4
 * signature; and its model merged into Auto Scaling's without touching botocore's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { XMLParser } from "fast-xml-parser";
import { AUTOSCALING } from "./services.js";
import { extendModel } from "../aws-wire/query/model.js";
import autoscalingModel from "../aws-wire/models/autoscaling-2011-01-01.json" with { type: "json" };
import phantomExtensions from "../aws-wire/models/phantom-autoscaling-extensions.json" with { type: "json" };
import { startTestPhantom, TEST_SITES, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, phantomTags, sdkClient, seedInstances, userIdOf } from "../test-support/sdk-client.js";
import { postSigned } from "../test-support/sign-v4.js";

const parser = new XMLParser({ isArray: (name) => name === "member" });

describe("DescribePhantomSites", () => {
  let phantom: TestPhantom;
  const until = new Date(Date.now() + 10 * 60_000);

  before(async () => {
    phantom = await startTestPhantom({ sites: { ...TEST_SITES, sierra: { ...TEST_SITES.sierra, retired: true } } });
    const alice = sdkClient(phantom, phantom.alice);
    await createLaunchConfigurations(alice, ["web@hotel", "web@sierra", "web@ec2"]);
    await alice.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: "g", LaunchConfigurationName: "web", MinSize: 0, MaxSize: 9, Tags: phantomTags("hotel:3,ec2:-1", 6) }),
    );
    await seedInstances(phantom, phantom.alice, [
      { id: "i-1", groupName: "g", site: "hotel" },
      { id: "i-2", groupName: "g", site: "hotel" },
      { id: "i-3", groupName: "g", site: "hotel", lifecycleState: "Pending" },
      { id: "i-4", groupName: "g", site: "ec2", healthStatus: "Unhealthy" },
      { id: "i-5", groupName: "g", site: "ec2", lifecycleState: "Terminating" },
      { id: "i-6", groupName: "g", site: "ec2", lifecycleState: "Pending", healthStatus: "Unhealthy" },
    ]);
    const userId = await userIdOf(phantom, phantom.alice);
    await phantom.store.controller.apply({
      putBackoffs: [
        { userId, site: "hotel", failures: 2, until, lastError: "InsufficientInstanceCapacity: hotel is full" },
        // Over: no longer shown.
        { userId, site: "sierra", failures: 1, until: new Date(Date.now() - 1000), lastError: "InstanceLimitExceeded" },
      ],
    });
  });
  after(() => phantom.close());

  const describeSites = async (user = phantom.alice, extra: [string, string][] = []) => {
    const res = await postSigned(phantom.url, user, [["Action", "DescribePhantomSites"], ["Version", "2011-01-01"], ...extra]);
    return { ...res, xml: parser.parse(res.body) as Record<string, Record<string, Record<string, unknown>>> };
  };
  interface Site {
    SiteName: string;
    InService: number;
    Pending: number;
    Unhealthy: number;
    Terminating: number;
    Retired: boolean;
    BackingOff: boolean;
    BackoffUntil?: string;
    BackoffReason?: string;
    ConsecutiveFailures?: number;
  }
  const sitesOf = (xml: Record<string, Record<string, Record<string, unknown>>>) =>
    ((xml.DescribePhantomSitesResponse!.DescribePhantomSitesResult!.Sites as { member: Site[] }).member);

  it("lists every configured site in order with the user's VMs by state and the backoff still running", async () => {
    const { status, body, xml } = await describeSites();
    assert.equal(status, 200, body);
    assert.match(body, /<DescribePhantomSitesResponse xmlns="http:\/\/autoscaling.amazonaws.com\/doc\/2011-01-01\/">/);
    const sites = sitesOf(xml);
    assert.deepEqual(
      sites.map((s) => [s.SiteName, s.InService, s.Pending, s.Unhealthy, s.Terminating, s.Retired, s.BackingOff]),
      [
        ["hotel", 2, 1, 0, 0, false, true],
        ["sierra", 0, 0, 0, 0, true, false],
        ["ec2", 0, 0, 2, 1, false, false],
      ],
    );
    assert.equal(sites[0]!.BackoffUntil, until.toISOString());
    assert.equal(sites[0]!.BackoffReason, "InsufficientInstanceCapacity: hotel is full");
    assert.equal(sites[0]!.ConsecutiveFailures, 2);
    assert.equal(sites[1]!.BackoffReason, undefined, "an expired backoff is not shown");
    // Elements in the model's order.
    assert.match(body, /<SiteName>hotel<\/SiteName><InService>2<\/InService><Pending>1<\/Pending><Unhealthy>0<\/Unhealthy><Terminating>0<\/Terminating><Retired>false<\/Retired><BackingOff>true<\/BackingOff><BackoffUntil>/);
  });

  it("shows another user only their own VMs and backoffs", async () => {
    const sites = sitesOf((await describeSites(phantom.bob)).xml);
    assert.deepEqual(sites.map((s) => [s.SiteName, s.InService + s.Pending + s.Unhealthy + s.Terminating, s.BackingOff]), [
      ["hotel", 0, false],
      ["sierra", 0, false],
      ["ec2", 0, false],
    ]);
  });

  it("narrows to SiteNames, and refuses an unknown site with ValidationError", async () => {
    const narrowed = sitesOf((await describeSites(phantom.alice, [["SiteNames.member.1", "ec2"]])).xml);
    assert.deepEqual(narrowed.map((s) => s.SiteName), ["ec2"]);
    const { status, body } = await describeSites(phantom.alice, [["SiteNames.member.1", "mars"]]);
    assert.equal(status, 400);
    assert.match(body, /<Code>ValidationError<\/Code><Message>No site named mars; the sites are hotel, sierra, ec2.<\/Message>/);
  });

  it("is described in Phantom's own model file, merged into Auto Scaling's, which stays botocore's", () => {
    assert.ok(AUTOSCALING.model.operations.has("DescribePhantomSites"));
    assert.equal(Object.hasOwn(autoscalingModel.operations, "DescribePhantomSites"), false);
    assert.throws(() => extendModel(autoscalingModel, autoscalingModel), /redefines .*CreateAutoScalingGroup, CreateLaunchConfiguration/);
    assert.throws(
      () => extendModel(autoscalingModel, { ...phantomExtensions, metadata: { ...phantomExtensions.metadata, apiVersion: "2099-01-01" } }),
      /version 2099-01-01/,
    );
  });
});
