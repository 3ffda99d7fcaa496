/**
 * What `phantom status` shows, computed from the API's answers: per group its desired capacity
 * and, per cloud in the group's order, the VMs InService/Pending/unhealthy against the cloud's
 * cap, the cloud's backoff and the group's last activity; rendered as text tables or JSON.
 */

/** Phantom's address when none is given (its default `listen`). */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8445";

/** A group as DescribeAutoScalingGroups gives it (the fields used here). */
export interface GroupAnswer {
  readonly AutoScalingGroupName?: string | undefined;
  readonly DesiredCapacity?: number | undefined;
  readonly Status?: string | undefined;
  readonly AvailabilityZones?: readonly string[] | undefined;
  readonly Tags?: readonly { readonly Key?: string | undefined; readonly Value?: string | undefined }[] | undefined;
  readonly Instances?:
    | readonly { readonly AvailabilityZone?: string | undefined; readonly LifecycleState?: string | undefined; readonly HealthStatus?: string | undefined }[]
    | undefined;
}

/** A site's backoff from DescribePhantomSites, while it lasts. */
export interface SiteBackoffAnswer {
  readonly site: string;
  readonly until: Date;
  readonly reason: string;
}

/** A scaling activity (the fields used here). */
export interface ActivityAnswer {
  readonly StartTime?: Date | undefined;
  readonly Description?: string | undefined;
  readonly Cause?: string | undefined;
}

/** One cloud of a group in the report. */
export interface CloudStatus {
  readonly site: string;
  readonly inService: number;
  readonly pending: number;
  readonly unhealthy: number;
  /** null: no cap. */
  readonly cap: number | null;
  readonly backoff: { readonly until: string; readonly reason: string } | null;
}

/** One group in the report (also the `--json` shape). */
export interface GroupStatus {
  readonly group: string;
  readonly desired: number;
  readonly deleting: boolean;
  readonly clouds: readonly CloudStatus[];
  readonly lastActivity: { readonly time: string; readonly description: string; readonly cause: string } | null;
}

function tag(group: GroupAnswer, key: string): string | undefined {
  return group.Tags?.find((t) => t.Key === key)?.Value;
}

/** The group's clouds in order with their caps: its `clouds` tag, else its zones uncapped. */
function cloudsOf(group: GroupAnswer): { site: string; cap: number | null }[] {
  const clouds = tag(group, "clouds");
  if (clouds === undefined || clouds === "") return (group.AvailabilityZones ?? []).map((site) => ({ site, cap: null }));
  return clouds.split(",").map((part) => {
    const [site = "", cap = "-1"] = part.split(":");
    const n = Number(cap);
    return { site: site.trim(), cap: n < 0 ? null : n };
  });
}

/** The report of one group. */
export function groupStatus(group: GroupAnswer, backoffs: readonly SiteBackoffAnswer[], lastActivity: ActivityAnswer | undefined): GroupStatus {
  const clouds = cloudsOf(group).map((c) => ({ ...c, inService: 0, pending: 0, unhealthy: 0 }));
  for (const vm of group.Instances ?? []) {
    const site = vm.AvailabilityZone ?? "";
    let row = clouds.find((c) => c.site === site);
    if (row === undefined) {
      row = { site, cap: null, inService: 0, pending: 0, unhealthy: 0 };
      clouds.push(row);
    }
    if ((vm.LifecycleState ?? "").startsWith("Terminat")) continue;
    if (vm.HealthStatus !== "Healthy") row.unhealthy++;
    else if (vm.LifecycleState === "InService") row.inService++;
    else row.pending++;
  }
  return {
    group: group.AutoScalingGroupName ?? "",
    desired: group.DesiredCapacity ?? 0,
    deleting: group.Status === "Delete in progress",
    clouds: clouds.map((c) => {
      const b = backoffs.find((x) => x.site === c.site);
      return {
        site: c.site,
        inService: c.inService,
        pending: c.pending,
        unhealthy: c.unhealthy,
        cap: c.cap,
        backoff: b === undefined ? null : { until: b.until.toISOString(), reason: b.reason },
      };
    }),
    lastActivity:
      lastActivity === undefined
        ? null
        : { time: lastActivity.StartTime?.toISOString() ?? "", description: lastActivity.Description ?? "", cause: lastActivity.Cause ?? "" },
  };
}

/** Left-aligned columns, two spaces apart. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

/** `HH:MM:SS` UTC of an ISO time. */
function hms(iso: string): string {
  return iso.slice(11, 19);
}

/** The text tables, one per group, for a terminal. */
export function renderStatus(groups: readonly GroupStatus[], endpoint: string, now: Date): string {
  const lines = [`Phantom at ${endpoint}, ${now.toISOString().slice(0, 19).replace("T", " ")} UTC`, ""];
  if (groups.length === 0) lines.push("No groups.");
  for (const g of groups) {
    const inService = g.clouds.reduce((n, c) => n + c.inService, 0);
    const marks = [g.deleting ? "deleting" : "", inService < g.desired ? `${g.desired - inService} short` : ""].filter(Boolean);
    lines.push(`${g.group}  desired ${g.desired}${marks.length > 0 ? `  (${marks.join(", ")})` : ""}`);
    lines.push(
      ...columns([
        ["  CLOUD", "INSERVICE", "PENDING", "UNHEALTHY", "CAP", "BACKOFF"],
        ...g.clouds.map((c) => [
          `  ${c.site}`,
          String(c.inService),
          String(c.pending),
          String(c.unhealthy),
          c.cap === null ? "-" : String(c.cap),
          c.backoff === null ? "-" : `until ${hms(c.backoff.until)} after ${c.backoff.reason}`,
        ]),
      ]),
    );
    lines.push(`  last activity: ${g.lastActivity === null ? "none" : `${hms(g.lastActivity.time)} ${g.lastActivity.cause || g.lastActivity.description}`}`, "");
  }
  return lines.join("\n");
}
