/**
 * `GET /metrics` needs no signature, so it must not tell who uses Phantom: a real Phantom with
 * two users running VMs exposes their VMs only as totals by site and state, and no user id,
 * user name, access key or group name appears anywhere in the text.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom, type TestUser } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, describeGroup, phantomTags, sdkClient, userIdOf } from "../test-support/sdk-client.js";
import { parseMetrics } from "../test-support/prometheus-text.js";

describe("GET /metrics on the public port", () => {
  let phantom: TestPhantom;
  /** Each user's group and how many VMs it runs on hotel and on sierra. */
  const GROUPS = [
    { user: "alice", group: "alice-payroll-workers", clouds: "hotel:2,sierra:-1", size: 5 },
    { user: "bob", group: "bob-secret-project", clouds: "hotel:3,sierra:-1", size: 4 },
  ] as const;
  let text: string;

  before(async () => {
    phantom = await startTestPhantom({ controller: { interval_seconds: 0.2 } }, { controller: true });
    for (const { user, group, clouds, size } of GROUPS) {
      const client = sdkClient(phantom, phantom[user]);
      await createLaunchConfigurations(client, [`web@hotel`, `web@sierra`]);
      await client.send(
        new CreateAutoScalingGroupCommand({ AutoScalingGroupName: group, LaunchConfigurationName: "web", MinSize: 0, MaxSize: 10, Tags: phantomTags(clouds, size) }),
      );
    }
    const deadline = Date.now() + 20_000;
    for (const { user, group, size } of GROUPS) {
      const client = sdkClient(phantom, phantom[user]);
      while ((await describeGroup(client, group)).Instances?.filter((i) => i.LifecycleState === "InService").length !== size) {
        assert.ok(Date.now() < deadline, `${group} did not converge`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const response = await fetch(`${phantom.url}/metrics`);
    assert.equal(response.status, 200);
    text = await response.text();
  });
  after(() => phantom.close());

  it("counts the VMs by site and state only, all users together", () => {
    const samples = parseMetrics(text);
    const vmSeries = [...samples.keys()].filter((k) => k.startsWith("phantom_vms{"));
    assert.deepEqual(vmSeries.sort(), ['phantom_vms{site="hotel",state="InService"}', 'phantom_vms{site="sierra",state="InService"}']);
    assert.equal(samples.get('phantom_vms{site="hotel",state="InService"}'), 2 + 3);
    assert.equal(samples.get('phantom_vms{site="sierra",state="InService"}'), 3 + 1);
  });

  it("names no user, access key or group anywhere", async () => {
    const secrets: string[] = [];
    for (const { user, group } of GROUPS) {
      const who: TestUser = phantom[user];
      secrets.push(who.name, who.accessKeyId, who.secretAccessKey, await userIdOf(phantom, who), group);
    }
    for (const secret of secrets) assert.ok(!text.includes(secret), `/metrics shows ${secret}`);
    assert.doesNotMatch(text, /\b(user|group)="/);
  });
});
