/**
 * The database schema as Kysely sees it: one interface per table, column names as in SQL.
 * Columns are portable between SQLite and PostgreSQL: times are epoch milliseconds (bigint),
 * JSON is text, booleans are integers 0/1. The tables themselves are created by `migrations/`.
 */
import type { Generated, Selectable } from "kysely";

/** API users; `generation` grows with every committed write to the user's resources. */
export interface UsersTable {
  id: string;
  name: string;
  access_key_id: string;
  secret_sealed: string;
  account_id: string;
  created_at: number;
  generation: Generated<number>;
}

/** A user's credentials for one cloud site. */
export interface CloudCredentialsTable {
  user_id: string;
  site: string;
  access_key_id: string;
  secret_sealed: string;
  key_name: string | null;
}

/** Launch configurations; `spec` is the JSON of `LaunchSpec`. */
export interface LaunchConfigurationsTable {
  id: string;
  user_id: string;
  name: string;
  base_name: string;
  site: string;
  arn: string;
  created_at: number;
  spec: string;
}

/**
 * Auto Scaling groups; `clouds` and `extra` are JSON. `version` grows with every write of the
 * row (the controller updates a group only at the version it read).
 */
export interface GroupsTable {
  id: string;
  user_id: string;
  name: string;
  arn: string;
  launch_configuration_name: string;
  launch_configuration_base: string;
  min_size: number;
  max_size: number;
  desired_capacity: number;
  default_cooldown: number;
  health_check_type: string;
  health_check_grace_period: number;
  definition: string | null;
  clouds: string;
  status: string;
  created_at: number;
  extra: string;
  version: Generated<number>;
  /** Epoch ms of the last capacity change by a metric or policy; null if none. */
  scaled_at: number | null;
}

/** A user's metric series (namespace, name, dimensions), one row each. */
export interface MetricSeriesTable {
  id: Generated<number>;
  user_id: string;
  /** JSON `[namespace, metricName, [[name, value]…]]` with dimensions sorted by name. */
  series_key: string;
  namespace: string;
  metric_name: string;
  /** JSON `[[name, value]…]`, sorted by name. */
  dimensions: string;
  last_put_at: number;
}

/** One minute of one series, aggregated. */
export interface MetricPointsTable {
  series_id: number;
  /** Epoch ms of the start of the minute. */
  minute: number;
  unit: string | null;
  sample_count: number;
  sum: number;
  minimum: number;
  maximum: number;
}

/** Scaling policies of groups (`PutScalingPolicy`). */
export interface ScalingPoliciesTable {
  user_id: string;
  group_id: string;
  name: string;
  arn: string;
  policy_type: string;
  /** JSON of the PutScalingPolicy members other than the names. */
  spec: string;
  created_at: number;
}

/** Tags of groups. */
export interface GroupTagsTable {
  group_id: string;
  key: string;
  value: string;
  propagate_at_launch: number;
}

/** Which launch configurations a group uses: the foreign key that makes deleting them fail. */
export interface GroupLaunchConfigurationsTable {
  group_id: string;
  launch_configuration_id: string;
}

/**
 * VMs of groups, keyed by (user, cloud instance id), with what the controller tracks of them.
 * `version` grows with every write of the row.
 */
export interface InstancesTable {
  id: string;
  user_id: string;
  group_id: string;
  site: string;
  launch_configuration_name: string;
  instance_type: string;
  lifecycle_state: string;
  health_status: string;
  protected_from_scale_in: number;
  launched_at: number;
  version: Generated<number>;
  launch_token: Generated<string>;
  cloud_state: string | null;
  last_seen_at: number | null;
  missing_since: number | null;
  in_service_at: number | null;
  health_reason: string | null;
  termination_reason: string | null;
  terminate_requested_at: number | null;
}

/** Scaling activities; they outlive their group (`group_deleted = 1`). */
export interface ActivitiesTable {
  id: string;
  user_id: string;
  group_id: string;
  group_name: string;
  group_arn: string;
  description: string;
  cause: string;
  start_time: number;
  end_time: number | null;
  status_code: string;
  status_message: string | null;
  progress: number;
  details: string;
  group_deleted: Generated<number>;
}

/** Launches recorded before their cloud call; a group with one cannot be deleted. */
export interface LaunchIntentsTable {
  token: string;
  user_id: string;
  group_id: string;
  site: string;
  count: number;
  created_at: number;
  cause: string;
}

/** (user, site) pairs that get no new VMs until `until`. */
export interface SiteBackoffsTable {
  user_id: string;
  site: string;
  failures: number;
  until: number;
  last_error: string;
}

/** Leases that elect one controller among replicas. */
export interface ControllerLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** Deployment-wide values: the deployment id, the change log's pruning position. */
export interface MetaTable {
  key: string;
  value: string;
}

/** The change log: one row per API write that touched a group or one of its VMs. */
export interface GroupChangesTable {
  seq: Generated<number>;
  group_id: string;
  user_id: string;
}

/** Every table of the store. */
export interface Database {
  users: UsersTable;
  cloud_credentials: CloudCredentialsTable;
  launch_configurations: LaunchConfigurationsTable;
  groups: GroupsTable;
  metric_series: MetricSeriesTable;
  metric_points: MetricPointsTable;
  scaling_policies: ScalingPoliciesTable;
  group_tags: GroupTagsTable;
  group_launch_configurations: GroupLaunchConfigurationsTable;
  instances: InstancesTable;
  activities: ActivitiesTable;
  launch_intents: LaunchIntentsTable;
  site_backoffs: SiteBackoffsTable;
  controller_leases: ControllerLeasesTable;
  meta: MetaTable;
  group_changes: GroupChangesTable;
}

/** A `users` row as selected. */
export type UserRow = Selectable<UsersTable>;
/** A `groups` row as selected. */
export type GroupRow = Selectable<GroupsTable>;
/** A `launch_configurations` row as selected. */
export type LaunchConfigurationRow = Selectable<LaunchConfigurationsTable>;
/** An `instances` row as selected. */
export type InstanceRow = Selectable<InstancesTable>;
/** An `activities` row as selected. */
export type ActivityRow = Selectable<ActivitiesTable>;
/** A `cloud_credentials` row as selected. */
export type CloudCredentialsRow = Selectable<CloudCredentialsTable>;
