// What the pages compute from the API's answers: a group's clouds in order with their caps,
// its VMs per cloud by state, and the marks a group gets.
import { list } from "./api.js";

/** A tag's value on a group, or undefined. */
export function tagValue(group, key) {
  return list(group.Tags).find((t) => t.Key === key)?.Value;
}

/** The group's clouds in order: `[{ site, cap }]`, cap -1 for none (from `clouds`, else its zones). */
export function cloudsOf(group) {
  const clouds = tagValue(group, "clouds");
  if (clouds !== undefined && clouds !== "") {
    return clouds.split(",").map((part) => {
      const [site, cap] = part.split(":");
      return { site: site.trim(), cap: Number(cap ?? -1) };
    });
  }
  return list(group.AvailabilityZones).map((site) => ({ site, cap: -1 }));
}

/** An unhealthy VM counts as unhealthy whatever its state; terminating ones apart. */
function bucket(instance) {
  if (instance.LifecycleState.startsWith("Terminat")) return "terminating";
  if (instance.HealthStatus !== "Healthy") return "unhealthy";
  return instance.LifecycleState === "InService" ? "inService" : "pending";
}

/** Per cloud in order: `{ site, cap, inService, pending, unhealthy, terminating }`, then any other site its VMs are on. */
export function cloudCounts(group) {
  const rows = cloudsOf(group).map((c) => ({ ...c, inService: 0, pending: 0, unhealthy: 0, terminating: 0 }));
  for (const instance of list(group.Instances)) {
    let row = rows.find((r) => r.site === instance.AvailabilityZone);
    if (row === undefined) {
      row = { site: instance.AvailabilityZone, cap: -1, inService: 0, pending: 0, unhealthy: 0, terminating: 0 };
      rows.push(row);
    }
    row[bucket(instance)] += 1;
  }
  return rows;
}

/** The marks of a group: short of desired, deleting, backing off (with the sites). */
export function marksOf(group, backingOff) {
  const counts = cloudCounts(group);
  const inService = counts.reduce((n, c) => n + c.inService, 0);
  const desired = Number(group.DesiredCapacity);
  const sites = counts.filter((c) => backingOff.has(c.site)).map((c) => c.site);
  return {
    deleting: group.Status === "Delete in progress",
    short: inService < desired ? desired - inService : 0,
    backingOff: sites,
  };
}

/** Sites backing off for this user, from DescribePhantomSites: site → PhantomSite. */
export function backoffsOf(sites) {
  return new Map(list(sites).filter((s) => s.BackingOff === "true").map((s) => [s.SiteName, s]));
}
