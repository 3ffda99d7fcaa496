/**
 * CloudWatch's metric actions (PutMetricData, GetMetricStatistics, ListMetrics) through the AWS
 * SDK for JavaScript, which speaks JSON 1.0 with `awsQueryCompatible` errors, against a real
 * Phantom; and the same service over the Query protocol, chosen by `Version=2010-08-01` or by
 * the SigV4 scope's service `monitoring`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
  type Datapoint,
  type GetMetricStatisticsCommandInput,
  type Metric,
  type MetricDatum,
} from "@aws-sdk/client-cloudwatch";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { postSigned } from "../test-support/sign-v4.js";
import { cwClient, cwRejectsWith as rejectsWith } from "../test-support/cloudwatch-client.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CW_NAMESPACE = "http://monitoring.amazonaws.com/doc/2010-08-01/";
const AS_NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/** Datapoints ordered by time (CloudWatch does not promise an order). */
function byTime(points: readonly Datapoint[] | undefined): Datapoint[] {
  return [...(points ?? [])].sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
}

/** A metric in a comparable form. */
function metricOf(m: Metric): string {
  return `${m.Namespace}|${m.MetricName}|${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(",")}`;
}

/** The start of the minute that holds `ms`. */
const minuteStart = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

describe("CloudWatch metrics through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: CloudWatchClient;
  let bob: CloudWatchClient;
  /** A minute boundary 20 minutes ago, within retention: the data below sits after it. */
  let base: number;

  before(async () => {
    phantom = await startTestPhantom();
    alice = cwClient(phantom, phantom.alice);
    bob = cwClient(phantom, phantom.bob);
    base = minuteStart(Date.now()) - 20 * MINUTE;
  });
  after(() => {
    alice?.destroy();
    bob?.destroy();
    return phantom?.close();
  });

  const latency = { MetricName: "Latency", Dimensions: [{ Name: "Service", Value: "api" }] };
  const stats = ["Average", "Sum", "SampleCount", "Minimum", "Maximum"] as const;

  /** Alice's Shop latency statistics over the ten minutes from `base`, per minute (Sum unless `over` says). */
  const shopLatency = (over: Partial<GetMetricStatisticsCommandInput>) =>
    alice.send(
      new GetMetricStatisticsCommand({
        Namespace: "Shop",
        ...latency,
        StartTime: new Date(base),
        EndTime: new Date(base + 10 * MINUTE),
        Period: 60,
        Statistics: ["Sum"],
        ...over,
      }),
    );

  /** Everything the user lists in `namespace`, as comparable strings. */
  async function listed(client: CloudWatchClient, namespace?: string): Promise<string[]> {
    const out = await client.send(new ListMetricsCommand(namespace === undefined ? {} : { Namespace: namespace }));
    assert.equal(out.NextToken, undefined);
    return (out.Metrics ?? []).map(metricOf).sort();
  }

  /** The datapoints of `metric` over the last three hours, every statistic, Period 60. */
  async function everything(client: CloudWatchClient, namespace: string, metric: Pick<MetricDatum, "MetricName" | "Dimensions">): Promise<Datapoint[]> {
    const now = Date.now();
    const out = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        ...metric,
        StartTime: new Date(now - 3 * HOUR),
        EndTime: new Date(now + 3 * HOUR),
        Period: 3600,
        Statistics: [...stats],
      }),
    );
    return out.Datapoints ?? [];
  }

  it("puts Value, StatisticValues and Values/Counts data and reads every statistic back per minute and per 5 minutes", async () => {
    const put = await alice.send(
      new PutMetricDataCommand({
        Namespace: "Shop",
        MetricData: [
          { ...latency, Timestamp: new Date(base + 30_000), Value: 10, Unit: "Milliseconds" },
          { ...latency, Timestamp: new Date(base + 45_000), Value: 20, Unit: "Milliseconds" },
          {
            ...latency,
            Timestamp: new Date(base + MINUTE + 10_000),
            StatisticValues: { SampleCount: 4, Sum: 100, Minimum: 5, Maximum: 50 },
            Unit: "Milliseconds",
          },
          { ...latency, Timestamp: new Date(base + 5 * MINUTE + 1000), Values: [1, 2, 3], Counts: [1, 2, 3], Unit: "Milliseconds" },
          { MetricName: "Orders", Timestamp: new Date(base + 2 * MINUTE), Value: 7 },
        ],
      }),
    );
    assert.equal(put.$metadata.httpStatusCode, 200);

    const query = (over: Partial<GetMetricStatisticsCommandInput>) => shopLatency({ Statistics: [...stats], ...over });
    const perMinute = await query({});
    assert.equal(perMinute.Label, "Latency");
    assert.deepEqual(byTime(perMinute.Datapoints), [
      { Timestamp: new Date(base), SampleCount: 2, Sum: 30, Average: 15, Minimum: 10, Maximum: 20, Unit: "Milliseconds" },
      { Timestamp: new Date(base + MINUTE), SampleCount: 4, Sum: 100, Average: 25, Minimum: 5, Maximum: 50, Unit: "Milliseconds" },
      { Timestamp: new Date(base + 5 * MINUTE), SampleCount: 6, Sum: 14, Average: 14 / 6, Minimum: 1, Maximum: 3, Unit: "Milliseconds" },
    ]);

    const perFive = await query({ Period: 300 });
    assert.deepEqual(byTime(perFive.Datapoints), [
      { Timestamp: new Date(base), SampleCount: 6, Sum: 130, Average: 130 / 6, Minimum: 5, Maximum: 50, Unit: "Milliseconds" },
      { Timestamp: new Date(base + 5 * MINUTE), SampleCount: 6, Sum: 14, Average: 14 / 6, Minimum: 1, Maximum: 3, Unit: "Milliseconds" },
    ]);

    // Only the statistics asked for; the range is [StartTime, EndTime).
    const some = await query({ Statistics: ["Maximum"], StartTime: new Date(base + MINUTE), EndTime: new Date(base + 5 * MINUTE) });
    assert.deepEqual(byTime(some.Datapoints), [{ Timestamp: new Date(base + MINUTE), Maximum: 50, Unit: "Milliseconds" }]);

    // Unit narrows to the data put with that unit.
    assert.equal((await query({ Unit: "Milliseconds" })).Datapoints?.length, 3);
    assert.deepEqual((await query({ Unit: "Seconds" })).Datapoints, []);
    // Data without a unit answers as None.
    const orders = await query({ MetricName: "Orders", Dimensions: [], Statistics: ["Sum"] });
    assert.deepEqual(byTime(orders.Datapoints), [{ Timestamp: new Date(base + 2 * MINUTE), Sum: 7, Unit: "None" }]);
    // A series is its exact dimensions.
    assert.deepEqual((await query({ Dimensions: [] })).Datapoints, []);
    assert.deepEqual((await query({ Dimensions: [{ Name: "Service", Value: "web" }] })).Datapoints, []);

    assert.deepEqual(await listed(alice, "Shop"), ["Shop|Latency|Service=api", "Shop|Orders|"]);
    const byDimension = await alice.send(new ListMetricsCommand({ Dimensions: [{ Name: "Service" }] }));
    assert.deepEqual((byDimension.Metrics ?? []).map(metricOf), ["Shop|Latency|Service=api"]);
    const byName = await alice.send(new ListMetricsCommand({ Namespace: "Shop", MetricName: "Orders" }));
    assert.deepEqual(byName.Metrics, [{ Namespace: "Shop", MetricName: "Orders", Dimensions: [] }]);
    const byValue = await alice.send(new ListMetricsCommand({ Dimensions: [{ Name: "Service", Value: "web" }] }));
    assert.deepEqual(byValue.Metrics, []);
  });

  it("merges data of one minute across requests, and a datum without Timestamp lands at the current minute", async () => {
    const series = { MetricName: "Queue", Dimensions: [{ Name: "Name", Value: "jobs" }] };
    const at = new Date(base + 3 * MINUTE + 5000);
    await alice.send(new PutMetricDataCommand({ Namespace: "Merge", MetricData: [{ ...series, Timestamp: at, Value: 4, Unit: "Count" }] }));
    await alice.send(new PutMetricDataCommand({ Namespace: "Merge", MetricData: [{ ...series, Timestamp: at, Values: [1, 9], Unit: "Count" }] }));
    const before = Date.now();
    await alice.send(new PutMetricDataCommand({ Namespace: "Merge", MetricData: [{ ...series, Value: 100 }] }));
    const points = byTime(await everything(alice, "Merge", series));
    const total = points.reduce((n, p) => n + (p.SampleCount ?? 0), 0);
    assert.equal(total, 4);
    const sum = points.reduce((n, p) => n + (p.Sum ?? 0), 0);
    assert.equal(sum, 114);
    const perMinute = await alice.send(
      new GetMetricStatisticsCommand({
        Namespace: "Merge",
        ...series,
        StartTime: new Date(minuteStart(at.getTime())),
        EndTime: new Date(minuteStart(at.getTime()) + MINUTE),
        Period: 60,
        Statistics: ["SampleCount", "Minimum", "Maximum", "Sum"],
      }),
    );
    assert.deepEqual(perMinute.Datapoints, [
      { Timestamp: new Date(minuteStart(at.getTime())), SampleCount: 3, Sum: 14, Minimum: 1, Maximum: 9, Unit: "Count" },
    ]);
    const now = await alice.send(
      new GetMetricStatisticsCommand({
        Namespace: "Merge",
        ...series,
        StartTime: new Date(minuteStart(before)),
        EndTime: new Date(minuteStart(Date.now()) + MINUTE),
        Period: 60,
        Statistics: ["Sum"],
      }),
    );
    assert.deepEqual((now.Datapoints ?? []).map((d) => d.Sum), [100]);
  });

  it("keeps users' metrics apart: bob neither lists nor reads alice's, and his own same-named series are his", async () => {
    const series = { MetricName: "Private", Dimensions: [{ Name: "Host", Value: "h1" }] };
    const at = new Date(base + 7 * MINUTE);
    await alice.send(new PutMetricDataCommand({ Namespace: "Iso", MetricData: [{ ...series, Timestamp: at, Value: 1 }] }));
    assert.deepEqual(await listed(bob, "Iso"), []);
    assert.deepEqual(await everything(bob, "Iso", series), []);
    await bob.send(new PutMetricDataCommand({ Namespace: "Iso", MetricData: [{ ...series, Timestamp: at, Value: 1000 }] }));
    assert.deepEqual((await everything(alice, "Iso", series)).map((d) => d.Sum), [1]);
    assert.deepEqual((await everything(bob, "Iso", series)).map((d) => d.Sum), [1000]);
    assert.deepEqual(await listed(bob), ["Iso|Private|Host=h1"]);
    assert.deepEqual(await listed(alice, "Iso"), ["Iso|Private|Host=h1"]);
  });

  it("identifies a series by its dimensions in any order, listing them sorted by name; Unit None finds data put without a unit", async () => {
    const at = new Date(base + 9 * MINUTE);
    await alice.send(
      new PutMetricDataCommand({
        Namespace: "Order",
        MetricData: [{ MetricName: "M", Timestamp: at, Value: 3, Dimensions: [{ Name: "Zone", Value: "z" }, { Name: "App", Value: "a" }] }],
      }),
    );
    const out = await alice.send(
      new GetMetricStatisticsCommand({
        Namespace: "Order",
        MetricName: "M",
        Dimensions: [{ Name: "App", Value: "a" }, { Name: "Zone", Value: "z" }],
        StartTime: new Date(base),
        EndTime: new Date(base + 10 * MINUTE),
        Period: 600,
        Statistics: ["Sum"],
        Unit: "None",
      }),
    );
    assert.deepEqual(out.Datapoints, [{ Timestamp: new Date(base), Sum: 3, Unit: "None" }]);
    const listedOrder = await alice.send(new ListMetricsCommand({ Namespace: "Order" }));
    assert.deepEqual(listedOrder.Metrics, [{ Namespace: "Order", MetricName: "M", Dimensions: [{ Name: "App", Value: "a" }, { Name: "Zone", Value: "z" }] }]);
  });

  it(
    "rounds a StartTime within a minute down to the minute, as CloudWatch does",
    async () => {
      const series = { MetricName: "Round" };
      await alice.send(new PutMetricDataCommand({ Namespace: "Round", MetricData: [{ ...series, Timestamp: new Date(base + 10_000), Value: 8 }] }));
      const out = await alice.send(
        new GetMetricStatisticsCommand({
          Namespace: "Round",
          ...series,
          StartTime: new Date(base + 30_000),
          EndTime: new Date(base + 2 * MINUTE),
          Period: 60,
          Statistics: ["Sum"],
        }),
      );
      assert.deepEqual(out.Datapoints, [{ Timestamp: new Date(base), Sum: 8, Unit: "None" }]);
    },
  );

  describe("refuses bad data with CloudWatch's error, storing nothing of the request", () => {
    const good: MetricDatum = { MetricName: "Good", Value: 1 };
    const dims = (n: number) => Array.from({ length: n }, (_, i) => ({ Name: `D${i}`, Value: "v" }));
    const cases: [string, () => MetricDatum[], string, RegExp, string?][] = [
      ["a NaN value", () => [{ MetricName: "M", Value: NaN }], "InvalidParameterValue", /NaN|number/],
      ["an infinite value", () => [{ MetricName: "M", Value: Infinity }], "InvalidParameterValue", /Infinity|number/],
      ["an infinite statistic", () => [{ MetricName: "M", StatisticValues: { SampleCount: 1, Sum: -Infinity, Minimum: 0, Maximum: 1 } }], "InvalidParameterValue", /Infinity|number/],
      [
        "Value and StatisticValues together",
        () => [{ MetricName: "M", Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }],
        "InvalidParameterCombination",
        /^The parameters MetricData\.member\.1\.Value and MetricData\.member\.1\.StatisticValues are mutually exclusive/,
      ],
      ["Counts without Values", () => [{ MetricName: "M", Value: 1, Counts: [1] }], "InvalidParameterCombination", /Counts is only valid with .*Values/],
      ["Values and Counts of different lengths", () => [{ MetricName: "M", Values: [1, 2], Counts: [1] }], "InvalidParameterValue", /must have the same length/],
      ["a statistic set with Minimum above Maximum", () => [{ MetricName: "M", StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 5, Maximum: 1 } }], "InvalidParameterValue", /must not exceed/],
      ["a timestamp three hours ahead", () => [{ MetricName: "M", Value: 1, Timestamp: new Date(Date.now() + 3 * HOUR) }], "InvalidParameterValue", /no more than two hours in the future/],
      ["a timestamp before the two hours kept", () => [{ MetricName: "M", Value: 1, Timestamp: new Date(Date.now() - 2 * HOUR - 5 * MINUTE) }], "InvalidParameterValue", /within the past 2 hours/],
      ["31 dimensions", () => [{ MetricName: "M", Value: 1, Dimensions: dims(31) }], "InvalidParameterValue", /Member must have length less than or equal to 30/],
      [
        "a dimension name twice",
        () => [{ MetricName: "M", Value: 1, Dimensions: [{ Name: "Host", Value: "a" }, { Name: "Host", Value: "b" }] }],
        "InvalidParameterValue",
        /dimension name Host appears more than once/,
      ],
      ["the AWS/EC2 namespace", () => [{ MetricName: "M", Value: 1 }], "InvalidParameterValue", /AWS\/ namespaces are reserved/, "AWS/EC2"],
      ["one good datum and one NaN", () => [good, { MetricName: "M", Value: NaN }], "InvalidParameterValue", /NaN|number/],
      [
        "one good datum and one too far ahead",
        () => [good, { ...good, MetricName: "Other" }, { MetricName: "M", Value: 1, Timestamp: new Date(Date.now() + 3 * HOUR) }],
        "InvalidParameterValue",
        /MetricData\.member\.3\.Timestamp/,
      ],
    ];
    let n = 0;
    for (const [label, data, code, message, namespace] of cases) {
      const ns = namespace ?? `Bad${++n}`;
      it(`refuses ${label} with ${code}`, async () => {
        await rejectsWith(alice.send(new PutMetricDataCommand({ Namespace: ns, MetricData: data() })), code, message);
        assert.deepEqual(await listed(alice, ns), []);
        assert.deepEqual(await everything(alice, ns, { MetricName: "M" }), []);
        assert.deepEqual(await everything(alice, ns, { MetricName: "M", Dimensions: dims(31).slice(0, 30) }), []);
        assert.deepEqual(await everything(alice, ns, good), []);
      });
    }

    it("accepts a timestamp just within the window each way", async () => {
      await alice.send(
        new PutMetricDataCommand({
          Namespace: "Edges",
          MetricData: [
            { MetricName: "M", Value: 1, Timestamp: new Date(Date.now() + HOUR + 50 * MINUTE) },
            { MetricName: "M", Value: 2, Timestamp: new Date(Date.now() - HOUR - 50 * MINUTE) },
            { MetricName: "M", Value: 3, Dimensions: dims(30) },
          ],
        }),
      );
      assert.deepEqual((await everything(alice, "Edges", { MetricName: "M" })).reduce((s, d) => s + (d.Sum ?? 0), 0), 3);
      assert.equal((await listed(alice, "Edges")).length, 2);
    });
  });

  describe("refuses bad GetMetricStatistics queries", () => {
    const query = shopLatency;
    it("Period 90 → InvalidParameterValue", async () => {
      await rejectsWith(query({ Period: 90 }), "InvalidParameterValue", /^The parameter Period must be a multiple of 60/);
    });
    it("StartTime after EndTime → InvalidParameterValue", async () => {
      await rejectsWith(query({ StartTime: new Date(base + 10 * MINUTE), EndTime: new Date(base) }), "InvalidParameterValue", /StartTime must be less than the parameter EndTime/);
    });
    it("more than 1,440 datapoints → InvalidParameterCombination", async () => {
      await rejectsWith(query({ StartTime: new Date(base - 2 * 24 * HOUR), EndTime: new Date(base) }), "InvalidParameterCombination", /requested up to 2880 datapoints, which exceeds the limit of 1440/);
    });
    it("no statistics → MissingParameter", async () => {
      await rejectsWith(query({ Statistics: [] }), "MissingParameter", /Must specify either Statistics or ExtendedStatistics/);
    });
    it("accepts exactly 1,440 datapoints", async () => {
      const out = await query({ StartTime: new Date(base - 24 * HOUR), EndTime: new Date(base) });
      assert.equal(out.$metadata.httpStatusCode, 200);
    });
  });

  describe("the Query protocol", () => {
    /** A signed form POST of `params`, scoped to `service`. */
    const post = (params: [string, string][], service: string) => postSigned(phantom.url, phantom.alice, params, service);

    it("answers Version=2010-08-01 as CloudWatch, in CloudWatch's XML namespace, errors included", async () => {
      const put = await post(
        [
          ["Action", "PutMetricData"],
          ["Version", "2010-08-01"],
          ["Namespace", "QueryNs"],
          ["MetricData.member.1.MetricName", "Hits"],
          ["MetricData.member.1.Value", "5"],
          ["MetricData.member.1.Dimensions.member.1.Name", "Page"],
          ["MetricData.member.1.Dimensions.member.1.Value", "home"],
        ],
        "autoscaling",
      );
      assert.equal(put.status, 200, put.body);
      assert.match(put.body, new RegExp(`^(<\\?xml[^>]*>)?\\s*<PutMetricDataResponse xmlns="${CW_NAMESPACE}">`));
      assert.deepEqual(await listed(alice, "QueryNs"), ["QueryNs|Hits|Page=home"]);

      const list = await post([["Action", "ListMetrics"], ["Version", "2010-08-01"], ["Namespace", "QueryNs"]], "monitoring");
      assert.equal(list.status, 200, list.body);
      assert.match(list.body, new RegExp(`<ListMetricsResponse xmlns="${CW_NAMESPACE}">`));
      assert.match(list.body, /<MetricName>Hits<\/MetricName>/);

      const refused = await post(
        [
          ["Action", "PutMetricData"],
          ["Version", "2010-08-01"],
          ["Namespace", "AWS/EC2"],
          ["MetricData.member.1.MetricName", "Hits"],
          ["MetricData.member.1.Value", "5"],
        ],
        "autoscaling",
      );
      assert.equal(refused.status, 400);
      assert.match(refused.body, new RegExp(`<ErrorResponse xmlns="${CW_NAMESPACE}">`));
      assert.match(refused.body, /<Code>InvalidParameterValue<\/Code>/);
      assert.match(refused.body, /<Type>Sender<\/Type>/);

      // A model violation is InvalidParameterValue for CloudWatch, not Auto Scaling's ValidationError.
      const invalid = await post([["Action", "GetMetricStatistics"], ["Version", "2010-08-01"], ["Namespace", "QueryNs"], ["MetricName", "Hits"], ["StartTime", "yesterday"], ["EndTime", "2026-01-01T00:00:00Z"], ["Period", "60"], ["Statistics.member.1", "Sum"]], "monitoring");
      assert.equal(invalid.status, 400);
      assert.match(invalid.body, new RegExp(`<ErrorResponse xmlns="${CW_NAMESPACE}">`));
      assert.match(invalid.body, /<Code>InvalidParameterValue<\/Code>/);
    });

    it("routes a request without Version by its SigV4 scope: monitoring is CloudWatch, else Auto Scaling", async () => {
      const list = await post([["Action", "ListMetrics"], ["Namespace", "QueryNs"]], "monitoring");
      assert.equal(list.status, 200, list.body);
      assert.match(list.body, new RegExp(`<ListMetricsResponse xmlns="${CW_NAMESPACE}">`));
      assert.match(list.body, /<Value>home<\/Value>/);

      const asAutoScaling = await post([["Action", "ListMetrics"], ["Namespace", "QueryNs"]], "autoscaling");
      assert.equal(asAutoScaling.status, 400);
      assert.match(asAutoScaling.body, new RegExp(`<ErrorResponse xmlns="${AS_NAMESPACE}">`));
      assert.match(asAutoScaling.body, /<Code>InvalidAction<\/Code>/);

      // An Auto Scaling action signed for monitoring is not a CloudWatch action.
      const wrong = await post([["Action", "DescribeAutoScalingGroups"]], "monitoring");
      assert.equal(wrong.status, 400);
      assert.match(wrong.body, new RegExp(`<ErrorResponse xmlns="${CW_NAMESPACE}">`));
      assert.match(wrong.body, /<Code>InvalidAction<\/Code>/);
    });
  });
});

describe("large PutMetricData requests and ListMetrics pagination through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: CloudWatchClient;
  let gzipping: CloudWatchClient;

  before(async () => {
    phantom = await startTestPhantom();
    // The SDK gzips PutMetricData bodies of 10 KiB or more unless told not to.
    alice = cwClient(phantom, phantom.alice, { disableRequestCompression: true });
    gzipping = cwClient(phantom, phantom.alice, { requestMinCompressionSizeBytes: 0 });
  });
  after(() => {
    alice?.destroy();
    gzipping?.destroy();
    return phantom?.close();
  });

  it(
    "accepts a PutMetricData body that the SDK gzipped (Content-Encoding: gzip)",
    async () => {
      await gzipping.send(new PutMetricDataCommand({ Namespace: "Zipped", MetricData: [{ MetricName: "M", Value: 42 }] }));
      const out = await alice.send(new ListMetricsCommand({ Namespace: "Zipped" }));
      assert.deepEqual(out.Metrics, [{ Namespace: "Zipped", MetricName: "M", Dimensions: [] }]);
    },
  );

  it("pages 1,203 series 500 at a time, each once, under filters too", async () => {
    const all: string[] = [];
    for (let start = 0; start < 1203; start += 401) {
      const data: MetricDatum[] = [];
      for (let i = start; i < start + 401; i++) {
        const host = `h${String(i).padStart(4, "0")}`;
        data.push({ MetricName: i % 3 === 0 ? "Cpu" : "Mem", Dimensions: [{ Name: "Host", Value: host }], Value: i });
        all.push(`Fleet|${i % 3 === 0 ? "Cpu" : "Mem"}|Host=${host}`);
      }
      await alice.send(new PutMetricDataCommand({ Namespace: "Fleet", MetricData: data }));
    }
    const walk = async (input: ConstructorParameters<typeof ListMetricsCommand>[0]) => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let NextToken: string | undefined;
      do {
        const out = await alice.send(new ListMetricsCommand({ ...input, NextToken }));
        sizes.push(out.Metrics?.length ?? 0);
        seen.push(...(out.Metrics ?? []).map(metricOf));
        NextToken = out.NextToken;
      } while (NextToken !== undefined && sizes.length < 100);
      return { seen, sizes };
    };
    const everything = await walk({ Namespace: "Fleet" });
    assert.deepEqual(everything.sizes, [500, 500, 203]);
    assert.equal(new Set(everything.seen).size, 1203);
    assert.deepEqual([...everything.seen].sort(), [...all].sort());
    const cpu = await walk({ Namespace: "Fleet", MetricName: "Cpu" });
    assert.deepEqual(cpu.sizes, [401]);
    assert.deepEqual([...cpu.seen].sort(), all.filter((m) => m.includes("|Cpu|")).sort());
    const one = await walk({ Dimensions: [{ Name: "Host", Value: "h1202" }] });
    assert.deepEqual(one.seen, ["Fleet|Mem|Host=h1202"]);
  });
});

describe("the metric series limit through the AWS SDK", () => {
  let phantom: TestPhantom;
  let alice: CloudWatchClient;
  let bob: CloudWatchClient;

  before(async () => {
    phantom = await startTestPhantom({ metrics: { max_series_per_user: 3 } });
    alice = cwClient(phantom, phantom.alice);
    bob = cwClient(phantom, phantom.bob);
  });
  after(() => {
    alice?.destroy();
    bob?.destroy();
    return phantom?.close();
  });

  it("refuses a put that brings more series than the limit with LimitExceeded, storing none of it; known series still take data", async () => {
    await alice.send(new PutMetricDataCommand({ Namespace: "Lim", MetricData: [{ MetricName: "A", Value: 1 }, { MetricName: "B", Value: 1 }] }));
    await rejectsWith(
      alice.send(new PutMetricDataCommand({ Namespace: "Lim", MetricData: [{ MetricName: "A", Value: 50 }, { MetricName: "C", Value: 1 }, { MetricName: "D", Value: 1 }] })),
      "LimitExceeded",
      /4 metric series; the limit is 3/,
    );
    const names = async (client: CloudWatchClient) => ((await client.send(new ListMetricsCommand({}))).Metrics ?? []).map((m) => m.MetricName).sort();
    assert.deepEqual(await names(alice), ["A", "B"]);
    const sumOfA = async () => {
      const out = await alice.send(
        new GetMetricStatisticsCommand({ Namespace: "Lim", MetricName: "A", StartTime: new Date(Date.now() - HOUR), EndTime: new Date(Date.now() + HOUR), Period: 7200, Statistics: ["Sum"] }),
      );
      return (out.Datapoints ?? []).reduce((s, d) => s + (d.Sum ?? 0), 0);
    };
    assert.equal(await sumOfA(), 1);

    // Exactly at the limit, then known series only.
    await alice.send(new PutMetricDataCommand({ Namespace: "Lim", MetricData: [{ MetricName: "C", Value: 1 }, { MetricName: "A", Value: 2 }] }));
    await alice.send(new PutMetricDataCommand({ Namespace: "Lim", MetricData: [{ MetricName: "A", Value: 3 }, { MetricName: "B", Value: 1 }, { MetricName: "C", Value: 1 }] }));
    assert.equal(await sumOfA(), 6);
    assert.deepEqual(await names(alice), ["A", "B", "C"]);
    await rejectsWith(alice.send(new PutMetricDataCommand({ Namespace: "Lim", MetricData: [{ MetricName: "D", Value: 1 }] })), "LimitExceeded", /the limit is 3/);

    // The limit is per user.
    await bob.send(new PutMetricDataCommand({ Namespace: "Lim", MetricData: [{ MetricName: "X", Value: 1 }, { MetricName: "Y", Value: 1 }, { MetricName: "Z", Value: 1 }] }));
    assert.deepEqual(await names(bob), ["X", "Y", "Z"]);
  });
});
