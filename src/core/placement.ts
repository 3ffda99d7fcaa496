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
 * 3. Scale-down: VMs over a site's cap (or on a site no longer among the group's clouds) go
 *    first; then, while the group is over its desired size, VMs from the least-preferred site
 *    first, within a site pending before in service, newest first. Make-before-break: a VM in
 *    service is only removed while enough others are in service to cover the desired size, so
 *    a VM on its way back to a preferred site (step 5) is running before its twin goes.
 * 4. Fill: the shortfall goes to the sites in order of preference, each up to its cap,
 *    skipping sites that cannot take VMs now (backing off, no credentials, not listed).
 * 5. Return to the preferred cloud: when the group is whole and a more-preferred site has room
 *    while a less-preferred one holds VMs, a few VMs are launched on the preferred site; step 3
 *    of a later pass then removes their twins once they are in service.
 */
import { TAG_REBALANCE } from "./placement-tags.js";
import type { CloudSlot, ManagedInstance } from "./types.js";

/** The group as placement needs it. */
export interface PlacementGroup {
  readonly desiredCapacity: number;
  readonly clouds: readonly CloudSlot[];
  readonly status: "active" | "deleting";
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

/** Everything placement decides on. */
export interface PlacementInput {
  readonly group: PlacementGroup;
  readonly instances: readonly ManagedInstance[];
  /** VMs being launched (recorded intents whose cloud call has not returned), per site. */
  readonly launching: ReadonlyMap<string, number>;
  /** Sites that may not take new VMs now, with why (e.g. "is backing off for 30s after …"). */
  readonly blocked: ReadonlyMap<string, string>;
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

  // 1. Unhealthy VMs go.
  const healthy: ManagedInstance[] = [];
  for (const i of live) {
    if (i.healthStatus === "Unhealthy") terminations.push({ instance: i, cause: `it is unhealthy: ${i.healthReason ?? "marked unhealthy"}` });
    else healthy.push(i);
  }

  // 2. A deleting group keeps nothing.
  if (group.status === "deleting") {
    for (const i of healthy) terminations.push({ instance: i, cause: "its group is being deleted" });
    return { launches: [], terminations, shortfall: null };
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
  const launching = (site: string) => input.launching.get(site) ?? 0;
  const onSite = (site: string) => bySite.get(site)!.length + launching(site);
  const desired = group.desiredCapacity;
  let total = sites.reduce((n, s) => n + onSite(s), 0);
  let inService = healthy.filter((i) => i.lifecycleState === "InService").length;

  const remove = (site: string, victim: ManagedInstance, cause: string) => {
    const list = bySite.get(site)!;
    list.splice(list.indexOf(victim), 1);
    total -= 1;
    if (victim.lifecycleState === "InService") inService -= 1;
    terminations.push({ instance: victim, cause });
  };
  const candidates = (site: string) => bySite.get(site)!.filter((i) => !i.protectedFromScaleIn).sort(victimOrder);

  // 3a. Caps (and sites that are no longer among the group's clouds).
  for (const site of sites) {
    const slot = slots.get(site);
    let over = onSite(site) - cap(slot);
    if (over <= 0) continue;
    const cause = slot === undefined ? `${site} is no longer among the group's clouds` : `${site} is over its maximum of ${slot.max}`;
    for (const victim of candidates(site)) {
      if (over-- <= 0) break;
      remove(site, victim, cause);
    }
  }

  // 3b. Over the desired size: least-preferred site first, make-before-break.
  scaleDown: for (const site of [...sites].reverse()) {
    for (const victim of candidates(site)) {
      if (total <= desired) break scaleDown;
      if (victim.lifecycleState === "InService" && inService - 1 < desired) break scaleDown;
      remove(site, victim, `the group is above its desired capacity of ${desired}; ${site} is its least-preferred site in use`);
    }
  }

  // 4. Fill the shortfall in order of preference.
  const launches: LaunchDecision[] = [];
  const skipped: string[] = [];
  let shortfall = desired - total;
  for (const c of group.clouds) {
    if (shortfall <= 0) break;
    const reason = blocked.get(c.site);
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
    return { launches, terminations, shortfall: `${plural(shortfall, "VM")} short of ${desired}: ${why}` };
  }

  // 5. Return to the preferred cloud, a few VMs at a time.
  if (launches.length === 0 && rebalanceEnabled(group.tags)) {
    const inFlight = Math.max(0, total - desired);
    let budget = Math.max(1, Math.ceil(desired * REBALANCE_FRACTION)) - inFlight;
    for (let p = 0; p < group.clouds.length && budget > 0; p++) {
      const preferred = group.clouds[p]!;
      if (blocked.has(preferred.site)) continue;
      const room = cap(preferred) - onSite(preferred.site);
      // Only VMs that step 3 may remove can move; protected ones stay where they are.
      const movableOn = (site: string) => bySite.get(site)!.filter((i) => !i.protectedFromScaleIn).length;
      const below = group.clouds.slice(p + 1).filter((c) => movableOn(c.site) > 0);
      if (room <= 0 || below.length === 0) continue;
      const movable = below.reduce((n, c) => n + movableOn(c.site), 0) - inFlight;
      const count = Math.min(room, budget, movable);
      if (count <= 0) continue;
      const from = below.map((c) => c.site).join(", ");
      launches.push({ site: preferred.site, count, cause: `${preferred.site} has room again; moving ${count} back from ${from}` });
      budget -= count;
    }
  }
  return { launches, terminations, shortfall: null };
}
