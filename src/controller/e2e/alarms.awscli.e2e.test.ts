/**
 * A CloudWatch alarm scales a group end to end, driven only by the AWS CLI v2 as a plain AWS
 * script would (with `default_site`): `put-scaling-policy` → `put-metric-alarm --alarm-actions
 * <PolicyARN>` → `put-metric-data` grows the group with no other call, and the activity, the
 * alarm's state and its history say why.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { skipUnlessInstalled } from "../../api/interop/interop.test-support.js";
import { awsCli, cliPhantom, until } from "./awscli-e2e.test-support.js";

describe("an alarm runs a scaling policy, through the AWS CLI v2", { skip: skipUnlessInstalled(awsCli), concurrency: 1 }, () => {
  const session = cliPhantom({
    default_site: "hotel",
    controller: { interval_seconds: 0.2 },
    sites: { hotel: { driver: "simulated", capacity: 20, boot_seconds: 0.2 } },
  });
  const cloudwatch = <T>(args: readonly string[]) => session.cloudwatch<T>(args);

  test("put-scaling-policy, put-metric-alarm --alarm-actions, put-metric-data: the group grows by the policy", async () => {
    const cli = session.cli;
    await cli.ok(["create-launch-configuration", "--launch-configuration-name", "web", "--image-id", "ami-1", "--instance-type", "m1.small"]);
    await cli.ok(["create-auto-scaling-group", "--auto-scaling-group-name", "web", "--launch-configuration-name", "web", "--min-size", "1", "--max-size", "6", "--desired-capacity", "1"]);
    const policy = await cli.ok<{ PolicyARN: string }>([
      "put-scaling-policy",
      "--auto-scaling-group-name",
      "web",
      "--policy-name",
      "out",
      "--adjustment-type",
      "ChangeInCapacity",
      "--scaling-adjustment",
      "2",
      "--cooldown",
      "600",
    ]);
    const arn = policy!.PolicyARN;
    await cloudwatch([
      "put-metric-alarm",
      "--alarm-name",
      "high-load",
      "--namespace",
      "MyApp",
      "--metric-name",
      "Load",
      "--dimensions",
      "Name=AutoScalingGroupName,Value=web",
      "--statistic",
      "Average",
      "--period",
      "60",
      "--evaluation-periods",
      "1",
      "--threshold",
      "70",
      "--comparison-operator",
      "GreaterThanThreshold",
      "--alarm-actions",
      arn,
    ]);
    const alarms = await cloudwatch<{ MetricAlarms: { AlarmName: string; AlarmActions: string[]; StateValue: string }[] }>(["describe-alarms", "--alarm-names", "high-load"]);
    assert.deepEqual(alarms?.MetricAlarms.map((a) => [a.AlarmName, a.AlarmActions]), [["high-load", [arn]]]);

    // A datum in the minute before: a whole period the alarm judges at once.
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    await cloudwatch(["put-metric-data", "--namespace", "MyApp", "--metric-name", "Load", "--dimensions", "AutoScalingGroupName=web", "--value", "85", "--timestamp", minuteAgo]);

    const grown = await until(
      "web grows to 3 InService VMs",
      () => cli.group("web"),
      (g) => g?.DesiredCapacity === 3 && g.Instances.length === 3 && g.Instances.every((i) => i.LifecycleState === "InService"),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.equal(grown?.DesiredCapacity, 3);
    const cause = (await cli.activities("web")).find((a) => a.Description === "Changing the desired capacity from 1 to 3")?.Cause;
    assert.match(cause ?? "", /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a monitor alarm high-load in state ALARM triggered policy out changing the desired capacity from 1 to 3\.$/);

    const state = await cloudwatch<{ MetricAlarms: { StateValue: string; StateReason: string }[] }>(["describe-alarms", "--state-value", "ALARM"]);
    assert.equal(state?.MetricAlarms.length, 1);
    assert.match(state!.MetricAlarms[0]!.StateReason, /^Threshold Crossed: 1 out of the last 1 datapoints \[85\.0 \(.+\)\] was greater than the threshold \(70\.0\)/);
    const history = await cloudwatch<{ AlarmHistoryItems: { HistoryItemType: string; HistorySummary: string }[] }>(["describe-alarm-history", "--alarm-name", "high-load"]);
    const summaries = history!.AlarmHistoryItems.map((i) => i.HistorySummary);
    assert.ok(summaries.includes("Alarm updated from INSUFFICIENT_DATA to ALARM"), summaries.join("\n"));
    assert.ok(summaries.includes(`Successfully executed action ${arn}`), summaries.join("\n"));
    // The cooldown of 600 s holds the next period's run back: still 3.
    assert.equal((await cli.group("web"))?.DesiredCapacity, 3);

    await cloudwatch(["delete-alarms", "--alarm-names", "high-load"]);
    assert.deepEqual((await cloudwatch<{ MetricAlarms: unknown[] }>(["describe-alarms"]))?.MetricAlarms, []);
  });
});
