// The clouds page: each configured site with this user's VMs on it and its backoff, from
// Phantom's own DescribePhantomSites.
import { list } from "./api.js";
import { clock, fill, h } from "./dom.js";

function stateText(site) {
  if (site.Retired === "true") return "retired: takes no new VMs; its VMs move to the groups' other clouds";
  if (site.BackingOff !== "true") return "accepting VMs";
  return `backing off until ${clock(new Date(site.BackoffUntil))} after ${site.BackoffReason} (${site.ConsecutiveFailures} failures in a row)`;
}

/** Mounts the page in `container`. */
export function cloudsPage(container, api) {
  const body = h("tbody");
  fill(
    container,
    h("h1", {}, "Clouds"),
    h(
      "table",
      { className: "clouds" },
      h("caption", {}, "Your VMs on each cloud, in the configuration's order"),
      h("thead", {}, h("tr", {}, ["Cloud", "InService", "Pending", "Unhealthy", "Terminating", "State"].map((t) => h("th", { scope: "col" }, t)))),
      body,
    ),
  );
  return {
    async refresh() {
      const { Sites } = await api.call("DescribePhantomSites");
      fill(
        body,
        list(Sites).map((s) =>
          h(
            "tr",
            { dataset: { site: s.SiteName }, className: s.Retired === "true" ? "retired" : s.BackingOff === "true" ? "backoff" : "" },
            h("th", { scope: "row" }, s.SiteName),
            h("td", {}, s.InService),
            h("td", {}, s.Pending),
            h("td", {}, s.Unhealthy),
            h("td", {}, s.Terminating),
            h("td", {}, `${s.SiteName}: ${stateText(s)}`),
          ),
        ),
      );
    },
  };
}
