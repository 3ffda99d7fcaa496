/**
 * Scheduled actions through the AWS SDK for JavaScript against a real Phantom: Put (new and
 * update), BatchPut with per-action failures, Describe by group, names, time window and pages,
 * Delete and BatchDelete, AWS's ValidationErrors and limit.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BatchDeleteScheduledActionCommand,
  BatchPutScheduledUpdateGroupActionCommand,
  CreateAutoScalingGroupCommand,
  DeleteScheduledActionCommand,
  DescribeScheduledActionsCommand,
  PutScheduledUpdateGroupActionCommand,
  type AutoScalingClient,
  type DescribeScheduledActionsCommandInput,
  type PutScheduledUpdateGroupActionCommandInput,
} from "@aws-sdk/client-auto-scaling";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, phantomTags, rejectsWith, sdkClient, walkPages } from "../test-support/sdk-client.js";

const FUTURE = new Date("2030-01-01T00:00:00Z");

describe("scheduled actions through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: AutoScalingClient;
  let bob: AutoScalingClient;

  before(async () => {
    phantom = await startTestPhantom();
    alice = sdkClient(phantom, phantom.alice);
    bob = sdkClient(phantom, phantom.bob);
    await createLaunchConfigurations(alice, ["web@hotel"]);
    for (const name of ["g", "h"]) {
      await alice.send(
        new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchConfigurationName: "web", MinSize: 0, MaxSize: 5, Tags: phantomTags("hotel:-1", 1) }),
      );
    }
  });
  after(() => phantom.close());

  const put = (input: Partial<PutScheduledUpdateGroupActionCommandInput>) =>
    alice.send(new PutScheduledUpdateGroupActionCommand({ AutoScalingGroupName: "g", ScheduledActionName: "a", ...input }));
  const describeAll = async (input: DescribeScheduledActionsCommandInput = {}) =>
    (await alice.send(new DescribeScheduledActionsCommand(input))).ScheduledUpdateGroupActions ?? [];

  it("puts a recurring action and describes it in AWS's shape, StartTime the next occurrence", async () => {
    await put({ ScheduledActionName: "nightly", Recurrence: "0 2 * * *", TimeZone: "Europe/Paris", MinSize: 0, MaxSize: 4, DesiredCapacity: 2 });
    const [a] = await describeAll({ AutoScalingGroupName: "g" });
    assert.equal(a?.ScheduledActionName, "nightly");
    assert.equal(a.AutoScalingGroupName, "g");
    assert.match(a.ScheduledActionARN ?? "", /^arn:phantom:autoscaling:phantom:\d{12}:scheduledUpdateGroupAction:[0-9a-f-]{36}:autoScalingGroupName\/g:scheduledActionName\/nightly$/);
    assert.deepEqual([a.Recurrence, a.TimeZone, a.MinSize, a.MaxSize, a.DesiredCapacity], ["0 2 * * *", "Europe/Paris", 0, 4, 2]);
    assert.ok(a.StartTime instanceof Date && a.StartTime > new Date());
    // 02:00 in Paris is 01:00 UTC in winter, 00:00 in summer.
    assert.ok([0, 1].includes(a.StartTime.getUTCHours()) && a.StartTime.getUTCMinutes() === 0, a.StartTime.toISOString());
    assert.deepEqual(a.Time, a.StartTime);
  });

  it("updates an action of that name, keeping what the update leaves out and its ARN", async () => {
    const [before] = await describeAll({ ScheduledActionNames: ["nightly"] });
    await put({ ScheduledActionName: "nightly", DesiredCapacity: 3 });
    const [after] = await describeAll({ ScheduledActionNames: ["nightly"] });
    assert.deepEqual([after?.Recurrence, after?.MaxSize, after?.DesiredCapacity, after?.ScheduledActionARN], ["0 2 * * *", 4, 3, before?.ScheduledActionARN]);
  });

  const refused: [string, Partial<PutScheduledUpdateGroupActionCommandInput>, RegExp][] = [
    ["no sizes", { Recurrence: "0 2 * * *" }, /^At least one of MinSize, MaxSize or DesiredCapacity must be specified\.$/],
    ["a start in the past", { StartTime: new Date("2020-01-01T00:00:00Z"), DesiredCapacity: 1 }, /^Given start time is in the past$/],
    ["a six-field recurrence", { Recurrence: "0 0 2 * * *", DesiredCapacity: 1 }, /^Given recurrence '0 0 2 \* \* \*' is not a valid cron expression/],
    ["an unknown time zone", { Recurrence: "0 2 * * *", TimeZone: "Nowhere/Land", DesiredCapacity: 1 }, /^Invalid time zone 'Nowhere\/Land'/],
    ["min above max", { Recurrence: "0 2 * * *", MinSize: 3, MaxSize: 1 }, /^Max bound, 1, must be greater than or equal to min bound, 3$/],
    ["an unknown group", { AutoScalingGroupName: "nope", Recurrence: "0 2 * * *", DesiredCapacity: 1 }, /^AutoScalingGroup name not found/],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what} with ValidationError`, async () => {
      await rejectsWith(put({ ScheduledActionName: "bad", ...input }), { code: "ValidationError", message });
      assert.deepEqual(await describeAll({ ScheduledActionNames: ["bad"] }), []);
    });
  }

  it("batch-puts, reporting each action that failed in AWS's shape and keeping the rest", async () => {
    const out = await alice.send(
      new BatchPutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: "h",
        ScheduledUpdateGroupActions: [
          { ScheduledActionName: "morning", Recurrence: "0 8 * * 1-5", DesiredCapacity: 4 },
          { ScheduledActionName: "once", StartTime: FUTURE, MinSize: 1 },
          { ScheduledActionName: "broken", Recurrence: "every day", DesiredCapacity: 1 },
          { ScheduledActionName: "morning", Recurrence: "0 9 * * *", DesiredCapacity: 1 },
        ],
      }),
    );
    assert.deepEqual(
      out.FailedScheduledUpdateGroupActions?.map((f) => [f.ScheduledActionName, f.ErrorCode]),
      [
        ["broken", "ValidationError"],
        ["morning", "ValidationError"],
      ],
    );
    const again = await alice.send(
      new BatchPutScheduledUpdateGroupActionCommand({ AutoScalingGroupName: "h", ScheduledUpdateGroupActions: [{ ScheduledActionName: "once", StartTime: FUTURE, MinSize: 2 }] }),
    );
    assert.deepEqual(
      again.FailedScheduledUpdateGroupActions?.map((f) => [f.ScheduledActionName, f.ErrorCode]),
      [["once", "AlreadyExists"]],
    );
    assert.deepEqual(
      (await describeAll({ AutoScalingGroupName: "h" })).map((a) => [a.ScheduledActionName, a.StartTime?.toISOString() ?? null]).filter(([n]) => n === "once"),
      [["once", FUTURE.toISOString()]],
    );
  });

  it("describes by names across groups, by time window, and in pages; other users see none", async () => {
    assert.deepEqual(
      (await describeAll()).map((a) => `${a.AutoScalingGroupName}/${a.ScheduledActionName}`),
      ["g/nightly", "h/morning", "h/once"],
    );
    assert.deepEqual(
      (await describeAll({ StartTime: new Date("2029-12-31T00:00:00Z"), EndTime: new Date("2030-01-02T00:00:00Z") })).map((a) => a.ScheduledActionName),
      ["once"],
    );
    const walked = await walkPages(2, async (MaxRecords, NextToken) => {
      const out = await alice.send(new DescribeScheduledActionsCommand({ MaxRecords, NextToken }));
      return { items: (out.ScheduledUpdateGroupActions ?? []).map((a) => a.ScheduledActionName), next: out.NextToken };
    });
    assert.deepEqual(walked, { items: ["nightly", "morning", "once"], pages: 2 });
    assert.deepEqual((await bob.send(new DescribeScheduledActionsCommand({}))).ScheduledUpdateGroupActions, []);
  });

  it("deletes one, and batch-deletes reporting the names not found", async () => {
    await rejectsWith(alice.send(new DeleteScheduledActionCommand({ AutoScalingGroupName: "g", ScheduledActionName: "absent" })), {
      code: "ValidationError",
      message: /^Scheduled Update Group Action name not found - Could not find scheduled action absent in AutoScalingGroup g$/,
    });
    await alice.send(new DeleteScheduledActionCommand({ AutoScalingGroupName: "g", ScheduledActionName: "nightly" }));
    const out = await alice.send(new BatchDeleteScheduledActionCommand({ AutoScalingGroupName: "h", ScheduledActionNames: ["morning", "ghost"] }));
    assert.deepEqual(
      out.FailedScheduledActions?.map((f) => [f.ScheduledActionName, f.ErrorCode]),
      [["ghost", "ValidationError"]],
    );
    assert.deepEqual(
      (await describeAll()).map((a) => a.ScheduledActionName),
      ["once"],
    );
  });

  it("limits a group to 125 actions, with LimitExceeded", async () => {
    for (let batch = 0; batch < 3; batch++) {
      const actions = Array.from({ length: batch < 2 ? 50 : 25 }, (_, k) => ({ ScheduledActionName: `n${batch}-${k}`, Recurrence: "0 3 * * *", DesiredCapacity: 1 }));
      const out = await alice.send(new BatchPutScheduledUpdateGroupActionCommand({ AutoScalingGroupName: "g", ScheduledUpdateGroupActions: actions }));
      assert.deepEqual(out.FailedScheduledUpdateGroupActions, []);
    }
    await rejectsWith(put({ ScheduledActionName: "one-more", Recurrence: "0 3 * * *", DesiredCapacity: 1 }), { code: "LimitExceeded", message: /^Max number of scheduled actions reached/ });
    // Updating one of them is not a new one.
    await put({ ScheduledActionName: "n0-0", DesiredCapacity: 2 });
  });
});
