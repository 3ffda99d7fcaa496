/**
 * The controller's side of the store. The controller keeps every group, VM, launch intent and
 * backoff in memory (a pass over 10,000 groups cannot re-read 100,000 VM rows) and writes its
 * decisions through in declarative batches, one transaction each. It learns about API changes
 * from a change log: every API write that touches a group (or one of its VMs) appends the
 * group's id, and {@link ControllerStore.changesSince} returns the current rows of those groups.
 *
 * Concurrency with the API: VM and group rows carry a `version`. A batch updates a row only if
 * its version is the one the controller read, and reports the rows it could not update; the
 * controller then reloads those groups. Every batch bumps the generation of the users whose
 * resources it changed, so cached API answers are invalidated.
 */
import type { Activity, LaunchIntent, ManagedInstance, OwnedGroup, PolicyType, ScalingPolicy, SiteBackoff } from "../core/types.js";

/** An activity with its owner. */
export interface OwnedActivity extends Activity {
  readonly userId: string;
}

/** A scaling policy with its owner. */
export interface OwnedScalingPolicy extends ScalingPolicy {
  readonly userId: string;
}

/** The end of an activity that was recorded `InProgress`. */
export interface ActivityCompletion {
  readonly userId: string;
  readonly id: string;
  readonly endTime: Date;
  readonly statusCode: "Successful" | "Failed" | "Cancelled";
  readonly statusMessage: string | null;
  readonly progress: number;
}

/** A group with its VMs (in no particular order), as loaded. */
export interface GroupWithInstances {
  readonly group: OwnedGroup;
  readonly instances: ManagedInstance[];
}

/** Everything the controller works from, read in one snapshot. */
export interface ControllerSnapshot {
  readonly groups: GroupWithInstances[];
  readonly intents: LaunchIntent[];
  readonly backoffs: SiteBackoff[];
  /** The change log position this snapshot includes; pass it to `changesSince`. */
  readonly changeSeq: number;
}

/** The API changes since a position of the change log. */
export interface ControllerChanges {
  readonly changeSeq: number;
  /** The current rows of the groups that changed and still exist. */
  readonly groups: GroupWithInstances[];
  /** Groups that changed and no longer exist. */
  readonly goneGroupIds: string[];
}

/**
 * One transaction of controller writes, applied in the order of the fields below. Every field
 * is optional; an empty batch does nothing.
 */
export interface ControllerWrites {
  /** The writer's leases on the shards of the batch's groups (see {@link ControllerStore.apply}). */
  readonly fence?: WriteFence;
  /**
   * Recorded before their cloud calls. An intent whose token is recorded already changes
   * nothing; one whose group no longer exists is not recorded and its group is reported as
   * conflicted (do not launch for it).
   */
  readonly insertIntents?: readonly LaunchIntent[];
  readonly deleteIntents?: readonly string[];
  /**
   * New VMs (`version` 0, inserted) and changed ones (updated only when the stored version is
   * `version - 1`; the stored version becomes `version`). A new VM whose id is recorded
   * already or whose group no longer exists, and a changed one that is not recorded, are
   * conflicts. A VM never moves to another group: `groupId` of a changed VM is not written.
   */
  readonly putInstances?: readonly ManagedInstance[];
  /** VMs whose termination the cloud confirmed. Removed whatever their version. */
  readonly deleteInstances?: readonly { readonly userId: string; readonly id: string }[];
  readonly insertActivities?: readonly OwnedActivity[];
  readonly completeActivities?: readonly ActivityCompletion[];
  /** Inserted or replaced per (user, site). */
  readonly putBackoffs?: readonly SiteBackoff[];
  readonly clearBackoffs?: readonly { readonly userId: string; readonly site: string }[];
  /**
   * Groups to change (desired capacity moved by the controller, e.g. on metrics): the row and
   * its tags, updated only when the stored version is `version - 1`. The launch configuration
   * references stay as the API wrote them: the controller changes sizes, not the launch
   * configuration or the sites.
   */
  readonly putGroups?: readonly OwnedGroup[];
  /**
   * Drained groups to remove with their tags and references. Removed only if the group is
   * still `deleting` and has no VMs and no launch intents left (a group that exists otherwise
   * is a conflict; one that is gone already is not). Its activities stay, as those of a
   * deleted group. Not written to the change log: the controller knows.
   */
  readonly deleteGroups?: readonly { readonly userId: string; readonly groupId: string }[];
}

/** What a batch could not do because the API changed the rows meanwhile. */
export interface ControllerWriteResult {
  /**
   * Groups with a write that was not applied (a VM or group row whose version did not match,
   * or one of the cases named in {@link ControllerWrites}): reload them. The rest of the batch
   * was applied.
   */
  readonly conflictedGroupIds: string[];
  /** Shards of the fence no longer the writer's: nothing of the batch was written. */
  readonly lostShards: number[];
}

/** How many VMs one group of one user has on one site. */
export interface SiteHolding {
  readonly site: string;
  readonly userName: string;
  readonly groupName: string;
  /** VMs recorded on the site. */
  readonly count: number;
  /** VMs asked for by launches not yet finished on the site (which may have made them). */
  readonly launching: number;
}

/** A shard's lease as its holder knows it: writes for the shard are fenced by `epoch`. */
export interface ShardLease {
  readonly shard: number;
  readonly epoch: number;
}

/** The shards a replica works on: `shards`, each below `count` (`controller.shards`). */
export interface ShardScope {
  readonly count: number;
  readonly shards: readonly number[];
}

/** A writer's claim on the shards its batch touches, checked in the batch's transaction. */
export interface WriteFence {
  readonly holder: string;
  readonly leases: readonly ShardLease[];
  /** SQLite only: the host's time, against which expiry is checked (PostgreSQL uses its own). */
  readonly now: Date;
  /**
   * PostgreSQL: the server ends the transaction when the writer stalls this long inside it
   * (`idle_in_transaction_session_timeout`), so a paused replica does not hold its shard rows
   * and keep the other replicas from taking them.
   */
  readonly stallLimitMs: number;
}

/** See {@link ControllerStore.leaseRound}. */
export interface LeaseRoundRequest {
  readonly holder: string;
  /** `controller.shards`: the same for every replica. */
  readonly shardCount: number;
  readonly ttlMs: number;
  /** SQLite only: the host's time. */
  readonly now: Date;
  /** Shards to give up first (the holder stopped acting on them already). */
  readonly release: readonly number[];
}

/** What a lease round left. */
export interface LeaseRoundResult {
  /** The shards `holder` holds until the round's now + ttl, by shard. */
  readonly held: ShardLease[];
  /** Replicas with a live heartbeat, this one included. */
  readonly liveReplicas: number;
}

/** The controller's access to the database. */
export interface ControllerStore {
  /**
   * This deployment's id, created on first use and the same for every replica sharing the
   * database. VMs are tagged with it, so orphan collection never touches another deployment's.
   */
  deploymentId(): Promise<string>;
  /**
   * One round of the shard leases for `holder`, each step one statement: its heartbeat (live
   * until now + `ttlMs`), the shards of `release` given up, the shards it holds renewed until
   * now + `ttlMs`, then free or expired shards claimed up to its fair share of the live
   * replicas (`core/shards.ts`), each claim bumping the shard's epoch. "Now" is the database's
   * clock on PostgreSQL and `now` on SQLite (one host). Shard rows are created on first use.
   */
  leaseRound(request: LeaseRoundRequest): Promise<LeaseRoundResult>;
  /** Gives every shard of `holder` up and removes its heartbeat (on shutdown). */
  releaseShards(holder: string): Promise<void>;
  /** Everything (or the groups of `scope`'s shards, their intents, and every backoff), in one snapshot. */
  loadSnapshot(scope?: ShardScope): Promise<ControllerSnapshot>;
  /**
   * Groups changed by the API after `changeSeq` (of `scope`'s shards only). Never skips a change, whatever order
   * concurrent API writes commit in; a group may show again with no new change.
   * @throws Error when the log no longer reaches back to `changeSeq` (it keeps 10,000
   *   positions behind the last position read): load a new snapshot.
   */
  changesSince(changeSeq: number, scope?: ShardScope): Promise<ControllerChanges>;
  /** Every group's scaling policies of these types (the controller runs target tracking). */
  loadPolicies(types: readonly PolicyType[]): Promise<OwnedScalingPolicy[]>;
  /**
   * The VMs recorded on sites other than `sites` (whatever their state), counted per site,
   * user and group, ordered by site, user and group: what a configuration that keeps only
   * `sites` would strand.
   */
  vmsOutside(sites: readonly string[]): Promise<SiteHolding[]>;
  /** The current rows of these groups (with their VMs); groups that no longer exist are absent. */
  loadGroups(groupIds: readonly string[]): Promise<GroupWithInstances[]>;
  /**
   * Applies one batch in one transaction, and bumps the generation of every user it names
   * once (`deleteIntents` name none). With a `fence`, the transaction first checks that every
   * lease of the fence is still the writer's (same holder and epoch, not expired on the
   * database's clock) and holds them meanwhile (PostgreSQL `FOR SHARE`, so no other replica
   * takes the shard before the commit); if one is not, nothing is written and the result
   * names the lost shards.
   */
  apply(writes: ControllerWrites): Promise<ControllerWriteResult>;
}
