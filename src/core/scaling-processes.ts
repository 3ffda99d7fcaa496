/**
 * Auto Scaling's processes (`SuspendProcesses`, `ResumeProcesses`) and what suspending each
 * means for Phantom. A group's suspended processes are kept with its AWS members (`extra`) in
 * AWS's own shape, so `DescribeAutoScalingGroups` shows them as they are stored.
 *
 * | process | while suspended |
 * |---|---|
 * | `Launch` | no new VMs (launches already recorded are still driven, so none leaks) |
 * | `Terminate` | no VM is removed for scale-in, caps or rebalancing; unhealthy ones stay too |
 * | `ReplaceUnhealthy` | unhealthy VMs stay in the group and are not replaced |
 * | `AlarmNotification` | metrics move no capacity: sensor tags, target tracking, alarms |
 * | `ScheduledActions` | scheduled actions do not run (their occurrences are missed, as on AWS) |
 * | `AZRebalance` | no return to the preferred cloud |
 * | `HealthCheck`, `AddToLoadBalancer`, `InstanceRefresh` | accepted and shown; nothing to pause |
 *
 * Deleting a group still terminates its VMs.
 */
import { ValidationError } from "./errors.js";

/** AWS's process names, in the order `DescribeScalingProcessTypes` lists them. */
export const SCALING_PROCESSES = [
  "AZRebalance",
  "AddToLoadBalancer",
  "AlarmNotification",
  "HealthCheck",
  "InstanceRefresh",
  "Launch",
  "ReplaceUnhealthy",
  "ScheduledActions",
  "Terminate",
] as const;

/** One of {@link SCALING_PROCESSES}. */
export type ScalingProcess = (typeof SCALING_PROCESSES)[number];

/** A suspended process as AWS shows it. */
export interface SuspendedProcess {
  readonly ProcessName: string;
  readonly SuspensionReason: string;
}

/** Where a group keeps them among its AWS members. */
const MEMBER = "SuspendedProcesses";

/** The group's suspended processes, as AWS shows them. */
export function suspendedProcesses(extra: Readonly<Record<string, unknown>>): readonly SuspendedProcess[] {
  const list = extra[MEMBER];
  return Array.isArray(list) ? (list as SuspendedProcess[]) : [];
}

/** Whether `process` is suspended on the group. */
export function isSuspended(group: { readonly extra?: Readonly<Record<string, unknown>> }, process: ScalingProcess): boolean {
  return group.extra !== undefined && suspendedProcesses(group.extra).some((p) => p.ProcessName === process);
}

/** The processes a request names; none named means all of them, as on AWS. */
function named(processes: readonly string[] | undefined): readonly ScalingProcess[] {
  if (processes === undefined || processes.length === 0) return SCALING_PROCESSES;
  const unknown = processes.filter((p) => !(SCALING_PROCESSES as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new ValidationError(`Invalid processes: ${unknown.join(", ")}. Valid processes are ${SCALING_PROCESSES.join(", ")}.`);
  }
  return processes as ScalingProcess[];
}

function withSuspended<G extends { readonly extra: Readonly<Record<string, unknown>> }>(group: G, list: readonly SuspendedProcess[]): G {
  const { [MEMBER]: _old, ...rest } = group.extra;
  return { ...group, extra: list.length === 0 ? rest : { ...rest, [MEMBER]: list } };
}

/**
 * `SuspendProcesses`: adds the named processes (all when none is named), each with AWS's reason
 * `User suspended at <time>`; one already suspended keeps its reason.
 */
export function suspendProcesses<G extends { readonly extra: Readonly<Record<string, unknown>> }>(
  group: G,
  processes: readonly string[] | undefined,
  now: Date,
): G {
  const current = suspendedProcesses(group.extra);
  const added = named(processes)
    .filter((p) => !current.some((c) => c.ProcessName === p))
    .map((p) => ({ ProcessName: p, SuspensionReason: `User suspended at ${now.toISOString().replace(/\.\d{3}Z$/, "Z")}` }));
  const all = [...current, ...added].sort((a, b) => (a.ProcessName < b.ProcessName ? -1 : a.ProcessName > b.ProcessName ? 1 : 0));
  return withSuspended(group, all);
}

/** `ResumeProcesses`: removes the named processes (all when none is named). */
export function resumeProcesses<G extends { readonly extra: Readonly<Record<string, unknown>> }>(
  group: G,
  processes: readonly string[] | undefined,
): G {
  const resumed = new Set<string>(named(processes));
  return withSuspended(
    group,
    suspendedProcesses(group.extra).filter((p) => !resumed.has(p.ProcessName)),
  );
}
