// The windows between a recorded decision and its cloud call in which a crash, or an API call,
// could leave a VM running that should not be, each pinned down on a virtual clock. A crash is a cloud call that never returns; a new
// reconciler then takes over the same store and clouds. (`crash.e2e.test.ts` kills real
// processes at random moments; these are the moments that matter, made exact.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CloudError } from "../clouds/driver.js";
import { ControllerHarness } from "../test-support/controller-harness.js";

describe("recovery from a crash inside a pass", () => {
  it("asks the cloud at once, after a restart, for a termination recorded before the crash", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }]);
    try {
      await h.createGroup("web", "hotel:8", 3);
      await h.run(2);
      await h.api("SetDesiredCapacity", { AutoScalingGroupName: "web", DesiredCapacity: 1 });
      // The pass records two VMs Terminating, then dies as it calls the cloud.
      const driver = h.driver("hotel");
      const terminate = driver.terminate.bind(driver);
      const reached = new Promise<void>((resolve) => {
        driver.terminate = () => (resolve(), new Promise<void>(() => {}));
      });
      void h.pass();
      await reached;
      driver.terminate = terminate;
      assert.equal((await h.instances("web")).filter((i) => i.lifecycleState === "Terminating").length, 2);
      assert.equal(h.alive("hotel"), 3);

      await h.restart();
      h.clock.advance(1_000);
      await h.pass();
      assert.equal(h.alive("hotel"), 1, "the terminations are asked for in the first pass after the restart, not 30s later");
      await h.pass();
      assert.deepEqual(await h.layout("web"), { hotel: 1 });
      assert.equal((await h.instances("web")).length, 1, "the terminations are confirmed");
    } finally {
      await h.close();
    }
  });
});

describe("an API call in the middle of a pass", () => {
  it("launches nothing for a group deleted between a failed launch and its overflow", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 2);
      h.driver("hotel").launchError = new CloudError("capacity", "InsufficientInstanceCapacity", "InsufficientInstanceCapacity: no room");
      // Once the pass has recorded hotel's failure, the group has no VM and no launch in
      // flight: the API deletes it at once, before the pass overflows to ec2.
      const controller = h.store.controller;
      const apply = controller.apply.bind(controller);
      let deleted = false;
      controller.apply = async (writes) => {
        const result = await apply(writes);
        if (!deleted && (writes.putBackoffs ?? []).length > 0) {
          deleted = true;
          await h.api("DeleteAutoScalingGroup", { AutoScalingGroupName: "web" });
        }
        return result;
      };
      const report = await h.pass();
      assert.ok(deleted);
      assert.equal(report.launchRequests, 2, "hotel's launch, then ec2's decided and refused");
      assert.equal(h.driver("ec2").calls.filter((c) => c.method === "launch").length, 0, "no launch for a group that is gone");
      assert.equal(h.alive("ec2"), 0);
    } finally {
      await h.close();
    }
  });
});
