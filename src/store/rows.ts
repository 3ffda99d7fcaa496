/**
 * Conversions between the store's rows (`schema.ts`) and Phantom's domain records, shared by the
 * API's store (`kysely-store.ts`) and the controller's (`kysely-controller-store.ts`).
 */
import type { Insertable } from "kysely";
import { shardKey } from "../core/shards.js";
import type {
  Activity,
  ActivityStatus,
  CloudSlot,
  Group,
  GroupDefinition,
  GroupStatus,
  GroupTag,
  HealthStatus,
  Instance,
  LaunchConfiguration,
  LaunchSpec,
  LifecycleState,
  PolicyType,
  ScalingPolicy,
  ManagedInstance,
  SiteBackoff,
} from "../core/types.js";
import type { CloudCredentialsRecord, UserRecord } from "./store.js";
import type {
  ActivitiesTable,
  ActivityRow,
  CloudCredentialsRow,
  GroupRow,
  GroupsTable,
  InstanceRow,
  InstancesTable,
  LaunchConfigurationRow,
  SiteBackoffRow,
  UserRow,
} from "./schema.js";

/** The columns of a VM that the API shows, other than its group. */
export const VM_VIEW_COLUMNS = [
  "id",
  "site",
  "launch_configuration_name",
  "instance_type",
  "lifecycle_state",
  "health_status",
  "protected_from_scale_in",
  "launched_at",
] as const;

/** The instance columns of the API's view: the controller's own columns are not read. */
export const INSTANCE_VIEW_COLUMNS = ["group_id", ...VM_VIEW_COLUMNS] as const;

/** The row {@link toInstance} reads: the view's columns and the group's name. */
export type InstanceViewRow = Pick<InstanceRow, (typeof INSTANCE_VIEW_COLUMNS)[number]> & { group_name: string };

/** Every column of an instance row, from the controller's record of it. */
export function managedInstanceColumns(instance: ManagedInstance): Insertable<InstancesTable> {
  return {
    id: instance.id,
    user_id: instance.userId,
    group_id: instance.groupId,
    site: instance.site,
    launch_configuration_name: instance.launchConfigurationName,
    instance_type: instance.instanceType,
    lifecycle_state: instance.lifecycleState,
    health_status: instance.healthStatus,
    protected_from_scale_in: instance.protectedFromScaleIn ? 1 : 0,
    launched_at: instance.launchedAt.getTime(),
    version: instance.version,
    launch_token: instance.launchToken,
    cloud_state: instance.cloudState,
    last_seen_at: instance.lastSeenAt?.getTime() ?? null,
    missing_since: instance.missingSince?.getTime() ?? null,
    in_service_at: instance.inServiceAt?.getTime() ?? null,
    health_reason: instance.healthReason,
    termination_reason: instance.terminationReason,
    terminate_requested_at: instance.terminateRequestedAt?.getTime() ?? null,
  };
}

/** The row of a user's activity. */
export function activityColumns(userId: string, activity: Activity): Insertable<ActivitiesTable> {
  return {
    id: activity.id,
    user_id: userId,
    group_id: activity.groupId,
    group_name: activity.groupName,
    group_arn: activity.groupArn,
    description: activity.description,
    cause: activity.cause,
    start_time: activity.startTime.getTime(),
    end_time: activity.endTime?.getTime() ?? null,
    status_code: activity.statusCode,
    status_message: activity.statusMessage,
    progress: activity.progress,
    details: activity.details,
  };
}

/** The columns of a group row that the group itself determines (not its key or version). */
export function groupColumns(group: Group): Omit<GroupsTable, "id" | "user_id" | "version"> {
  return {
    name: group.name,
    arn: group.arn,
    launch_configuration_name: group.launchConfigurationName,
    launch_configuration_base: group.launchConfigurationBase,
    min_size: group.minSize,
    max_size: group.maxSize,
    desired_capacity: group.desiredCapacity,
    default_cooldown: group.defaultCooldown,
    health_check_type: group.healthCheckType,
    health_check_grace_period: group.healthCheckGracePeriod,
    definition: group.definition,
    clouds: JSON.stringify(group.clouds),
    status: group.status,
    created_at: group.createdTime.getTime(),
    extra: JSON.stringify(group.extra),
    scaled_at: group.scaledAt?.getTime() ?? null,
    shard_key: shardKey(group.id),
  };
}

/** The group columns {@link toGroup} reads, in this order. */
export const GROUP_RECORD_COLUMNS = [
  "id",
  "user_id",
  "name",
  "arn",
  "launch_configuration_name",
  "launch_configuration_base",
  "min_size",
  "max_size",
  "desired_capacity",
  "default_cooldown",
  "health_check_type",
  "health_check_grace_period",
  "definition",
  "clouds",
  "status",
  "created_at",
  "extra",
  "scaled_at",
] as const satisfies readonly (keyof GroupRow)[];

/** A group from its row and its tags (sorted by key). */
export function toGroup(row: Pick<GroupRow, (typeof GROUP_RECORD_COLUMNS)[number]>, tags: GroupTag[]): Group {
  return {
    id: row.id,
    name: row.name,
    arn: row.arn,
    launchConfigurationName: row.launch_configuration_name,
    launchConfigurationBase: row.launch_configuration_base,
    minSize: row.min_size,
    maxSize: row.max_size,
    desiredCapacity: row.desired_capacity,
    defaultCooldown: row.default_cooldown,
    healthCheckType: row.health_check_type,
    healthCheckGracePeriod: row.health_check_grace_period,
    definition: row.definition as GroupDefinition | null,
    clouds: JSON.parse(row.clouds) as CloudSlot[],
    tags,
    status: row.status as GroupStatus,
    createdTime: new Date(row.created_at),
    extra: JSON.parse(row.extra) as Record<string, unknown>,
    scaledAt: row.scaled_at === null ? null : new Date(row.scaled_at),
  };
}

export function toLaunchConfiguration(row: LaunchConfigurationRow): LaunchConfiguration {
  return {
    name: row.name,
    baseName: row.base_name,
    site: row.site,
    arn: row.arn,
    createdTime: new Date(row.created_at),
    spec: JSON.parse(row.spec) as LaunchSpec,
    ...(row.shown_name === null ? {} : { shownName: row.shown_name }),
  };
}

/** The API's view of an instance, from the columns {@link INSTANCE_VIEW_COLUMNS} and its group's name. */
export function toInstance(row: InstanceViewRow): Instance {
  return {
    id: row.id,
    groupId: row.group_id,
    groupName: row.group_name,
    site: row.site,
    launchConfigurationName: row.launch_configuration_name,
    instanceType: row.instance_type,
    lifecycleState: row.lifecycle_state as LifecycleState,
    healthStatus: row.health_status as HealthStatus,
    protectedFromScaleIn: row.protected_from_scale_in === 1,
    launchedAt: new Date(row.launched_at),
  };
}

export function toActivity(row: ActivityRow): Activity {
  return {
    id: row.id,
    groupId: row.group_id,
    groupName: row.group_name,
    groupArn: row.group_arn,
    description: row.description,
    cause: row.cause,
    startTime: new Date(row.start_time),
    endTime: row.end_time === null ? null : new Date(row.end_time),
    statusCode: row.status_code as ActivityStatus,
    statusMessage: row.status_message,
    progress: row.progress,
    details: row.details,
  };
}

export function toSiteBackoff(row: SiteBackoffRow): SiteBackoff {
  return { userId: row.user_id, site: row.site, failures: row.failures, until: new Date(row.until), lastError: row.last_error };
}

export function toUserRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    name: row.name,
    accessKeyId: row.access_key_id,
    secretSealed: row.secret_sealed,
    accountId: row.account_id,
    createdAt: new Date(row.created_at),
  };
}

export function toCredentials(row: CloudCredentialsRow): CloudCredentialsRecord {
  return {
    userId: row.user_id,
    site: row.site,
    accessKeyId: row.access_key_id,
    secretSealed: row.secret_sealed,
    keyName: row.key_name,
  };
}

/** A policy row (joined with its group's name) as a {@link ScalingPolicy}. */
export function toPolicy(row: {
  group_id: string;
  group_name: string;
  name: string;
  arn: string;
  policy_type: string;
  spec: string;
}): ScalingPolicy {
  return {
    groupId: row.group_id,
    groupName: row.group_name,
    name: row.name,
    arn: row.arn,
    policyType: row.policy_type as PolicyType,
    spec: JSON.parse(row.spec) as Record<string, unknown>,
  };
}
