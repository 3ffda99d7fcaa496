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
  readonly name: string;
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
