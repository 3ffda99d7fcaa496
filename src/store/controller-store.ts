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
}

/** The controller's access to the database. */
export interface ControllerStore {
  /**
   * This deployment's id, created on first use and the same for every replica sharing the
   * database. VMs are tagged with it, so orphan collection never touches another deployment's.
   */
  deploymentId(): Promise<string>;
  /**
   * Takes or renews the controller lease: true when `holder` holds it until `now + ttlMs`
   * (it was free, expired, or already `holder`'s). Only the holder runs reconcile passes.
   */
  acquireLease(holder: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (on shutdown) if `holder` holds it. */
  releaseLease(holder: string): Promise<void>;
  /** Everything, in one snapshot. */
  loadSnapshot(): Promise<ControllerSnapshot>;
  /**
   * Groups changed by the API after `changeSeq`. Never skips a change, whatever order
   * concurrent API writes commit in; a group may show again with no new change.
   * @throws Error when the log no longer reaches back to `changeSeq` (it keeps 10,000
   *   positions behind the last position read): load a new snapshot.
   */
  changesSince(changeSeq: number): Promise<ControllerChanges>;
  /** Every group's scaling policies of these types (the controller runs target tracking). */
  loadPolicies(types: readonly PolicyType[]): Promise<OwnedScalingPolicy[]>;
  /** The current rows of these groups (with their VMs); groups that no longer exist are absent. */
  loadGroups(groupIds: readonly string[]): Promise<GroupWithInstances[]>;
  /**
   * Applies one batch in one transaction, and bumps the generation of every user it names
   * once (`deleteIntents` name none).
   */
  apply(writes: ControllerWrites): Promise<ControllerWriteResult>;
}
