/**
 * What chooses the service and the action must be signed, over real HTTP against a real Phantom:
 * a leaked SigV2 URL replayed with an `X-Amz-Target` header and a JSON body must not become the
 * signer's PutMetricData, and an unsigned `X-Amz-Target` must not turn a SigV4-signed
 * DescribeAutoScalingGroups into CloudWatch's ListMetrics.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { formEncode, signV4 } from "../test-support/sign-v4.js";
import { startTestPhantom, type TestPhantom, type TestUser } from "../test-support/test-phantom.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const PUT_METRIC_DATA = "GraniteServiceVersion20100801.PutMetricData";
const LIST_METRICS = "GraniteServiceVersion20100801.ListMetrics";
const DESCRIBE = [["Action", "DescribeAutoScalingGroups"], ["Version", "2011-01-01"]] as const;

/** A SigV2 (HmacSHA256) query string for `params`, as boto 2 signs a GET. */
function sigV2Query(host: string, user: TestUser, params: readonly (readonly [string, string])[]): string {
  const all: (readonly [string, string])[] = [
    ...params,
    ["AWSAccessKeyId", user.accessKeyId],
    ["SignatureMethod", "HmacSHA256"],
    ["SignatureVersion", "2"],
    ["Timestamp", new Date().toISOString().replace(/\.\d{3}/, "")],
  ];
  all.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const query = formEncode(all);
  const signature = createHmac("sha256", user.secretAccessKey).update(`GET\n${host}\n/\n${query}`).digest("base64");
  return `${query}&${formEncode([["Signature", signature]])}`;
}

describe("what chooses the action is signed", () => {
  let phantom: TestPhantom;
  let url: URL;

  before(async () => {
    phantom = await startTestPhantom();
    url = new URL(phantom.url);
  });
  after(() => phantom.close());

  async function metricsOf(user: TestUser): Promise<number> {
    const client = new CloudWatchClient({
      endpoint: phantom.url,
      region: "us-east-1",
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
      maxAttempts: 1,
    });
    return (await client.send(new ListMetricsCommand({}))).Metrics?.length ?? 0;
  }

  it("a SigV2 URL replayed with X-Amz-Target and a JSON body is refused, and no metric is written", async () => {
    const query = sigV2Query(url.host, phantom.alice, DESCRIBE);
    const plain = await fetch(`${phantom.url}/?${query}`);
    assert.equal(plain.status, 200, "the URL itself is good");
    const replay = await fetch(`${phantom.url}/?${query}`, {
      method: "POST",
      headers: { "x-amz-target": PUT_METRIC_DATA, "content-type": "application/x-amz-json-1.0" },
      body: JSON.stringify({ Namespace: "Stolen", MetricData: [{ MetricName: "load", Value: 99 }] }),
    });
    const text = await replay.text();
    assert.equal(replay.status, 403, text);
    assert.match(text, /SignatureDoesNotMatch/);
    assert.match(text, /Signature Version 2 signs only Query parameters/);
    assert.equal(await metricsOf(phantom.alice), 0, "nothing was put under alice's name");
  });

  it("an unsigned X-Amz-Target does not turn a SigV4-signed DescribeAutoScalingGroups into ListMetrics", async () => {
    const rawQuery = formEncode(DESCRIBE);
    const signed = signV4({ method: "GET", path: "/", rawQuery, headers: { host: url.host }, body: "" }, phantom.alice);
    const answer = await fetch(`${phantom.url}/?${rawQuery}`, { headers: { ...signed, "x-amz-target": LIST_METRICS } });
    const text = await answer.text();
    assert.equal(answer.status, 403, text);
    assert.match(text, /"SignatureDoesNotMatch"|SignatureDoesNotMatch/);
    assert.match(text, /'x-amz-target' header/);
    const honest = await fetch(`${phantom.url}/?${rawQuery}`, { headers: signed });
    assert.equal(honest.status, 200);
    assert.match(await honest.text(), /<DescribeAutoScalingGroupsResponse/);
  });

  it("the same call with X-Amz-Target signed is CloudWatch's ListMetrics", async () => {
    const headers = { host: url.host, "x-amz-target": LIST_METRICS, "content-type": "application/x-amz-json-1.0" };
    const signed = signV4({ method: "POST", path: "/", rawQuery: "", headers, body: "{}" }, phantom.alice, { service: "monitoring" });
    const answer = await fetch(`${phantom.url}/`, { method: "POST", headers: signed, body: "{}" });
    assert.equal(answer.status, 200, await answer.clone().text());
    assert.deepEqual(await answer.json(), { Metrics: [] });
  });
});
