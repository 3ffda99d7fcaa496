// The controller scaling on metrics, on a virtual clock: sensor_engine groups and target
// tracking policies grow and shrink across ordered clouds; placement, health and scale-in order
// stay the controller's.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ControllerHarness } from "../test-support/controller-harness.js";

const MINUTE = 60_000;

async function sensorGroup(h: ControllerHarness, name: string, tags: Record<string, string>, sizes = { MinSize: 0, MaxSize: 20 }): Promise<void> {
  for (const site of ["hotel", "ec2"]) {
    await h.api("CreateLaunchConfiguration", { LaunchConfigurationName: `lc@${site}`, ImageId: "ami-test", InstanceType: "m1.small" }).catch(() => {});
  }
  const all = {
    PHANTOM_DEFINITION: "sensor_engine",
    clouds: "hotel:2,ec2:-1",
    metric: "App/load",
    scale_up_threshold: "70",
    scale_down_threshold: "30",
    scale_up_n_vms: "2",
    scale_down_n_vms: "2",
    minimum_vms: "1",
    maximum_vms: "5",
    cooldown_period: "60",
    ...tags,
  };
  await h.api("CreateAutoScalingGroup", {
    AutoScalingGroupName: name,
    LaunchConfigurationName: "lc",
    ...sizes,
    Tags: Object.entries(all).map(([Key, Value]) => ({ Key, Value })),
  });
}

function load(h: ControllerHarness, group: string, value: number, metric = "load", namespace = "App") {
  return h.api("PutMetricData", {
    Namespace: namespace,
    MetricData: [{ MetricName: metric, Dimensions: [{ Name: "AutoScalingGroupName", Value: group }], Value: value }],
  });
}

/** The capacity changes of the group, newest first. */
async function changes(h: ControllerHarness, group: string) {
  return (await h.activities(group)).filter((a) => a.description.startsWith("Changing the desired capacity"));
}

async function desired(h: ControllerHarness, group: string): Promise<number> {
  return (await h.store.reads(h.user.id).getGroup(group))!.desiredCapacity;
}

describe("scaling on metrics, on a virtual clock", () => {
  const harnesses: ControllerHarness[] = [];
  const start = async () => {
    const h = await ControllerHarness.start([{ name: "hotel" }, { name: "ec2" }]);
    harnesses.push(h);
    return h;
  };
  after(() => Promise.all(harnesses.map((h) => h.close())));

  it("grows a sensor group across both clouds under load and shrinks it from the second cloud first", async () => {
    const h = await start();
    await sensorGroup(h, "web", {});
    await h.run(2);
    assert.deepEqual(await h.layout("web"), { hotel: 1 }, "starts at minimum_vms on the first cloud");

    await load(h, "web", 90);
    await h.run(1);
    assert.equal(await desired(h, "web"), 3);
    assert.deepEqual(await h.layout("web"), { hotel: 2, ec2: 1 }, "hotel is full at 2, the rest overflows to ec2");
    const [grow] = await changes(h, "web");
    assert.equal(grow?.description, "Changing the desired capacity from 1 to 3");
    assert.match(grow?.cause ?? "", /the Average of App\/load over the last 60 s was 90 \(above scale_up_threshold 70\), changing the desired capacity from 1 to 3\.$/);

    // Still loaded, but in cooldown: nothing changes until 60 s after the change.
    await load(h, "web", 95);
    await h.run(11);
    assert.equal(await desired(h, "web"), 3, "the cooldown holds the size for 60 s");
    await load(h, "web", 95);
    await h.run(1);
    assert.equal(await desired(h, "web"), 5, "after the cooldown it grows again");
    const clamped = (await h.activities("web")).find((a) => a.description === "Changing the desired capacity from 3 to 5");
    assert.match(clamped?.cause ?? "", /from 3 to 5\.$/, "reaches maximum_vms exactly: no clamp to report");

    h.clock.advance(3 * MINUTE);
    await load(h, "web", 95);
    await h.run(1);
    assert.equal(await desired(h, "web"), 5, "at maximum_vms it stays, and records nothing");
    assert.equal((await changes(h, "web")).length, 2);

    h.clock.advance(3 * MINUTE);
    await load(h, "web", 10);
    await h.run(3);
    assert.equal(await desired(h, "web"), 3);
    assert.deepEqual(await h.layout("web"), { hotel: 2, ec2: 1 }, "scale-in takes VMs from ec2, the least-preferred cloud");
    h.clock.advance(MINUTE);
    await load(h, "web", 10);
    await h.run(3);
    assert.equal(await desired(h, "web"), 1);
    assert.deepEqual(await h.layout("web"), { hotel: 1 });
    assert.equal(h.alive("ec2"), 0, "ec2's VMs are terminated");
  });

  it("clamps a step that would pass maximum_vms, and says so", async () => {
    const h = await start();
    await sensorGroup(h, "web", { scale_up_n_vms: "3", maximum_vms: "3" });
    await h.run(1);
    await load(h, "web", 90);
    await h.run(1);
    assert.equal(await desired(h, "web"), 3);
    const [change] = await changes(h, "web");
    assert.match(change?.cause ?? "", /from 1 to 3 \(4 clamped to maximum_vms 3\)\.$/);
  });

  it("changes nothing without samples, and a stale sample ages out of the period", async () => {
    const h = await start();
    await sensorGroup(h, "web", {});
    await h.run(3);
    assert.equal(await desired(h, "web"), 1, "no samples: no change");
    await load(h, "web", 90);
    h.clock.advance(3 * MINUTE);
    await h.run(2);
    assert.equal(await desired(h, "web"), 1, "a sample older than the period is not read");
  });

  it("follows the average of the group's VMs' own metrics (InstanceId dimension), ignoring other VMs", async () => {
    const h = await start();
    await sensorGroup(h, "web", { minimum_vms: "2" });
    await h.run(2);
    const vms = await h.instances("web");
    assert.equal(vms.length, 2);
    await h.api("PutMetricData", {
      Namespace: "App",
      MetricData: [
        ...vms.map((v) => ({ MetricName: "load", Dimensions: [{ Name: "InstanceId", Value: v.id }], Value: 80 })),
        { MetricName: "load", Dimensions: [{ Name: "InstanceId", Value: "i-not-ours" }], Value: 0 },
      ],
    });
    await h.run(1);
    assert.equal(await desired(h, "web"), 4, "the average of its two VMs is 80, above 70; the foreign VM's 0 is ignored");
  });

  it("never lets a cooldown delay the replacement of a dead VM", async () => {
    const h = await start();
    await sensorGroup(h, "web", {});
    await h.run(1);
    await load(h, "web", 90);
    await h.run(2);
    assert.equal(await desired(h, "web"), 3);
    const [victim] = await h.instances("web");
    h.driver(victim!.site).kill(victim!.id);
    await h.run(2);
    const alive = (await h.instances("web")).filter((i) => i.lifecycleState !== "Terminating");
    assert.equal(alive.length, 3, "replaced within the cooldown");
    assert.equal(alive.some((i) => i.id === victim!.id), false);
  });

  it("keeps the cooldown across a restart (scaledAt is stored)", async () => {
    const h = await start();
    await sensorGroup(h, "web", {});
    await h.run(1);
    await load(h, "web", 90);
    await h.run(1);
    assert.equal(await desired(h, "web"), 3);
    await h.restart();
    await load(h, "web", 90);
    await h.run(2);
    assert.equal(await desired(h, "web"), 3, "the restarted controller still waits for the cooldown");
  });

  it("tracks a target with a TargetTrackingScaling policy, and DisableScaleIn keeps it from shrinking", async () => {
    const h = await start();
    await h.createGroup("api", "hotel:2,ec2:-1", 2, { maxSize: 10 });
    await h.run(2);
    const policy = (disableScaleIn: boolean) =>
      h.api("PutScalingPolicy", {
        AutoScalingGroupName: "api",
        PolicyName: "cpu50",
        PolicyType: "TargetTrackingScaling",
        EstimatedInstanceWarmup: 0,
        TargetTrackingConfiguration: {
          TargetValue: 50,
          DisableScaleIn: disableScaleIn,
          CustomizedMetricSpecification: {
            MetricName: "cpu",
            Namespace: "App",
            Statistic: "Average",
            Dimensions: [{ Name: "AutoScalingGroupName", Value: "api" }],
          },
        },
      });
    await policy(false);
    await load(h, "api", 100, "cpu");
    await h.run(1);
    assert.equal(await desired(h, "api"), 4, "2 VMs at 100 against 50: 4");
    assert.deepEqual(await h.layout("api"), { hotel: 2, ec2: 2 });
    const group = await h.store.reads(h.user.id).getGroup("api");
    assert.equal(group?.tags.find((t) => t.key === "n_preserve")?.value, "4", "n_preserve follows the desired capacity");
    const [change] = await changes(h, "api");
    assert.match(change?.cause ?? "", /target tracking policy cpu50 found the Average of App\/cpu at 100 against its target 50, changing the desired capacity from 2 to 4\.$/);

    await policy(true);
    h.clock.advance(3 * MINUTE);
    await load(h, "api", 10, "cpu");
    await h.run(2);
    assert.equal(await desired(h, "api"), 4, "DisableScaleIn: no scale-in");
    await policy(false);
    await h.run(2);
    assert.equal(await desired(h, "api"), 1, "4 VMs at 10 against 50: 1 (ceil 0.8)");
    assert.deepEqual(await h.layout("api"), { hotel: 1 });
  });
});
