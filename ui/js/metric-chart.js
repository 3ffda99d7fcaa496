// The metric chart of a group page: the metric over the last hour, its thresholds or target,
// and the desired capacity over time (right axis), drawn with uPlot (vendored, no CDN).
import uPlot from "../vendor/uPlot.esm.js";
import { list } from "./api.js";
import { tagValue } from "./model.js";

const HOUR_S = 3600;

/**
 * What the group's metric scaling watches, or null: a `sensor_engine` group's tags, or its
 * first target tracking policy. `{ namespace, name, dimensions, statistic, lines: [{label, value}] }`.
 */
export function metricSpecOf(group, policies) {
  const name = group.AutoScalingGroupName;
  if (tagValue(group, "PHANTOM_DEFINITION") === "sensor_engine") {
    const metric = tagValue(group, "metric") ?? "";
    const slash = metric.lastIndexOf("/");
    return {
      namespace: slash < 0 ? "Phantom" : metric.slice(0, slash),
      name: slash < 0 ? metric : metric.slice(slash + 1),
      dimensions: [{ Name: "AutoScalingGroupName", Value: name }],
      statistic: tagValue(group, "sample_function") ?? "Average",
      lines: [
        { label: "scale_up_threshold", value: Number(tagValue(group, "scale_up_threshold")) },
        { label: "scale_down_threshold", value: Number(tagValue(group, "scale_down_threshold")) },
      ],
    };
  }
  const tracking = list(policies).find((p) => p.PolicyType === "TargetTrackingScaling");
  const config = tracking?.TargetTrackingConfiguration;
  const custom = config?.CustomizedMetricSpecification;
  if (custom === undefined) return null;
  return {
    namespace: custom.Namespace,
    name: custom.MetricName,
    dimensions: list(custom.Dimensions),
    statistic: custom.Statistic,
    lines: [{ label: `target (${tracking.PolicyName})`, value: Number(config.TargetValue) }],
  };
}

/** The desired capacity at each of `times` (s), from the activities' "from A to B" changes, newest first. */
function desiredOver(times, activities, current) {
  const changes = [];
  for (const a of activities) {
    const m = /desired capacity from (\d+) to (\d+)/.exec(a.Cause ?? "");
    if (m) changes.push({ t: Date.parse(a.StartTime) / 1000, from: Number(m[1]), to: Number(m[2]) });
  }
  changes.sort((x, y) => x.t - y.t);
  return times.map((t) => {
    const next = changes.find((c) => c.t > t);
    return next === undefined ? current : next.from;
  });
}

/** A chart in `container`; `update` re-reads the metric and redraws. */
export class MetricChart {
  constructor(container, api) {
    this.container = container;
    this.api = api;
    this.plot = null;
    this.key = "";
  }

  async update(group, spec, activities, now = new Date()) {
    const end = Math.floor(now.getTime() / 60000) * 60;
    const start = end - HOUR_S;
    const params = [
      ["Namespace", spec.namespace],
      ["MetricName", spec.name],
      ["StartTime", new Date(start * 1000).toISOString()],
      ["EndTime", new Date((end + 60) * 1000).toISOString()],
      ["Period", "60"],
      ["Statistics.member.1", spec.statistic],
      ...spec.dimensions.flatMap((d, i) => [
        [`Dimensions.member.${i + 1}.Name`, d.Name],
        [`Dimensions.member.${i + 1}.Value`, d.Value],
      ]),
    ];
    const { Datapoints } = await this.api.call("GetMetricStatistics", params, "monitoring");
    const byMinute = new Map(list(Datapoints).map((p) => [Math.floor(Date.parse(p.Timestamp) / 1000), Number(p[spec.statistic])]));
    const times = [];
    for (let t = start; t <= end; t += 60) times.push(t);
    const data = [
      times,
      times.map((t) => byMinute.get(t) ?? null),
      ...spec.lines.map((line) => times.map(() => line.value)),
      desiredOver(times, activities, Number(group.DesiredCapacity)),
    ];
    const key = `${spec.namespace}/${spec.name}/${spec.lines.map((l) => l.label).join()}`;
    if (this.plot !== null && this.key === key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    const width = Math.max(280, Math.min(this.container.clientWidth || 640, 900));
    this.plot = new uPlot(
      {
        width,
        height: 240,
        series: [
          {},
          { label: `${spec.namespace}/${spec.name} (${spec.statistic})`, stroke: "#1f6feb", width: 2, spanGaps: true, points: { show: true, size: 6, fill: "#1f6feb" } },
          ...spec.lines.map((line) => ({ label: `${line.label} ${line.value}`, stroke: "#cf222e", dash: [6, 4], width: 1, points: { show: false } })),
          { label: "desired capacity", stroke: "#2da44e", width: 2, scale: "vms", paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } },
        ],
        axes: [{}, { label: spec.name }, { side: 1, scale: "vms", label: "VMs", grid: { show: false } }],
        scales: { vms: { range: (_u, _min, max) => [0, Math.max(1, max + 1)] } },
      },
      data,
      this.container,
    );
  }

  destroy() {
    this.plot?.destroy();
    this.plot = null;
  }
}
