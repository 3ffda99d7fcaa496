import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CloudError, type LaunchRequest } from "../driver.js";
import { driverConformance } from "../driver-conformance.test-support.js";
import { FakeDriver } from "./fake-driver.js";

const T0 = Date.UTC(2025, 0, 1);

function fakeAt(options: { capacity?: number; bootSeconds?: number } = {}) {
  let now = T0;
  const fake = new FakeDriver({ clock: () => new Date(now), ...options });
  return { fake, advance: (ms: number) => void (now += ms) };
}

const request = (count: number, token: string): LaunchRequest => ({
  credentials: null,
  spec: { imageId: "ami-1", instanceType: "m1.small" },
  count,
  token,
  tags: { group: "g" },
});
const capacityError = () => new CloudError("capacity", "InsufficientInstanceCapacity", "InsufficientInstanceCapacity: full");

describe("FakeDriver", () => {
  it("fails the next launches with the queued errors, one each, then launches again", async () => {
    const { fake } = fakeAt();
    const first = capacityError();
    const second = new CloudError("auth", "AuthFailure", "AuthFailure: no");
    fake.nextLaunchErrors.push(first, second);
    await assert.rejects(fake.launch(request(1, "a")), (e) => e === first);
    await assert.rejects(fake.launch(request(1, "b")), (e) => e === second);
    assert.equal((await fake.launch(request(2, "c"))).length, 2);
    assert.equal(fake.vms().length, 2, "failed launches launched nothing");
  });

  it("fails every launch, describe or terminate while its error is set", async () => {
    const { fake } = fakeAt();
    const [vm] = await fake.launch(request(1, "a"));
    fake.launchError = capacityError();
    fake.describeError = new CloudError("transient", "Unavailable", "Unavailable: later");
    fake.terminateError = new CloudError("throttled", "RequestLimitExceeded", "RequestLimitExceeded: slow down");
    for (let i = 0; i < 2; i++) {
      await assert.rejects(fake.launch(request(1, `b${i}`)), (e) => e === fake.launchError);
      await assert.rejects(fake.describe(null, { ids: [vm!.id] }), (e) => e === fake.describeError);
      await assert.rejects(fake.terminate(null, [vm!.id]), (e) => e === fake.terminateError);
    }
    assert.equal(fake.vms()[0]!.state, "running", "the failed terminate did nothing");
    fake.launchError = fake.describeError = fake.terminateError = null;
    await fake.terminate(null, [vm!.id]);
    assert.equal((await fake.describe(null, { ids: [vm!.id] }))[0]!.state, "terminated");
  });

  it("records every call in order, failed ones too, with a copy of the ids", async () => {
    const { fake } = fakeAt();
    fake.nextLaunchErrors.push(capacityError());
    await assert.rejects(fake.launch(request(1, "a")));
    const [vm] = await fake.launch(request(1, "b"));
    await fake.describe(null, { tag: { key: "group", values: ["g"] } });
    const ids = [vm!.id];
    await fake.terminate(null, ids);
    ids.push("i-0123456789abcdef0");
    assert.deepEqual(fake.calls, [
      { method: "launch", request: request(1, "a") },
      { method: "launch", request: request(1, "b") },
      { method: "describe", credentials: null, filter: { tag: { key: "group", values: ["g"] } } },
      { method: "terminate", credentials: null, ids: [vm!.id] },
    ]);
  });

  it("kills VMs, limits capacity, boots on the given clock and resets to an empty cloud", async () => {
    const { fake, advance } = fakeAt({ bootSeconds: 10 });
    const credentials = { accessKeyId: "AKIAALICE", secretAccessKey: "s" };
    const [vm, failsBoot] = await fake.launch({ ...request(2, "a"), credentials });
    assert.deepEqual(fake.vms().map((v) => v.state), ["pending", "pending"]);
    assert.equal(fake.kill(failsBoot!.id), true, "a pending VM killed: a failed boot");
    advance(10_000);
    assert.deepEqual(fake.vms().map((v) => v.state), ["running", "terminated"]);
    assert.equal(fake.kill(vm!.id), true);
    assert.equal(fake.kill(vm!.id), false);
    assert.equal(fake.kill("i-0123456789abcdef0"), false);
    assert.deepEqual(fake.vms().map((v) => [v.id, v.account, v.state]), [
      [vm!.id, "AKIAALICE", "terminated"],
      [failsBoot!.id, "AKIAALICE", "terminated"],
    ]);
    fake.setCapacity(0);
    await assert.rejects(fake.launch(request(1, "b")), (e) => e instanceof CloudError && e.kind === "capacity");
    fake.launchError = capacityError();
    fake.reset();
    assert.deepEqual([fake.vms(), fake.calls, fake.nextLaunchErrors, fake.launchError], [[], [], [], null]);
    assert.equal((await fake.launch(request(3, "c"))).length, 3, "the reset cloud has the configured capacity again");
  });

  it("fails the describes of one account only, while its error is set", async () => {
    const { fake } = fakeAt();
    const alice = { accessKeyId: "AKIAALICE", secretAccessKey: "s" };
    const bob = { accessKeyId: "AKIABOB", secretAccessKey: "s" };
    await fake.launch({ ...request(1, "a"), credentials: alice });
    const denied = new CloudError("auth", "AuthFailure", "AuthFailure: bad key");
    fake.describeErrorsFor.set("AKIAALICE", denied);
    await assert.rejects(fake.describe(alice, { tag: { key: "group", values: ["g"] } }), (e) => e === denied);
    assert.deepEqual(await fake.describe(bob, { tag: { key: "group", values: ["g"] } }), []);
    fake.describeErrorsFor.delete("AKIAALICE");
    assert.equal((await fake.describe(alice, { tag: { key: "group", values: ["g"] } })).length, 1);
  });

  it("boots VMs launched after setBootSeconds that slowly, and leaves those launched before alone", async () => {
    const { fake, advance } = fakeAt();
    const [fast] = await fake.launch(request(1, "a"));
    fake.setBootSeconds(30);
    const [slow] = await fake.launch(request(1, "b"));
    const state = (id: string) => fake.vms().find((v) => v.id === id)?.state;
    assert.deepEqual([state(fast!.id), state(slow!.id)], ["running", "pending"]);
    advance(29_999);
    assert.equal(state(slow!.id), "pending", "still booting a millisecond before its time");
    advance(1);
    assert.equal(state(slow!.id), "running");
    assert.throws(() => fake.setBootSeconds(-1), RangeError);
  });
});

driverConformance("FakeDriver", async () => {
  let now = T0;
  const capacity = 4;
  const driver = new FakeDriver({ clock: () => new Date(now), capacity, bootSeconds: 5 });
  return {
    driver,
    failBoots: () => driver.failBoots(),
    credentials: { accessKeyId: "AKIAALICE", secretAccessKey: "s" },
    otherCredentials: { accessKeyId: "AKIABOB", secretAccessKey: "s" },
    capacity,
    elapse: async () => void (now += 5000),
    close: async () => {},
  };
});
