/**
 * `phantom user remove` runs in its own process against the shared store; a running
 * `phantom serve` keeps a found access key for at most 5 s (`UserDirectory`'s cache). So a
 * removed user's key is refused at once by a replica that has not used it in the last 5 s or
 * whose call reaches the store (which no longer knows the user), and within 5 s for every call
 * by every replica. Tested through the SDK on a Phantom whose clock is moved by hand.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateLaunchConfigurationCommand, DescribeAccountLimitsCommand, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { addUser } from "../users/user-accounts.js";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { rejectsWith, sdkClient } from "../test-support/sdk-client.js";

describe("a user removed from the store", () => {
  let phantom: TestPhantom;
  let now = Date.now();
  const describeGroups = (user: TestPhantom["alice"]) => sdkClient(phantom, user).send(new DescribeAutoScalingGroupsCommand({}));
  const refused = (user: TestPhantom["alice"]) =>
    rejectsWith(describeGroups(user), { code: "InvalidClientTokenId", status: 403, message: /^The security token included in the request is invalid\.$/ });

  before(async () => {
    phantom = await startTestPhantom({}, { clock: () => new Date(now) });
  });
  after(() => phantom.close());

  it("is refused at once by a replica that has not used the key in the last 5 s", async () => {
    assert.equal(await phantom.store.users.removeUser("bob"), true);
    await refused(phantom.bob);
  });

  it("is refused at once by a replica that used the key for any call that reaches the store, and within 5 s for every call", async () => {
    const alice = sdkClient(phantom, phantom.alice);
    assert.deepEqual((await describeGroups(phantom.alice)).AutoScalingGroups, []);
    assert.equal(await phantom.store.users.removeUser("alice"), true);
    // Within the cache's 5 s the key is still held, but the store says the user is gone:
    // refused now, and the key is forgotten for every call.
    now += 4_999;
    await refused(phantom.alice);
    await rejectsWith(alice.send(new DescribeAccountLimitsCommand({})), { code: "InvalidClientTokenId", status: 403, message: /security token/ });
    now += 60_000;
    await refused(phantom.alice);
  });

  it("a write by a key held after the removal is refused, not an internal failure", async () => {
    const carol = { name: "carol", accessKeyId: "AKIDCAROLXXXXXXX", secretAccessKey: "carol-secret-key" };
    await addUser(phantom.store, phantom.box, carol.name, carol);
    const client = sdkClient(phantom, carol);
    assert.equal((await client.send(new DescribeAccountLimitsCommand({}))).NumberOfLaunchConfigurations, 0);
    assert.equal(await phantom.store.users.removeUser("carol"), true);
    await rejectsWith(
      client.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: "web@hotel", ImageId: "ami-1", InstanceType: "m1.small" })),
      { code: "InvalidClientTokenId", status: 403, message: /security token/ },
    );
  });
});
