/**
 * The scaling activities the controller records, in AWS's wording. A VM's launch and
 * termination activities have ids derived from the VM, so the pass that completes them needs
 * no memory of the pass that started them (even across a restart).
 */
import { randomUUID } from "node:crypto";
import { vmActivityId } from "../core/activity-ids.js";
import { backoffSeconds } from "../core/backoff.js";
import type { ManagedInstance, OwnedGroup, SiteBackoff } from "../core/types.js";
import type { ActivityCompletion, OwnedActivity } from "../store/controller-store.js";

/** AWS's limit on a Cause. */
const CAUSE_MAX = 1023;

function activityId(kind: "launch" | "terminate", instance: Pick<ManagedInstance, "userId" | "id">): string {
  return vmActivityId(kind, instance.userId, instance.id);
}

function cause(now: Date, text: string): string {
  const full = `At ${now.toISOString().replace(/\.\d{3}Z$/, "Z")} ${text}`;
  return full.length <= CAUSE_MAX ? full : `${full.slice(0, CAUSE_MAX - 1)}…`;
}

function base(group: OwnedGroup, now: Date) {
  return { userId: group.userId, groupId: group.id, groupName: group.name, groupArn: group.arn, startTime: now };
}

/** A launch in progress: completed when the VM is in service, failed if it does not boot. */
export function launchActivity(group: OwnedGroup, instance: ManagedInstance, why: string, now: Date): OwnedActivity {
  return {
    ...base(group, now),
    id: activityId("launch", instance),
    description: `Launching a new EC2 instance: ${instance.id}`,
    cause: cause(now, `an instance was started in response to a difference between desired and actual capacity: ${why}.`),
    endTime: null,
    statusCode: "InProgress",
    statusMessage: null,
    progress: 30,
    details: JSON.stringify({ "Availability Zone": instance.site }),
  };
}

/**
 * A launch call that failed (no VM was made), e.g. with the cause
 * `hotel answered InsufficientInstanceCapacity; backing off hotel for 30s`.
 */
export function failedLaunchActivity(group: OwnedGroup, site: string, count: number, error: string, backoffSeconds: number, now: Date): OwnedActivity {
  return {
    ...base(group, now),
    id: randomUUID(),
    description: `Launching ${count === 1 ? "a new EC2 instance" : `${count} new EC2 instances`} on ${site}.  Status Reason: ${error}. Launching EC2 instance failed.`,
    cause: cause(now, `${error}; backing off ${site} for ${backoffSeconds}s`),
    endTime: now,
    statusCode: "Failed",
    statusMessage: error.slice(0, 255),
    progress: 100,
    details: JSON.stringify({ "Availability Zone": site }),
  };
}

/**
 * A listing of the group's site that failed, e.g. with the cause
 * `listing ec2 failed: AuthFailure: …; retrying in 30s`. Its VMs there keep their last known
 * state until the site is listed again.
 */
export function failedListingActivity(group: OwnedGroup, site: string, backoff: SiteBackoff, now: Date): OwnedActivity {
  const error = backoff.lastError;
  return {
    ...base(group, now),
    id: randomUUID(),
    description: `Listing the instances on ${site}.  Status Reason: ${error}.`,
    cause: cause(now, `listing ${site} failed: ${error}; retrying in ${backoffSeconds(backoff, now)}s`),
    endTime: now,
    statusCode: "Failed",
    statusMessage: error.slice(0, 255),
    progress: 100,
    details: JSON.stringify({ "Availability Zone": site }),
  };
}

/** A termination in progress: completed when the cloud confirms the VM gone. */
export function terminationActivity(group: OwnedGroup, instance: ManagedInstance, why: string, now: Date): OwnedActivity {
  return {
    ...base(group, now),
    id: activityId("terminate", instance),
    description: `Terminating EC2 instance: ${instance.id}`,
    cause: cause(now, `an instance was taken out of service: ${why}.`),
    endTime: null,
    statusCode: "InProgress",
    statusMessage: null,
    progress: 0,
    details: JSON.stringify({ "Availability Zone": instance.site }),
  };
}

/** A group that cannot be brought to its size, recorded when the reason changes. */
export function shortfallActivity(group: OwnedGroup, shortfall: string, now: Date): OwnedActivity {
  return {
    ...base(group, now),
    id: randomUUID(),
    description: `Placing VMs for ${group.name}`,
    cause: cause(now, `the group is ${shortfall}.`),
    endTime: now,
    statusCode: "Failed",
    statusMessage: shortfall.slice(0, 255),
    progress: 100,
    details: "{}",
  };
}

/** The end of a VM's launch or termination activity. */
export function completion(
  kind: "launch" | "terminate",
  instance: ManagedInstance,
  statusCode: ActivityCompletion["statusCode"],
  statusMessage: string | null,
  now: Date,
): ActivityCompletion {
  return {
    userId: instance.userId,
    id: activityId(kind, instance),
    endTime: now,
    statusCode,
    statusMessage: statusMessage?.slice(0, 255) ?? null,
    progress: 100,
  };
}
