/**
 * The store's metrics: CloudWatch-style series of each user, kept as one aggregate (sample
 * count, sum, minimum, maximum) per series and minute. That bounds the rows at
 * series × retention minutes however fast values arrive, and it is exactly what
 * `GetMetricStatistics` and the scaling decisions need. Metrics are not "resources" of the
 * Auto Scaling API: writing them bumps no generation and appends nothing to the change log.
 */
import type { MetricPoint, MetricSeries } from "../core/types.js";
import type { Page, PageOf } from "./store.js";

/** A point with its owner, as the controller reads them. */
export interface OwnedMetricPoint extends MetricPoint {
  readonly userId: string;
}

/** A user's metric, whatever its dimensions. */
export interface MetricName {
  readonly userId: string;
  readonly namespace: string;
  readonly metricName: string;
}

/** ListMetrics' filter: every given condition holds. */
export interface MetricFilter {
  readonly namespace?: string;
  readonly metricName?: string;
  /** The series has each dimension named, with the value when one is given. */
  readonly dimensions?: readonly { readonly name: string; readonly value?: string }[];
}

/** The user's metrics. */
export interface MetricStore {
  /**
   * Adds the points in one transaction, which may also commit other puts made at the same time
   * (group commit); resolves once it is committed. A point whose series and minute exist
   * already merges into it. Points must be unique per (series, minute) (see `core/metric-data.ts`).
   * @param maxSeries the most series the user may have; a put that would create more fails
   *   whole with a LimitExceededError.
   */
  put(userId: string, points: readonly MetricPoint[], now: Date, maxSeries: number): Promise<void>;
  /** The minutes of one series (exact dimensions) in `[from, to)`, ordered by time. */
  minutes(userId: string, series: MetricSeries, from: Date, to: Date): Promise<MetricPoint[]>;
  /** The user's series, ordered by their identity; `page.after` is the last key seen. */
  list(userId: string, filter: MetricFilter, page: Page): Promise<PageOf<MetricSeries>>;
  /**
   * Every user's minutes at or after `since` (the controller's input); with `metrics`, only
   * those of these (user, namespace, metric name), so series that no group reads cost nothing.
   */
  recent(since: Date, metrics?: readonly MetricName[]): Promise<OwnedMetricPoint[]>;
  /**
   * Forgets minutes that started before `before`, and series that received nothing since.
   * @returns how many minutes were removed.
   */
  prune(before: Date): Promise<number>;
}
