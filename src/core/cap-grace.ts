/**
 * How long VMs over a site's cap may wait for their replacements. Lowering a site's cap (or
 * dropping the site from a group's `clouds`) moves its excess make-before-break: each VM stays
 * in service until a replacement elsewhere is. When no replacement comes into service within
 * the boot timeout — nowhere has room, or the replacements fail to boot — the cap is enforced
 * anyway: a cap is a promise about cost. Retired sites wait without limit (their VMs are the
 * group's capacity until it has some elsewhere).
 *
 * Pure: the controller carries each group's `since` map from pass to pass (in memory: a restart
 * starts the wait again).
 */

/** When each site first kept VMs over its cap, given this pass's `overCap` sites. */
export function overCapSince(previous: ReadonlyMap<string, Date> | undefined, overCap: readonly string[], now: Date): Map<string, Date> {
  return new Map(overCap.map((site) => [site, previous?.get(site) ?? now]));
}

/**
 * The sites whose cap is enforced at `now`: those that have waited `graceMs`. The controller
 * uses the boot timeout less one pass interval, so the cap holds within the boot timeout of the
 * first pass that saw it exceeded.
 */
export function capsDue(since: ReadonlyMap<string, Date> | undefined, now: Date, graceMs: number): Set<string> {
  const due = new Set<string>();
  for (const [site, first] of since ?? []) if (now.getTime() - first.getTime() >= graceMs) due.add(site);
  return due;
}
