/**
 * The store: the one interface between Phantom and its database. Two implementations share one
 * schema, one set of queries and one set of migrations (`kysely-store.ts`): SQLite (embedded,
 * the default; `:memory:` in tests) and PostgreSQL (several replicas).
 *
 * Rules every implementation keeps:
 * - Every write runs in one transaction: a thrown error leaves nothing half-written.
 * - Uniqueness and references are enforced by the database, so two concurrent creates of one
 *   name yield exactly one {@link AlreadyExistsError}, and a launch configuration that a group
 *   uses cannot be deleted ({@link ResourceInUseError}).
 * - Every committed write to a user's resources increases that user's generation, so readers
 *   can cache by generation (see {@link Store.generation}).
 * - Secrets arrive sealed (see `src/secrets/secret-box.ts`) and are stored as given.
 * - Every write that touches a group or one of its VMs appends the group to the change log
 *   that the controller follows ({@link ControllerStore.changesSince}), and bumps the `version`
 *   of the rows it changes, so the controller never overwrites the API's change unknowingly.
 */
import type { ShardPokes } from "./shard-pokes.js";
import type {
  Activity,
  Group,
  HealthStatus,
  Instance,
  LaunchConfiguration,
  LifecycleState,
  PolicyType,
  ScalingPolicy,
  SiteBackoff,
  User,
} from "../core/types.js";
import type { ControllerStore } from "./controller-store.js";
import type { MetricStore } from "./metric-store.js";
import type { AlarmStore } from "./alarm-store.js";
import type { ScheduledActionStore } from "./scheduled-action-store.js";

/** A user row with the sealed secret it signs with. */
export interface UserRecord extends User {
  readonly secretSealed: string;
}

/** A user's credentials for one site, secret sealed. */
export interface CloudCredentialsRecord {
  readonly userId: string;
  readonly site: string;
  readonly accessKeyId: string;
  readonly secretSealed: string;
  readonly keyName: string | null;
}

/** Keyset pagination: rows strictly after `after` in the listing's order, at most `limit`. */
export interface Page {
  readonly after?: string | undefined;
  readonly limit: number;
}

/** One page of a listing; `next` is the key to pass as `after` for the following page. */
export interface PageOf<T> {
  readonly items: T[];
  readonly next: string | null;
}

/**
 * Tag conditions on groups. All given conditions must hold; within one condition any value
 * matches (AWS's filter semantics for `tag-key`, `tag-value` and `tag:<key>`).
 */
export interface GroupTagFilter {
  readonly keys?: readonly string[];
  readonly values?: readonly string[];
  readonly pairs?: readonly { readonly key: string; readonly values: readonly string[] }[];
}

/** Filters of DescribeTags (AWS: `auto-scaling-group`, `key`, `value`, `propagate-at-launch`). */
export interface TagFilter {
  readonly groupNames?: readonly string[];
  readonly keys?: readonly string[];
  readonly values?: readonly string[];
  readonly propagateAtLaunch?: boolean;
}

/** A tag row as DescribeTags lists it. */
export interface TagRow {
  readonly groupName: string;
  readonly key: string;
  readonly value: string;
  readonly propagateAtLaunch: boolean;
}

/** How many of a user's VMs on one site are in one state (DescribePhantomSites). */
export interface SiteInstanceCount {
  readonly site: string;
  readonly lifecycleState: LifecycleState;
  readonly healthStatus: HealthStatus;
  readonly count: number;
}

/** Reads of one user's resources. Every method sees only that user's rows. */
export interface UserReads {
  /** Ordered by name. `names` restricts to those names (missing ones are simply absent). */
  listLaunchConfigurations(names: readonly string[] | null, page: Page): Promise<PageOf<LaunchConfiguration>>;
  /** The configurations named `<base>@<site>` for any site, ordered by name. */
  launchConfigurationsByBase(base: string): Promise<LaunchConfiguration[]>;
  getGroup(name: string): Promise<Group | null>;
  /** Ordered by name; `names` and `tags` narrow the listing. */
  listGroups(names: readonly string[] | null, tags: GroupTagFilter | null, page: Page): Promise<PageOf<Group>>;
  /** Instances of the given groups, ordered by group name, then instance id. */
  instancesOfGroups(groupIds: readonly string[]): Promise<Instance[]>;
  /** Ordered by instance id; `ids` restricts to those ids. */
  listInstances(ids: readonly string[] | null, page: Page): Promise<PageOf<Instance>>;
  getInstance(id: string): Promise<Instance | null>;
  /** Ordered by group name, then key. */
  listTags(filter: TagFilter, page: Page): Promise<PageOf<TagRow>>;
  /**
   * Newest first. `groupName` narrows to one group (also a deleted one when
   * `includeDeletedGroups`); `ids` narrows to those activity ids.
   */
  listActivities(
    query: { groupName?: string; ids?: readonly string[]; includeDeletedGroups: boolean },
    page: Page,
  ): Promise<PageOf<Activity>>;
  /** How many launches of the given groups were decided and are not finished yet. */
  pendingLaunches(groupIds: readonly string[]): Promise<number>;
  countLaunchConfigurations(): Promise<number>;
  countGroups(): Promise<number>;
  /** The user's VMs counted by site, lifecycle state and health (no particular order). */
  instanceCountsBySite(): Promise<SiteInstanceCount[]>;
  /** The user's site backoffs as the controller last wrote them, expired ones included. */
  siteBackoffs(): Promise<SiteBackoff[]>;
  /**
   * Scaling policies ordered by group name, then policy name (the page key is both, as JSON).
   * `groupName` narrows to one group; `names` to those policy names or ARNs; `types` to those
   * policy types.
   */
  listPolicies(
    query: { groupName?: string; names?: readonly string[]; types?: readonly PolicyType[] },
    page: Page,
  ): Promise<PageOf<ScalingPolicy>>;
}

/** Reads and writes of one user's resources inside one transaction. */
export interface UserTx extends UserReads {
  /** @throws AlreadyExistsError when the name is taken. */
  insertLaunchConfiguration(lc: LaunchConfiguration): Promise<void>;
  /**
   * @param requested the name as the request wrote it, for the error's message (default `name`).
   * @returns false when there is no such configuration.
   * @throws ResourceInUseError when a group uses it.
   */
  deleteLaunchConfiguration(name: string, requested?: string): Promise<boolean>;
  /**
   * Like {@link UserReads.getGroup}, and on PostgreSQL locks the row until commit, so
   * read-modify-write of one group is serialized across replicas.
   */
  getGroupForUpdate(name: string): Promise<Group | null>;
  /**
   * Inserts the group, its tags, and its references to the launch configurations
   * `<launchConfigurationBase>@<site>` for every site of `clouds`.
   * @throws AlreadyExistsError when the name is taken.
   * @throws ValidationError when a referenced launch configuration does not exist.
   */
  insertGroup(group: Group): Promise<void>;
  /**
   * Replaces the group row, its tags and its launch configuration references by id, and bumps
   * its version.
   */
  updateGroup(group: Group): Promise<void>;
  /**
   * Removes the group with its tags, references and instances; its activities remain. Fails
   * while the group has a pending launch (see {@link UserReads.pendingLaunches}): the VMs it
   * brings would belong to no group.
   */
  deleteGroup(groupId: string): Promise<void>;
  /**
   * Sets the instance's health with the reason (null when healthy) and bumps its version.
   * @returns false when there is no such instance.
   */
  setInstanceHealth(id: string, health: HealthStatus, reason: string | null): Promise<boolean>;
  /**
   * Sets whether scale-in may remove the instance, and bumps its version.
   * @returns false when there is no such instance.
   */
  setInstanceProtection(id: string, protectedFromScaleIn: boolean): Promise<boolean>;
  /**
   * Marks the instance `Terminating` for the controller to terminate, with the reason, and
   * bumps its version.
   * @returns false when there is no such instance.
   */
  markInstanceTerminating(id: string, reason: string): Promise<boolean>;
  insertActivity(activity: Activity): Promise<void>;
  /**
   * Creates the policy, or replaces the one of that group and name (keeping its ARN).
   * @returns the policy as stored.
   */
  putPolicy(policy: ScalingPolicy): Promise<ScalingPolicy>;
  /** @returns false when the group has no policy of that name. */
  deletePolicy(groupId: string, name: string): Promise<boolean>;
}

/** The administrative view: users and their cloud credentials. */
export interface UserAdmin {
  /** @throws AlreadyExistsError when the name or the access key is taken. */
  createUser(user: UserRecord): Promise<void>;
  findUserByAccessKey(accessKeyId: string): Promise<UserRecord | null>;
  findUserByName(name: string): Promise<UserRecord | null>;
  /** Ordered by name. */
  listUsers(): Promise<UserRecord[]>;
  /**
   * Removes the user with their launch configurations, activities and credentials.
   * @returns false when there is no such user.
   * @throws ResourceInUseError while the user still owns groups (their VMs would leak).
   */
  removeUser(name: string): Promise<boolean>;
  /** Inserts or replaces the credentials of (user, site). */
  setCredentials(credentials: CloudCredentialsRecord): Promise<void>;
  getCredentials(userId: string, site: string): Promise<CloudCredentialsRecord | null>;
}

/** The store. Create one with `openStore(url)` (`src/store/open-store.ts`). */
export interface Store {
  readonly users: UserAdmin;
  /** The controller's access: everything in memory, batched writes, the change log. */
  readonly controller: ControllerStore;
  /** Users' metric series (CloudWatch's `PutMetricData`). */
  readonly metrics: MetricStore;
  /** Groups' scheduled actions and the occurrences they ran. */
  readonly schedules: ScheduledActionStore;
  /** CloudWatch's metric alarms and their history. */
  readonly alarms: AlarmStore;
  /** Pokes between replicas: an API write wakes the replica that holds the group's shard. */
  readonly pokes: ShardPokes;
  /** Reads of one user's resources (each call its own snapshot). */
  reads(userId: string): UserReads;
  /**
   * Runs `fn` in one transaction over the user's resources and bumps the user's generation.
   * Commits when `fn` resolves; rolls back and rethrows when it throws.
   * @throws UnknownUserError when the user no longer exists
   */
  write<T>(userId: string, fn: (tx: UserTx) => Promise<T>): Promise<T>;
  /**
   * A number that grows with every committed write to the user's resources.
   * @throws UnknownUserError when the user no longer exists
   */
  generation(userId: string): Promise<number>;
  close(): Promise<void>;
}
