/**
 * One reconcile pass: compare what should be with what the clouds report, and act on the
 * difference. Level-triggered: a pass needs nothing from the previous one that is not in the
 * store, so a restart at any point loses nothing.
 *
 *   refresh ─▶ list clouds ─▶ scheduled actions ─▶ alarms run policies ─▶ metrics move desired capacities ─▶ judge health ─▶ collect orphans ─▶ decide placement
 *      ─▶ record intents, terminations, activities (one transaction)
 *      ─▶ cloud calls: terminate, launch (re-driving unfinished launches with their tokens)
 *      ─▶ record outcomes (one transaction) ─▶ failed sites back off; decide again for the
 *         groups they left short, so the shortfall overflows to the next site in this pass
 *
 * Crash safety: a launch's intent (group, site, count, token) is committed before the cloud
 * call and removed only with the VMs it made; after a restart the intent is driven again with
 * the same token, and the cloud answers with the same VMs. VMs tagged with this deployment that
 * no group owns and no intent explains are terminated after a grace period.
 *
 * Shards: the model holds the groups of the shards this replica holds (`shard-leases.ts`), each
 * loaded from the store when its lease is gained (with a new epoch) and dropped when it is lost.
 * Every batch is fenced by the epochs of the shards it touches: a batch the store refuses drops
 * those shards and ends the pass before any cloud call. Each cloud call is made only while its
 * shard's lease is still running on the database's clock (`ShardOwnership.mayAct`).
 *
 * The pure decisions live in `core/` (`health.ts`, `placement.ts`, `backoff.ts`); this file
 * only gathers their inputs and carries out their outputs.
 */
import { randomUUID } from "node:crypto";
import { backOff, backoffSeconds, isBackingOff } from "../core/backoff.js";
import { capsDue, overCapSince } from "../core/cap-grace.js";
import { judgeHealth, type Observation } from "../core/health.js";
import { decidePlacement, type LaunchDecision, type TerminationDecision } from "../core/placement.js";
import { shardOf, shardTag } from "../core/shards.js";
import { fullLaunchConfigurationName } from "../core/sites.js";
import type { LaunchConfiguration, LaunchIntent, ManagedInstance, OwnedGroup, SiteBackoff } from "../core/types.js";
import { isCloudError, VM_TAGS, type CloudVm, type DriverCredentials, type VmSpec } from "../clouds/driver.js";
import type { PhantomConfig } from "../config/config.js";
import type { Logger } from "../observability/logger.js";
import type { VmCount } from "../observability/metrics.js";
import type { ActivityCompletion, ControllerWrites, OwnedActivity, ShardLease, WriteFence } from "../store/controller-store.js";
import type { Store } from "../store/store.js";
import {
  completion,
  failedLaunchActivity,
  failedListingActivity,
  launchActivity,
  shortfallActivity,
  terminationActivity,
} from "./activity-records.js";
import { forEachBounded, type ConcurrencyLimits } from "./bounded-concurrency.js";
import { listingKey, NO_CREDENTIALS, outcomeOf, type CloudAccess, type Listing } from "./cloud-access.js";
import { ListingBackoffs, type ListingFailure } from "./listing-backoffs.js";
import type { Clock } from "./clock.js";
import { AlarmEvaluator } from "./alarm-evaluator.js";
import { MetricScaler } from "./metric-scaler.js";
import { ScheduledActionRunner } from "./scheduled-action-runner.js";
import type { ShardOwnership } from "./shard-leases.js";

/** The controller's timing, from the `controller:` section of the configuration. */
export type ControllerSettings = PhantomConfig["controller"];

/** What one pass did, for logs, metrics and tests. */
export interface PassReport {
  readonly groups: number;
  readonly instances: number;
  readonly launched: number;
  readonly launchRequests: number;
  readonly terminated: number;
  readonly orphansTerminated: number;
  readonly failures: number;
  /** The shards the pass covered (those held when it started). */
  readonly shards: readonly number[];
  /** Whether the pass listed every VM of the deployment, not only its shards' (orphans). */
  readonly fullListing: boolean;
}

/** Everything a pass needs. */
export interface ReconcilerDeps {
  readonly store: Store;
  readonly clouds: CloudAccess;
  readonly clock: Clock;
  readonly settings: ControllerSettings;
  readonly logger: Logger;
  /** The shards this replica holds: the model holds their groups only. */
  readonly shards: ShardOwnership;
  /** How long metrics are kept (default two hours): older ones are pruned by the passes. */
  readonly metricRetentionMs?: number;
}

interface GroupState {
  group: OwnedGroup;
  instances: ManagedInstance[];
}

/** A VM of this deployment that nothing explains, due for termination. */
interface Orphan {
  readonly site: string;
  readonly userId: string | null;
  readonly id: string;
  /** From its tags: the group (gone) whose shard decides which replica terminates it. */
  readonly groupId: string;
}

/** A launch about to be made: a new intent, or one left unfinished by a crash. */
interface PendingLaunch {
  readonly intent: LaunchIntent;
  readonly why: string;
}

/** A batch of writes being put together during a pass. */
class Batch {
  readonly #instances = new Map<string, ManagedInstance>();
  insertIntents: LaunchIntent[] = [];
  deleteIntents: string[] = [];
  deleteInstances: { userId: string; id: string }[] = [];
  insertActivities: OwnedActivity[] = [];
  completeActivities: ActivityCompletion[] = [];
  putBackoffs: SiteBackoff[] = [];
  /** `putBackoffs` by `user\0site`: one backoff per (user, site) and batch. */
  readonly #backoffs = new Map<string, SiteBackoff>();
  clearBackoffs: { userId: string; site: string }[] = [];
  deleteGroups: { userId: string; groupId: string }[] = [];
  putGroups: OwnedGroup[] = [];
  /** Groups written for through fields that do not name them (deletions, backoffs, completions). */
  readonly #touched = new Set<string>();

  /** Notes that a write of this batch is for this group (its shard fences the batch). */
  touch(groupId: string): void {
    this.#touched.add(groupId);
  }

  /** Every group the batch writes for. */
  groupIds(): Set<string> {
    const ids = new Set(this.#touched);
    for (const i of this.insertIntents) ids.add(i.groupId);
    for (const i of this.#instances.values()) ids.add(i.groupId);
    for (const a of this.insertActivities) ids.add(a.groupId);
    for (const g of this.putGroups) ids.add(g.id);
    for (const g of this.deleteGroups) ids.add(g.groupId);
    return ids;
  }

  /** The backoff this batch puts for (user, site), if any. */
  backoff(userId: string, site: string): SiteBackoff | undefined {
    return this.#backoffs.get(backoffKey(userId, site));
  }

  /** Puts a backoff (the first of the batch for its user and site). */
  putBackoff(backoff: SiteBackoff): void {
    this.#backoffs.set(backoffKey(backoff.userId, backoff.site), backoff);
    this.putBackoffs.push(backoff);
  }

  /** A new VM (version 0). */
  insert(instance: ManagedInstance): void {
    this.#instances.set(`${instance.userId}\0${instance.id}`, instance);
  }

  /**
   * A changed VM, given with the version it was read at; returns it as written. A row is
   * written once per batch with its version one higher, however often the pass changed it.
   */
  update(changed: ManagedInstance): ManagedInstance {
    const key = `${changed.userId}\0${changed.id}`;
    const earlier = this.#instances.get(key);
    const written = { ...changed, version: earlier === undefined ? changed.version + 1 : earlier.version };
    this.#instances.set(key, written);
    return written;
  }

  toWrites(): ControllerWrites {
    return { ...this, putInstances: [...this.#instances.values()] };
  }

  get empty(): boolean {
    // Object.values sees the public arrays only (private fields are not properties).
    return this.#instances.size === 0 && Object.values(this).every((v) => (v as unknown[]).length === 0);
  }
}

/**
 * How often a replica lists the whole deployment when its last such listing showed every VM with
 * a current shard tag (each one costs a walk over every VM of the deployment).
 */
export const QUIET_FULL_LISTING_MS = 30 * 60_000;

/** How long a VM may stay `Terminating` before its termination is asked for again. */
const TERMINATE_RETRY_MS = 30_000;
/** Launch calls made at once: in all, and per site and credentials (one account's rate limit). */
const LAUNCH_CONCURRENCY: ConcurrencyLimits = { total: 32, perKey: 8 };

/** Runs reconcile passes over an in-memory model of every group, kept in step with the store. */
export class Reconciler {
  readonly #groups = new Map<string, GroupState>();
  readonly #intents = new Map<string, LaunchIntent>();
  readonly #backoffs = new Map<string, SiteBackoff>();
  /** When each unexplained VM (`site\0user\0id`, the user empty for shared sites) was first seen. */
  readonly #orphans = new Map<string, number>();
  /** The last shortfall recorded per group, so it is recorded once, not every pass. */
  readonly #shortfalls = new Map<string, string>();
  /** Groups whose rows a batch found changed: reloaded from the store at the next refresh. */
  readonly #stale = new Set<string>();
  /**
   * When this process last asked the cloud to terminate each VM (`user\0id`). A stored
   * `terminateRequestedAt` does not prove the call was made: a crash can fall between the
   * commit and the call. So a VM `Terminating` that this process has not asked for yet is
   * asked for at once.
   */
  readonly #terminationsAsked = new Map<string, number>();
  /** Launch tokens whose last call ended without knowing whether VMs were made. */
  readonly #uncertain = new Set<string>();
  /** The shards the model holds, with the epochs they were loaded under. */
  readonly #loadedShards = new Map<number, number>();
  #changeSeq = 0;
  #deploymentId: string | null = null;
  #loaded = false;
  readonly #scaler: MetricScaler;
  readonly #scheduler: ScheduledActionRunner;
  readonly #alarms: AlarmEvaluator;
  /** Per group: when each of its sites first kept VMs over its cap, waiting for replacements. */
  readonly #overCapSince = new Map<string, Map<string, Date>>();
  /** Per (user, site): failed listings wait before the site is listed again. */
  readonly #listingBackoffs: ListingBackoffs;
  /** When this replica last listed every VM of the deployment (orphans without a current shard tag). */
  #fullListingAt: number | null = null;
  /** Whether that listing showed VMs without a current shard tag: they are listed whole more often. */
  #untaggedListed = true;

  constructor(private readonly deps: ReconcilerDeps) {
    this.#listingBackoffs = new ListingBackoffs({ initialMs: deps.settings.backoffInitialMs, maxMs: deps.settings.backoffMaxMs });
    this.#scheduler = new ScheduledActionRunner({ store: deps.store, logger: deps.logger });
    this.#alarms = new AlarmEvaluator({ store: deps.store, logger: deps.logger });
    this.#scaler = new MetricScaler({ store: deps.store, retentionMs: deps.metricRetentionMs ?? 2 * 3600_000, logger: deps.logger });
  }

  /** The VMs of the in-memory model by site and lifecycle state, all users' groups together (metrics). */
  *vmCounts(): Generator<VmCount> {
    const counts = new Map<string, VmCount>();
    for (const { instances } of this.#groups.values()) {
      for (const { site, lifecycleState: state } of instances) {
        const key = `${site}\0${state}`;
        counts.set(key, { site, state, count: (counts.get(key)?.count ?? 0) + 1 });
      }
    }
    yield* counts.values();
  }

  /** Drops the in-memory model (the controller lost its lease); the next pass reloads it. */
  reset(): void {
    this.#groups.clear();
    this.#intents.clear();
    this.#backoffs.clear();
    this.#orphans.clear();
    this.#shortfalls.clear();
    this.#overCapSince.clear();
    this.#stale.clear();
    this.#terminationsAsked.clear();
    this.#uncertain.clear();
    this.#loadedShards.clear();
    this.#fullListingAt = null;
    this.#untaggedListed = true;
    this.#loaded = false;
  }

  /** This deployment's id (tags every VM). */
  async deploymentId(): Promise<string> {
    this.#deploymentId ??= await this.deps.store.controller.deploymentId();
    return this.#deploymentId;
  }

  /** One pass over the groups of the shards held. */
  async runPass(): Promise<PassReport> {
    const { clock } = this.deps;
    await this.#refresh();
    const shards = [...this.#loadedShards.keys()];
    const now = clock.now();
    const full = this.#fullListingDue(now);
    const report = { groups: this.#groups.size, instances: 0, launched: 0, launchRequests: 0, terminated: 0, orphansTerminated: 0, failures: 0, shards, fullListing: false };
    if (this.#loadedShards.size === 0) return report;
    const deployment = await this.deploymentId();
    const scope = full
      ? { deploymentId: deployment, shardTags: null, known: new Map() }
      : { deploymentId: deployment, shardTags: shards.map((shard) => shardTag(deployment, shard, this.deps.shards.count)), known: this.#knownBySite() };
    const listings = await this.deps.clouds.listAll(scope, this.#usersBySite(), now.getTime(), (site, userId) =>
      this.#listingBackoffs.waiting(site, userId, now),
    );
    if (full) {
      this.#fullListingAt = now.getTime();
      this.#untaggedListed = listsUntagged(listings, deployment, this.deps.shards.count);
    }
    report.fullListing = full;
    const batch = new Batch();
    this.#recordListingFailures(this.#listingBackoffs.record(listings, now), batch, now);

    // Scheduled actions set sizes first (each occurrence committed on its own, exactly once),
    // then alarms run their policies (each alarm's outcome committed on its own).
    this.#committed(await this.#scheduler.run(this.#groups, now, (groupId) => this.#fenceOf(groupId, now)));
    this.#committed(await this.#alarms.run(this.#groups, now, (key) => this.#fenceOf(key, now)));
    // Metrics and target tracking move desired capacities next; placement then follows them.
    const scaling = await this.#scaler.decide(this.#groups.values(), now);
    for (const next of scaling.groups) {
      const state = this.#groups.get(next.id);
      if (state) state.group = next;
      batch.putGroups.push(next);
    }
    batch.insertActivities.push(...scaling.activities);

    const seen = this.#index(listings);
    const owned = this.#judge(seen, batch, now);
    const orphans = this.#collectOrphans(listings, seen, owned, deployment, full, now);

    // Terminations not yet confirmed are asked for again now and then, and at once when this
    // process has not asked for them itself (recorded before a crash or by the API).
    const toTerminate: ManagedInstance[] = [];
    for (const state of this.#groups.values()) {
      const replaced = new Map<ManagedInstance, ManagedInstance>();
      for (const i of state.instances) {
        if (i.lifecycleState !== "Terminating") continue;
        const asked = this.#terminationsAsked.get(instanceKey(i));
        if (asked === undefined || now.getTime() - asked >= TERMINATE_RETRY_MS) {
          const next = batch.update({ ...i, terminateRequestedAt: now });
          replaced.set(i, next);
          toTerminate.push(next);
        }
      }
      replaceInstances(state, replaced);
    }

    // Launches left unfinished (by a crash) are driven again first, with their own tokens.
    const launches: PendingLaunch[] = [...this.#intents.values()].map((intent) => ({ intent, why: intent.cause }));
    const blockedByListing = this.#listingFailures(listings);
    const launching = this.#launchingByGroup();
    for (const state of this.#groups.values()) {
      report.instances += state.instances.length;
      this.#decide(state, launching, blockedByListing, now, batch, launches, toTerminate);
    }

    const conflicts = await this.#apply(batch, now);
    // Shards lost: another replica drives them now, and this pass makes no cloud call at all.
    if (conflicts === null) return report;
    const terminations = toTerminate.filter((i) => !conflicts.has(i.groupId));
    report.terminated = terminations.length;
    await this.#terminate(terminations, orphans, now);
    report.orphansTerminated = orphans.length;

    // Launch; failures back their site off and the groups they left short are decided again,
    // so the shortfall overflows to the next site in this same pass.
    let round: PendingLaunch[] = launches.filter((l) => !conflicts.has(l.intent.groupId));
    for (let attempt = 0; round.length > 0 && attempt <= this.#maxClouds(); attempt++) {
      const outcome = await this.#launch(round, now);
      report.launchRequests += round.length;
      report.launched += outcome.launched;
      report.failures += outcome.failedGroups.size;
      if (outcome.failedGroups.size === 0 || outcome.lost) break;
      const retry = new Batch();
      const next: PendingLaunch[] = [];
      const stillLaunching = this.#launchingByGroup();
      for (const groupId of outcome.failedGroups) {
        const state = this.#groups.get(groupId);
        if (state) this.#decide(state, stillLaunching, blockedByListing, now, retry, next, [], "launches-only");
      }
      if ((await this.#apply(retry, now)) === null) break;
      round = next;
    }
    return report;
  }

  /**
   * Whether this pass lists the whole deployment rather than the shards held: at the first pass,
   * then every half orphan grace while the last such listing showed VMs without a current shard
   * tag (launched before shard tags, or under another `controller.shards`), else every
   * {@link QUIET_FULL_LISTING_MS}: only such VMs need it to be found as orphans.
   */
  #fullListingDue(now: Date): boolean {
    if (this.#fullListingAt === null) return true;
    const every = this.#untaggedListed ? this.deps.settings.orphanGraceMs / 2 : Math.max(this.deps.settings.orphanGraceMs / 2, QUIET_FULL_LISTING_MS);
    return now.getTime() - this.#fullListingAt >= every;
  }

  /** Takes in groups a step committed on its own, and drops the shards it found lost. */
  #committed(result: { readonly changed: readonly OwnedGroup[]; readonly lostShards: readonly number[] }): void {
    for (const next of result.changed) {
      const state = this.#groups.get(next.id);
      if (state) state.group = next;
    }
    if (result.lostShards.length > 0) {
      this.deps.shards.lost([...result.lostShards]);
      this.#dropShards([...result.lostShards]);
    }
  }

  // ── Refresh ────────────────────────────────────────────────────────────────────────────

  async #refresh(): Promise<void> {
    const store = this.deps.store.controller;
    const held = this.deps.shards.held();
    const count = this.deps.shards.count;
    if (!this.#loaded) {
      const snapshot = await store.loadSnapshot({ count, shards: [...held.keys()] });
      this.reset();
      for (const { group, instances } of snapshot.groups) this.#groups.set(group.id, { group, instances });
      for (const intent of snapshot.intents) this.#intents.set(intent.token, intent);
      for (const b of snapshot.backoffs) this.#backoffs.set(backoffKey(b.userId, b.site), b);
      for (const [shard, epoch] of held) this.#loadedShards.set(shard, epoch);
      this.#changeSeq = snapshot.changeSeq;
      this.#loaded = true;
      return;
    }
    this.#dropShards([...this.#loadedShards].filter(([shard, epoch]) => held.get(shard) !== epoch).map(([shard]) => shard));
    const gained = [...held].filter(([shard, epoch]) => this.#loadedShards.get(shard) !== epoch);
    const changes = await store.changesSince(this.#changeSeq, { count, shards: [...this.#loadedShards.keys()] });
    for (const { group, instances } of changes.groups) this.#groups.set(group.id, { group, instances });
    for (const id of changes.goneGroupIds) {
      this.#groups.delete(id);
      this.#shortfalls.delete(id);
      this.#overCapSince.delete(id);
    }
    this.#changeSeq = changes.changeSeq;
    if (this.#stale.size > 0) {
      const ids = [...this.#stale];
      this.#stale.clear();
      const reloaded = await store.loadGroups(ids);
      for (const { group, instances } of reloaded) this.#groups.set(group.id, { group, instances });
      const present = new Set(reloaded.map((g) => g.group.id));
      const missing = new Set(ids.filter((id) => !present.has(id)));
      for (const id of missing) this.#groups.delete(id);
      // Their intents could not have been stored (they reference the group): forget them.
      if (missing.size > 0) for (const [token, intent] of this.#intents) if (missing.has(intent.groupId)) this.#intents.delete(token);
    }
    if (gained.length > 0) {
      // A shard gained is read from the store: whatever its last holder wrote is there. Its
      // changes from here on come through the change log, as for the other shards.
      const snapshot = await store.loadSnapshot({ count, shards: gained.map(([shard]) => shard) });
      for (const { group, instances } of snapshot.groups) this.#groups.set(group.id, { group, instances });
      for (const intent of snapshot.intents) this.#intents.set(intent.token, intent);
      for (const b of snapshot.backoffs) this.#backoffs.set(backoffKey(b.userId, b.site), b);
      for (const [shard, epoch] of gained) this.#loadedShards.set(shard, epoch);
    }
  }

  /** Forgets the groups, intents and pending work of shards this replica no longer holds. */
  #dropShards(shards: readonly number[]): void {
    if (shards.length === 0) return;
    const gone = new Set(shards);
    const isGone = (groupId: string) => gone.has(this.#shardOf(groupId));
    for (const id of this.#groups.keys()) {
      if (!isGone(id)) continue;
      this.#groups.delete(id);
      this.#shortfalls.delete(id);
      this.#overCapSince.delete(id);
    }
    for (const id of this.#stale) if (isGone(id)) this.#stale.delete(id);
    for (const [token, intent] of this.#intents) {
      if (!isGone(intent.groupId)) continue;
      this.#intents.delete(token);
      this.#uncertain.delete(token);
    }
    for (const shard of shards) this.#loadedShards.delete(shard);
  }

  #shardOf(groupId: string): number {
    return shardOf(groupId, this.deps.shards.count);
  }

  /** The fence of a write for this group alone, or null when its shard is not held. */
  #fenceOf(groupId: string, now: Date): WriteFence | null {
    const shard = this.#shardOf(groupId);
    const epoch = this.#loadedShards.get(shard);
    return epoch === undefined
      ? null
      : { holder: this.deps.shards.holder, leases: [{ shard, epoch }], now, stallLimitMs: this.deps.settings.leaseMs / 2 };
  }

  /** Whether a cloud call for this group may be made now (see `ShardOwnership.mayAct`). */
  #mayAct(groupId: string): boolean {
    const shard = this.#shardOf(groupId);
    const epoch = this.#loadedShards.get(shard);
    return epoch !== undefined && this.deps.shards.mayAct(shard, epoch);
  }

  // ── Listing and health ─────────────────────────────────────────────────────────────────

  #usersBySite(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    const add = (site: string, userId: string) => {
      if (!this.deps.clouds.perUser(site)) return;
      let users = out.get(site);
      if (!users) out.set(site, (users = new Set()));
      users.add(userId);
    };
    for (const { group, instances } of this.#groups.values()) {
      for (const c of group.clouds) add(c.site, group.userId);
      for (const i of instances) add(i.site, i.userId);
    }
    for (const intent of this.#intents.values()) add(intent.site, intent.userId);
    return out;
  }

  /** The ids of the model's VMs by listing (`site\0user`): a shard listing must account for them. */
  #knownBySite(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const { instances } of this.#groups.values()) {
      for (const i of instances) {
        const key = listingKey(i.site, this.deps.clouds.perUser(i.site) ? i.userId : null);
        let ids = out.get(key);
        if (ids === undefined) out.set(key, (ids = []));
        ids.push(i.id);
      }
    }
    return out;
  }

  /** Listings by `site\0user` (user empty for shared sites). */
  #index(listings: readonly Listing[]): Map<string, Listing["result"]> {
    return new Map(listings.map((l) => [listingKey(l.site, l.userId), l.result]));
  }

  /** What the listings say of one VM; a listed VM is added to `owned`. */
  #observe(seen: Map<string, Listing["result"]>, i: ManagedInstance, owned: Set<CloudVm>): Observation {
    const result = seen.get(listingKey(i.site, this.deps.clouds.perUser(i.site) ? i.userId : null));
    if (result === undefined || "error" in result) return { kind: "unknown" };
    const vm = result.vms.get(i.id);
    if (vm === undefined) return { kind: "absent" };
    owned.add(vm);
    return { kind: "listed", state: vm.state, reason: vm.reason, awaitsDelete: vm.awaitsDelete };
  }

  /** Judges every VM of the model on the listings; returns the listed VMs that a group owns. */
  #judge(seen: Map<string, Listing["result"]>, batch: Batch, now: Date): Set<CloudVm> {
    const owned = new Set<CloudVm>();
    const health = { bootTimeoutMs: this.deps.settings.bootTimeoutMs, missingGraceMs: this.deps.settings.missingGraceMs };
    for (const state of this.#groups.values()) {
      const kept: ManagedInstance[] = [];
      for (const i of state.instances) {
        const verdict = judgeHealth(i, this.#observe(seen, i, owned), i.site, now, health);
        const event = verdict.event;
        if (event?.kind === "terminated") {
          this.#terminationsAsked.delete(instanceKey(i));
          batch.touch(i.groupId);
          batch.deleteInstances.push({ userId: i.userId, id: i.id });
          batch.completeActivities.push(completion("terminate", i, "Successful", null, now));
          continue;
        }
        const next = verdict.instance === i ? i : batch.update(verdict.instance);
        if (event?.kind === "in-service") {
          batch.touch(i.groupId);
          batch.completeActivities.push(completion("launch", i, "Successful", null, now));
          // A VM booted on this site: the site works again for this user.
          const key = backoffKey(i.userId, i.site);
          const b = this.#backoffs.get(key);
          if (b && !isBackingOff(b, now)) {
            this.#backoffs.delete(key);
            batch.clearBackoffs.push({ userId: i.userId, site: i.site });
          }
        } else if (event?.kind === "boot-failed") {
          batch.touch(i.groupId);
          batch.completeActivities.push(completion("launch", i, "Failed", event.reason, now));
          this.#backOff(i.groupId, i.userId, i.site, `a VM failed to boot (${event.reason})`, now, batch);
        }
        kept.push(next);
      }
      state.instances = kept;
    }
    return owned;
  }

  /**
   * Unexplained VMs past their grace period, to terminate. `owned` are the listed VMs of the
   * model's groups (from `#judge`): only the rest are looked at, without a key per VM listed.
   * When each was first seen is forgotten once it is explained or gone: by a `full` listing, or
   * by a shard listing that shows it explained (one does not show orphans whose tags name no
   * current shard).
   */
  #collectOrphans(
    listings: readonly Listing[],
    seen: ReadonlyMap<string, Listing["result"]>,
    owned: ReadonlySet<CloudVm>,
    deployment: string,
    full: boolean,
    now: Date,
  ): Orphan[] {
    const tokens = new Set(this.#intents.keys());
    const stillSeen = new Set<string>();
    const due: Orphan[] = [];
    // Listings that failed this pass: keep what we knew of their orphans.
    const unlisted = new Set(listings.filter((l) => "error" in l.result).map((l) => listingKey(l.site, l.userId)));
    if (unlisted.size > 0) for (const key of this.#orphans.keys()) if (unlisted.has(key.slice(0, key.lastIndexOf("\0")))) stillSeen.add(key);
    for (const listing of listings) {
      if ("error" in listing.result) continue;
      for (const vm of listing.result.vms.values()) {
        if (owned.has(vm) || vm.tags[VM_TAGS.deployment] !== deployment || isGone(vm)) continue;
        if (tokens.has(vm.tags[VM_TAGS.token] ?? "")) continue;
        // Another replica's, unless its group's shard is held here.
        const groupId = vm.tags[VM_TAGS.group] ?? "";
        if (!this.#loadedShards.has(this.#shardOf(groupId))) continue;
        const key = `${listingKey(listing.site, listing.userId)}\0${vm.id}`;
        stillSeen.add(key);
        const first = this.#orphans.get(key) ?? now.getTime();
        this.#orphans.set(key, first);
        if (now.getTime() - first >= this.deps.settings.orphanGraceMs) due.push({ site: listing.site, userId: listing.userId, id: vm.id, groupId });
      }
    }
    // A shard listing does not show VMs without a current shard tag: such an orphan keeps its
    // first sighting until a whole listing. One it shows that is explained now is forgotten.
    const shown = (key: string) => {
      const at = key.lastIndexOf("\0");
      const result = seen.get(key.slice(0, at));
      return result !== undefined && "vms" in result && result.vms.has(key.slice(at + 1));
    };
    for (const key of this.#orphans.keys()) if (!stillSeen.has(key) && (full || shown(key))) this.#orphans.delete(key);
    return due;
  }

  /** A failed listing is an activity of each group of its user that uses the site. */
  #recordListingFailures(failures: readonly ListingFailure[], batch: Batch, now: Date): void {
    if (failures.length === 0) return;
    const byKey = new Map(failures.map((f) => [listingKey(f.site, f.userId), f]));
    for (const { group, instances } of this.#groups.values()) {
      const sites = new Set([...group.clouds.map((c) => c.site), ...instances.map((i) => i.site)]);
      for (const site of sites) {
        const failure = byKey.get(listingKey(site, this.deps.clouds.perUser(site) ? group.userId : null));
        if (failure !== undefined) batch.insertActivities.push(failedListingActivity(group, site, failure.backoff, now));
      }
    }
  }

  #listingFailures(listings: readonly Listing[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const l of listings) {
      if ("error" in l.result) out.set(listingKey(l.site, l.userId), l.result.error);
    }
    return out;
  }

  // ── Decisions ──────────────────────────────────────────────────────────────────────────

  /** Sites of the group that may not take new VMs now, with why. */
  #blocked(group: OwnedGroup, listingFailures: Map<string, string>, now: Date): Map<string, string> {
    const out = new Map<string, string>();
    for (const { site } of group.clouds) {
      if (this.deps.clouds.driver(site) === undefined) {
        out.set(site, "is not a configured site");
        continue;
      }
      const b = this.#backoffs.get(backoffKey(group.userId, site));
      if (b && isBackingOff(b, now)) {
        // The end time, not a countdown: the reason stays the same pass after pass.
        out.set(site, `is backing off until ${b.until.toISOString().replace(/\.\d{3}Z$/, "Z")} after ${b.lastError}`);
        continue;
      }
      const failure = listingFailures.get(listingKey(site, this.deps.clouds.perUser(site) ? group.userId : null));
      if (failure === NO_CREDENTIALS) out.set(site, "has no credentials for this user (phantom credentials set)");
      else if (failure !== undefined) out.set(site, `could not be listed (${failure})`);
    }
    return out;
  }

  /** The VMs being launched (intents recorded), per group and site: one look at every intent. */
  #launchingByGroup(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const intent of this.#intents.values()) {
      let bySite = out.get(intent.groupId);
      if (bySite === undefined) out.set(intent.groupId, (bySite = new Map()));
      bySite.set(intent.site, (bySite.get(intent.site) ?? 0) + intent.count);
    }
    return out;
  }

  #decide(
    state: GroupState,
    launchingByGroup: ReadonlyMap<string, ReadonlyMap<string, number>>,
    listingFailures: Map<string, string>,
    now: Date,
    batch: Batch,
    launches: PendingLaunch[],
    toTerminate: ManagedInstance[],
    mode: "all" | "launches-only" = "all",
  ): void {
    const { group } = state;
    const launching = launchingByGroup.get(group.id) ?? new Map<string, number>();
    const { retired } = this.deps.clouds;
    const { bootTimeoutMs, intervalMs } = this.deps.settings;
    const enforceCaps = capsDue(this.#overCapSince.get(group.id), now, Math.max(0, bootTimeoutMs - intervalMs));
    const blocked = this.#blocked(group, listingFailures, now);
    const decision = decidePlacement({ group, instances: state.instances, launching, blocked, retired, enforceCaps });
    if (mode === "all") {
      if (decision.overCap.length === 0) this.#overCapSince.delete(group.id);
      else this.#overCapSince.set(group.id, overCapSince(this.#overCapSince.get(group.id), decision.overCap, now));
      const replaced = new Map<ManagedInstance, ManagedInstance>();
      for (const t of decision.terminations) replaced.set(t.instance, this.#markTerminating(state.group, t, now, batch, toTerminate));
      replaceInstances(state, replaced);
      if (group.status === "deleting" && state.instances.length === 0 && launching.size === 0) {
        batch.deleteGroups.push({ userId: group.userId, groupId: group.id });
        this.#groups.delete(group.id);
        return;
      }
    }
    for (const l of decision.launches) launches.push(this.#intend(group, l, now, batch));
    const last = this.#shortfalls.get(group.id);
    if (decision.shortfall !== null && decision.shortfall !== last) {
      batch.insertActivities.push(shortfallActivity(group, decision.shortfall, now));
      this.#shortfalls.set(group.id, decision.shortfall);
    } else if (decision.shortfall === null && last !== undefined) {
      this.#shortfalls.delete(group.id);
    }
  }

  /** Records a termination in the batch; returns the VM as now written (`Terminating`). */
  #markTerminating(group: OwnedGroup, t: TerminationDecision, now: Date, batch: Batch, toTerminate: ManagedInstance[]): ManagedInstance {
    const next = batch.update({ ...t.instance, lifecycleState: "Terminating", terminationReason: t.cause, terminateRequestedAt: now });
    batch.insertActivities.push(terminationActivity(group, next, t.cause, now));
    toTerminate.push(next);
    return next;
  }

  #intend(group: OwnedGroup, l: LaunchDecision, now: Date, batch: Batch): PendingLaunch {
    const intent: LaunchIntent = {
      token: randomUUID(),
      userId: group.userId,
      groupId: group.id,
      site: l.site,
      count: l.count,
      createdAt: now,
      cause: l.cause,
    };
    this.#intents.set(intent.token, intent);
    batch.insertIntents.push(intent);
    return { intent, why: l.cause };
  }

  #maxClouds(): number {
    let max = 1;
    for (const { group } of this.#groups.values()) max = Math.max(max, group.clouds.length);
    return max;
  }

  // ── Effects ────────────────────────────────────────────────────────────────────────────

  /**
   * Applies a batch, fenced by the epochs of the shards it touches. Returns the groups whose
   * rows the API changed meanwhile (reloaded next pass), or null when the store refused the
   * batch because a shard was lost: those shards are dropped from the model, and the batch's
   * other shards are reloaded from the store at the next refresh.
   */
  async #apply(batch: Batch, now: Date): Promise<Set<string> | null> {
    if (batch.empty) return new Set();
    const leases: ShardLease[] = [];
    const unheld: number[] = [];
    for (const shard of new Set([...batch.groupIds()].map((id) => this.#shardOf(id)))) {
      const epoch = this.#loadedShards.get(shard);
      if (epoch === undefined) unheld.push(shard);
      else leases.push({ shard, epoch });
    }
    const result =
      unheld.length > 0
        ? { conflictedGroupIds: [], lostShards: unheld }
        : await this.deps.store.controller.apply({ ...batch.toWrites(), fence: { holder: this.deps.shards.holder, leases, now, stallLimitMs: this.deps.settings.leaseMs / 2 } });
    if (result.lostShards.length > 0) {
      this.deps.shards.lost(result.lostShards);
      // Nothing of the batch was written, for the shards still held either: they are read again
      // from the store at the next refresh, so the model keeps no change the store refused (VMs
      // just launched but not recorded, with their intents already forgotten in memory, would
      // otherwise be launched for again with new tokens; the stored intents drive them again
      // with theirs).
      this.#dropShards([...new Set([...result.lostShards, ...leases.map((l) => l.shard)])]);
      return null;
    }
    const conflicts = new Set(result.conflictedGroupIds);
    // Take these groups out of the model so this pass acts on nothing stale; the next refresh
    // reloads them from the store (their intents, kept in memory, count until then).
    for (const id of conflicts) {
      this.#groups.delete(id);
      this.#stale.add(id);
    }
    return conflicts;
  }

  async #terminate(instances: readonly ManagedInstance[], orphans: readonly Orphan[], now: Date): Promise<void> {
    const batches = new Map<string, { site: string; userId: string | null; ids: string[] }>();
    const add = (site: string, userId: string | null, id: string) => {
      const key = listingKey(site, userId);
      let b = batches.get(key);
      if (!b) batches.set(key, (b = { site, userId, ids: [] }));
      b.ids.push(id);
    };
    for (const i of instances) {
      if (!this.#mayAct(i.groupId)) continue;
      add(i.site, this.deps.clouds.perUser(i.site) ? i.userId : null, i.id);
      this.#terminationsAsked.set(instanceKey(i), now.getTime());
    }
    for (const o of orphans) if (this.#mayAct(o.groupId)) add(o.site, o.userId, o.id);
    await Promise.all(
      [...batches.values()].map(async ({ site, userId, ids }) => {
        const driver = this.deps.clouds.driver(site);
        if (!driver) return;
        const credentials = userId === null ? null : await this.deps.clouds.credentials(userId, site, now.getTime());
        if (credentials === undefined) return;
        try {
          await driver.terminate(credentials, ids);
          this.#observed(site, "terminate", "ok");
        } catch (e) {
          // Retried by a later pass: the VMs stay Terminating (orphans stay unexplained).
          this.#observed(site, "terminate", outcomeOf(e));
          this.deps.logger.warn({ site, count: ids.length, err: e }, "terminate failed");
        }
      }),
    );
  }

  async #launch(round: readonly PendingLaunch[], now: Date): Promise<{ launched: number; failedGroups: Set<string>; lost: boolean }> {
    const batch = new Batch();
    const failedGroups = new Set<string>();
    let launched = 0;
    const configs = await this.#launchConfigurations(round);
    const keyOf = ({ intent }: PendingLaunch) => listingKey(intent.site, this.deps.clouds.perUser(intent.site) ? intent.userId : null);
    await forEachBounded(round, keyOf, LAUNCH_CONCURRENCY, async (next) => {
      const made = await this.#launchOne(next, now, batch, failedGroups, configs);
      launched += made;
    });
    const lost = (await this.#apply(batch, now)) === null;
    return { launched, failedGroups, lost };
  }

  /**
   * The launch configurations a round of launches uses, by `user\0name`: one read per user
   * (per thousand names), not one per launch.
   */
  async #launchConfigurations(round: readonly PendingLaunch[]): Promise<Map<string, LaunchConfiguration>> {
    const names = new Map<string, Set<string>>();
    for (const { intent } of round) {
      const group = this.#groups.get(intent.groupId)?.group;
      if (group === undefined) continue;
      let set = names.get(intent.userId);
      if (set === undefined) names.set(intent.userId, (set = new Set()));
      set.add(fullLaunchConfigurationName(group.launchConfigurationBase, intent.site));
    }
    const out = new Map<string, LaunchConfiguration>();
    for (const [userId, set] of names) {
      const all = [...set];
      for (let i = 0; i < all.length; i += 1_000) {
        const chunk = all.slice(i, i + 1_000);
        const { items } = await this.deps.store.reads(userId).listLaunchConfigurations(chunk, { limit: chunk.length });
        for (const lc of items) out.set(`${userId}\0${lc.name}`, lc);
      }
    }
    return out;
  }

  /** One launch call and what it leaves in the batch; returns how many VMs it made. */
  async #launchOne(
    { intent, why }: PendingLaunch,
    now: Date,
    batch: Batch,
    failedGroups: Set<string>,
    configs: ReadonlyMap<string, LaunchConfiguration>,
  ): Promise<number> {
    const state = this.#groups.get(intent.groupId);
    if (state === undefined) {
      // Only after a reload race: the intent stays and is driven again once its group is back.
      this.deps.logger.warn({ token: intent.token, groupId: intent.groupId }, "launch intent without its group; retrying later");
      return 0;
    }
    const fail = (error: string) => {
      this.#intents.delete(intent.token);
      batch.touch(intent.groupId);
      batch.deleteIntents.push(intent.token);
      const backoff = this.#backOff(intent.groupId, intent.userId, intent.site, error, now, batch);
      batch.insertActivities.push(failedLaunchActivity(state.group, intent.site, intent.count, error, backoffSeconds(backoff, now), now));
      failedGroups.add(intent.groupId);
      return 0;
    };
    const driver = this.deps.clouds.driver(intent.site);
    if (!driver) return fail(`${intent.site} is not a configured site`);
    const credentials = await this.deps.clouds.credentials(intent.userId, intent.site, now.getTime());
    if (credentials === undefined) return fail(`no credentials for ${intent.site} (phantom credentials set)`);
    const spec = this.#spec(intent, state.group, credentials, configs);
    if (spec === null) return fail(`no launch configuration for ${intent.site}`);
    // The shard's lease may have run out (a pause, a long pass): its next holder drives the
    // intent, with the same token.
    if (!this.#mayAct(intent.groupId)) return 0;
    let vms: CloudVm[];
    try {
      vms = await driver.launch({ credentials, spec, count: intent.count, token: intent.token, tags: this.#tags(intent, state.group) });
      this.deps.clouds.count(intent.site, "launch", "ok", vms.length);
    } catch (e) {
      this.#observed(intent.site, "launch", outcomeOf(e));
      const error = isCloudError(e) ? `${intent.site} answered ${e.code}` : `${intent.site} failed: ${e instanceof Error ? e.message : String(e)}`;
      if (!isCloudError(e)) this.deps.logger.error({ err: e, site: intent.site }, "launch failed unexpectedly");
      // A timeout or a 5xx may come after the cloud launched the VMs. Such a launch keeps its
      // intent and is driven once more with the same token next pass, so VMs made despite
      // the error are adopted rather than made again; a second failure gives it up.
      const unknownOutcome = !isCloudError(e) || e.kind === "transient" || e.kind === "throttled";
      if (unknownOutcome && !this.#uncertain.has(intent.token)) {
        this.#uncertain.add(intent.token);
        this.#backOff(intent.groupId, intent.userId, intent.site, error, now, batch);
        return 0;
      }
      this.#uncertain.delete(intent.token);
      return fail(error);
    }
    this.#uncertain.delete(intent.token);
    this.#intents.delete(intent.token);
    batch.touch(intent.groupId);
    batch.deleteIntents.push(intent.token);
    const { group } = state;
    const lcName = fullLaunchConfigurationName(group.launchConfigurationBase, intent.site);
    const shownLcName = configs.get(`${intent.userId}\0${lcName}`)?.shownName ?? lcName;
    const instances = vms.map((vm): ManagedInstance => ({
      id: vm.id,
      userId: intent.userId,
      groupId: intent.groupId,
      groupName: group.name,
      site: intent.site,
      launchConfigurationName: shownLcName,
      instanceType: vm.instanceType,
      lifecycleState: "Pending",
      healthStatus: "Healthy",
      protectedFromScaleIn: group.extra.NewInstancesProtectedFromScaleIn === true,
      launchedAt: vm.launchedAt,
      launchToken: intent.token,
      cloudState: vm.state,
      lastSeenAt: now,
      missingSince: null,
      inServiceAt: null,
      healthReason: null,
      terminationReason: null,
      terminateRequestedAt: null,
      version: 0,
    }));
    for (const i of instances) batch.insert(i);
    state.instances.push(...instances);
    for (const i of instances) batch.insertActivities.push(launchActivity(group, i, why, now));
    if (vms.length < intent.count) {
      // The cloud ran out of room part way: a capacity signal like any other.
      const error = `${intent.site} had room for only ${vms.length} of ${intent.count}`;
      const backoff = this.#backOff(intent.groupId, intent.userId, intent.site, error, now, batch);
      const missing = intent.count - vms.length;
      batch.insertActivities.push(failedLaunchActivity(group, intent.site, missing, error, backoffSeconds(backoff, now), now));
      failedGroups.add(intent.groupId);
    }
    return vms.length;
  }

  #spec(
    intent: LaunchIntent,
    group: OwnedGroup,
    credentials: DriverCredentials | null,
    configs: ReadonlyMap<string, LaunchConfiguration>,
  ): VmSpec | null {
    const lc = configs.get(`${intent.userId}\0${fullLaunchConfigurationName(group.launchConfigurationBase, intent.site)}`);
    if (!lc) return null;
    return {
      imageId: lc.spec.ImageId,
      instanceType: lc.spec.InstanceType,
      keyName: credentials?.keyName ?? lc.spec.KeyName,
      userData: lc.spec.UserData,
      securityGroups: lc.spec.SecurityGroups,
    };
  }

  #tags(intent: LaunchIntent, group: OwnedGroup): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const t of group.tags) if (t.propagateAtLaunch && !t.key.startsWith("aws:")) tags[t.key] = t.value;
    const deployment = this.#deploymentId ?? "";
    tags[VM_TAGS.deployment] = deployment;
    tags[VM_TAGS.user] = intent.userId;
    tags[VM_TAGS.group] = intent.groupId;
    tags[VM_TAGS.groupName] = group.name;
    tags[VM_TAGS.token] = intent.token;
    tags[VM_TAGS.shard] = shardTag(deployment, this.#shardOf(intent.groupId), this.deps.shards.count);
    return tags;
  }

  /** Backs (user, site) off after a failure of `groupId`'s; returns the backoff in effect. */
  #backOff(groupId: string, userId: string, site: string, error: string, now: Date, batch: Batch): SiteBackoff {
    batch.touch(groupId);
    const key = backoffKey(userId, site);
    const { backoffInitialMs: initialMs, backoffMaxMs: maxMs } = this.deps.settings;
    // One failure per pass per (user, site): several groups failing on one full site is one signal.
    const already = batch.backoff(userId, site);
    if (already) return already;
    const next = backOff(this.#backoffs.get(key), userId, site, error, now, { initialMs, maxMs });
    this.#backoffs.set(key, next);
    batch.putBackoff(next);
    return next;
  }

  #observed(site: string, call: "launch" | "describe" | "terminate", outcome: ReturnType<typeof outcomeOf>): void {
    this.deps.clouds.count(site, call, outcome);
  }
}

/** Puts the new versions of changed VMs in place, in one walk over the group's VMs. */
function replaceInstances(state: GroupState, replaced: ReadonlyMap<ManagedInstance, ManagedInstance>): void {
  if (replaced.size > 0) state.instances = state.instances.map((i) => replaced.get(i) ?? i);
}

function backoffKey(userId: string, site: string): string {
  return `${userId}\0${site}`;
}

function instanceKey(i: ManagedInstance): string {
  return `${i.userId}\0${i.id}`;
}

/**
 * Whether the listings show a VM of the deployment, not gone, whose `phantom:shard` tag is
 * missing or names another shard count: one that shard listings do not show.
 */
function listsUntagged(listings: readonly Listing[], deployment: string, shards: number): boolean {
  const prefix = `${deployment}:`;
  const suffix = `/${shards}`;
  for (const l of listings) {
    if ("error" in l.result) return true;
    for (const vm of l.result.vms.values()) {
      if (vm.tags[VM_TAGS.deployment] !== deployment || isGone(vm)) continue;
      const tag = vm.tags[VM_TAGS.shard];
      if (tag === undefined || !tag.startsWith(prefix) || !tag.endsWith(suffix)) return true;
    }
  }
  return false;
}

/** Gone or going: an OpenStack server in ERROR is terminated, yet still there to delete. */
function isGone(vm: CloudVm): boolean {
  return (vm.state === "terminated" && vm.awaitsDelete !== true) || vm.state === "shutting-down";
}
