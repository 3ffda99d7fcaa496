// A group's page: its summary, actions (each confirmed), VMs, activity timeline (newest first,
// with each Cause), tags, and the metric chart for sensor_engine and target tracking groups.
import { ApiError, list } from "./api.js";
import { age, confirmDialog, fill, h } from "./dom.js";
import { cloudCounts, marksOf, backoffsOf, tagValue } from "./model.js";
import { MetricChart, metricSpecOf } from "./metric-chart.js";

/** When each VM was launched, as its launch activity says ("Launching a new EC2 instance: i-…"). */
function launchTimes(activities) {
  const times = new Map();
  for (const a of activities) {
    const m = /^Launching a new EC2 instance: (\S+)/.exec(a.Description ?? "");
    if (m && !times.has(m[1])) times.set(m[1], new Date(a.StartTime));
  }
  return times;
}

/** Mounts the page of group `name` in `container`; `go` navigates (after a delete). */
export function groupPage(container, api, name, go) {
  const status = h("p", { className: "status", role: "status" });
  const summary = h("div", { className: "summary" });
  const vms = h("tbody");
  const timeline = h("ol", { className: "timeline" });
  const tags = h("tbody");
  const chartBox = h("div", { className: "chart" });
  const chartSection = h("section", { "aria-labelledby": "chart-title", hidden: true }, h("h2", { id: "chart-title" }, "Metric, last hour"), chartBox);
  const chart = new MetricChart(chartBox, api);
  const desiredInput = h("input", { type: "number", id: "desired", name: "desired", min: "0", required: true, inputMode: "numeric" });
  let group = null;
  let refresh = async () => {};

  async function act(what, action, params) {
    try {
      await api.call(action, params);
      status.textContent = `${what}: done.`;
      status.className = "status ok";
    } catch (e) {
      status.textContent = `${what}: ${e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)}`;
      status.className = "status error";
    }
    await refresh().catch(() => {});
  }

  const setDesiredForm = h(
    "form",
    {
      className: "inline",
      async onsubmit(event) {
        event.preventDefault();
        const desired = desiredInput.value.trim();
        if (!/^\d+$/.test(desired) || group === null) return;
        const ok = await confirmDialog({
          title: "Set desired capacity",
          body: [h("p", {}, `Change the desired capacity of ${name} from ${group.DesiredCapacity} to ${desired}?`)],
          confirmLabel: `Set to ${desired}`,
        });
        if (ok !== null) await act(`Set desired capacity to ${desired}`, "SetDesiredCapacity", [["AutoScalingGroupName", name], ["DesiredCapacity", desired]]);
      },
    },
    h("label", { for: "desired" }, "Desired capacity"),
    desiredInput,
    h("button", { type: "submit" }, "Set…"),
  );

  async function terminate(instanceId) {
    const data = await confirmDialog({
      title: "Terminate a VM",
      body: [
        h("p", {}, `Terminate ${instanceId} of ${name}?`),
        h("label", { className: "check" }, h("input", { type: "checkbox", name: "decrement", value: "yes" }), " Also decrement the desired capacity (else a replacement is launched)"),
      ],
      confirmLabel: "Terminate",
    });
    if (data === null) return;
    const decrement = data.get("decrement") === "yes";
    await act(`Terminate ${instanceId}`, "TerminateInstanceInAutoScalingGroup", [
      ["InstanceId", instanceId],
      ["ShouldDecrementDesiredCapacity", String(decrement)],
    ]);
  }

  async function deleteGroup() {
    const data = await confirmDialog({
      title: "Delete the group",
      body: [
        h("p", {}, `Deleting ${name} terminates all its VMs on every cloud.`),
        h("label", { for: "typed" }, `Type ${name} to confirm`),
        h("input", { id: "typed", name: "typed", autocomplete: "off", spellcheck: false }),
      ],
      confirmLabel: "Delete group",
      mustType: name,
    });
    if (data === null) return;
    await act(`Delete ${name}`, "DeleteAutoScalingGroup", [["AutoScalingGroupName", name], ["ForceDelete", "true"]]);
    go("#/groups");
  }

  fill(
    container,
    h("p", { className: "crumbs" }, h("a", { href: "#/groups" }, "Groups"), " › ", name),
    h("h1", {}, name),
    summary,
    h(
      "section",
      { "aria-labelledby": "actions-title", className: "actions" },
      h("h2", { id: "actions-title" }, "Actions"),
      setDesiredForm,
      h("button", { type: "button", className: "danger", onclick: () => void deleteGroup() }, "Delete group…"),
      status,
    ),
    h(
      "section",
      { "aria-labelledby": "vms-title" },
      h("h2", { id: "vms-title" }, "VMs"),
      h(
        "div",
        { className: "scroll" },
        h(
          "table",
          { className: "vms" },
          h("thead", {}, h("tr", {}, ["Instance", "Cloud", "State", "Health", "Age", ""].map((t) => h("th", { scope: "col" }, t)))),
          vms,
        ),
      ),
    ),
    chartSection,
    h("section", { "aria-labelledby": "timeline-title" }, h("h2", { id: "timeline-title" }, "Activity, newest first"), timeline),
    h(
      "section",
      { "aria-labelledby": "tags-title" },
      h("h2", { id: "tags-title" }, "Tags"),
      h("table", { className: "tags" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Value"))), tags),
    ),
  );

  refresh = async () => {
    const [groups, activityPage, sites] = await Promise.all([
      api.call("DescribeAutoScalingGroups", [["AutoScalingGroupNames.member.1", name]]),
      api.call("DescribeScalingActivities", [["AutoScalingGroupName", name], ["MaxRecords", "50"]]),
      api.call("DescribePhantomSites"),
    ]);
    const found = list(groups.AutoScalingGroups)[0];
    if (found === undefined) {
      fill(summary, h("p", { className: "error" }, `There is no group ${name} (any more).`));
      group = null;
      return;
    }
    group = found;
    if (document.activeElement !== desiredInput && desiredInput.value === "") desiredInput.value = group.DesiredCapacity;
    const activities = list(activityPage.Activities);
    const marks = marksOf(group, backoffsOf(sites.Sites));
    const counts = cloudCounts(group);
    fill(
      summary,
      h(
        "dl",
        {},
        h("dt", {}, "Definition"),
        h("dd", {}, tagValue(group, "PHANTOM_DEFINITION") ?? "plain AWS group"),
        h("dt", {}, "Desired"),
        h("dd", { id: "desired-now" }, group.DesiredCapacity),
        h("dt", {}, "Min / max"),
        h("dd", {}, `${group.MinSize} / ${group.MaxSize}`),
        h("dt", {}, "Clouds"),
        h("dd", {}, counts.map((c) => `${c.site} ${c.inService + c.pending + c.unhealthy}${c.cap >= 0 ? `/${c.cap}` : ""}`).join(", ")),
        h("dt", {}, "Status"),
        h(
          "dd",
          {},
          [
            marks.deleting ? "deleting" : "active",
            marks.short > 0 ? `${marks.short} short of desired` : "",
            marks.backingOff.length > 0 ? `backing off: ${marks.backingOff.join(", ")}` : "",
          ]
            .filter(Boolean)
            .join(" · "),
        ),
      ),
    );
    const launched = launchTimes(activities);
    fill(
      vms,
      list(group.Instances).map((i) =>
        h(
          "tr",
          { dataset: { instance: i.InstanceId } },
          h("th", { scope: "row" }, i.InstanceId),
          h("td", {}, i.AvailabilityZone),
          h("td", {}, i.LifecycleState),
          h("td", {}, i.HealthStatus),
          h("td", {}, launched.has(i.InstanceId) ? age(launched.get(i.InstanceId)) : "—"),
          h("td", {}, h("button", { type: "button", onclick: () => void terminate(i.InstanceId), "aria-label": `Terminate ${i.InstanceId}` }, "Terminate…")),
        ),
      ),
    );
    fill(
      timeline,
      activities.map((a) =>
        h(
          "li",
          { className: `activity ${String(a.StatusCode).toLowerCase()}` },
          h("time", { dateTime: a.StartTime }, new Date(a.StartTime).toLocaleString()),
          " ",
          h("strong", {}, a.StatusCode),
          " ",
          h("span", { className: "description" }, a.Description),
          h("p", { className: "cause" }, a.Cause),
        ),
      ),
    );
    fill(tags, list(group.Tags).map((t) => h("tr", {}, h("th", { scope: "row" }, t.Key), h("td", {}, t.Value))));
    const policies = tagValue(group, "PHANTOM_DEFINITION") === "sensor_engine"
      ? []
      : list((await api.call("DescribePolicies", [["AutoScalingGroupName", name], ["PolicyTypes.member.1", "TargetTrackingScaling"]])).ScalingPolicies);
    const spec = metricSpecOf(group, policies);
    chartSection.hidden = spec === null;
    if (spec !== null) await chart.update(group, spec, activities);
  };
  return { refresh: () => refresh(), unmount: () => chart.destroy() };
}
