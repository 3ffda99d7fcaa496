/**
 * DescribePhantomSites: Phantom's own read-only action (its model is
 * `aws-wire/models/phantom-autoscaling-extensions.json`). Per configured site, in the
 * configuration's order: the user's VMs there by state, whether the site is retired (being
 * emptied, taking no new VMs), and whether it is backing off
 * for this user (until when, after which error) — what the dashboard's clouds page and
 * `phantom status` show, and what no AWS action can say.
 */
import { ValidationError } from "../../core/errors.js";
import type { SiteBackoff } from "../../core/types.js";
import type { SiteInstanceCount } from "../../store/store.js";
import type { Action } from "./action.js";

/** One `PhantomSite` of the answer. */
interface SiteSummary {
  SiteName: string;
  InService: number;
  Pending: number;
  Unhealthy: number;
  Terminating: number;
  Retired: boolean;
  BackingOff: boolean;
  BackoffUntil?: Date;
  BackoffReason?: string;
  ConsecutiveFailures?: number;
}

/**
 * The answer's sites: `counts` tallied per site (an unhealthy VM counts as unhealthy whatever
 * its lifecycle state, terminated ones not at all), whether it is retired, each site's backoff
 * while it lasts.
 */
export function summarizeSites(
  sites: readonly string[],
  retired: ReadonlySet<string>,
  counts: readonly SiteInstanceCount[],
  backoffs: readonly SiteBackoff[],
  now: Date,
): SiteSummary[] {
  const bySite = new Map<string, SiteSummary>(
    sites.map((name) => [name, { SiteName: name, InService: 0, Pending: 0, Unhealthy: 0, Terminating: 0, Retired: retired.has(name), BackingOff: false }]),
  );
  for (const c of counts) {
    const site = bySite.get(c.site);
    if (site === undefined || c.lifecycleState === "Terminated") continue;
    if (c.lifecycleState === "Terminating") site.Terminating += c.count;
    else if (c.healthStatus === "Unhealthy") site.Unhealthy += c.count;
    else site[c.lifecycleState] += c.count;
  }
  for (const b of backoffs) {
    const site = bySite.get(b.site);
    if (site === undefined || b.until.getTime() <= now.getTime()) continue;
    Object.assign(site, { BackingOff: true, BackoffUntil: b.until, BackoffReason: b.lastError, ConsecutiveFailures: b.failures });
  }
  return [...bySite.values()];
}

export const DescribePhantomSites: Action = {
  // Backoffs are the controller's writes, which do not move the user's generation.
  cacheable: false,
  async handle(input, ctx) {
    const all = ctx.settings.catalog.names;
    const wanted = input.SiteNames as string[] | undefined;
    const unknown = wanted?.filter((name) => !all.includes(name)) ?? [];
    if (unknown.length > 0) {
      throw new ValidationError(`No site named ${unknown.join(", ")}; the sites are ${all.join(", ")}.`);
    }
    const reads = ctx.store.reads(ctx.user.id);
    const [counts, backoffs] = await Promise.all([reads.instanceCountsBySite(), reads.siteBackoffs()]);
    const sites = wanted === undefined || wanted.length === 0 ? all : all.filter((name) => wanted.includes(name));
    return { Sites: summarizeSites(sites, new Set(ctx.settings.catalog.retired), counts, backoffs, ctx.now) };
  },
};
