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
  /** The name as the client wrote it when it differs from `name` (the default site implied). */
  shown_name: string | null;
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
  /** The hash of `id` that places the group in a shard (`core/shards.ts`). */
  shard_key: number;
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

/** Scheduled actions of groups (`PutScheduledUpdateGroupAction`). */
export interface ScheduledActionsTable {
  id: string;
  user_id: string;
  group_id: string;
  name: string;
  arn: string;
  /** JSON of the members other than the names: times, recurrence, time zone, sizes. */
  spec: string;
  /** Epoch ms of the last put; earlier occurrences are not run. */
  put_at: number;
}

/** One row per occurrence a scheduled action ran; the key makes a second run fail. */
export interface ScheduledActionRunsTable {
  action_id: string;
  /** Epoch ms of the occurrence. */
  occurrence: number;
  ran_at: number;
}

/** CloudWatch's metric alarms (`PutMetricAlarm`). */
export interface MetricAlarmsTable {
  id: string;
  user_id: string;
  name: string;
  arn: string;
  /** JSON of what PutMetricAlarm set besides the name and `ActionsEnabled`. */
  spec: string;
  actions_enabled: number;
  config_updated_at: number;
  state_value: string;
  state_reason: string;
  state_reason_data: string | null;
  state_updated_at: number;
  /** The group whose policies the actions run (its shard evaluates the alarm); null: none. */
  group_id: string | null;
  /** JSON of the last run of the actions; null before any. */
  last_action: string | null;
  version: number;
}

/** The alarms' history (`DescribeAlarmHistory`), kept after an alarm is deleted, for 14 days. */
export interface AlarmHistoryTable {
  id: Generated<number>;
  user_id: string;
  alarm_name: string;
  at: number;
  item_type: string;
  summary: string;
  /** JSON. */
  data: string;
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

/**
 * One lease per shard of the controller's work. `epoch` grows by one whenever the holder
 * changes; a controller write commits only while its shard's epoch is still the writer's.
 * `expires_at` is epoch ms on the database's clock (PostgreSQL) or the host's (SQLite).
 */
export interface ControllerShardsTable {
  shard: number;
  holder: string | null;
  epoch: number;
  expires_at: number;
}

/** A heartbeat per live controller replica: fair shares are counted from these. */
export interface ControllerReplicasTable {
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
  scheduled_actions: ScheduledActionsTable;
  scheduled_action_runs: ScheduledActionRunsTable;
  metric_alarms: MetricAlarmsTable;
  alarm_history: AlarmHistoryTable;
  group_tags: GroupTagsTable;
  group_launch_configurations: GroupLaunchConfigurationsTable;
  instances: InstancesTable;
  activities: ActivitiesTable;
  launch_intents: LaunchIntentsTable;
  site_backoffs: SiteBackoffsTable;
  controller_shards: ControllerShardsTable;
  controller_replicas: ControllerReplicasTable;
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
/** A row of `site_backoffs`. */
export type SiteBackoffRow = Selectable<SiteBackoffsTable>;
