/**
 * The controller on a virtual clock with a cloud that fails as OpenStack does: it takes a
 * launch it has no room for and fails the servers later (ERROR, "No valid host was found"),
 * and a failed server stays, counted against the project, until it is deleted. Such a failure
 * is a failed boot that quotes the cloud's fault, backs the site off and overflows; the failed
 * server is deleted, and its termination confirmed only once it is gone — also when nobody
 * owns it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CloudError } from "../clouds/driver.js";
import { ControllerHarness } from "../test-support/controller-harness.js";

const NO_VALID_HOST = "No valid host was found. There are not enough hosts available.";

describe("the controller and servers a cloud fails (OpenStack)", () => {
  it("a server without a host is a failed boot quoting the fault: the site backs off, the group overflows, the server is deleted", async () => {
    const h = await ControllerHarness.start([{ name: "jet", capacity: 0, failures: "openstack" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "jet:2,ec2:-1", 5);
      await h.run(1);
      assert.deepEqual(await h.layout("web"), { jet: 2, ec2: 3 }, "the cloud took the launch");
      await h.run(4);
      assert.deepEqual(await h.layout("web", "InService"), { ec2: 5 });
      assert.deepEqual(await h.layout("web"), { ec2: 5 });
      const jet = h.driver("jet").vms();
      assert.equal(jet.length, 2);
      assert.ok(jet.every((vm) => vm.state === "terminated" && vm.deletedByOwner), "both failed servers deleted");

      const activities = await h.activities("web");
      const failedLaunches = activities.filter((a) => a.description.startsWith("Launching a new EC2 instance: ") && a.statusCode === "Failed");
      assert.equal(failedLaunches.length, 2);
      for (const a of failedLaunches) assert.equal(a.statusMessage, `it failed to boot: jet reports it terminated: ${NO_VALID_HOST}`);
      const backoffs = await h.store.controller.loadSnapshot();
      assert.match(backoffs.backoffs[0]?.lastError ?? "", new RegExp(`^a VM failed to boot \\(it failed to boot: jet reports it terminated: ${NO_VALID_HOST.replaceAll(".", "\\.")}\\)$`));
    } finally {
      await h.close();
    }
  });

  it("a failed server whose delete fails stays Terminating, and is deleted again until it is gone", async () => {
    const h = await ControllerHarness.start([{ name: "jet", capacity: 1, failures: "openstack" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "jet:2,ec2:-1", 2);
      h.driver("jet").terminateError = new CloudError("transient", "computeFault", "jet answered DELETE /servers/{id} with computeFault (500)");
      await h.run(2);
      const failed = h.driver("jet").vms().find((vm) => vm.state === "terminated")!;
      assert.equal(failed.deletedByOwner, false);
      await h.run(3);
      const row = (await h.instances("web")).find((i) => i.id === failed.id);
      assert.equal(row?.lifecycleState, "Terminating", "listed in ERROR: not gone, whatever its state says");
      h.driver("jet").terminateError = null;
      h.clock.advance(30_000);
      await h.run(2);
      assert.equal(h.driver("jet").vms().find((vm) => vm.id === failed.id)?.deletedByOwner, true);
      assert.equal((await h.instances("web")).some((i) => i.id === failed.id), false, "confirmed once gone");
      assert.equal((await h.activities("web")).find((a) => a.description === `Terminating EC2 instance: ${failed.id}`)?.statusCode, "Successful");
    } finally {
      await h.close();
    }
  });

  it("a failed server of this deployment that nobody owns is deleted after the orphan grace period", async () => {
    const h = await ControllerHarness.start([{ name: "jet", capacity: 0, failures: "openstack" }], { orphanGraceMs: 120_000 });
    try {
      await h.createGroup("idle", "jet:1", 0);
      await h.run(1);
      const spec = { imageId: "image", instanceType: "m1.small" };
      const tags = await h.vmTags("00000000-0000-4000-8000-000000000000");
      const [orphan] = await h.driver("jet").launch({ credentials: null, spec, count: 1, token: "lost", tags });
      await h.run(2);
      assert.equal(h.driver("jet").vms().find((vm) => vm.id === orphan!.id)?.deletedByOwner, false, "within the grace period");
      h.clock.advance(120_000);
      await h.run(1);
      assert.equal(h.driver("jet").vms().find((vm) => vm.id === orphan!.id)?.deletedByOwner, true);
    } finally {
      await h.close();
    }
  });
});
