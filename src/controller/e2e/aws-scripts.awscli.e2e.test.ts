/**
 * What plain AWS scripts rely on, driven only by the AWS CLI v2 against a Phantom with
 * `default_site` and its controller on: a script reads back what it wrote (a launch
 * configuration created as `tester` is described, and shown on the group's VMs, as `tester`,
 * with AWS's members for unset values); suspended processes are shown and obeyed, and VMs are
 * protected from scale-in; scheduled actions are put, described, deleted, and run by the
 * controller at their time.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeClientHome, requireClient, skipUnlessInstalled, type ClientHome } from "../../api/interop/interop.test-support.js";
import { startTestPhantom, type TestPhantom } from "../../test-support/test-phantom.js";
import { AutoScalingCli, awsCli, until } from "./awscli-e2e.test-support.js";

describe("plain AWS scripts through the AWS CLI v2", { skip: skipUnlessInstalled(awsCli), concurrency: 1 }, () => {
  let phantom: TestPhantom;
  let home: ClientHome;
  let cli: AutoScalingCli;
  /** How far Phantom's clock runs ahead of the real one: a scheduled action's time comes when the test says. */
  let skewMs = 0;

  before(async () => {
    requireClient(awsCli);
    phantom = await startTestPhantom(
      { default_site: "hotel", controller: { interval_seconds: 0.2 } },
      { controller: true, clock: () => new Date(Date.now() + skewMs) },
    );
    home = await makeClientHome();
    cli = new AutoScalingCli(phantom.url, home.env(phantom.alice));
  });
  after(async () => {
    await phantom?.close();
    await home?.remove();
  });

  test("a launch configuration created as tester reads back as tester, on the group and its VMs too", async () => {
    await cli.ok(["create-launch-configuration", "--launch-configuration-name", "tester", "--image-id", "ami-1", "--instance-type", "m1.small"]);
    await cli.ok(["create-auto-scaling-group", "--auto-scaling-group-name", "asg", "--launch-configuration-name", "tester", "--min-size", "1", "--max-size", "3"]);
    const lcs = await cli.ok<{ LaunchConfigurations: Record<string, unknown>[] }>(["describe-launch-configurations", "--launch-configuration-names", "tester"]);
    assert.equal(lcs?.LaunchConfigurations.length, 1);
    const lc = lcs.LaunchConfigurations[0]!;
    assert.equal(lc.LaunchConfigurationName, "tester");
    assert.equal(lc.KeyName, "");
    assert.equal(lc.UserData, "");
    const group = await until("asg has its VM", () => cli.group("asg"), (g) => (g?.Instances.length ?? 0) === 1);
    assert.deepEqual(
      group?.Instances.map((i) => i.LaunchConfigurationName),
      ["tester"],
    );
  });

  test("Launch suspended holds the group at its size until resumed; a VM is protected from scale-in", async () => {
    const [vm] = (await cli.group("asg"))?.Instances ?? [];
    assert.ok(vm !== undefined);
    await cli.ok(["suspend-processes", "--auto-scaling-group-name", "asg", "--scaling-processes", "Launch"]);
    await cli.ok(["set-desired-capacity", "--auto-scaling-group-name", "asg", "--desired-capacity", "2"]);
    await cli.ok(["set-instance-protection", "--auto-scaling-group-name", "asg", "--instance-ids", vm.InstanceId, "--protected-from-scale-in"]);
    const out = await cli.ok<{ AutoScalingGroups: { SuspendedProcesses: { ProcessName: string }[]; Instances: { ProtectedFromScaleIn: boolean }[] }[] }>([
      "describe-auto-scaling-groups",
      "--auto-scaling-group-names",
      "asg",
    ]);
    const group = out?.AutoScalingGroups[0];
    assert.deepEqual(
      group?.SuspendedProcesses.map((p) => p.ProcessName),
      ["Launch"],
    );
    assert.deepEqual(
      group.Instances.map((i) => i.ProtectedFromScaleIn),
      [true],
    );
    await cli.ok(["resume-processes", "--auto-scaling-group-name", "asg"]);
    await until("asg grows to 2 once Launch is resumed", () => cli.group("asg"), (g) => (g?.Instances.length ?? 0) === 2);
  });

  test("a scheduled action runs at its time and says so; batch put, describe and delete", async () => {
    type Described = { ScheduledUpdateGroupActions: { ScheduledActionName: string; StartTime: string }[] };
    const describe = async () =>
      (await cli.ok<Described>(["describe-scheduled-actions", "--auto-scaling-group-name", "asg"]))?.ScheduledUpdateGroupActions.map((a) => a.ScheduledActionName);
    const batch = await cli.ok<{ FailedScheduledUpdateGroupActions: { ScheduledActionName: string; ErrorCode: string }[] }>([
      "batch-put-scheduled-update-group-action",
      "--auto-scaling-group-name",
      "asg",
      "--scheduled-update-group-actions",
      JSON.stringify([
        { ScheduledActionName: "nightly", Recurrence: "0 2 * * *", TimeZone: "America/New_York", DesiredCapacity: 1 },
        { ScheduledActionName: "weekly", Recurrence: "0 6 * * 1", MaxSize: 3 },
        { ScheduledActionName: "bad", Recurrence: "0 2 * *", DesiredCapacity: 1 },
      ]),
    ]);
    assert.deepEqual(
      batch?.FailedScheduledUpdateGroupActions.map((f) => [f.ScheduledActionName, f.ErrorCode]),
      [["bad", "ValidationError"]],
    );
    assert.deepEqual(await describe(), ["nightly", "weekly"]);
    const soon = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await cli.ok(["put-scheduled-update-group-action", "--auto-scaling-group-name", "asg", "--scheduled-action-name", "soon", "--start-time", soon, "--desired-capacity", "1"]);
    skewMs = 61_000; // the minute passes for Phantom; signatures stay well within their window
    await until("the one-time action brings asg to 1", () => cli.group("asg"), (g) => g?.DesiredCapacity === 1, { timeoutMs: 15_000, intervalMs: 500 });
    const activities = await cli.activities("asg");
    assert.ok(activities.some((a) => /scheduled action soon changed the desired capacity from 2 to 1/.test(a.Cause)), JSON.stringify(activities.map((a) => a.Cause)));
    // The one-time action is gone once it ran.
    assert.deepEqual(await describe(), ["nightly", "weekly"]);
    await cli.ok(["delete-scheduled-action", "--auto-scaling-group-name", "asg", "--scheduled-action-name", "nightly"]);
    const deleted = await cli.ok<{ FailedScheduledActions: { ScheduledActionName: string }[] }>([
      "batch-delete-scheduled-action",
      "--auto-scaling-group-name",
      "asg",
      "--scheduled-action-names",
      "weekly",
      "ghost",
    ]);
    assert.deepEqual(
      deleted?.FailedScheduledActions.map((f) => f.ScheduledActionName),
      ["ghost"],
    );
    assert.deepEqual(await describe(), []);
  });
});
