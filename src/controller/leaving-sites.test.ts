/**
 * VMs leaving a site on the controller's virtual clock, with replacements that take time to
 * boot: a retired site, a lowered cap, a site dropped from the group's clouds. Each moves its
 * VMs make-before-break; a cap is enforced within the boot timeout even without replacements.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CloudError } from "../clouds/driver.js";
import { ControllerHarness } from "../test-support/controller-harness.js";

const SLOW_BOOT_SECONDS = 30;

/** Runs passes until `done` holds (at most `max`), checking at every pass that `desired` VMs stay in service. */
async function runKeeping(h: ControllerHarness, group: string, desired: number, max: number, done: () => Promise<boolean>): Promise<number> {
  for (let pass = 0; pass < max; pass++) {
    await h.run(1);
    const n = await h.inService(group);
    assert.ok(n >= desired, `pass ${pass}: ${n} in service, below ${desired}`);
    if (await done()) return pass;
  }
  assert.fail(`not done after ${max} passes: ${JSON.stringify(await h.layout(group))}`);
}

describe("a retired site", () => {
  it("takes no new VMs; its VMs are replaced elsewhere make-before-break, then terminated", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 4);
      await h.run(2);
      assert.deepEqual(await h.layout("web", "InService"), { hotel: 4 });
      h.driver("ec2").setBootSeconds(SLOW_BOOT_SECONDS);
      await h.retire("hotel");
      await h.run(1);
      assert.deepEqual(await h.layout("web"), { hotel: 4, ec2: 4 }, "replacements launched, the retired site's VMs kept");
      await runKeeping(h, "web", 4, 20, async () => h.alive("hotel") === 0);
      assert.deepEqual(await h.layout("web", "InService"), { ec2: 4 });
      assert.equal(h.alive("ec2"), 4);
      const launchesOnHotel = h.driver("hotel").calls.filter((c) => c.method === "launch").length;
      await h.api("SetDesiredCapacity", { AutoScalingGroupName: "web", DesiredCapacity: 6 });
      await h.run(3);
      assert.equal(h.driver("hotel").calls.filter((c) => c.method === "launch").length, launchesOnHotel, "no new VM on the retired site");
      assert.deepEqual(await h.layout("web"), { ec2: 6 });
      const causes = (await h.activities("web")).map((a) => a.cause).join("\n");
      assert.match(causes, /hotel is retired; launching 4 on ec2/);
      assert.match(causes, /an instance was taken out of service: hotel is retired; its replacement is in service/);
    } finally {
      await h.close();
    }
  });

  it("lets a group with VMs on it be deleted", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 3);
      await h.run(2);
      await h.retire("hotel");
      await h.api("DeleteAutoScalingGroup", { AutoScalingGroupName: "web" });
      await h.run(3);
      assert.equal(await h.store.reads(h.user.id).getGroup("web"), null, "the delete completed");
      assert.equal(h.alive("hotel") + h.alive("ec2"), 0);
      assert.deepEqual(await h.store.controller.vmsOutside(["ec2"]), [], "the site is empty: it can be removed");
    } finally {
      await h.close();
    }
  });
});

describe("a site's cap lowered, or the site dropped from clouds", () => {
  it("moves the excess make-before-break where another site has room", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 6);
      await h.run(2);
      h.driver("ec2").setBootSeconds(SLOW_BOOT_SECONDS);
      await h.api("CreateOrUpdateTags", { Tags: [{ ResourceId: "web", ResourceType: "auto-scaling-group", Key: "clouds", Value: "hotel:2,ec2:-1", PropagateAtLaunch: false }] });
      await h.run(1);
      assert.deepEqual(await h.layout("web"), { hotel: 6, ec2: 4 }, "the excess stays in service while its replacements boot");
      await runKeeping(h, "web", 6, 20, async () => h.alive("hotel") === 2);
      assert.deepEqual(await h.layout("web", "InService"), { hotel: 2, ec2: 4 });

      await h.api("CreateOrUpdateTags", { Tags: [{ ResourceId: "web", ResourceType: "auto-scaling-group", Key: "clouds", Value: "ec2:-1", PropagateAtLaunch: false }] });
      await runKeeping(h, "web", 6, 20, async () => h.alive("hotel") === 0);
      assert.deepEqual(await h.layout("web", "InService"), { ec2: 6 });
      assert.equal(h.alive("ec2"), 6);
    } finally {
      await h.close();
    }
  });

  it("enforces the cap within boot_timeout_seconds when no replacement comes into service", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }], { bootTimeoutMs: 60_000 });
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 4);
      await h.run(2);
      h.driver("ec2").launchError = new CloudError("capacity", "InsufficientInstanceCapacity", "InsufficientInstanceCapacity: no room");
      await h.api("CreateOrUpdateTags", { Tags: [{ ResourceId: "web", ResourceType: "auto-scaling-group", Key: "clouds", Value: "hotel:1,ec2:-1", PropagateAtLaunch: false }] });
      const lowered = h.clock.now().getTime();
      await h.run(1);
      assert.equal(h.alive("hotel"), 4, "kept in service while a replacement may still come");
      while (h.alive("hotel") > 1) {
        assert.ok(h.clock.now().getTime() - lowered <= 60_000, `the cap is still exceeded ${(h.clock.now().getTime() - lowered) / 1000}s after it was lowered`);
        await h.run(1);
      }
      assert.deepEqual(await h.layout("web"), { hotel: 1 });
      const causes = (await h.activities("web")).map((a) => a.cause).join("\n");
      assert.match(causes, /hotel is over its maximum of 1, and no replacement came into service in time/);
    } finally {
      await h.close();
    }
  });
});
