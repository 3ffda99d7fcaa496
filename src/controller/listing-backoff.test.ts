/**
 * Failed listings on the controller's virtual clock: they back off per (user, site) like failed
 * launches, say why in an activity, and leave the VMs on that site as last seen.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CloudError } from "../clouds/driver.js";
import { ControllerHarness } from "../test-support/controller-harness.js";

const unavailable = () => new CloudError("transient", "Unavailable", "Unavailable: the API is down");
const authFailure = () => new CloudError("auth", "AuthFailure", "AuthFailure: AWS was not able to validate the provided access credentials");

function describes(h: ControllerHarness, site: string, accessKeyId?: string): number {
  return h.driver(site).calls.filter((c) => c.method === "describe" && (accessKeyId === undefined || (c.credentials !== null && "accessKeyId" in c.credentials && c.credentials.accessKeyId === accessKeyId))).length;
}

async function listingCauses(h: ControllerHarness, group: string): Promise<string[]> {
  return (await h.activities(group)).filter((a) => a.description.startsWith("Listing ")).map((a) => a.cause);
}

describe("a site whose listing fails", () => {
  it("is listed again only when its backoff ends (30 s, then 60 s), each failure an activity saying why", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 2);
      await h.run(2);
      h.driver("hotel").describeError = unavailable();
      const before = describes(h, "hotel");
      await h.run(6); // 0 s … 25 s: one failed listing, then none while it backs off
      assert.equal(describes(h, "hotel") - before, 1);
      await h.run(12); // 30 s … 85 s: listed again at 30 s, fails, waits 60 s
      assert.equal(describes(h, "hotel") - before, 2);
      await h.run(1); // 90 s
      assert.equal(describes(h, "hotel") - before, 3);
      const causes = await listingCauses(h, "web");
      assert.equal(causes.length, 3, causes.join("\n"));
      assert.match(causes[2]!, /listing hotel failed: Unavailable: the API is down; retrying in 30s$/);
      assert.match(causes[1]!, /listing hotel failed: Unavailable: the API is down; retrying in 60s$/);
      assert.match(causes[0]!, /retrying in 120s$/);
      assert.equal(describes(h, "ec2"), 2 + 6 + 12 + 1, "the other site is listed every pass");
      h.driver("hotel").describeError = null;
      h.clock.advance(120_000);
      const back = describes(h, "hotel");
      await h.run(3);
      assert.equal(describes(h, "hotel") - back, 3, "listed every pass once it answers again");
    } finally {
      await h.close();
    }
  });

  it("keeps its VMs as last seen meanwhile: not replaced, not counted dead, not failed at boot", async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }], { bootTimeoutMs: 60_000 });
    try {
      await h.createGroup("web", "hotel:8,ec2:-1", 4);
      await h.run(2);
      h.driver("hotel").setBootSeconds(3600);
      await h.api("SetDesiredCapacity", { AutoScalingGroupName: "web", DesiredCapacity: 5 });
      await h.run(1);
      assert.deepEqual(await h.layout("web", "Pending"), { hotel: 1 });
      h.driver("hotel").describeError = unavailable();
      // An hour: past the missing grace, the boot timeout and several backoffs.
      await h.run(720);
      const vms = await h.instances("web");
      assert.deepEqual(
        vms.map((i) => `${i.site}:${i.lifecycleState}:${i.healthStatus}`).sort(),
        ["hotel:InService:Healthy", "hotel:InService:Healthy", "hotel:InService:Healthy", "hotel:InService:Healthy", "hotel:Pending:Healthy"],
      );
      assert.equal(h.alive("ec2"), 0, "nothing replaced elsewhere");
      assert.equal(h.driver("hotel").calls.filter((c) => c.method === "terminate").length, 0);
    } finally {
      await h.close();
    }
  });

  it("backs off per user: one user's AuthFailure leaves another user's listings of the same site alone", async () => {
    const h = await ControllerHarness.start([{ name: "ec2", perUserCredentials: true }, { name: "hotel" }]);
    try {
      const alice = h.user;
      const bob = await h.addUser("bob");
      await h.setCredentials(alice, "ec2", "AKIAALICE00000000");
      await h.setCredentials(bob, "ec2", "AKIABOB0000000000");
      await h.createGroup("web", "ec2:-1,hotel:-1", 2);
      h.user = bob;
      await h.createGroup("web", "ec2:-1,hotel:-1", 2);
      h.user = alice;
      await h.run(2);
      h.driver("ec2").describeErrorsFor.set("AKIAALICE00000000", authFailure());
      await h.api("SetDesiredCapacity", { AutoScalingGroupName: "web", DesiredCapacity: 3 });
      h.user = bob;
      await h.api("SetDesiredCapacity", { AutoScalingGroupName: "web", DesiredCapacity: 3 });
      await h.run(4);
      assert.equal(describes(h, "ec2", "AKIAALICE00000000"), 3, "alice's listing: twice before, once failed, then backing off");
      assert.equal(describes(h, "ec2", "AKIABOB0000000000"), 6, "bob's: every pass");
      assert.deepEqual(await h.layout("web"), { ec2: 3 }, "bob's group grows on ec2");
      assert.deepEqual(await listingCauses(h, "web"), []);
      h.user = alice;
      assert.deepEqual(await h.layout("web"), { ec2: 2, hotel: 1 }, "alice's new VM goes to the next site; her two on ec2 stay");
      const [cause] = await listingCauses(h, "web");
      assert.match(cause ?? "", /listing ec2 failed: AuthFailure: AWS was not able to validate the provided access credentials; retrying in 30s$/);
    } finally {
      await h.close();
    }
  });
});
