// The groups page: every group of the user, each with one stacked bar of its clouds in order
// (InService, Pending, unhealthy against each cloud's cap) and the same counts as text.
import { list } from "./api.js";
import { fill, h } from "./dom.js";
import { backoffsOf, cloudCounts, marksOf, tagValue } from "./model.js";

/** A cloud's share of the bar: its cap, or for an uncapped cloud what it holds (at least 1). */
function scaleOf(c) {
  const held = c.inService + c.pending + c.unhealthy;
  return c.cap >= 0 ? Math.max(c.cap, held) : Math.max(held, 1);
}

function countsText(c) {
  const cap = c.cap >= 0 ? `cap ${c.cap}` : "no cap";
  const terminating = c.terminating > 0 ? `, ${c.terminating} terminating` : "";
  return `${c.site}: ${c.inService} InService, ${c.pending} Pending, ${c.unhealthy} unhealthy${terminating} (${cap})`;
}

/** The stacked bar: one section per cloud sized by its scale, segments sized within it. */
function bar(counts) {
  const total = counts.reduce((n, c) => n + scaleOf(c), 0);
  const sections = counts.map((c) => {
    const scale = scaleOf(c);
    const section = h("span", { className: "section", title: countsText(c), dataset: { site: c.site } });
    section.style.flexGrow = String(scale / total);
    for (const kind of ["inService", "pending", "unhealthy"]) {
      if (c[kind] === 0) continue;
      const seg = h("span", { className: `seg ${kind}` });
      seg.style.width = `${(100 * c[kind]) / scale}%`;
      section.append(seg);
    }
    section.append(h("span", { className: "label" }, c.site));
    return section;
  });
  return h("div", { className: "bar", role: "img", "aria-label": counts.map(countsText).join("; ") }, sections);
}

function groupCard(group, backingOff) {
  const counts = cloudCounts(group);
  const marks = marksOf(group, backingOff);
  const definition = tagValue(group, "PHANTOM_DEFINITION") ?? "plain AWS group";
  const markList = [
    marks.deleting && h("li", { className: "mark deleting" }, "deleting"),
    marks.short > 0 && h("li", { className: "mark short" }, `${marks.short} short of desired`),
    marks.backingOff.length > 0 && h("li", { className: "mark backoff" }, `backing off: ${marks.backingOff.join(", ")}`),
  ].filter(Boolean);
  return h(
    "article",
    { className: "group-card", dataset: { group: group.AutoScalingGroupName } },
    h("h2", {}, h("a", { href: `#/group/${encodeURIComponent(group.AutoScalingGroupName)}` }, group.AutoScalingGroupName)),
    h("p", { className: "meta" }, `${definition} · desired ${group.DesiredCapacity} · min ${group.MinSize} · max ${group.MaxSize}`),
    markList.length > 0 ? h("ul", { className: "marks" }, markList) : null,
    bar(counts),
    h("ul", { className: "counts" }, counts.map((c) => h("li", { dataset: { site: c.site } }, countsText(c)))),
  );
}

/** Mounts the page in `container`; `refresh` re-reads the API. */
export function groupsPage(container, api) {
  const listEl = h("div", { className: "groups", "aria-live": "polite" }, h("p", {}, "Loading…"));
  fill(container, h("h1", {}, "Groups"), listEl);
  return {
    async refresh() {
      const [groups, sites] = await Promise.all([api.all("DescribeAutoScalingGroups", "AutoScalingGroups"), api.call("DescribePhantomSites")]);
      const backingOff = backoffsOf(sites.Sites);
      if (groups.length === 0) {
        fill(listEl, h("p", {}, "No groups yet. Create one with the AWS CLI (see the README's quick start)."));
        return;
      }
      fill(listEl, list(groups).map((g) => groupCard(g, backingOff)));
    },
  };
}
