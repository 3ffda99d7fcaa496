/**
 * CloudWatch's metric alarms through the AWS SDK for JavaScript (JSON 1.0 with
 * `awsQueryCompatible` errors) against a real Phantom on SQLite and on PostgreSQL; the same
 * actions over the Query protocol (XML) and RPC v2 CBOR; each user sees only their own alarms.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type CloudWatchClient,
  type DescribeAlarmsCommandInput,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DeletePolicyCommand,
  DescribePoliciesCommand,
  PutScalingPolicyCommand,
  type AutoScalingClient,
} from "@aws-sdk/client-auto-scaling";
import { cbor } from "@smithy/core/cbor";
import { cwClient, cwRejectsWith as rejectsWith } from "../test-support/cloudwatch-client.js";
import { postgresTestSchemas } from "../test-support/postgres-test-schemas.js";
import { createLaunchConfigurations, phantomTags, sdkClient } from "../test-support/sdk-client.js";
import { postSigned, signV4 } from "../test-support/sign-v4.js";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";

const pg = postgresTestSchemas("alarm API tests");

/** An alarm on `Load` of group `web` (one period of a minute above 70), with `over` members. */
function alarm(name: string, over: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput {
  return {
    AlarmName: name,
    Namespace: "App",
    MetricName: "Load",
    Dimensions: [{ Name: "AutoScalingGroupName", Value: "web" }],
    Statistic: "Average",
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 70,
    ComparisonOperator: "GreaterThanThreshold",
    ...over,
  };
}

/** A group and a simple scaling policy of the client's user; returns the policy's ARN. */
async function policyOf(client: AutoScalingClient, group: string, policy: string): Promise<string> {
  await createLaunchConfigurations(client, [`lc-${group}@hotel`]);
  await client.send(
    new CreateAutoScalingGroupCommand({ AutoScalingGroupName: group, LaunchConfigurationName: `lc-${group}`, MinSize: 0, MaxSize: 10, Tags: phantomTags("hotel:-1", 1) }),
  );
  const out = await client.send(
    new PutScalingPolicyCommand({ AutoScalingGroupName: group, PolicyName: policy, AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 }),
  );
  return out.PolicyARN!;
}

function alarmSuite(label: string, options: { skip?: string | undefined; document?: () => Record<string, unknown>; schema?: () => string }): void {
  describe(`metric alarms through the AWS SDK (${label})`, { skip: options.skip }, () => {
    let phantom: TestPhantom;
    let alice: CloudWatchClient;
    let bob: CloudWatchClient;
    let scaleOut: string;

    before(async () => {
      phantom = await startTestPhantom(
        { metrics: { max_alarms_per_user: 8 }, ...(options.document?.() ?? {}) },
        options.schema === undefined ? {} : { schema: options.schema() },
      );
      alice = cwClient(phantom, phantom.alice);
      bob = cwClient(phantom, phantom.bob);
      scaleOut = await policyOf(sdkClient(phantom, phantom.alice), "web", "out");
    });
    after(async () => {
      alice?.destroy();
      bob?.destroy();
      await phantom?.close();
    });

    it("puts an alarm and describes it in CloudWatch's shape, in INSUFFICIENT_DATA until evaluated", async () => {
      await alice.send(new PutMetricAlarmCommand(alarm("high-load", { AlarmActions: [scaleOut], AlarmDescription: "scale out", TreatMissingData: "breaching" })));
      const out = await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }));
      assert.equal(out.MetricAlarms?.length, 1);
      const a = out.MetricAlarms![0]!;
      assert.equal(a.AlarmName, "high-load");
      assert.match(a.AlarmArn ?? "", /^arn:phantom:cloudwatch:[^:]+:\d+:alarm:high-load$/);
      assert.equal(a.AlarmDescription, "scale out");
      assert.equal(a.StateValue, "INSUFFICIENT_DATA");
      assert.equal(a.StateReason, "Unchecked: Initial alarm creation");
      assert.deepEqual(a.AlarmActions, [scaleOut]);
      assert.deepEqual(a.OKActions, []);
      assert.equal(a.ActionsEnabled, true);
      assert.deepEqual(a.Dimensions, [{ Name: "AutoScalingGroupName", Value: "web" }]);
      assert.equal(a.Threshold, 70);
      assert.equal(a.Period, 60);
      assert.equal(a.ComparisonOperator, "GreaterThanThreshold");
      assert.equal(a.TreatMissingData, "breaching");
      assert.ok(a.AlarmConfigurationUpdatedTimestamp instanceof Date);
      assert.equal(out.CompositeAlarms, undefined);
    });

    it("keeps the state when an alarm is put again, and records creation and update in its history", async () => {
      await alice.send(new SetAlarmStateCommand({ AlarmName: "high-load", StateValue: "ALARM", StateReason: "testing" }));
      await alice.send(new PutMetricAlarmCommand(alarm("high-load", { Threshold: 80, AlarmActions: [scaleOut] })));
      const a = (await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }))).MetricAlarms![0]!;
      assert.equal(a.Threshold, 80);
      assert.equal(a.StateValue, "ALARM");
      assert.equal(a.StateReason, "testing");
      const history = await alice.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-load", ScanBy: "TimestampAscending" }));
      assert.deepEqual(
        history.AlarmHistoryItems?.map((i) => [i.HistoryItemType, i.HistorySummary]),
        [
          ["ConfigurationUpdate", 'Alarm "high-load" created'],
          ["StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"],
          ["ConfigurationUpdate", 'Alarm "high-load" updated'],
        ],
      );
      const state = JSON.parse(history.AlarmHistoryItems![1]!.HistoryData!) as { oldState: { stateValue: string }; newState: { stateReason: string } };
      assert.equal(state.oldState.stateValue, "INSUFFICIENT_DATA");
      assert.equal(state.newState.stateReason, "testing");
      const onlyState = await alice.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-load", HistoryItemType: "StateUpdate" }));
      assert.equal(onlyState.AlarmHistoryItems?.length, 1);
      const newestFirst = await alice.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-load", MaxRecords: 1 }));
      assert.equal(newestFirst.AlarmHistoryItems?.[0]?.HistorySummary, 'Alarm "high-load" updated');
      assert.ok(newestFirst.NextToken);
      const second = await alice.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-load", MaxRecords: 1, NextToken: newestFirst.NextToken }));
      assert.equal(second.AlarmHistoryItems?.[0]?.HistorySummary, "Alarm updated from INSUFFICIENT_DATA to ALARM");
    });

    it("selects alarms by names, prefix, state and action prefix, a page at a time", async () => {
      for (const name of ["low-a", "low-b", "low-c"]) await alice.send(new PutMetricAlarmCommand(alarm(name, { ComparisonOperator: "LessThanThreshold", Threshold: 10 })));
      await alice.send(new SetAlarmStateCommand({ AlarmName: "low-b", StateValue: "OK", StateReason: "fine" }));
      const names = async (input: DescribeAlarmsCommandInput) =>
        ((await alice.send(new DescribeAlarmsCommand(input))).MetricAlarms ?? []).map((a) => a.AlarmName);
      assert.deepEqual(await names({}), ["high-load", "low-a", "low-b", "low-c"]);
      assert.deepEqual(await names({ AlarmNames: ["low-c", "high-load", "nope"] }), ["high-load", "low-c"]);
      assert.deepEqual(await names({ AlarmNamePrefix: "low-" }), ["low-a", "low-b", "low-c"]);
      assert.deepEqual(await names({ StateValue: "OK" }), ["low-b"]);
      assert.deepEqual(await names({ StateValue: "INSUFFICIENT_DATA", AlarmNamePrefix: "low" }), ["low-a", "low-c"]);
      assert.deepEqual(await names({ ActionPrefix: scaleOut.slice(0, 40) }), ["high-load"]);
      assert.deepEqual(await names({ AlarmTypes: ["CompositeAlarm"] }), []);

      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await alice.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "low-", MaxRecords: 2, NextToken: token }));
        assert.ok((page.MetricAlarms?.length ?? 0) <= 2);
        seen.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName!));
        token = page.NextToken;
        if (token !== undefined) {
          await rejectsWith(alice.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "high", NextToken: token })), "InvalidNextToken", /token/i);
        }
      } while (token !== undefined);
      assert.deepEqual(seen, ["low-a", "low-b", "low-c"]);
      await rejectsWith(alice.send(new DescribeAlarmsCommand({ MaxRecords: 101 })), "InvalidParameterValue", /maxRecords/);
    });

    it("finds the alarms of a metric", async () => {
      const found = async (input: Partial<ConstructorParameters<typeof DescribeAlarmsForMetricCommand>[0]>) =>
        ((await alice.send(new DescribeAlarmsForMetricCommand({ Namespace: "App", MetricName: "Load", ...input }))).MetricAlarms ?? []).map((a) => a.AlarmName);
      assert.deepEqual(await found({}), ["high-load", "low-a", "low-b", "low-c"]);
      assert.deepEqual(await found({ Dimensions: [{ Name: "AutoScalingGroupName", Value: "web" }], Statistic: "Average", Period: 60 }), [
        "high-load",
        "low-a",
        "low-b",
        "low-c",
      ]);
      assert.deepEqual(await found({ Dimensions: [{ Name: "AutoScalingGroupName", Value: "api" }] }), []);
      assert.deepEqual(await found({ Statistic: "Maximum" }), []);
      assert.deepEqual(await found({ MetricName: "Other" }), []);
    });

    it("enables and disables actions, ignoring unknown names, with history", async () => {
      await alice.send(new DisableAlarmActionsCommand({ AlarmNames: ["high-load", "unknown"] }));
      assert.equal((await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }))).MetricAlarms![0]!.ActionsEnabled, false);
      await alice.send(new EnableAlarmActionsCommand({ AlarmNames: ["high-load"] }));
      assert.equal((await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }))).MetricAlarms![0]!.ActionsEnabled, true);
      const history = await alice.send(new DescribeAlarmHistoryCommand({ AlarmName: "high-load", HistoryItemType: "ConfigurationUpdate" }));
      assert.equal(history.AlarmHistoryItems?.length, 4);
    });

    it("sets a state by hand, and refuses an unknown alarm with ResourceNotFound and bad reason data with InvalidFormat", async () => {
      await alice.send(new SetAlarmStateCommand({ AlarmName: "low-a", StateValue: "ALARM", StateReason: "drill", StateReasonData: '{"why":"drill"}' }));
      const a = (await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["low-a"] }))).MetricAlarms![0]!;
      assert.equal(a.StateValue, "ALARM");
      assert.equal(a.StateReasonData, '{"why":"drill"}');
      await rejectsWith(alice.send(new SetAlarmStateCommand({ AlarmName: "ghost", StateValue: "OK", StateReason: "x" })), "ResourceNotFound", /Alarm ghost not found/, 404);
      await rejectsWith(
        alice.send(new SetAlarmStateCommand({ AlarmName: "low-a", StateValue: "OK", StateReason: "x", StateReasonData: "{not json" })),
        "InvalidFormat",
        /JSON/,
      );
      await rejectsWith(alice.send(new SetAlarmStateCommand({ AlarmName: "low-a", StateValue: "BROKEN" as "OK", StateReason: "x" })), "InvalidParameterValue", /stateValue/i);
    });

    it("refuses what CloudWatch refuses, and what Phantom cannot evaluate, with a message", async () => {
      const refuses = (over: Partial<PutMetricAlarmCommandInput>, code: string, message: RegExp) =>
        rejectsWith(alice.send(new PutMetricAlarmCommand(alarm("bad", over))), code, message);
      await refuses({ Statistic: undefined, ExtendedStatistic: "p90" }, "InvalidParameterValue", /ExtendedStatistic p90 is not supported.*percentiles/);
      await refuses({ Period: 30 }, "InvalidParameterValue", /high-resolution.*multiple of 60/);
      await refuses({ Period: 90 }, "InvalidParameterValue", /Period must be 10, 30 or a multiple of 60/);
      await refuses({ Period: 3600, EvaluationPeriods: 25 }, "ValidationError", /must not exceed 86400 seconds/);
      await refuses({ Period: 3600, EvaluationPeriods: 3 }, "InvalidParameterValue", /Phantom keeps metrics for/);
      await refuses({ EvaluationPeriods: 2, DatapointsToAlarm: 3 }, "ValidationError", /DatapointsToAlarm must be less than or equal to EvaluationPeriods/);
      await refuses({ ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold" }, "ValidationError", /anomaly detection band/);
      await refuses({ Statistic: undefined }, "ValidationError", /Statistic is required/);
      await refuses({ Threshold: undefined }, "ValidationError", /Threshold is required/);
      await refuses({ TreatMissingData: "sometimes" }, "InvalidParameterValue", /TreatMissingData/);
      await refuses({ AlarmActions: ["arn:aws:sns:us-east-1:123456789012:topic"] }, "InvalidParameterValue", /Auto Scaling policies only/);
      await refuses({ OKActions: [`${scaleOut}x`] }, "InvalidParameterValue", /names no scaling policy of yours/);
      await refuses({ AlarmActions: [1, 2, 3, 4, 5, 6].map((n) => `${scaleOut}${n}`) }, "InvalidParameterValue", /alarmActions/i);
      await rejectsWith(alice.send(new PutMetricAlarmCommand({ AlarmName: "x", EvaluationPeriods: 1 } as PutMetricAlarmCommandInput)), "MissingParameter", /comparisonOperator/i);
      const other = await policyOf(sdkClient(phantom, phantom.alice), "api", "out");
      await refuses({ AlarmActions: [scaleOut], OKActions: [other] }, "InvalidParameterValue", /must all scale one group/);
      assert.equal((await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["bad"] }))).MetricAlarms?.length, 0);
    });

    it("refuses an alarm past the user's limit with LimitExceeded, but still updates one", async () => {
      const count = async () => (await alice.send(new DescribeAlarmsCommand({}))).MetricAlarms?.length ?? 0;
      for (let n = await count(); n < 8; n++) await alice.send(new PutMetricAlarmCommand(alarm(`fill-${n}`)));
      await rejectsWith(alice.send(new PutMetricAlarmCommand(alarm("one-too-many"))), "LimitExceeded", /maximum number of alarms \(8\)/);
      await alice.send(new PutMetricAlarmCommand(alarm("low-a", { Threshold: 5, ComparisonOperator: "LessThanThreshold" })));
      assert.equal(await count(), 8);
    });

    it("keeps users apart: another user sees, changes and uses none of them", async () => {
      assert.deepEqual((await bob.send(new DescribeAlarmsCommand({}))).MetricAlarms, []);
      assert.deepEqual((await bob.send(new DescribeAlarmHistoryCommand({}))).AlarmHistoryItems, []);
      assert.deepEqual((await bob.send(new DescribeAlarmsForMetricCommand({ Namespace: "App", MetricName: "Load" }))).MetricAlarms, []);
      await rejectsWith(bob.send(new SetAlarmStateCommand({ AlarmName: "high-load", StateValue: "OK", StateReason: "x" })), "ResourceNotFound", /not found/, 404);
      await rejectsWith(bob.send(new DeleteAlarmsCommand({ AlarmNames: ["high-load"] })), "ResourceNotFound", /not found/, 404);
      await rejectsWith(bob.send(new PutMetricAlarmCommand(alarm("mine", { AlarmActions: [scaleOut] }))), "InvalidParameterValue", /names no scaling policy of yours/);
      await bob.send(new DisableAlarmActionsCommand({ AlarmNames: ["high-load"] }));
      assert.equal((await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }))).MetricAlarms![0]!.ActionsEnabled, true);
      await bob.send(new PutMetricAlarmCommand(alarm("high-load")));
      assert.equal((await bob.send(new DescribeAlarmsCommand({}))).MetricAlarms?.length, 1);
    });

    it("tags an alarm by its ARN, keeping its state; another user can neither read nor change the tags", async () => {
      const described = (await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }))).MetricAlarms![0]!;
      const arn = described.AlarmArn!;
      const tagsOf = async () => (await alice.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags ?? [];
      const before = await tagsOf();
      await alice.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "team", Value: "a" }, { Key: "env", Value: "prod" }] }));
      await alice.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "dev" }] }));
      assert.deepEqual(await tagsOf(), [...before, { Key: "team", Value: "a" }, { Key: "env", Value: "dev" }]);
      await alice.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["team", "absent"] }));
      assert.deepEqual(await tagsOf(), [...before, { Key: "env", Value: "dev" }]);
      const after = (await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["high-load"] }))).MetricAlarms![0]!;
      assert.deepEqual([after.StateValue, after.StateReason], [described.StateValue, described.StateReason]);

      await rejectsWith(bob.send(new ListTagsForResourceCommand({ ResourceARN: arn })), "ResourceNotFoundException", /No alarm with the ARN/, 404);
      await rejectsWith(bob.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "bob" }] })), "ResourceNotFoundException", /No alarm/, 404);
      await rejectsWith(alice.send(new ListTagsForResourceCommand({ ResourceARN: `${arn}-nope` })), "ResourceNotFoundException", /No alarm/, 404);
      assert.deepEqual(await tagsOf(), [...before, { Key: "env", Value: "dev" }]);
      const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
      await rejectsWith(alice.send(new TagResourceCommand({ ResourceARN: arn, Tags: many })), "InvalidParameterValue", /at most 50 tags/);
    });

    it("deletes all named alarms or none, keeping their history", async () => {
      await rejectsWith(alice.send(new DeleteAlarmsCommand({ AlarmNames: ["low-b", "ghost"] })), "ResourceNotFound", /Alarm ghost not found/, 404);
      assert.equal((await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["low-b"] }))).MetricAlarms?.length, 1);
      await alice.send(new DeleteAlarmsCommand({ AlarmNames: ["low-b", "low-c"] }));
      assert.deepEqual((await alice.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "low-" }))).MetricAlarms?.map((a) => a.AlarmName), ["low-a"]);
      const history = await alice.send(new DescribeAlarmHistoryCommand({ AlarmName: "low-c" }));
      assert.equal(history.AlarmHistoryItems?.[0]?.HistorySummary, 'Alarm "low-c" deleted');
      assert.equal((await bob.send(new DescribeAlarmsCommand({}))).MetricAlarms?.length, 1);
    });

    it("shows a policy's alarms in DescribePolicies, and takes a deleted policy out of its alarms' actions", async () => {
      const as = sdkClient(phantom, phantom.alice);
      const temporary = (await as.send(new PutScalingPolicyCommand({ AutoScalingGroupName: "web", PolicyName: "tmp", AdjustmentType: "ChangeInCapacity", ScalingAdjustment: -1 }))).PolicyARN!;
      await alice.send(new PutMetricAlarmCommand(alarm("uses-tmp", { OKActions: [temporary], AlarmActions: [scaleOut] })));
      const policies = await as.send(new DescribePoliciesCommand({ AutoScalingGroupName: "web" }));
      const alarmsOf = (name: string) => policies.ScalingPolicies?.find((p) => p.PolicyName === name)?.Alarms?.map((a) => a.AlarmName);
      assert.deepEqual(alarmsOf("tmp"), ["uses-tmp"]);
      assert.deepEqual(alarmsOf("out"), ["high-load", "uses-tmp"]);
      const again = await as.send(new PutScalingPolicyCommand({ AutoScalingGroupName: "web", PolicyName: "tmp", AdjustmentType: "ChangeInCapacity", ScalingAdjustment: -2 }));
      assert.deepEqual(again.Alarms?.map((a) => [a.AlarmName, a.AlarmARN?.endsWith(":alarm:uses-tmp")]), [["uses-tmp", true]]);
      await as.send(new DeletePolicyCommand({ AutoScalingGroupName: "web", PolicyName: "tmp" }));
      const left = (await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["uses-tmp"] }))).MetricAlarms![0]!;
      assert.deepEqual([left.OKActions, left.AlarmActions], [[], [scaleOut]]);
      // Deleting a group deletes its policies, and so its alarms' actions.
      const gone = await policyOf(as, "gone", "in");
      await alice.send(new PutMetricAlarmCommand(alarm("uses-gone", { AlarmActions: [gone] })));
      await as.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "gone" }));
      assert.deepEqual((await alice.send(new DescribeAlarmsCommand({ AlarmNames: ["uses-gone"] }))).MetricAlarms![0]!.AlarmActions, []);
      await alice.send(new DeleteAlarmsCommand({ AlarmNames: ["uses-tmp", "uses-gone"] }));
    });

    it("answers the same actions over the Query protocol, in CloudWatch's XML", async () => {
      const post = (params: [string, string][]) => postSigned(phantom.url, phantom.alice, [["Version", "2010-08-01"], ...params], "monitoring");
      const put = await post([
        ["Action", "PutMetricAlarm"],
        ["AlarmName", "query-alarm"],
        ["Namespace", "App"],
        ["MetricName", "Load"],
        ["Statistic", "Maximum"],
        ["Period", "120"],
        ["EvaluationPeriods", "2"],
        ["DatapointsToAlarm", "1"],
        ["Threshold", "0.5"],
        ["ComparisonOperator", "GreaterThanOrEqualToThreshold"],
        ["AlarmActions.member.1", scaleOut],
      ]);
      assert.equal(put.status, 200, put.body);
      assert.match(put.body, /<PutMetricAlarmResponse xmlns="http:\/\/monitoring.amazonaws.com\/doc\/2010-08-01\/">/);
      const described = await post([["Action", "DescribeAlarms"], ["AlarmNames.member.1", "query-alarm"]]);
      assert.equal(described.status, 200, described.body);
      assert.match(described.body, /<DescribeAlarmsResult><MetricAlarms><member><AlarmName>query-alarm<\/AlarmName>/);
      assert.match(described.body, /<AlarmActions><member>arn:phantom:autoscaling:/);
      assert.match(described.body, /<Threshold>0.5<\/Threshold>/);
      assert.match(described.body, /<DatapointsToAlarm>1<\/DatapointsToAlarm>/);
      const missing = await post([["Action", "SetAlarmState"], ["AlarmName", "ghost"], ["StateValue", "OK"], ["StateReason", "x"]]);
      assert.equal(missing.status, 404);
      assert.match(missing.body, /<Code>ResourceNotFound<\/Code>/);
    });

    it("answers the same actions in RPC v2 CBOR", async () => {
      const call = async (operation: string, input: unknown) => {
        const body = Buffer.from(cbor.serialize(input));
        const path = `/service/GraniteServiceVersion20100801/operation/${operation}`;
        const headers = signV4(
          {
            method: "POST",
            path,
            rawQuery: "",
            headers: { host: new URL(phantom.url).host, "content-type": "application/cbor", accept: "application/cbor", "smithy-protocol": "rpc-v2-cbor" },
            body,
          },
          phantom.alice,
          { service: "monitoring" },
        );
        const res = await fetch(new URL(path, phantom.url), { method: "POST", headers, body });
        const bytes = new Uint8Array(await res.arrayBuffer());
        return { status: res.status, body: bytes.length === 0 ? {} : (cbor.deserialize(bytes) as Record<string, unknown>) };
      };
      const put = await call("PutMetricAlarm", alarm("cbor-alarm", { EvaluationPeriods: 3, DatapointsToAlarm: 2 }));
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const out = await call("DescribeAlarms", { AlarmNames: ["cbor-alarm"] });
      assert.equal(out.status, 200);
      const alarms = out.body.MetricAlarms as { AlarmName: string; DatapointsToAlarm: number; EvaluationPeriods: number }[];
      assert.deepEqual(
        alarms.map((a) => [a.AlarmName, a.EvaluationPeriods, a.DatapointsToAlarm]),
        [["cbor-alarm", 3, 2]],
      );
    });
  });
}

alarmSuite("SQLite", {});
alarmSuite("PostgreSQL", { skip: pg.skip, document: () => ({ db: pg.url }), schema: () => pg.newSchema() });
