/**
 * Placement: the launches and terminations that bring one group to its desired size across its
 * ordered clouds. Pure: a function of the group, its VMs (already judged by `health.ts`), its
 * launches in flight, which sites may take new VMs, and nothing else. Each decision carries the
 * reason a person will read in the group's scaling activities.
 *
 * The steps, in order:
 * 1. Unhealthy VMs are terminated (and replaced by step 4 in the same pass: termination is
 *    never delayed, nor is the replacement).
 * 2. A deleting group terminates everything.
 * 3. Scale-down: VMs over a site's cap, on a site no longer among the group's clouds, or on a
 *    retired site *leave*: pending ones go at once, those in service once replaced (below);
 *    then, while the group is over its desired size, VMs from the least-preferred site first,
 *    within a site pending before in service, newest first. Make-before-break: a VM in service
 *    is only removed while enough others are in service to cover the desired size, so a VM on
 *    its way back to a preferred site (step 5) is running before its twin goes, and a VM
 *    leaving a site is running elsewhere before it goes. A site whose cap has waited too long
 *    for replacements (`enforceCaps`) sheds its excess at once.
 * 4. Fill: the shortfall (leaving VMs not counted) goes to the sites in order of preference,
 *    each up to its cap, skipping sites that cannot take VMs now (retired, backing off, no
 *    credentials, not listed).
 * 5. Return to the preferred cloud: when the group is whole and a more-preferred site has room
 *    while a less-preferred one holds VMs, a few VMs are launched on the preferred site; step 3
 *    of a later pass then removes their twins once they are in service.
 *
 * Suspended processes (`scaling-processes.ts`) switch steps off: `ReplaceUnhealthy` or
 * `Terminate` step 1 (the unhealthy VMs stay and count), `Terminate` step 3, `Launch` steps 4
 * and 5, `AZRebalance` step 5.
 */
import { TAG_REBALANCE } from "./placement-tags.js";
import { isSuspended } from "./scaling-processes.js";
import type { CloudSlot, ManagedInstance } from "./types.js";

/** The group as placement needs it. */
export interface PlacementGroup {
  readonly desiredCapacity: number;
  readonly clouds: readonly CloudSlot[];
  readonly status: "active" | "deleting";
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  /** AWS members; its `SuspendedProcesses` pause steps (absent: none suspended). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Everything placement decides on. */
export interface PlacementInput {
  readonly group: PlacementGroup;
  readonly instances: readonly ManagedInstance[];
  /** VMs being launched (recorded intents whose cloud call has not returned), per site. */
  readonly launching: ReadonlyMap<string, number>;
  /** Sites that may not take new VMs now, with why (e.g. "is backing off for 30s after …"). */
  readonly blocked: ReadonlyMap<string, string>;
  /** Sites being given up: they take nothing new and their VMs leave, make-before-break. */
  readonly retired?: ReadonlySet<string>;
  /**
   * Sites whose VMs over their cap (or outside the group's clouds) have waited long enough for
   * replacements (see `cap-grace.ts`): the excess goes now, replaced or not.
   */
  readonly enforceCaps?: ReadonlySet<string>;
}

/** Launch `count` VMs on `site`. */
export interface LaunchDecision {
  readonly site: string;
  readonly count: number;
  readonly cause: string;
}

/** Terminate one VM. */
export interface TerminationDecision {
  readonly instance: ManagedInstance;
  readonly cause: string;
}

/** What to do for one group this pass. */
export interface PlacementDecision {
  readonly launches: LaunchDecision[];
  readonly terminations: TerminationDecision[];
  /** Why the group stays short of its desired size, or null when it is not short. */
  readonly shortfall: string | null;
  /**
   * Sites (not retired) keeping VMs over their cap, or outside the group's clouds, until their
   * replacements are in service.
   */
  readonly overCap: string[];
}

/** The share of the desired size that may be in flight back to a preferred site at once. */
const REBALANCE_FRACTION = 0.1;

function cap(slot: CloudSlot | undefined): number {
  if (slot === undefined) return 0;
  return slot.max < 0 ? Infinity : slot.max;
}

/** Pending first, then in service; newest first within each. */
function victimOrder(a: ManagedInstance, b: ManagedInstance): number {
  const pa = a.lifecycleState === "Pending" ? 0 : 1;
  const pb = b.lifecycleState === "Pending" ? 0 : 1;
  if (pa !== pb) return pa - pb;
  return b.launchedAt.getTime() - a.launchedAt.getTime() || (a.id < b.id ? 1 : -1);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Whether the group returns VMs to preferred sites (tag `rebalance`, default true). */
export function rebalanceEnabled(tags: PlacementGroup["tags"]): boolean {
  return tags.find((t) => t.key === TAG_REBALANCE)?.value !== "false";
}

/** Decides one group's launches and terminations. */
export function decidePlacement(input: PlacementInput): PlacementDecision {
  const { group, blocked } = input;
  const terminations: TerminationDecision[] = [];
  const live = input.instances.filter((i) => i.lifecycleState !== "Terminating" && i.lifecycleState !== "Terminated");
  const mayTerminate = !isSuspended(group, "Terminate");
  const mayLaunch = !isSuspended(group, "Launch");

  // 1. Unhealthy VMs go (unless replacing them is suspended: then they stay, and count).
  const replaceUnhealthy = mayTerminate && !isSuspended(group, "ReplaceUnhealthy");
  const healthy: ManagedInstance[] = [];
  for (const i of live) {
    if (i.healthStatus === "Unhealthy" && replaceUnhealthy) {
      terminations.push({ instance: i, cause: `it is unhealthy: ${i.healthReason ?? "marked unhealthy"}` });
    } else {
      healthy.push(i);
    }
  }

  // 2. A deleting group keeps nothing.
  if (group.status === "deleting") {
    for (const i of healthy) terminations.push({ instance: i, cause: "its group is being deleted" });
    return { launches: [], terminations, shortfall: null, overCap: [] };
  }

  // Per-site VMs, in preference order; sites outside `clouds` come last with a cap of 0.
  const slots = new Map(group.clouds.map((c) => [c.site, c]));
  const bySite = new Map<string, ManagedInstance[]>();
  for (const c of group.clouds) bySite.set(c.site, []);
  for (const i of healthy) {
    const list = bySite.get(i.site);
    if (list) list.push(i);
    else bySite.set(i.site, [i]);
  }
  const sites = [...bySite.keys()];
  // VMs chosen to go stay in `bySite` and are counted out here: taking each out of its list
  // would cost the list's length per victim (a group of 100,000 scaled to 0).
  const removed = new Set<ManagedInstance>();
  const removedOn = new Map<string, number>();
  const kept = (site: string) => bySite.get(site)!.length - (removedOn.get(site) ?? 0);
  const launching = (site: string) => input.launching.get(site) ?? 0;
  const onSite = (site: string) => kept(site) + launching(site);
  const desired = group.desiredCapacity;
  let total = sites.reduce((n, s) => n + onSite(s), 0);
  let inService = healthy.filter((i) => i.lifecycleState === "InService").length;

  const retired = input.retired ?? new Set<string>();
  /** VMs in service that leave their site once replaced, with why; not counted in `total`. */
  const leaving = new Map<ManagedInstance, { site: string; cause: string }>();
  let leavingInService = 0;
  const remove = (site: string, victim: ManagedInstance, cause: string) => {
    removed.add(victim);
    removedOn.set(site, (removedOn.get(site) ?? 0) + 1);
    if (leaving.delete(victim)) leavingInService -= 1;
    else total -= 1;
    if (victim.lifecycleState === "InService") inService -= 1;
    terminations.push({ instance: victim, cause });
  };
  /** The VMs on the site that scale-in may take (not protected, not already going). */
  const movable = (site: string) => bySite.get(site)!.filter((i) => !i.protectedFromScaleIn && !removed.has(i));
  const candidates = (site: string) => (mayTerminate ? movable(site).filter((i) => !leaving.has(i)).sort(victimOrder) : []);

  // 3a. Retired sites, caps, and sites that are no longer among the group's clouds.
  for (const site of sites) {
    const slot = slots.get(site);
    let over = onSite(site) - (retired.has(site) ? 0 : cap(slot));
    if (over <= 0) continue;
    const cause = retired.has(site)
      ? `${site} is retired`
      : slot === undefined
        ? `${site} is no longer among the group's clouds`
        : `${site} is over its maximum of ${slot.max}`;
    const now = !retired.has(site) && input.enforceCaps?.has(site) === true;
    for (const victim of candidates(site)) {
      if (over-- <= 0) break;
      if (now || victim.lifecycleState !== "InService") {
        remove(site, victim, now ? `${cause}, and no replacement came into service in time` : cause);
      } else {
        leaving.set(victim, { site, cause: `${cause}; its replacement is in service` });
        leavingInService += 1;
        total -= 1;
      }
    }
  }

  // 3b. Over the desired size: least-preferred site first, make-before-break (VMs leaving
  // their site do not cover the desired size: they go too).
  scaleDown: for (const site of [...sites].reverse()) {
    for (const victim of candidates(site)) {
      if (total <= desired) break scaleDown;
      if (victim.lifecycleState === "InService" && inService - leavingInService - 1 < desired) break scaleDown;
      remove(site, victim, `the group is above its desired capacity of ${desired}; ${site} is its least-preferred site in use`);
    }
  }

  // 3c. Leaving VMs go, in the order chosen, once others in service cover the desired size.
  for (const [victim, { site, cause }] of leaving) {
    if (inService - 1 < desired) break;
    remove(site, victim, cause);
  }
  const leavingSites = [...new Set([...leaving.values()].map((l) => l.site))];
  const overCap = leavingSites.filter((site) => !retired.has(site));

  // 4. Fill the shortfall in order of preference.
  const launches: LaunchDecision[] = [];
  const skipped: string[] = [];
  let shortfall = desired - total;
  if (!mayLaunch && shortfall > 0) skipped.push("the Launch process is suspended");
  for (const c of mayLaunch ? group.clouds : []) {
    if (shortfall <= 0) break;
    const reason = retired.has(c.site) ? "is retired" : blocked.get(c.site);
    if (reason !== undefined) {
      skipped.push(`${c.site} ${reason}`);
      continue;
    }
    const room = cap(c) - onSite(c.site);
    if (room <= 0) {
      skipped.push(`${c.site} is at its maximum of ${c.max}`);
      continue;
    }
    const count = Math.min(room, shortfall);
    const where = skipped.length === 0 ? "" : `${skipped.join("; ")}; `;
    launches.push({ site: c.site, count, cause: `${where}launching ${count} on ${c.site}` });
    shortfall -= count;
    // Filled up: say so to whoever reads why the next site gets the rest.
    if (count === room) skipped.push(`${c.site} is at its maximum of ${c.max}`);
  }
  if (shortfall > 0) {
    const why = skipped.length > 0 ? skipped.join("; ") : "the group has no clouds";
    const moving = leaving.size === 0 ? "" : ` without the ${plural(leaving.size, "VM")} leaving ${leavingSites.join(", ")}`;
    return { launches, terminations, shortfall: `${plural(shortfall, "VM")} short of ${desired}${moving}: ${why}`, overCap };
  }

  // 5. Return to the preferred cloud, a few VMs at a time (not while VMs are leaving a site).
  const mayRebalance = mayLaunch && mayTerminate && !isSuspended(group, "AZRebalance");
  if (launches.length === 0 && leaving.size === 0 && mayRebalance && rebalanceEnabled(group.tags)) {
    const inFlight = Math.max(0, total - desired);
    let budget = Math.max(1, Math.ceil(desired * REBALANCE_FRACTION)) - inFlight;
    for (let p = 0; p < group.clouds.length && budget > 0; p++) {
      const preferred = group.clouds[p]!;
      if (blocked.has(preferred.site) || retired.has(preferred.site)) continue;
      const room = cap(preferred) - onSite(preferred.site);
      // Only VMs that step 3 may remove can move; protected ones stay where they are.
      const movableOn = (site: string) => movable(site).length;
      const below = group.clouds.slice(p + 1).filter((c) => movableOn(c.site) > 0);
      if (room <= 0 || below.length === 0) continue;
      const count = Math.min(room, budget, below.reduce((n, c) => n + movableOn(c.site), 0) - inFlight);
      if (count <= 0) continue;
      const from = below.map((c) => c.site).join(", ");
      launches.push({ site: preferred.site, count, cause: `${preferred.site} has room again; moving ${count} back from ${from}` });
      budget -= count;
    }
  }
  return { launches, terminations, shortfall: null, overCap };
}
