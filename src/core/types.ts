/**
 * Phantom's domain records. They are plain data: the store persists them, the API renders them
 * in AWS's shapes, the controller decides on them. Times are `Date`s; lists keep their order.
 */

/** One API user. Resources are owned by a user; users never see each other's. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly accessKeyId: string;
  /** Twelve digits, used as the account in ARNs. */
  readonly accountId: string;
  readonly createdAt: Date;
}

/** A user together with the plaintext secret that signs their requests. */
export interface UserWithSecret extends User {
  readonly secretAccessKey: string;
}

/** A user's own credentials for one cloud site, used by drivers that need them (EC2). */
export interface CloudCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The SSH key pair name to launch with on that site, if any. */
  readonly keyName?: string;
}

/**
 * A launch configuration, named `<baseName>@<site>`. `spec` holds the remaining
 * `CreateLaunchConfiguration` members exactly as decoded (AWS member names), so Describe can
 * echo them and drivers can read `ImageId`, `InstanceType`, `UserData`, `KeyName`, ….
 */
export interface LaunchConfiguration {
  /** `<base>@<site>`: the name Phantom stores and looks it up by. */
  readonly name: string;
  /**
   * The name as the client wrote it, when the default site was implied (`web` for `web@hotel`):
   * what it is shown and referred to as. Absent: `name`.
   */
  readonly shownName?: string;
  readonly baseName: string;
  readonly site: string;
  readonly arn: string;
  readonly createdTime: Date;
  readonly spec: LaunchSpec;
}

/** The members of a launch configuration other than its name (AWS member names). */
export interface LaunchSpec {
  readonly ImageId: string;
  readonly InstanceType: string;
  readonly KeyName?: string;
  readonly SecurityGroups?: readonly string[];
  readonly UserData?: string;
  readonly [member: string]: unknown;
}

/** One ordered cloud of a group: fill `site` up to `max` VMs (`-1` = no cap) before the next. */
export interface CloudSlot {
  readonly site: string;
  readonly max: number;
}

/** How a group decides its size: a fixed count, or (later) sensor metrics. */
export type GroupDefinition = "error_overflow_n_preserving" | "sensor_engine";

/** A tag on a group, as AWS keeps it. */
export interface GroupTag {
  readonly key: string;
  readonly value: string;
  readonly propagateAtLaunch: boolean;
}

/** `active` groups are kept at size; `deleting` groups are drained, then removed. */
export type GroupStatus = "active" | "deleting";

/** An Auto Scaling group with Phantom's placement settings resolved from its tags. */
export interface Group {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  /** As the user gave it: `<name>` or `<name>@<site>`. */
  readonly launchConfigurationName: string;
  /** The `<name>` part; the configuration used on site S is `<base>@S`. */
  readonly launchConfigurationBase: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Also the `n_preserve` tag of a Phantom group: the two are kept equal. */
  readonly desiredCapacity: number;
  readonly defaultCooldown: number;
  readonly healthCheckType: string;
  readonly healthCheckGracePeriod: number;
  /** `null` for a plain AWS group placed by its AvailabilityZones. */
  readonly definition: GroupDefinition | null;
  /** Ordered preference of sites with their caps. */
  readonly clouds: readonly CloudSlot[];
  readonly tags: readonly GroupTag[];
  readonly status: GroupStatus;
  readonly createdTime: Date;
  /**
   * When a metric or a scaling policy last changed the desired capacity: the start of the
   * cooldown that delays the next such change (never a replacement).
   */
  readonly scaledAt: Date | null;
  /**
   * Other `CreateAutoScalingGroup`/`UpdateAutoScalingGroup` members that Phantom stores and
   * echoes without acting on them (AWS member names), e.g. `TerminationPolicies`.
   */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** AWS lifecycle states that Phantom uses. */
export type LifecycleState = "Pending" | "InService" | "Terminating" | "Terminated";

/** AWS health states. */
export type HealthStatus = "Healthy" | "Unhealthy";

/** A VM that belongs to a group. `id` is the cloud's own instance id. */
export interface Instance {
  readonly id: string;
  readonly groupId: string;
  readonly groupName: string;
  readonly site: string;
  readonly launchConfigurationName: string;
  readonly instanceType: string;
  readonly lifecycleState: LifecycleState;
  readonly healthStatus: HealthStatus;
  readonly protectedFromScaleIn: boolean;
  readonly launchedAt: Date;
}

/** AWS scaling activity status codes that Phantom uses. */
export type ActivityStatus = "InProgress" | "Successful" | "Failed" | "Cancelled" | "WaitingForInstanceId" | "PreInService";

/** A scaling activity: one launch, termination or failure, with why it happened. */
export interface Activity {
  readonly id: string;
  readonly groupId: string;
  readonly groupName: string;
  readonly groupArn: string;
  readonly description: string;
  readonly cause: string;
  readonly startTime: Date;
  readonly endTime: Date | null;
  readonly statusCode: ActivityStatus;
  readonly statusMessage: string | null;
  readonly progress: number;
  readonly details: string;
}

/** A VM's state as its cloud reports it, in EC2's words. */
export type CloudVmState = "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";

/**
 * A VM as the controller tracks it: the API's view plus what the controller learned from the
 * cloud and decided. `version` grows with every write of the row (optimistic concurrency
 * between the API, which marks VMs unhealthy or for termination, and the controller).
 */
export interface ManagedInstance extends Instance {
  readonly userId: string;
  /** The idempotency token of the launch that made it. */
  readonly launchToken: string;
  /** The last state its cloud reported; null until it was first listed. */
  readonly cloudState: CloudVmState | null;
  /** When the cloud last listed it. */
  readonly lastSeenAt: Date | null;
  /** Since when the cloud has not listed it; null while listed. */
  readonly missingSince: Date | null;
  readonly inServiceAt: Date | null;
  /** Why it is `Unhealthy`; null while healthy. */
  readonly healthReason: string | null;
  /** Why it is `Terminating`; null otherwise. */
  readonly terminationReason: string | null;
  /** When Phantom last asked its cloud to terminate it. */
  readonly terminateRequestedAt: Date | null;
  readonly version: number;
}

/** A group with its owner, as the controller sees it. */
export interface OwnedGroup extends Group {
  readonly userId: string;
  /** Grows with every write of the group's row. */
  readonly version: number;
}

/**
 * A launch that was decided and recorded before its cloud call: after a crash it is driven
 * again with the same token, so the cloud returns the same VMs instead of launching more.
 */
export interface LaunchIntent {
  readonly token: string;
  readonly userId: string;
  readonly groupId: string;
  readonly site: string;
  readonly count: number;
  readonly createdAt: Date;
  /** Why the VMs are launched, for their activities. */
  readonly cause: string;
}

/** A (user, site) that failed recently and gets no new VMs until `until`. */
export interface SiteBackoff {
  readonly userId: string;
  readonly site: string;
  /** Consecutive failures; the next wait doubles with each. */
  readonly failures: number;
  readonly until: Date;
  readonly lastError: string;
}

/** A metric dimension (CloudWatch's `Name`/`Value`). */
export interface MetricDimension {
  readonly name: string;
  readonly value: string;
}

/** A metric series: namespace, name and the exact set of dimensions (sorted by name). */
export interface MetricSeries {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly MetricDimension[];
}

/** Values of one series in one minute, aggregated as CloudWatch's statistic sets are. */
export interface MetricAggregate {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
}

/** One minute of one series. */
export interface MetricPoint extends MetricSeries, MetricAggregate {
  /** The start of the minute. */
  readonly minute: Date;
  readonly unit: string | null;
}

/** The AWS scaling policy types Phantom runs. */
export type PolicyType = "SimpleScaling" | "StepScaling" | "TargetTrackingScaling";

/**
 * A scaling policy of a group. `spec` holds the `PutScalingPolicy` members other than the
 * group and policy names, as decoded (AWS member names), so Describe echoes them and the
 * decisions in `core/scaling-policies.ts` read them.
 */
export interface ScalingPolicy {
  readonly groupId: string;
  readonly groupName: string;
  readonly name: string;
  readonly arn: string;
  readonly policyType: PolicyType;
  readonly spec: Readonly<Record<string, unknown>>;
}
