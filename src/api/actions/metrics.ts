/**
 * CloudWatch's metric actions: PutMetricData, GetMetricStatistics, ListMetrics. The rules live
 * in `core/metric-data.ts`; metrics belong to the user who put them.
 */
import { PhantomError } from "../../core/errors.js";
import {
  checkStatisticsQuery,
  datapoints,
  minuteOf,
  pointsToPut,
  seriesOf,
  statisticOf,
  type MetricDatumInput,
  type StatisticsQuery,
} from "../../core/metric-data.js";
import { nextToken, requestedPage } from "../pagination.js";
import { flatPutMetricDataInput } from "./put-metric-data-input.js";
import type { Action } from "./action.js";

type DimensionInput = { readonly Name: string; readonly Value: string };

export const PutMetricData: Action = {
  cacheable: false,
  decodeCommon: flatPutMetricDataInput,
  async handle(input, ctx) {
    const { retentionMs, maxSeriesPerUser } = ctx.settings.metrics;
    const points = pointsToPut(input.Namespace as string, (input.MetricData as MetricDatumInput[] | undefined) ?? [], ctx.now, {
      retentionMs,
    });
    await ctx.store.metrics.put(ctx.user.id, points, ctx.now, maxSeriesPerUser);
    return undefined;
  },
};

export const GetMetricStatistics: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const query = input as unknown as StatisticsQuery & { Namespace: string; MetricName: string; Dimensions?: DimensionInput[]; Unit?: string };
    const statistics = checkStatisticsQuery(query);
    const series = seriesOf(query.Namespace, query.MetricName, query.Dimensions ?? [], "the request");
    // CloudWatch rounds the start down to its minute, so the minute holding StartTime counts.
    const minutes = await ctx.store.metrics.minutes(ctx.user.id, series, new Date(minuteOf(query.StartTime.getTime())), query.EndTime);
    const wanted = query.Unit === undefined ? minutes : minutes.filter((m) => m.unit === query.Unit || (m.unit === null && query.Unit === "None"));
    return {
      Label: query.MetricName,
      Datapoints: datapoints(wanted, query.StartTime, query.EndTime, query.Period).map((d) => {
        const out: Record<string, unknown> = { Timestamp: d.timestamp, Unit: query.Unit ?? d.unit ?? "None" };
        for (const s of statistics) out[s] = statisticOf(d.aggregate, s);
        return out;
      }),
    };
  },
};

const METRIC_PAGE = { defaultSize: 500, maxSize: 500 };

export const ListMetrics: Action = {
  cacheable: false,
  async handle(input, ctx) {
    if (input.IncludeLinkedAccounts === true || input.OwningAccount !== undefined) {
      throw new PhantomError("InvalidParameterValue", "Phantom has no linked accounts: leave IncludeLinkedAccounts and OwningAccount out.");
    }
    const filter = {
      ...(input.Namespace !== undefined ? { namespace: input.Namespace as string } : {}),
      ...(input.MetricName !== undefined ? { metricName: input.MetricName as string } : {}),
      ...(input.Dimensions !== undefined
        ? { dimensions: (input.Dimensions as { Name: string; Value?: string }[]).map((d) => ({ name: d.Name, ...(d.Value !== undefined ? { value: d.Value } : {}) })) }
        : {}),
    };
    const page = requestedPage("ListMetrics", filter, { ...(input.NextToken !== undefined ? { NextToken: input.NextToken as string } : {}) }, METRIC_PAGE);
    const result = await ctx.store.metrics.list(ctx.user.id, filter, page);
    return {
      Metrics: result.items.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: s.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
      })),
      NextToken: nextToken("ListMetrics", filter, result.next),
    };
  },
};

/** The CloudWatch actions, keyed by their AWS name. */
export const MONITORING_ACTIONS: Readonly<Record<string, Action>> = { PutMetricData, GetMetricStatistics, ListMetrics };
