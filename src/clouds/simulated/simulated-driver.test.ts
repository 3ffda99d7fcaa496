import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimulatedCloud } from "./simulated-cloud.js";
import { ANONYMOUS_ACCOUNT, SimulatedDriver } from "./simulated-driver.js";
import { seededRandom } from "./seeded-random.js";

describe("SimulatedDriver", () => {
  const spec = { imageId: "ami-1", instanceType: "m1.small", userData: "aGk=", securityGroups: ["web"] };
  const credentials = { accessKeyId: "AKIAALICE", secretAccessKey: "s", keyName: "alice-key" };

  it("launches into the access key's account, or the anonymous one, passing the spec and the credentials' key name on", async () => {
    const cloud = new SimulatedCloud({ capacity: 10, bootSeconds: 0, clock: () => new Date(0), random: seededRandom(1) });
    const driver = new SimulatedDriver("hotel", cloud);
    assert.equal(driver.site, "hotel");
    await driver.launch({ credentials, spec, count: 1, token: "t1", tags: { a: "1" } });
    await driver.launch({ credentials: null, spec, count: 1, token: "t2", tags: { a: "1" } });
    await driver.launch({ credentials, spec: { ...spec, keyName: "spec-key" }, count: 1, token: "t3", tags: { a: "1" } });
    assert.deepEqual(
      cloud.instances().map((v) => [v.account, v.keyName, v.imageId, v.userData, v.securityGroups, v.clientToken]),
      [
        ["AKIAALICE", "alice-key", "ami-1", "aGk=", ["web"], "t1"],
        [ANONYMOUS_ACCOUNT, null, "ami-1", "aGk=", ["web"], "t2"],
        ["AKIAALICE", "spec-key", "ami-1", "aGk=", ["web"], "t3"],
      ],
    );
  });

  it("returns only the driver's fields", async () => {
    const cloud = new SimulatedCloud({ capacity: 10, bootSeconds: 0, clock: () => new Date(0), random: seededRandom(1) });
    const driver = new SimulatedDriver("hotel", cloud);
    const [launched] = await driver.launch({ credentials, spec, count: 1, token: "t", tags: { a: "1" } });
    assert.deepEqual(Object.keys(launched!).sort(), ["id", "instanceType", "launchedAt", "state", "tags"]);
    const [described] = await driver.describe(credentials, { tag: { key: "a", values: ["1"] } });
    assert.deepEqual(described, { id: launched!.id, state: "running", launchedAt: new Date(0), instanceType: "m1.small", tags: { a: "1" } });
  });
});
