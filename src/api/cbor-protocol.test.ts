// CloudWatch over Smithy's RPC v2 CBOR protocol, as recent botocore sends it: signed POSTs to
// /service/GraniteServiceVersion20100801/operation/<Op>, CBOR bodies (timestamps as tag 1),
// answers in CBOR with `smithy-protocol`, errors with `x-amzn-query-error`. Gzipped bodies too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { cbor, dateToTag } from "@smithy/core/cbor";
import { signV4 } from "../test-support/sign-v4.js";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";

const TARGET = "GraniteServiceVersion20100801";

describe("CloudWatch over RPC v2 CBOR", () => {
  let phantom: TestPhantom;
  before(async () => {
    phantom = await startTestPhantom();
  });
  after(() => phantom?.close());

  async function call(
    operation: string,
    input: unknown,
    options: { gzip?: boolean; path?: string } = {},
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const raw = Buffer.from(cbor.serialize(input));
    const body = options.gzip ? gzipSync(raw) : raw;
    const path = options.path ?? `/service/${TARGET}/operation/${operation}`;
    const headers = signV4(
      {
        method: "POST",
        path,
        rawQuery: "",
        headers: {
          host: new URL(phantom.url).host,
          "content-type": "application/cbor",
          accept: "application/cbor",
          "smithy-protocol": "rpc-v2-cbor",
          ...(options.gzip ? { "content-encoding": "gzip" } : {}),
        },
        body,
      },
      phantom.alice,
      { service: "monitoring" },
    );
    const res = await fetch(new URL(path, phantom.url), { method: "POST", headers, body });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: bytes.length === 0 ? {} : (cbor.deserialize(bytes) as Record<string, unknown>) };
  }

  it("puts metric data and reads statistics back, with timestamps as CBOR tag 1", async () => {
    const now = new Date();
    const put = await call("PutMetricData", {
      Namespace: "Cbor",
      MetricData: [
        { MetricName: "Hits", Dimensions: [{ Name: "Page", Value: "home" }], Value: 4, Timestamp: dateToTag(now), Unit: "Count" },
        { MetricName: "Hits", Dimensions: [{ Name: "Page", Value: "home" }], StatisticValues: { SampleCount: 3, Sum: 12, Minimum: 1, Maximum: 8 } },
      ],
    });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get("smithy-protocol"), "rpc-v2-cbor");
    assert.equal(put.headers.get("content-type"), "application/cbor");

    const stats = await call("GetMetricStatistics", {
      Namespace: "Cbor",
      MetricName: "Hits",
      Dimensions: [{ Name: "Page", Value: "home" }],
      StartTime: dateToTag(new Date(now.getTime() - 600_000)),
      EndTime: dateToTag(new Date(now.getTime() + 120_000)),
      Period: 3600,
      Statistics: ["Sum", "SampleCount", "Maximum"],
    });
    assert.equal(stats.status, 200);
    const points = stats.body.Datapoints as Record<string, unknown>[];
    assert.equal(points.length, 1);
    const [point] = points as [Record<string, unknown>];
    assert.deepEqual({ Sum: point.Sum, SampleCount: point.SampleCount, Maximum: point.Maximum, Unit: point.Unit }, { Sum: 16, SampleCount: 4, Maximum: 8, Unit: "Count" });
    const stamp = point.Timestamp as { tag: number; value: number };
    assert.equal(stamp.tag, 1, "the timestamp is CBOR's tag 1 (epoch seconds)");
    assert.equal(stamp.value % 60, 0);
  });

  it("accepts a gzipped body (Content-Encoding: gzip), signed as sent", async () => {
    const put = await call("PutMetricData", { Namespace: "Zipped", MetricData: [{ MetricName: "M", Value: 1 }] }, { gzip: true });
    assert.equal(put.status, 200);
    const list = await call("ListMetrics", { Namespace: "Zipped" });
    assert.deepEqual(list.body.Metrics, [{ Namespace: "Zipped", MetricName: "M", Dimensions: [] }]);
  });

  it("answers bad data with CloudWatch's code in x-amzn-query-error and a CBOR body, storing nothing", async () => {
    const bad = await call("PutMetricData", {
      Namespace: "Cbor",
      MetricData: [
        { MetricName: "Good", Value: 1 },
        { MetricName: "Bad", Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } },
      ],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get("x-amzn-query-error"), "InvalidParameterCombination;Sender");
    assert.equal(bad.headers.get("smithy-protocol"), "rpc-v2-cbor");
    assert.equal(bad.body.__type, "InvalidParameterCombination");
    assert.match(String(bad.body.message), /MetricData\.member\.2\.Value and MetricData\.member\.2\.StatisticValues are mutually exclusive/);
    const nan = await call("PutMetricData", { Namespace: "Cbor", MetricData: [{ MetricName: "Bad", Value: Number.NaN }] });
    assert.equal(nan.headers.get("x-amzn-query-error"), "InvalidParameterValue;Sender");
    const list = await call("ListMetrics", { Namespace: "Cbor" });
    assert.deepEqual(
      (list.body.Metrics as { MetricName: string }[]).map((m) => m.MetricName).filter((n) => n !== "Hits"),
      [],
      "neither the good nor the bad datum of a refused put was stored",
    );
  });

  it("answers required members left out with MissingParameter, other bad input with InvalidParameterValue", async () => {
    const missing = await call("GetMetricStatistics", { Namespace: "Cbor", MetricName: "Hits" });
    assert.equal(missing.headers.get("x-amzn-query-error"), "MissingParameter;Sender");
    assert.match(String(missing.body.message), /Value null at 'startTime' failed to satisfy constraint: Member must not be null/);
    const mixed = await call("GetMetricStatistics", { Namespace: "Cbor", MetricName: "Hits", Period: 0 });
    assert.equal(mixed.headers.get("x-amzn-query-error"), "InvalidParameterValue;Sender");
  });

  it("refuses an unknown operation and a garbled body, in CBOR", async () => {
    const unknown = await call("PutDashboard", { DashboardName: "a", DashboardBody: "{}" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers.get("x-amzn-query-error"), "InvalidAction;Sender");
    const wrongService = await call("PutMetricData", {}, { path: "/service/Nope/operation/PutMetricData" });
    assert.equal(wrongService.headers.get("x-amzn-query-error"), "InvalidAction;Sender");
    const headers = signV4(
      {
        method: "POST",
        path: `/service/${TARGET}/operation/ListMetrics`,
        rawQuery: "",
        headers: { host: new URL(phantom.url).host, "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" },
        body: Buffer.from([0xff, 0x00, 0x13]),
      },
      phantom.alice,
      { service: "monitoring" },
    );
    const res = await fetch(new URL(`/service/${TARGET}/operation/ListMetrics`, phantom.url), { method: "POST", headers, body: Buffer.from([0xff, 0x00, 0x13]) });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-amzn-query-error"), "MalformedQueryString;Sender");
  });
});
