/**
 * Make-before-break on the controller, with VMs that take time to boot: a VM in service is
 * removed only once its replacement is in service. With instant boots a replacement is already
 * running when the next pass decides, so these tests boot replacements slowly (several passes)
 * and check every pass in between.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CloudError } from "../clouds/driver.js";
import { ControllerHarness } from "../test-support/controller-harness.js";

const capacityError = () => new CloudError("capacity", "InsufficientInstanceCapacity", "InsufficientInstanceCapacity: no room");
/** Six passes of the harness's 5 s interval. */
const SLOW_BOOT_SECONDS = 30;

describe("make-before-break with VMs that take time to boot", () => {
  it("returns VMs to the preferred site one by one, each twin kept in service until its replacement runs", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 10);
      h.driver("hotel").launchError = capacityError();
      await h.run(2);
      assert.deepEqual(await h.layout("web", "InService"), { ec2: 10 });
      h.driver("hotel").launchError = null;
      h.driver("hotel").setBootSeconds(SLOW_BOOT_SECONDS);
      h.clock.advance(30_000);
      let passesWithTwinsWaiting = 0;
      for (let pass = 0; pass < 100; pass++) {
        await h.run(1);
        assert.ok((await h.inService("web")) >= 10, `pass ${pass}: ${await h.inService("web")} in service`);
        const pending = (await h.layout("web", "Pending")).hotel ?? 0;
        if (pending > 0 && h.alive("hotel") + h.alive("ec2") > 10) passesWithTwinsWaiting++;
      }
      assert.ok(passesWithTwinsWaiting >= 8 * 4, `each return waited for a slow boot: ${passesWithTwinsWaiting} passes`);
      assert.deepEqual(await h.layout("web", "InService"), { hotel: 8, ec2: 2 });
      assert.equal(h.alive("hotel") + h.alive("ec2"), 10, "every twin that moved was terminated");
    } finally {
      await h.close();
    }
  });
});
