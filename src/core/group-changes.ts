/**
 * The pure state transitions of a group: create, update, set desired capacity, change tags,
 * delete. Each takes the current group (or the request) and returns the next group, or throws a
 * ValidationError in AWS's words with Phantom's hint. The API handlers load, call one of these,
 * check launch configurations, and save — nothing here touches the store or a cloud.
 */
import { ValidationError, LimitExceededError } from "./errors.js";
import { placementFromTags, plainPlacement, TAG_CLOUDS, TAG_DEFINITION, TAG_N_PRESERVE, type Placement } from "./placement-tags.js";
import { checkSensorBounds, parseSensorTags, sensorBounds } from "./sensor-tags.js";
import { fullLaunchConfigurationName, launchConfigurationBase, type SiteCatalog } from "./sites.js";
import type { Group, GroupTag } from "./types.js";

/** A tag as AWS requests carry it (`Tags.member.N.*`). */
export interface TagInput {
  readonly Key: string;
  readonly Value?: string;
  readonly PropagateAtLaunch?: boolean;
  readonly ResourceId?: string;
  readonly ResourceType?: string;
}

/** The members of `CreateAutoScalingGroup` that Phantom reads (decoded, AWS names). */
export interface CreateGroupInput {
  readonly AutoScalingGroupName: string;
  readonly LaunchConfigurationName?: string;
  readonly MinSize: number;
  readonly MaxSize: number;
  readonly DesiredCapacity?: number;
  readonly DefaultCooldown?: number;
  readonly AvailabilityZones?: readonly string[];
  readonly HealthCheckType?: string;
  readonly HealthCheckGracePeriod?: number;
  readonly Tags?: readonly TagInput[];
  readonly [member: string]: unknown;
}

/** The members of `UpdateAutoScalingGroup` that Phantom reads (decoded, AWS names). */
export interface UpdateGroupInput {
  readonly AutoScalingGroupName: string;
  readonly LaunchConfigurationName?: string;
  readonly MinSize?: number;
  readonly MaxSize?: number;
  readonly DesiredCapacity?: number;
  readonly DefaultCooldown?: number;
  readonly AvailabilityZones?: readonly string[];
  readonly HealthCheckType?: string;
  readonly HealthCheckGracePeriod?: number;
  readonly [member: string]: unknown;
}

/** AWS's limit of tags on one group. */
export const MAX_TAGS_PER_GROUP = 50;

/** The resource type of every group tag. */
export const GROUP_RESOURCE_TYPE = "auto-scaling-group";

/** Members that would ask for behaviour Phantom does not have: refused rather than ignored. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  LaunchTemplate: "launch templates; use LaunchConfigurationName",
  MixedInstancesPolicy: "mixed instances policies; use LaunchConfigurationName",
  InstanceId: "creating a group from an instance; use LaunchConfigurationName",
  LifecycleHookSpecificationList: "lifecycle hooks",
  TrafficSources: "traffic sources",
  LoadBalancerNames: "load balancers",
  TargetGroupARNs: "target groups",
  VPCZoneIdentifier: "VPC subnets; Phantom places VMs on sites (see the clouds tag)",
};

/** Members stored and echoed by Describe without Phantom acting on them. */
const ECHOED = [
  "TerminationPolicies",
  "NewInstancesProtectedFromScaleIn",
  "CapacityRebalance",
  "MaxInstanceLifetime",
  "PlacementGroup",
  "ServiceLinkedRoleARN",
  "Context",
  "DefaultInstanceWarmup",
  "DesiredCapacityType",
] as const;

function rejectUnsupported(input: Readonly<Record<string, unknown>>): void {
  for (const [member, what] of Object.entries(UNSUPPORTED)) {
    if (input[member] !== undefined) {
      throw new ValidationError(`${member} is not supported: Phantom does not offer ${what}.`);
    }
  }
  if (input.DesiredCapacityType !== undefined && input.DesiredCapacityType !== "units") {
    throw new ValidationError(`DesiredCapacityType must be 'units': Phantom counts VMs.`);
  }
  if (input.HealthCheckType !== undefined && input.HealthCheckType !== "EC2") {
    throw new ValidationError(
      `HealthCheckType '${String(input.HealthCheckType)}' is not supported: Phantom checks VM health with the clouds (EC2).`,
    );
  }
}

function echoed(input: Readonly<Record<string, unknown>>, previous: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const extra: Record<string, unknown> = { ...previous };
  for (const member of ECHOED) if (input[member] !== undefined) extra[member] = input[member];
  return extra;
}

/** AWS's constraint on sizes, cooldowns and grace periods, in its words. */
function checkNonNegative(input: Readonly<Record<string, unknown>>): void {
  const problems: string[] = [];
  for (const member of ["MinSize", "MaxSize", "DesiredCapacity", "DefaultCooldown", "HealthCheckGracePeriod"]) {
    const value = input[member];
    if (typeof value === "number" && value < 0) {
      const path = member[0]!.toLowerCase() + member.slice(1);
      problems.push(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    }
  }
  if (problems.length > 0) {
    const n = problems.length;
    throw new ValidationError(`${n} validation error${n === 1 ? "" : "s"} detected: ${problems.join("; ")}`);
  }
}

function checkMinMax(min: number, max: number): void {
  if (min > max) throw new ValidationError(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
}

function checkDesired(min: number, max: number, desired: number, placement: Placement): void {
  if (desired < min || desired > max) {
    const hint =
      placement.definition === "error_overflow_n_preserving" ? ` (the tag ${TAG_N_PRESERVE} is the desired capacity of a Phantom group)` : "";
    throw new ValidationError(
      `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}${hint}`,
    );
  }
}

/** Normalizes request tags for `groupName`: checks resource ids, reserved and duplicate keys. */
export function tagsFromInput(groupName: string, tags: readonly TagInput[]): GroupTag[] {
  const seen = new Set<string>();
  const out = tags.map((t) => {
    if (t.ResourceType !== undefined && t.ResourceType !== GROUP_RESOURCE_TYPE) {
      throw new ValidationError(`ResourceType '${t.ResourceType}' is not supported; tags belong to '${GROUP_RESOURCE_TYPE}'.`);
    }
    if (t.ResourceId !== undefined && t.ResourceId !== groupName) {
      throw new ValidationError(`The tag ${t.Key} names ResourceId '${t.ResourceId}', but the group is '${groupName}'.`);
    }
    if (t.Key.toLowerCase().startsWith("aws:")) {
      throw new ValidationError(`Tag keys starting with 'aws:' are reserved: ${t.Key}`);
    }
    if (seen.has(t.Key)) throw new ValidationError(`Duplicate tag key ${t.Key}`);
    seen.add(t.Key);
    return { key: t.Key, value: t.Value ?? "", propagateAtLaunch: t.PropagateAtLaunch ?? false };
  });
  return sortTags(out);
}

function sortTags(tags: GroupTag[]): GroupTag[] {
  return tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function checkTagCount(tags: readonly GroupTag[]): void {
  if (tags.length > MAX_TAGS_PER_GROUP) {
    throw new LimitExceededError(`A group can have at most ${MAX_TAGS_PER_GROUP} tags; this change would give it ${tags.length}.`);
  }
}

function resolvePlacement(tags: readonly GroupTag[], zones: readonly string[] | undefined, catalog: SiteCatalog): Placement {
  return placementFromTags(tags, catalog) ?? plainPlacement(zones, catalog);
}

/** Sets the desired capacity, and the `n_preserve` tag with it on an `n_preserving` group. */
export function withDesired<G extends Group>(group: G, desired: number): G {
  if (group.definition !== "error_overflow_n_preserving") return { ...group, desiredCapacity: desired };
  const tags = group.tags.map((t) => (t.key === TAG_N_PRESERVE ? { ...t, value: String(desired) } : t));
  return { ...group, desiredCapacity: desired, tags };
}

/** Throws a ValidationError when the group is being deleted: it can no longer be changed. */
export function requireActive(group: Group): void {
  if (group.status === "deleting") {
    throw new ValidationError(`AutoScalingGroup ${group.name} is pending delete; it can no longer be changed.`);
  }
}

/** The identity of a new group, minted by the caller (ids and ARNs are not pure). */
export interface NewGroupIdentity {
  readonly id: string;
  readonly arn: string;
  readonly now: Date;
}

/** A new group from a `CreateAutoScalingGroup` request. */
export function createGroup(input: CreateGroupInput, catalog: SiteCatalog, identity: NewGroupIdentity): Group {
  rejectUnsupported(input);
  checkNonNegative(input);
  if (input.LaunchConfigurationName === undefined) {
    throw new ValidationError(
      "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter. " +
        "Phantom uses LaunchConfigurationName.",
    );
  }
  const base = launchConfigurationBase(input.LaunchConfigurationName, catalog);
  checkMinMax(input.MinSize, input.MaxSize);
  const tags = tagsFromInput(input.AutoScalingGroupName, input.Tags ?? []);
  checkTagCount(tags);
  const placement = resolvePlacement(tags, input.AvailabilityZones, catalog);
  let desired: number;
  if (placement.nPreserve !== null) {
    if (input.DesiredCapacity !== undefined && input.DesiredCapacity !== placement.nPreserve) {
      throw new ValidationError(
        `DesiredCapacity ${input.DesiredCapacity} disagrees with the tag ${TAG_N_PRESERVE}=${placement.nPreserve}: ` +
          `in a Phantom group they are the same setting. Leave DesiredCapacity out or make them equal.`,
      );
    }
    desired = placement.nPreserve;
  } else if (placement.sensor !== null) {
    checkSensorBounds(placement.sensor, { minSize: input.MinSize, maxSize: input.MaxSize });
    desired = input.DesiredCapacity ?? sensorBounds(placement.sensor, { minSize: input.MinSize, maxSize: input.MaxSize }).min;
  } else {
    desired = input.DesiredCapacity ?? input.MinSize;
  }
  checkDesired(input.MinSize, input.MaxSize, desired, placement);
  if (placement.sensor !== null) {
    const range = sensorBounds(placement.sensor, { minSize: input.MinSize, maxSize: input.MaxSize });
    if (desired < range.min || desired > range.max) {
      throw new ValidationError(
        `DesiredCapacity ${desired} lies outside the sensor group's range: minimum_vms ${range.min} .. maximum_vms ${range.max}.`,
      );
    }
  }
  return {
    id: identity.id,
    name: input.AutoScalingGroupName,
    arn: identity.arn,
    launchConfigurationName: input.LaunchConfigurationName,
    launchConfigurationBase: base,
    minSize: input.MinSize,
    maxSize: input.MaxSize,
    desiredCapacity: desired,
    defaultCooldown: input.DefaultCooldown ?? 300,
    healthCheckType: input.HealthCheckType ?? "EC2",
    healthCheckGracePeriod: input.HealthCheckGracePeriod ?? 0,
    definition: placement.definition,
    clouds: placement.clouds,
    tags,
    status: "active",
    createdTime: identity.now,
    scaledAt: null,
    extra: echoed(input),
  };
}

/**
 * The group after `UpdateAutoScalingGroup`. As on AWS, a new MinSize above the desired capacity
 * raises it and a new MaxSize below it lowers it, unless DesiredCapacity is given.
 */
export function updateGroup(group: Group, input: UpdateGroupInput, catalog: SiteCatalog): Group {
  requireActive(group);
  rejectUnsupported(input);
  checkNonNegative(input);
  const min = input.MinSize ?? group.minSize;
  const max = input.MaxSize ?? group.maxSize;
  checkMinMax(min, max);
  const desired = input.DesiredCapacity ?? Math.min(max, Math.max(min, group.desiredCapacity));
  const placement: Placement =
    group.definition === null && input.AvailabilityZones !== undefined
      ? plainPlacement(input.AvailabilityZones, catalog)
      : { definition: group.definition, clouds: group.clouds, nPreserve: null, sensor: null };
  checkDesired(min, max, desired, placement);
  if (group.definition === "sensor_engine") checkSensorBounds(parseSensorTags(group.tags), { minSize: min, maxSize: max });
  const lcName = input.LaunchConfigurationName ?? group.launchConfigurationName;
  const next: Group = {
    ...group,
    launchConfigurationName: lcName,
    launchConfigurationBase: launchConfigurationBase(lcName, catalog),
    minSize: min,
    maxSize: max,
    defaultCooldown: input.DefaultCooldown ?? group.defaultCooldown,
    healthCheckType: input.HealthCheckType ?? group.healthCheckType,
    healthCheckGracePeriod: input.HealthCheckGracePeriod ?? group.healthCheckGracePeriod,
    clouds: placement.clouds,
    extra: echoed(input, group.extra),
  };
  return withDesired(next, desired);
}

/** The group after `SetDesiredCapacity`, with AWS's messages for values out of bounds. */
export function setDesiredCapacity(group: Group, desired: number): Group {
  requireActive(group);
  checkNonNegative({ DesiredCapacity: desired });
  if (desired > group.maxSize) {
    throw new ValidationError(`New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`);
  }
  if (desired < group.minSize) {
    throw new ValidationError(`New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`);
  }
  return withDesired(group, desired);
}

/**
 * The group after `CreateOrUpdateTags` (`upserts`) or `DeleteTags` (`deleteKeys`). Changing the
 * placement tags reconfigures the group with the checks of `createGroup`; removing them from a
 * Phantom group is refused, since the group would lose its placement.
 */
export function changeTags(
  group: Group,
  upserts: readonly GroupTag[],
  deleteKeys: readonly string[],
  catalog: SiteCatalog,
): Group {
  requireActive(group);
  if (group.definition !== null) {
    // n_preserve may go when the group becomes a sensor group, which refuses it.
    const becomesSensor = upserts.some((t) => t.key === TAG_DEFINITION && t.value === "sensor_engine");
    const protectedKeys = group.definition === "error_overflow_n_preserving" && !becomesSensor
      ? [TAG_DEFINITION, TAG_CLOUDS, TAG_N_PRESERVE]
      : [TAG_DEFINITION, TAG_CLOUDS];
    for (const key of protectedKeys) {
      if (deleteKeys.includes(key)) {
        throw new ValidationError(
          `The tag ${key} defines the placement of Phantom group ${group.name} and cannot be deleted; ` +
            `change its value with CreateOrUpdateTags instead.`,
        );
      }
    }
  }
  const byKey = new Map(group.tags.map((t) => [t.key, t]));
  for (const key of deleteKeys) byKey.delete(key);
  for (const t of upserts) byKey.set(t.key, t);
  const tags = sortTags([...byKey.values()]);
  checkTagCount(tags);
  const placement = placementFromTags(tags, catalog);
  if (placement === null) return { ...group, tags };
  checkDesired(group.minSize, group.maxSize, placement.nPreserve ?? group.desiredCapacity, placement);
  if (placement.sensor !== null) checkSensorBounds(placement.sensor, group);
  return {
    ...group,
    tags,
    definition: placement.definition,
    clouds: placement.clouds,
    desiredCapacity: placement.nPreserve ?? group.desiredCapacity,
  };
}

/** The group marked for deletion; the controller drains it and then removes it. */
export function markDeleting(group: Group): Group {
  return { ...group, status: "deleting" };
}

/** The launch configurations `<base>@<site>` that the group needs, one per site. */
export function requiredLaunchConfigurations(group: Pick<Group, "launchConfigurationBase" | "clouds">): string[] {
  return group.clouds.map((c) => fullLaunchConfigurationName(group.launchConfigurationBase, c.site));
}

/** Throws a ValidationError naming each launch configuration the group needs that does not exist. */
export function requireLaunchConfigurations(
  group: Pick<Group, "launchConfigurationBase" | "clouds">,
  existing: ReadonlySet<string>,
): void {
  const missing = requiredLaunchConfigurations(group).filter((name) => !existing.has(name));
  if (missing.length > 0) {
    const sites = group.clouds.map((c) => c.site).join(", ");
    throw new ValidationError(
      `Launch configuration name not found - the group places VMs on ${sites} and needs one launch configuration per site; ` +
        `missing: ${missing.join(", ")}. Create ${missing.length === 1 ? "it" : "them"} with CreateLaunchConfiguration.`,
    );
  }
}
