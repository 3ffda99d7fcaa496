/**
 * A site cannot silently vanish from the configuration while it holds VMs: nothing would list
 * them again, so they would count toward their groups for good (dead or alive, never replaced)
 * and a deleted group holding one would never finish deleting; nor may a launch left unfinished
 * there, which may have made VMs that only a listing of the site would find. `phantom serve`
 * refuses to start instead; the way out is to keep the site with `retired: true` until it is
 * empty.
 */
import { ConfigError, type PhantomConfig } from "../config/config.js";
import type { SiteHolding } from "../store/controller-store.js";
import type { Store } from "../store/store.js";

/** What to tell the operator about VMs on sites the configuration no longer has (pure). */
export function removedSitesMessage(holdings: readonly SiteHolding[]): string | null {
  if (holdings.length === 0) return null;
  const bySite = new Map<string, SiteHolding[]>();
  for (const h of holdings) bySite.set(h.site, [...(bySite.get(h.site) ?? []), h]);
  const sites = [...bySite].map(([site, groups]) => {
    const total = groups.reduce((n, g) => n + g.count, 0);
    const launching = groups.reduce((n, g) => n + g.launching, 0);
    const which = groups.map((g) => `${g.userName}/${g.groupName} (${g.count}${g.launching > 0 ? `, ${g.launching} being launched` : ""})`).join(", ");
    const being = launching > 0 ? ` and has launches of ${launching} unfinished` : "";
    return `site '${site}' is no longer configured but holds ${total} VM${total === 1 ? "" : "s"}${being}: ${which}`;
  });
  const names = [...bySite.keys()].join(", ");
  return `${sites.join("; ")}. Keep ${bySite.size === 1 ? "it" : "them"} under sites: with retired: true (${names}) until ${bySite.size === 1 ? "its" : "their"} VMs have moved elsewhere, then remove ${bySite.size === 1 ? "it" : "them"}.`;
}

/** @throws ConfigError naming each removed site that still holds VMs, with its groups and counts. */
export async function refuseRemovedSitesWithVms(config: PhantomConfig, store: Store): Promise<void> {
  const message = removedSitesMessage(await store.controller.vmsOutside(config.sites.map((s) => s.name)));
  if (message !== null) throw new ConfigError(message);
}
