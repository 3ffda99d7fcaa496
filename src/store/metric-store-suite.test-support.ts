/**
 * The conformance suite of the store's metrics ({@link MetricStore}) and scaling policies
 * (`UserReads.listPolicies`, `UserTx.putPolicy`/`deletePolicy`, `ControllerStore.loadPolicies`):
 * every database runs these same tests (`metric-store.sqlite.test.ts`,
 * `metric-store.postgres.test.ts`).
 */
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { LimitExceededError } from "../core/errors.js";
import { seriesKey } from "../core/metric-data.js";
import type { Group, MetricAggregate, MetricPoint, MetricSeries, PolicyType, ScalingPolicy } from "../core/types.js";
import type { MetricFilter } from "./metric-store.js";
import type { Store } from "./store.js";
import type { StoreTarget } from "./store-suite.test-support.js";
import { addUser, group, launchConfiguration } from "./store-fixtures.test-support.js";

const MINUTE = 60_000;
/** A minute boundary: 2026-01-01T12:00:00Z. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (ms: number) => new Date(ms);

/** A series; dimensions are sorted by name, as `seriesOf` gives them. */
function series(namespace: string, metricName: string, dims: Record<string, string> = {}): MetricSeries {
  const dimensions = Object.entries(dims)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { namespace, metricName, dimensions };
}

/** One minute of `s` holding the aggregate. */
function point(s: MetricSeries, minuteMs: number, agg: MetricAggregate, unit: string | null = null): MetricPoint {
  return { ...s, minute: at(minuteMs), unit, ...agg };
}

/** The aggregate of one value. */
function one(v: number): MetricAggregate {
  return { sampleCount: 1, sum: v, minimum: v, maximum: v };
}

/** A minute as `minutes` answers it: compared without the series identity. */
function minuteOf(p: MetricPoint): { minute: number; unit: string | null } & MetricAggregate {
  return { minute: p.minute.getTime(), unit: p.unit, sampleCount: p.sampleCount, sum: p.sum, minimum: p.minimum, maximum: p.maximum };
}

const byKey = (a: MetricSeries, b: MetricSeries) => (seriesKey(a) < seriesKey(b) ? -1 : seriesKey(a) > seriesKey(b) ? 1 : 0);

/** A policy of `g`, with an ARN of Phantom's form. */
function policy(g: Group, name: string, policyType: PolicyType, spec: Record<string, unknown> = {}): ScalingPolicy {
  return {
    groupId: g.id,
    groupName: g.name,
    name,
    arn: `arn:phantom:autoscaling:phantom:123456789012:scalingPolicy:${randomUUID()}:autoScalingGroupName/${g.name}:policyName/${name}`,
    policyType,
    spec: { PolicyType: policyType, Enabled: true, ...spec },
  };
}

const simpleSpec = { AdjustmentType: "ChangeInCapacity", ScalingAdjustment: 1 };
const stepSpec = { AdjustmentType: "ChangeInCapacity", StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }], MetricAggregationType: "Average" };
const ttSpec = {
  TargetTrackingConfiguration: {
    TargetValue: 50,
    DisableScaleIn: false,
    CustomizedMetricSpecification: { MetricName: "Load", Namespace: "App", Statistic: "Average" },
  },
};

/** Registers the metric and policy conformance tests for `target`. */
export function metricStoreCases(target: StoreTarget): void {
  describe(`Metric and policy store conformance on ${target.name}`, { skip: target.skip ?? false }, () => {
    async function open(t: TestContext): Promise<Store> {
      const { store } = await target.fresh();
      t.after(() => store.close());
      return store;
    }

    /** A fresh store with users `names`; resolves with their ids in order. */
    async function openWithUsers(t: TestContext, names: readonly string[]): Promise<{ store: Store; ids: string[] }> {
      const store = await open(t);
      const ids: string[] = [];
      for (const name of names) ids.push(await addUser(store, name));
      return { store, ids };
    }

    /** Every series of the user under `filter`, walked `limit` at a time; asserts the keys increase. */
    async function listAll(store: Store, userId: string, filter: MetricFilter, limit: number): Promise<{ items: MetricSeries[]; pages: number }> {
      const items: MetricSeries[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.metrics.list(userId, filter, { ...(after !== undefined ? { after } : {}), limit });
        pages++;
        assert.ok(page.items.length <= limit, `page ${pages} has ${page.items.length} series, more than ${limit}`);
        if (page.next !== null) {
          assert.equal(page.items.length, limit, `page ${pages} is short but has a next key`);
          if (after !== undefined) assert.ok(page.next > after, `next key ${page.next} is not after ${after}`);
        }
        items.push(...page.items);
        if (page.next === null) break;
        after = page.next;
        assert.ok(pages < 1000, "listing does not end");
      }
      const keys = items.map(seriesKey);
      for (let i = 1; i < keys.length; i++) assert.ok(keys[i]! > keys[i - 1]!, `keys not strictly increasing at ${i}: ${keys[i - 1]} then ${keys[i]}`);
      return { items, pages };
    }

    describe("metrics", () => {
      const cpu = series("App", "Cpu", { Host: "h1" });
      const cpuH2 = series("App", "Cpu", { Host: "h2" });

      it("stores points and reads a series' minutes back in [from, to), ordered by time, exact dimensions only", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        const cpuRoleWeb = series("App", "Cpu", { Host: "h1", Role: "web" });
        await store.metrics.put(
          alice,
          [
            point(cpu, T0 + MINUTE, { sampleCount: 3, sum: 4.5, minimum: 0.5, maximum: 2.5 }, "Percent"),
            point(cpu, T0, one(7), null),
            point(cpuH2, T0, one(99), "Count"),
            point(cpuRoleWeb, T0, one(-1.25), "Seconds"),
          ],
          at(T0 + 2 * MINUTE),
          100,
        );
        const minutes = await store.metrics.minutes(alice, cpu, at(T0), at(T0 + 2 * MINUTE));
        assert.deepEqual(minutes.map(minuteOf), [
          { minute: T0, unit: null, sampleCount: 1, sum: 7, minimum: 7, maximum: 7 },
          { minute: T0 + MINUTE, unit: "Percent", sampleCount: 3, sum: 4.5, minimum: 0.5, maximum: 2.5 },
        ]);
        for (const m of minutes) {
          assert.equal(m.namespace, "App");
          assert.equal(m.metricName, "Cpu");
          assert.deepEqual(m.dimensions, [{ name: "Host", value: "h1" }]);
        }
        // `to` is exclusive, `from` inclusive.
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(T0), at(T0 + MINUTE))).map((m) => m.minute.getTime()), [T0]);
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(T0 + MINUTE), at(T0 + 10 * MINUTE))).map((m) => m.minute.getTime()), [T0 + MINUTE]);
        assert.deepEqual(await store.metrics.minutes(alice, cpu, at(T0 - 10 * MINUTE), at(T0)), []);
        // Exact dimensions: the series with one more dimension is another series.
        assert.deepEqual((await store.metrics.minutes(alice, cpuRoleWeb, at(T0), at(T0 + MINUTE))).map(minuteOf), [
          { minute: T0, unit: "Seconds", sampleCount: 1, sum: -1.25, minimum: -1.25, maximum: -1.25 },
        ]);
        assert.deepEqual(await store.metrics.minutes(alice, series("App", "Cpu"), at(T0), at(T0 + 2 * MINUTE)), []);
        assert.deepEqual(await store.metrics.minutes(alice, series("Other", "Cpu", { Host: "h1" }), at(T0), at(T0 + 2 * MINUTE)), []);
      });

      it("merges a put into the minute that exists: counts and sums add, minimum and maximum widen, the unit stays unless a new one comes", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        await store.metrics.put(alice, [point(cpu, T0, { sampleCount: 2, sum: 10, minimum: 3, maximum: 7 }, "Percent")], at(T0), 10);
        await store.metrics.put(alice, [point(cpu, T0, { sampleCount: 1, sum: 20, minimum: 1, maximum: 20 }, null)], at(T0 + 1000), 10);
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(T0), at(T0 + MINUTE))).map(minuteOf), [
          { minute: T0, unit: "Percent", sampleCount: 3, sum: 30, minimum: 1, maximum: 20 },
        ]);
        // A value inside the range widens nothing; a later unit replaces the earlier one.
        await store.metrics.put(alice, [point(cpu, T0, { sampleCount: 4, sum: 8, minimum: 2, maximum: 2 }, "Count")], at(T0 + 2000), 10);
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(T0), at(T0 + MINUTE))).map(minuteOf), [
          { minute: T0, unit: "Count", sampleCount: 7, sum: 38, minimum: 1, maximum: 20 },
        ]);
        // Another minute of the same series is a point of its own.
        await store.metrics.put(alice, [point(cpu, T0 + MINUTE, one(5))], at(T0 + MINUTE), 10);
        assert.equal((await store.metrics.minutes(alice, cpu, at(T0), at(T0 + 2 * MINUTE))).length, 2);
        const { items } = await store.metrics.list(alice, {}, { limit: 10 });
        assert.deepEqual(items, [cpu]);
      });

      it("keeps users apart: the same series names hold each user's own values, listings and limits", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        await store.metrics.put(alice, [point(cpu, T0, one(1), "Percent")], at(T0), 1);
        await store.metrics.put(bob, [point(cpu, T0, one(50), "Count"), point(cpuH2, T0, one(60))], at(T0), 2);
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(T0), at(T0 + MINUTE))).map(minuteOf), [
          { minute: T0, unit: "Percent", sampleCount: 1, sum: 1, minimum: 1, maximum: 1 },
        ]);
        assert.deepEqual((await store.metrics.minutes(bob, cpu, at(T0), at(T0 + MINUTE))).map(minuteOf), [
          { minute: T0, unit: "Count", sampleCount: 1, sum: 50, minimum: 50, maximum: 50 },
        ]);
        assert.deepEqual(await store.metrics.minutes(alice, cpuH2, at(T0), at(T0 + MINUTE)), []);
        assert.deepEqual((await store.metrics.list(alice, {}, { limit: 10 })).items, [cpu]);
        assert.deepEqual((await store.metrics.list(bob, {}, { limit: 10 })).items, [cpu, cpuH2]);
        // Bob's two series do not count toward alice's limit of one: her known series still takes a put.
        await store.metrics.put(alice, [point(cpu, T0 + MINUTE, one(2))], at(T0 + MINUTE), 1);
        assert.equal((await store.metrics.minutes(alice, cpu, at(T0), at(T0 + 2 * MINUTE))).length, 2);
        assert.equal((await store.metrics.minutes(bob, cpu, at(T0), at(T0 + 2 * MINUTE))).length, 1);
      });

      it("refuses a put that would exceed the series limit with LimitExceededError, storing none of it", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        const a = series("App", "A");
        const b = series("App", "B");
        const c = series("App", "C");
        const d = series("App", "D");
        await store.metrics.put(alice, [point(a, T0, one(1)), point(b, T0, one(2))], at(T0), 3);
        // Two new series (C, D) on top of two: four > three. The known A's point must not land either.
        await assert.rejects(
          store.metrics.put(alice, [point(a, T0, one(100)), point(a, T0 + 10 * MINUTE, one(5)), point(c, T0 + 10 * MINUTE, one(3)), point(d, T0 + 10 * MINUTE, one(4))], at(T0 + 10 * MINUTE), 3),
          (e: unknown) => {
            assert.ok(e instanceof LimitExceededError, `expected LimitExceededError, got ${String(e)}`);
            assert.equal(e.code, "LimitExceeded");
            assert.match(e.message, /4 metric series; the limit is 3/);
            return true;
          },
        );
        assert.deepEqual((await store.metrics.list(alice, {}, { limit: 10 })).items, [a, b]);
        assert.deepEqual((await store.metrics.minutes(alice, a, at(T0), at(T0 + 20 * MINUTE))).map(minuteOf), [
          { minute: T0, unit: null, sampleCount: 1, sum: 1, minimum: 1, maximum: 1 },
        ]);
        assert.deepEqual(await store.metrics.minutes(alice, c, at(T0), at(T0 + 20 * MINUTE)), []);
        // The refused put did not count as a put of A: A is as stale as B.
        assert.equal(await store.metrics.prune(at(T0 + 5 * MINUTE)), 2);
        assert.deepEqual((await store.metrics.list(alice, {}, { limit: 10 })).items, []);
      });

      it("takes a put at the limit when it brings no new series, or exactly fills the limit", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        const a = series("App", "A");
        const b = series("App", "B");
        const c = series("App", "C");
        await store.metrics.put(alice, [point(a, T0, one(1)), point(b, T0, one(2))], at(T0), 3);
        await store.metrics.put(alice, [point(c, T0, one(3)), point(a, T0, one(4))], at(T0), 3);
        assert.deepEqual((await store.metrics.list(alice, {}, { limit: 10 })).items, [a, b, c]);
        await store.metrics.put(alice, [point(a, T0 + MINUTE, one(5)), point(b, T0 + MINUTE, one(6)), point(c, T0 + MINUTE, one(7))], at(T0 + MINUTE), 3);
        assert.equal((await store.metrics.minutes(alice, c, at(T0), at(T0 + 2 * MINUTE))).length, 2);
        assert.deepEqual((await store.metrics.minutes(alice, a, at(T0), at(T0 + MINUTE))).map((m) => m.sum), [5]);
        // One more new series does not fit; a lowered limit refuses new series but still takes known ones.
        await assert.rejects(store.metrics.put(alice, [point(series("App", "D"), T0, one(1))], at(T0), 3), LimitExceededError);
        await store.metrics.put(alice, [point(a, T0 + 2 * MINUTE, one(8))], at(T0 + 2 * MINUTE), 1);
        assert.equal((await store.metrics.minutes(alice, a, at(T0), at(T0 + 3 * MINUTE))).length, 3);
        // An empty put is nothing.
        await store.metrics.put(alice, [], at(T0), 0);
        assert.equal((await store.metrics.list(alice, {}, { limit: 10 })).items.length, 3);
      });

      it("commits puts made together as one group: every datum merged, a put over the series limit refused alone", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const cpu = series("App", "Cpu");
        // 60 puts at once (one group commit or a few): all land in one minute row of one series.
        const puts = Array.from({ length: 60 }, (_, i) =>
          store.metrics.put(i % 2 === 0 ? alice : bob, [point(cpu, T0, { sampleCount: 1, sum: i, minimum: i, maximum: i }, i === 59 ? "Percent" : null)], at(T0), 2),
        );
        // Alice's third series would pass her limit of 2: that put alone fails.
        const over = store.metrics.put(alice, [point(series("App", "B"), T0, one(1)), point(series("App", "C"), T0, one(1))], at(T0), 2);
        const after = store.metrics.put(alice, [point(series("App", "B"), T0, one(7))], at(T0), 2);
        await Promise.all(puts);
        await assert.rejects(over, LimitExceededError);
        await after;
        const [aliceMinute] = await store.metrics.minutes(alice, cpu, at(T0), at(T0 + MINUTE));
        assert.deepEqual(
          [aliceMinute?.sampleCount, aliceMinute?.sum, aliceMinute?.minimum, aliceMinute?.maximum],
          [30, Array.from({ length: 30 }, (_, k) => 2 * k).reduce((a, b) => a + b, 0), 0, 58],
        );
        const [bobMinute] = await store.metrics.minutes(bob, cpu, at(T0), at(T0 + MINUTE));
        assert.deepEqual([bobMinute?.sampleCount, bobMinute?.maximum, bobMinute?.unit], [30, 59, "Percent"]);
        assert.deepEqual(
          (await store.metrics.list(alice, {}, { limit: 10 })).items.map((x) => x.metricName),
          ["B", "Cpu"],
        );
      });

      it("a put of a user removed since fails alone: the others committed with it in one group are kept", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const cpu = series("App", "Cpu");
        // Bob's series is remembered as written, so his next put is not read back first.
        await store.metrics.put(bob, [point(cpu, T0, one(1))], at(T0), 10);
        assert.equal(await store.users.removeUser("bob"), true);
        const [alicePut, bobPut] = await Promise.allSettled([
          store.metrics.put(alice, [point(cpu, T0, one(5))], at(T0 + 1_000), 10),
          store.metrics.put(bob, [point(cpu, T0, one(6))], at(T0 + 1_000), 10),
        ]);
        assert.equal(alicePut.status, "fulfilled", String(alicePut.status === "rejected" && alicePut.reason));
        assert.equal(bobPut.status, "rejected");
        const [minute] = await store.metrics.minutes(alice, cpu, at(T0), at(T0 + MINUTE));
        assert.equal(minute?.sum, 5);
      });

      it(
        "keeps the series limit under concurrent puts",
        target.concurrentWriters ? {} : { skip: "this database serializes writers in one process" },
        async (t) => {
          const { store, ids } = await openWithUsers(t, ["alice"]);
          const [alice] = ids as [string];
          const puts = Array.from({ length: 8 }, (_, i) => store.metrics.put(alice, [point(series("App", `M${i}`), T0, one(i))], at(T0), 3));
          const results = await Promise.allSettled(puts);
          const listed = (await store.metrics.list(alice, {}, { limit: 100 })).items;
          assert.ok(listed.length <= 3, `the user has ${listed.length} series with a limit of 3`);
          assert.equal(results.filter((r) => r.status === "fulfilled").length, listed.length);
          for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof LimitExceededError, String(r.reason));
        },
      );

      describe("listing", () => {
        const all = [
          series("App/A", "Cpu", { Host: "h1" }),
          series("App/A", "Cpu", { Host: "h2" }),
          series("App/A", "Cpu", { Host: "h1", Role: "web" }),
          series("App/A", "Mem", { Host: "h1" }),
          series("App/A", "Mem"),
          series("App/B", "Cpu", { Host: "h1" }),
          series("App/B", "Cpu", { Role: "db" }),
          series("App/B", "Disk", { Host: "h3", Role: "web" }),
        ];

        async function seeded(t: TestContext) {
          const opened = await openWithUsers(t, ["alice", "bob"]);
          const [alice, bob] = opened.ids as [string, string];
          await opened.store.metrics.put(alice, all.map((s, i) => point(s, T0, one(i))), at(T0), 100);
          // Bob's series match every filter below; none may show in alice's listings.
          await opened.store.metrics.put(bob, [point(series("App/A", "Cpu", { Host: "h9", Role: "web" }), T0, one(1))], at(T0), 100);
          return { store: opened.store, alice, bob };
        }

        const filters: [string, MetricFilter, (s: MetricSeries) => boolean][] = [
          ["no filter", {}, () => true],
          ["a namespace", { namespace: "App/A" }, (s) => s.namespace === "App/A"],
          ["a metric name", { metricName: "Cpu" }, (s) => s.metricName === "Cpu"],
          ["namespace and name", { namespace: "App/B", metricName: "Cpu" }, (s) => s.namespace === "App/B" && s.metricName === "Cpu"],
          ["a dimension name", { dimensions: [{ name: "Role" }] }, (s) => s.dimensions.some((d) => d.name === "Role")],
          ["a dimension name and value", { dimensions: [{ name: "Host", value: "h1" }] }, (s) => s.dimensions.some((d) => d.name === "Host" && d.value === "h1")],
          [
            "two dimensions, all must hold",
            { dimensions: [{ name: "Host", value: "h1" }, { name: "Role" }] },
            (s) => s.dimensions.some((d) => d.name === "Host" && d.value === "h1") && s.dimensions.some((d) => d.name === "Role"),
          ],
          [
            "namespace, name and dimension value",
            { namespace: "App/A", metricName: "Cpu", dimensions: [{ name: "Host", value: "h2" }] },
            (s) => s.namespace === "App/A" && s.metricName === "Cpu" && s.dimensions.some((d) => d.name === "Host" && d.value === "h2"),
          ],
          ["a value no series has", { dimensions: [{ name: "Host", value: "nope" }] }, () => false],
          ["a namespace no series has", { namespace: "App/C" }, () => false],
        ];
        for (const [label, filter, wanted] of filters) {
          it(`filters by ${label}, ordered by identity, one series at a time and all at once`, async (t) => {
            const { store, alice } = await seeded(t);
            const expected = all.filter(wanted).sort(byKey);
            if (label !== "a value no series has" && label !== "a namespace no series has") assert.ok(expected.length > 0);
            const whole = await store.metrics.list(alice, filter, { limit: 100 });
            assert.deepEqual(whole, { items: expected, next: null });
            const paged = await listAll(store, alice, filter, 1);
            assert.deepEqual(paged.items, expected);
            assert.equal(paged.pages, Math.max(1, expected.length));
          });
        }

        it("pages over many series (several read batches) without duplicates or gaps, also under a sparse dimension filter", async (t) => {
          const { store, ids } = await openWithUsers(t, ["alice"]);
          const [alice] = ids as [string];
          const many: MetricSeries[] = [];
          for (let i = 0; i < 1234; i++) {
            const dims: Record<string, string> = { Host: `h${String(i).padStart(4, "0")}` };
            if (i % 101 === 7) dims.Pick = "yes";
            many.push(series(i % 2 === 0 ? "Fleet" : "Fleet/Odd", "Load", dims));
          }
          await store.metrics.put(alice, many.map((s) => point(s, T0, one(1))), at(T0), 10_000);
          const everything = await listAll(store, alice, {}, 100);
          assert.equal(everything.items.length, many.length);
          assert.deepEqual(everything.items, [...many].sort(byKey));
          assert.equal(everything.pages, 13);

          const picked = many.filter((s) => s.dimensions.some((d) => d.name === "Pick")).sort(byKey);
          assert.equal(picked.length, 13);
          const sparse = await listAll(store, alice, { dimensions: [{ name: "Pick", value: "yes" }] }, 4);
          assert.deepEqual(sparse.items, picked);
          assert.equal(sparse.pages, 4);
          const odd = await listAll(store, alice, { namespace: "Fleet/Odd" }, 250);
          assert.deepEqual(odd.items, many.filter((s) => s.namespace === "Fleet/Odd").sort(byKey));
        });
      });

      it("recent(since) returns every user's minutes at or after since, each with its owner", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        await store.metrics.put(alice, [point(cpu, T0 - 2 * MINUTE, one(1)), point(cpu, T0, one(2), "Percent"), point(cpuH2, T0 + MINUTE, one(3))], at(T0 + MINUTE), 10);
        await store.metrics.put(bob, [point(cpu, T0 - MINUTE, one(4)), point(cpu, T0 + MINUTE, { sampleCount: 2, sum: 9, minimum: 4, maximum: 5 }, "Count")], at(T0 + MINUTE), 10);
        const recent = await store.metrics.recent(at(T0));
        const shown = recent
          .map((p) => ({ userId: p.userId, key: seriesKey(p), ...minuteOf(p) }))
          .sort((a, b) => (a.userId + a.key + a.minute < b.userId + b.key + b.minute ? -1 : 1));
        const expected = [
          { userId: alice, key: seriesKey(cpu), minute: T0, unit: "Percent", sampleCount: 1, sum: 2, minimum: 2, maximum: 2 },
          { userId: alice, key: seriesKey(cpuH2), minute: T0 + MINUTE, unit: null, sampleCount: 1, sum: 3, minimum: 3, maximum: 3 },
          { userId: bob, key: seriesKey(cpu), minute: T0 + MINUTE, unit: "Count", sampleCount: 2, sum: 9, minimum: 4, maximum: 5 },
        ].sort((a, b) => (a.userId + a.key + a.minute < b.userId + b.key + b.minute ? -1 : 1));
        assert.deepEqual(shown, expected);
        assert.equal((await store.metrics.recent(at(T0 - 10 * MINUTE))).length, 5);
        assert.deepEqual(await store.metrics.recent(at(T0 + 2 * MINUTE)), []);
        // Narrowed to some metrics: only those users' series of those names, any dimensions.
        const narrowed = await store.metrics.recent(at(T0 - 10 * MINUTE), [
          { userId: alice, namespace: cpu.namespace, metricName: cpu.metricName },
          { userId: alice, namespace: cpu.namespace, metricName: cpu.metricName },
          { userId: bob, namespace: "Nowhere", metricName: cpu.metricName },
        ]);
        const row = (p: { userId: string; minute: Date } & MetricSeries) => `${p.userId} ${seriesKey(p)} ${p.minute.getTime()}`;
        const alices = (await store.metrics.recent(at(T0 - 10 * MINUTE))).filter((p) => p.userId === alice);
        assert.equal(alices.length, 3);
        assert.deepEqual(narrowed.map(row).sort(), alices.map(row).sort());
        assert.deepEqual(await store.metrics.recent(at(T0 - 10 * MINUTE), []), []);
      });

      it("prune forgets minutes before the horizon and series with no put since, and counts the minutes removed", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const stale = series("App", "Stale");
        // cpu: put recently, one old minute and one recent one. stale: put long ago.
        await store.metrics.put(alice, [point(stale, T0 - 60 * MINUTE, one(1)), point(stale, T0 - 59 * MINUTE, one(1))], at(T0 - 59 * MINUTE), 10);
        await store.metrics.put(alice, [point(cpu, T0 - 30 * MINUTE, one(2)), point(cpu, T0, one(3))], at(T0), 10);
        await store.metrics.put(bob, [point(cpu, T0 - 20 * MINUTE, one(4)), point(cpu, T0 - 5 * MINUTE, one(5))], at(T0 - 5 * MINUTE), 10);

        assert.equal(await store.metrics.prune(at(T0 - 10 * MINUTE)), 4);
        assert.deepEqual((await store.metrics.list(alice, {}, { limit: 10 })).items, [cpu]);
        assert.deepEqual((await store.metrics.list(bob, {}, { limit: 10 })).items, [cpu]);
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(0), at(T0 + MINUTE))).map((m) => m.minute.getTime()), [T0]);
        assert.deepEqual((await store.metrics.minutes(bob, cpu, at(0), at(T0 + MINUTE))).map((m) => m.minute.getTime()), [T0 - 5 * MINUTE]);
        assert.deepEqual(await store.metrics.minutes(alice, stale, at(0), at(T0 + MINUTE)), []);
        assert.equal((await store.metrics.recent(at(0))).length, 2);
        // Nothing left to prune.
        assert.equal(await store.metrics.prune(at(T0 - 10 * MINUTE)), 0);

        // A forgotten series starts afresh: it counts against the limit again, as new.
        await store.metrics.put(alice, [point(stale, T0, one(9))], at(T0), 2);
        await assert.rejects(store.metrics.put(alice, [point(series("App", "Third"), T0, one(9))], at(T0), 2), LimitExceededError);
      });

      it("a series pruned and put again within the minute is made anew, whatever the store remembered of it", async (t) => {
        const { store, ids } = await openWithUsers(t, ["alice"]);
        const [alice] = ids as [string];
        await store.metrics.put(alice, [point(cpu, T0, one(1))], at(T0), 10);
        // The horizon just after that put: the series goes. The store had it as written a moment
        // ago (which spares reading it again within the minute), so it must forget it too.
        assert.equal(await store.metrics.prune(at(T0 + 1)), 1);
        await store.metrics.put(alice, [point(cpu, T0 + MINUTE, one(2))], at(T0 + 30_000), 10);
        assert.deepEqual((await store.metrics.list(alice, {}, { limit: 10 })).items, [cpu]);
        assert.deepEqual((await store.metrics.minutes(alice, cpu, at(0), at(T0 + 2 * MINUTE))).map((m) => [m.minute.getTime(), m.sum]), [[T0 + MINUTE, 2]]);
      });

      it(
        "prune counts the minutes of a forgotten series that were not old themselves",
        async (t) => {
          const { store, ids } = await openWithUsers(t, ["alice"]);
          const [alice] = ids as [string];
          // Put 30 minutes ago with a timestamp 10 minutes ahead of the put (CloudWatch allows up to two hours).
          const early = series("App", "Early");
          await store.metrics.put(alice, [point(early, T0 - 20 * MINUTE, one(1))], at(T0 - 30 * MINUTE), 10);
          // The horizon is after the put but before the minute: the series goes, and its one minute with it.
          const removed = await store.metrics.prune(at(T0 - 25 * MINUTE));
          assert.deepEqual(await store.metrics.recent(at(0)), []);
          assert.equal(removed, 1);
        },
      );
    });

    describe("scaling policies", () => {
      /** Alice and bob, each with the groups `names` (launch configuration web@s1). */
      async function openWithGroups(t: TestContext, names: readonly string[]) {
        const { store, ids } = await openWithUsers(t, ["alice", "bob"]);
        const [alice, bob] = ids as [string, string];
        const groups: Record<string, Record<string, Group>> = { [alice]: {}, [bob]: {} };
        for (const userId of [alice, bob]) {
          await store.write(userId, async (tx) => {
            await tx.insertLaunchConfiguration(launchConfiguration("web", "s1"));
            for (const name of names) {
              const g = group(name);
              await tx.insertGroup(g);
              groups[userId]![name] = g;
            }
          });
        }
        return { store, alice, bob, groups: groups[alice]!, bobGroups: groups[bob]! };
      }

      const names = (ps: readonly ScalingPolicy[]) => ps.map((p) => `${p.groupName}/${p.name}`);

      it("puts policies and lists them by group, name, ARN and type, ordered by group then name", async (t) => {
        const { store, alice, groups } = await openWithGroups(t, ["g-b", "g-a"]);
        const ga = groups["g-a"]!;
        const gb = groups["g-b"]!;
        const put = [
          policy(gb, "up", "SimpleScaling", simpleSpec),
          policy(ga, "track", "TargetTrackingScaling", ttSpec),
          policy(ga, "step", "StepScaling", stepSpec),
          policy(gb, "down", "SimpleScaling", { ...simpleSpec, ScalingAdjustment: -1 }),
          policy(ga, "Up", "SimpleScaling", simpleSpec),
        ];
        for (const p of put) assert.deepEqual(await store.write(alice, (tx) => tx.putPolicy(p)), p);
        const reads = store.reads(alice);
        const everything = await reads.listPolicies({}, { limit: 50 });
        assert.equal(everything.next, null);
        assert.deepEqual(names(everything.items), ["g-a/Up", "g-a/step", "g-a/track", "g-b/down", "g-b/up"]);
        // Each listed policy is exactly what was put.
        for (const p of everything.items) assert.deepEqual(p, put.find((q) => q.groupId === p.groupId && q.name === p.name));

        assert.deepEqual(names((await reads.listPolicies({ groupName: "g-b" }, { limit: 50 })).items), ["g-b/down", "g-b/up"]);
        assert.deepEqual(names((await reads.listPolicies({ groupName: "nope" }, { limit: 50 })).items), []);
        assert.deepEqual(names((await reads.listPolicies({ names: ["up", "step", "missing"] }, { limit: 50 })).items), ["g-a/step", "g-b/up"]);
        assert.deepEqual(names((await reads.listPolicies({ groupName: "g-a", names: ["up", "Up"] }, { limit: 50 })).items), ["g-a/Up"]);
        const trackArn = put[1]!.arn;
        assert.deepEqual(names((await reads.listPolicies({ names: [trackArn, "down"] }, { limit: 50 })).items), ["g-a/track", "g-b/down"]);
        assert.deepEqual(names((await reads.listPolicies({ groupName: "g-b", names: [trackArn] }, { limit: 50 })).items), []);
        assert.deepEqual(names((await reads.listPolicies({ types: ["SimpleScaling"] }, { limit: 50 })).items), ["g-a/Up", "g-b/down", "g-b/up"]);
        assert.deepEqual(names((await reads.listPolicies({ types: ["StepScaling", "TargetTrackingScaling"] }, { limit: 50 })).items), ["g-a/step", "g-a/track"]);
        assert.deepEqual(names((await reads.listPolicies({ groupName: "g-a", types: ["SimpleScaling"] }, { limit: 50 })).items), ["g-a/Up"]);
        assert.deepEqual((await reads.listPolicies({ names: [] }, { limit: 50 })).items, []);
        assert.deepEqual((await reads.listPolicies({ types: [] }, { limit: 50 })).items, []);
        // Reads inside a write transaction see the same.
        assert.deepEqual(names(await store.write(alice, async (tx) => (await tx.listPolicies({ groupName: "g-a" }, { limit: 50 })).items)), [
          "g-a/Up",
          "g-a/step",
          "g-a/track",
        ]);
      });

      it("pages through policies across groups without duplicates or gaps", async (t) => {
        const { store, alice, groups } = await openWithGroups(t, ["g1", "g2", "g3"]);
        const expected: string[] = [];
        await store.write(alice, async (tx) => {
          for (const g of ["g1", "g2", "g3"]) {
            for (const n of ["p1", "p2", "p3", "p4"]) {
              await tx.putPolicy(policy(groups[g]!, n, "SimpleScaling", simpleSpec));
              expected.push(`${g}/${n}`);
            }
          }
        });
        for (const limit of [1, 5, 12]) {
          const seen: string[] = [];
          let after: string | undefined;
          let pages = 0;
          for (;;) {
            const page = await store.reads(alice).listPolicies({}, { ...(after !== undefined ? { after } : {}), limit });
            pages++;
            seen.push(...names(page.items));
            if (page.next === null) break;
            assert.equal(page.items.length, limit);
            after = page.next;
            assert.ok(pages < 100);
          }
          assert.deepEqual(seen, expected, `limit ${limit}`);
          assert.equal(pages, Math.ceil(expected.length / limit), `limit ${limit}`);
        }
        // Paging under a filter.
        const first = await store.reads(alice).listPolicies({ names: ["p2"] }, { limit: 2 });
        assert.deepEqual(names(first.items), ["g1/p2", "g2/p2"]);
        assert.notEqual(first.next, null);
        const second = await store.reads(alice).listPolicies({ names: ["p2"] }, { after: first.next!, limit: 2 });
        assert.deepEqual(second, { items: [second.items[0]!], next: null });
        assert.deepEqual(names(second.items), ["g3/p2"]);
      });

      it("replaces the type and spec of a policy that exists, keeping its ARN", async (t) => {
        const { store, alice, groups } = await openWithGroups(t, ["g1"]);
        const g = groups.g1!;
        const first = policy(g, "p", "SimpleScaling", simpleSpec);
        await store.write(alice, (tx) => tx.putPolicy(first));
        const second = policy(g, "p", "StepScaling", stepSpec);
        assert.notEqual(second.arn, first.arn);
        const stored = await store.write(alice, (tx) => tx.putPolicy(second));
        assert.deepEqual(stored, { ...second, arn: first.arn });
        const { items } = await store.reads(alice).listPolicies({}, { limit: 10 });
        assert.deepEqual(items, [{ ...second, arn: first.arn }]);
        // The old ARN still finds it; the new one was never stored.
        assert.equal((await store.reads(alice).listPolicies({ names: [first.arn] }, { limit: 10 })).items.length, 1);
        assert.equal((await store.reads(alice).listPolicies({ names: [second.arn] }, { limit: 10 })).items.length, 0);
      });

      it("deletes a policy of one group only, answering whether there was one", async (t) => {
        const { store, alice, bob, groups, bobGroups } = await openWithGroups(t, ["g1", "g2"]);
        await store.write(alice, async (tx) => {
          await tx.putPolicy(policy(groups.g1!, "p", "SimpleScaling", simpleSpec));
          await tx.putPolicy(policy(groups.g2!, "p", "SimpleScaling", simpleSpec));
        });
        // Bob cannot delete alice's policy, even naming her group's id.
        assert.equal(await store.write(bob, (tx) => tx.deletePolicy(groups.g1!.id, "p")), false);
        assert.equal(await store.write(bob, (tx) => tx.deletePolicy(bobGroups.g1!.id, "p")), false);
        assert.equal(await store.write(alice, (tx) => tx.deletePolicy(groups.g1!.id, "p")), true);
        assert.equal(await store.write(alice, (tx) => tx.deletePolicy(groups.g1!.id, "p")), false);
        assert.equal(await store.write(alice, (tx) => tx.deletePolicy(groups.g1!.id, "never")), false);
        assert.deepEqual(names((await store.reads(alice).listPolicies({}, { limit: 10 })).items), ["g2/p"]);
      });

      it("keeps users' policies apart: same group and policy names, each sees their own", async (t) => {
        const { store, alice, bob, groups, bobGroups } = await openWithGroups(t, ["g1"]);
        const mine = policy(groups.g1!, "p", "SimpleScaling", simpleSpec);
        const theirs = policy(bobGroups.g1!, "p", "StepScaling", stepSpec);
        await store.write(alice, (tx) => tx.putPolicy(mine));
        await store.write(bob, (tx) => tx.putPolicy(theirs));
        assert.deepEqual((await store.reads(alice).listPolicies({}, { limit: 10 })).items, [mine]);
        assert.deepEqual((await store.reads(bob).listPolicies({}, { limit: 10 })).items, [theirs]);
        assert.deepEqual((await store.reads(bob).listPolicies({ names: [mine.arn] }, { limit: 10 })).items, []);
        // A policy for another user's group cannot be stored.
        await assert.rejects(store.write(bob, (tx) => tx.putPolicy(policy(groups.g1!, "sneaky", "SimpleScaling", simpleSpec))));
        assert.deepEqual((await store.reads(alice).listPolicies({}, { limit: 10 })).items, [mine]);
      });

      it("removes a group's policies with the group", async (t) => {
        const { store, alice, groups } = await openWithGroups(t, ["g1", "g2"]);
        await store.write(alice, async (tx) => {
          await tx.putPolicy(policy(groups.g1!, "a", "SimpleScaling", simpleSpec));
          await tx.putPolicy(policy(groups.g1!, "b", "TargetTrackingScaling", ttSpec));
          await tx.putPolicy(policy(groups.g2!, "c", "TargetTrackingScaling", ttSpec));
        });
        await store.write(alice, (tx) => tx.deleteGroup(groups.g1!.id));
        assert.deepEqual(names((await store.reads(alice).listPolicies({}, { limit: 10 })).items), ["g2/c"]);
        assert.deepEqual(
          (await store.controller.loadPolicies(["SimpleScaling", "StepScaling", "TargetTrackingScaling"])).map((p) => `${p.groupName}/${p.name}`),
          ["g2/c"],
        );
        // A new group of the old name starts without policies.
        const again = group("g1");
        await store.write(alice, (tx) => tx.insertGroup(again));
        assert.deepEqual(names((await store.reads(alice).listPolicies({ groupName: "g1" }, { limit: 10 })).items), []);
      });

      it("loadPolicies returns every user's policies of the given types, each with its owner", async (t) => {
        const { store, alice, bob, groups, bobGroups } = await openWithGroups(t, ["g1", "g2"]);
        const aliceTrack = policy(groups.g1!, "track", "TargetTrackingScaling", ttSpec);
        const aliceSimple = policy(groups.g1!, "simple", "SimpleScaling", simpleSpec);
        const aliceStep = policy(groups.g2!, "step", "StepScaling", stepSpec);
        const bobTrack = policy(bobGroups.g2!, "track", "TargetTrackingScaling", { ...ttSpec, EstimatedInstanceWarmup: 60 });
        await store.write(alice, async (tx) => {
          for (const p of [aliceTrack, aliceSimple, aliceStep]) await tx.putPolicy(p);
        });
        await store.write(bob, (tx) => tx.putPolicy(bobTrack));
        const sorted = <T extends ScalingPolicy>(ps: T[]) => [...ps].sort((a, b) => (a.arn < b.arn ? -1 : 1));
        assert.deepEqual(sorted(await store.controller.loadPolicies(["TargetTrackingScaling"])), sorted([
          { ...aliceTrack, userId: alice },
          { ...bobTrack, userId: bob },
        ]));
        assert.deepEqual(sorted(await store.controller.loadPolicies(["SimpleScaling", "StepScaling"])), sorted([
          { ...aliceSimple, userId: alice },
          { ...aliceStep, userId: alice },
        ]));
        assert.deepEqual(await store.controller.loadPolicies([]), []);
      });
    });
  });
}
