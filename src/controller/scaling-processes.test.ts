// The controller obeys suspended processes, on a virtual clock: Launch, Terminate,
// ReplaceUnhealthy, AZRebalance (the return to the preferred cloud) and AlarmNotification
// (metric-driven scaling) pause what they name until resumed; protected VMs are kept on scale-in.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ControllerHarness, type HarnessSite } from "../test-support/controller-harness.js";

describe("suspended processes, on a virtual clock", () => {
  const harnesses: ControllerHarness[] = [];
  const start = async (sites: HarnessSite[] = [{ name: "hotel" }, { name: "ec2" }]) => {
    const h = await ControllerHarness.start(sites);
    harnesses.push(h);
    return h;
  };
  after(() => Promise.all(harnesses.map((h) => h.close())));
  const suspend = (h: ControllerHarness, ...ScalingProcesses: string[]) => h.api("SuspendProcesses", { AutoScalingGroupName: "g", ScalingProcesses });
  const resume = (h: ControllerHarness, ...ScalingProcesses: string[]) => h.api("ResumeProcesses", { AutoScalingGroupName: "g", ScalingProcesses });
  const setDesired = (h: ControllerHarness, DesiredCapacity: number) => h.api("SetDesiredCapacity", { AutoScalingGroupName: "g", DesiredCapacity });

  it("Launch: no VM is launched until it is resumed, and the activity says why", async () => {
    const h = await start();
    await h.createGroup("g", "hotel:8", 0);
    await suspend(h, "Launch");
    await setDesired(h, 3);
    await h.run(3);
    assert.deepEqual(await h.layout("g"), {});
    assert.match((await h.activities("g"))[0]?.cause ?? "", /3 VMs short of 3: the Launch process is suspended/);
    await resume(h, "Launch");
    await h.run(2);
    assert.deepEqual(await h.layout("g"), { hotel: 3 });
  });

  it("Terminate: a lower desired capacity removes nothing until it is resumed", async () => {
    const h = await start();
    await h.createGroup("g", "hotel:8", 3);
    await h.run(2);
    await suspend(h, "Terminate");
    await setDesired(h, 1);
    await h.run(3);
    assert.deepEqual(await h.layout("g"), { hotel: 3 });
    await resume(h);
    await h.run(2);
    assert.deepEqual(await h.layout("g"), { hotel: 1 });
  });

  it("ReplaceUnhealthy: an unhealthy VM stays and is not replaced until it is resumed", async () => {
    const h = await start();
    await h.createGroup("g", "hotel:8", 2);
    await h.run(2);
    await suspend(h, "ReplaceUnhealthy");
    const [sick] = await h.instances("g");
    await h.api("SetInstanceHealth", { InstanceId: sick!.id, HealthStatus: "Unhealthy" });
    await h.run(3);
    const during = await h.instances("g");
    assert.equal(during.length, 2);
    assert.equal(during.find((i) => i.id === sick!.id)?.lifecycleState, "InService");
    await resume(h, "ReplaceUnhealthy");
    await h.run(3);
    const after = await h.instances("g");
    assert.equal(after.some((i) => i.id === sick!.id), false);
    assert.deepEqual(await h.layout("g", "InService"), { hotel: 2 });
  });

  it("AZRebalance: VMs stay on the less-preferred cloud until it is resumed", async () => {
    const h = await start([{ name: "hotel", capacity: 0 }, { name: "ec2" }]);
    await h.createGroup("g", "hotel:8,ec2:-1", 2);
    await h.run(2);
    assert.deepEqual(await h.layout("g"), { ec2: 2 });
    await suspend(h, "AZRebalance");
    h.driver("hotel").setCapacity(8);
    await h.run(120, 5_000); // 10 minutes: every backoff of hotel has run out
    assert.deepEqual(await h.layout("g"), { ec2: 2 });
    await resume(h, "AZRebalance");
    await h.run(20);
    assert.deepEqual(await h.layout("g"), { hotel: 2 });
  });

  it("AlarmNotification: metrics move no capacity until it is resumed", async () => {
    const h = await start();
    await h.createSensorGroup("g", "hotel:-1", { minimum_vms: "1", maximum_vms: "5" }, 5);
    await suspend(h, "AlarmNotification");
    const put = () => h.api("PutMetricData", { Namespace: "App", MetricData: [{ MetricName: "load", Dimensions: [{ Name: "AutoScalingGroupName", Value: "g" }], Value: 99 }] });
    await put();
    await h.run(3);
    assert.equal((await h.store.reads(h.user.id).getGroup("g"))!.desiredCapacity, 1);
    await resume(h);
    await put();
    await h.run(1);
    assert.equal((await h.store.reads(h.user.id).getGroup("g"))!.desiredCapacity, 2);
  });

  it("SetInstanceProtection: a protected VM is kept when the group scales in", async () => {
    const h = await start();
    await h.createGroup("g", "hotel:8", 3);
    await h.run(2);
    const ids = (await h.instances("g")).map((i) => i.id).sort();
    // The newest goes first on scale-in; protect the two newest.
    const newest = (await h.instances("g")).sort((a, b) => b.launchedAt.getTime() - a.launchedAt.getTime() || (a.id < b.id ? 1 : -1));
    const keep = newest.slice(0, 2).map((i) => i.id);
    await h.api("SetInstanceProtection", { AutoScalingGroupName: "g", InstanceIds: keep, ProtectedFromScaleIn: true });
    await setDesired(h, 2);
    await h.run(3);
    assert.deepEqual((await h.instances("g")).map((i) => i.id).sort(), [...keep].sort());
    assert.equal(ids.length, 3);
  });

  it("NewInstancesProtectedFromScaleIn: VMs launched while it is set are protected and kept on scale-in", async () => {
    const h = await start();
    await h.createGroup("g", "hotel:8", 0);
    await h.api("UpdateAutoScalingGroup", { AutoScalingGroupName: "g", NewInstancesProtectedFromScaleIn: true });
    await setDesired(h, 2);
    await h.run(2);
    assert.deepEqual((await h.instances("g")).map((i) => i.protectedFromScaleIn), [true, true]);
    await setDesired(h, 0);
    await h.run(3);
    assert.deepEqual(await h.layout("g"), { hotel: 2 });
  });
});
