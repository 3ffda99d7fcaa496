/**
 * An in-process cloud that behaves like EC2 where Phantom can tell: instances go `pending` →
 * `running` after a boot time, a launch is idempotent by client token, a full cloud answers
 * `InsufficientInstanceCapacity`, terminated instances stay listed for a while, and accounts
 * never see each other's instances. Fault knobs make it fail the way real clouds do.
 *
 * Time is read from an injected clock and every state change is computed lazily from it: no
 * timers run, so tests on a virtual clock are exact and an idle cloud costs nothing. Events
 * that end a VM at a known future time (a failed boot, a death) wait in a heap and are applied
 * when a later call finds them due.
 *
 * It backs the `simulated` driver and `phantom simcloud` (an EC2 endpoint over this class, and
 * an OpenStack one), so its methods speak EC2's language: `runInstances`, `describeInstances`,
 * `terminateInstances`. What differs between the two faces is chosen per launch: ids shaped as
 * EC2's or as UUIDs, and whether VMs beyond the cloud's room are refused at once (EC2's
 * `InsufficientInstanceCapacity`) or accepted and failed (OpenStack's scheduler puts them in
 * ERROR with "No valid host was found").
 */
import { setTimeout as delay } from "node:timers/promises";
import { CloudError, type CloudVm, type DescribeFilter, type VmState } from "../driver.js";
import { MinHeap } from "./min-heap.js";

/** How a simulated cloud behaves. Rates are probabilities in [0, 1]. */
export interface SimulatedCloudOptions {
  /** Most VMs not terminated at once, all accounts together; launches beyond it fail. */
  readonly capacity: number;
  /** Seconds from launch until a VM is `running`. */
  readonly bootSeconds: number;
  /** Fraction of launched VMs that never come up: `pending` → `terminated` at boot time. */
  readonly launchFailureRate?: number | undefined;
  /** Fraction of API calls that fail with a transient error (`InternalError`/`Unavailable`). */
  readonly apiErrorRate?: number | undefined;
  /** Milliseconds each API call waits before it answers. */
  readonly apiLatencyMs?: number | undefined;
  /**
   * Milliseconds a launch that made VMs waits after making them, before it answers: the VMs
   * exist while their caller does not know them yet (a crash test kills the caller then).
   */
  readonly launchAnswerDelayMs?: number | undefined;
  /** Chance per running VM per hour of dying behind the caller's back. */
  readonly deathRatePerHour?: number | undefined;
  /**
   * Most VMs per account (EC2's instance limit, counting VMs not terminated; an OpenStack
   * project's instance quota, counting its servers not deleted, failed ones too); default
   * unlimited. A launch is cut down to fit; with no room left it is refused.
   */
  readonly quotaPerAccount?: number | undefined;
  /** How long terminated VMs stay listed; default 3600, as on EC2. */
  readonly terminatedRetentionSeconds?: number | undefined;
  /** Default: the system clock. It must not run backwards. */
  readonly clock?: (() => Date) | undefined;
  /** Numbers in [0, 1); default `Math.random`. Give a seeded one for repeatable runs. */
  readonly random?: (() => number) | undefined;
  /** Waits out the API latency; default real timers. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /**
   * Told of every launch that made VMs (not of a repeated token's), so a test can count
   * launches per token at the cloud itself.
   */
  readonly onLaunch?: ((launch: LaunchRecord) => void) | undefined;
}

/** A launch that made VMs, as {@link SimulatedCloudOptions.onLaunch} is told of it. */
export interface LaunchRecord {
  readonly account: string;
  readonly token: string | null;
  readonly reservationId: string;
  readonly count: number;
}

/** One `runInstances` call: EC2's RunInstances with MinCount = 1 and MaxCount = `count`. */
export interface RunInstancesRequest {
  readonly imageId: string;
  readonly instanceType: string;
  /** At most this many VMs; as many as fit are launched, at least {@link minCount}. */
  readonly count: number;
  /** At least this many, or none (EC2's `MinCount`, Nova's `min_count`); default 1. */
  readonly minCount?: number | undefined;
  /**
   * Idempotency token (EC2's `ClientToken`, at most 64 ASCII characters). A repeated token in
   * the same account returns the first call's VMs and launches nothing. Without one, every call
   * launches.
   */
  readonly token?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly keyName?: string | undefined;
  /** Base64, kept as given. */
  readonly userData?: string | undefined;
  readonly securityGroups?: readonly string[] | undefined;
  /**
   * What the VMs beyond the cloud's room do: `refuse` (default) launches only those that fit
   * and refuses a launch when none does, as EC2; `fail` launches them all and fails the ones
   * without room at once, as OpenStack's scheduler (Nova's "No valid host was found").
   */
  readonly whenFull?: "refuse" | "fail" | undefined;
  /** `ec2` (default): `i-` and 17 hex digits; `uuid`: as OpenStack's server ids. */
  readonly idFormat?: "ec2" | "uuid" | undefined;
  /**
   * What a face keeps with the launch and shows back (Nova's server name, its creator, its
   * network); the cloud never reads it.
   */
  readonly attributes?: Readonly<Record<string, string>> | undefined;
}

/** Why a VM is in its state, as EC2's `StateReason`. */
export interface StateReason {
  /** E.g. `Server.InternalError`, `Client.UserInitiatedShutdown`. */
  readonly code: string;
  readonly message: string;
}

/**
 * A VM with everything the simulated cloud knows of it (what EC2's DescribeInstances shows).
 * A snapshot: it does not change when the VM does. Its `launchedAt`, `tags` and
 * `securityGroups` are shared with the other VMs of its launch: do not mutate them.
 */
export interface SimulatedVm extends CloudVm {
  readonly account: string;
  /** The launch that made it (EC2's reservation), `r-` and 17 hex digits. */
  readonly reservationId: string;
  /** Its position in its launch (EC2's `AmiLaunchIndex`). */
  readonly launchIndex: number;
  readonly imageId: string;
  readonly keyName: string | null;
  readonly userData: string | null;
  readonly securityGroups: readonly string[];
  readonly clientToken: string | null;
  /** Why it is terminated; null while it is not. */
  readonly stateReason: StateReason | null;
  readonly terminatedAt: Date | null;
  /** How many VMs its launch made. */
  readonly launchSize: number;
  /** The launch's {@link RunInstancesRequest.attributes} (empty when none were given). */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * Its owner asked for it to go (EC2's TerminateInstances, Nova's DELETE). A VM that ended
   * otherwise — a failed boot, a host failure — and was not deleted since is one that an
   * OpenStack cloud still lists, in ERROR.
   */
  readonly deletedByOwner: boolean;
}

/**
 * A launch refused because its account is at its quota: a `capacity` error with EC2's code
 * `InstanceLimitExceeded`, and the numbers Nova's "Quota exceeded" message gives.
 */
export class QuotaExceededError extends CloudError {
  constructor(
    readonly requested: number,
    readonly used: number,
    readonly allowed: number,
  ) {
    super(
      "capacity",
      "InstanceLimitExceeded",
      `InstanceLimitExceeded: Your quota allows for ${Math.max(0, allowed - used)} more running instance(s). You requested at least 1.`,
    );
  }
}

/**
 * The outcome of terminating one id, as EC2's `InstanceStateChange`. Both states are null for
 * an id this account does not know (never launched, another account's, or long forgotten):
 * the caller decides whether that is an error; for Phantom's drivers it is success.
 */
export interface InstanceStateChange {
  readonly id: string;
  readonly previousState: VmState | null;
  readonly currentState: VmState | null;
}

/** What one launch shares among its VMs; kept once per launch, not per VM. */
interface Launch {
  readonly account: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly keyName: string | null;
  readonly userData: string | null;
  readonly securityGroups: readonly string[];
  readonly token: string | null;
  readonly attributes: Readonly<Record<string, string>>;
  /** One Date for all its VMs: a Date per VM per listing would be most of a listing's cost. */
  readonly launchedAt: Date;
  readonly vms: VmRecord[];
  /** VMs of this launch not yet forgotten; the launch is unindexed when it reaches 0. */
  remembered: number;
}

interface VmRecord {
  readonly id: string;
  readonly launch: Launch;
  readonly launchIndex: number;
  readonly bootAtMs: number;
  /** When it ends (failed boot, death, termination); `Infinity` while no end is set. */
  endsAtMs: number;
  /** Why it ends, once `endsAtMs` is set. */
  endReason: StateReason | null;
  /** Counted against capacity: not terminated. */
  live: boolean;
  /** Past its retention: gone from every index. */
  forgotten: boolean;
  /** See {@link SimulatedVm.deletedByOwner}. */
  deletedByOwner: boolean;
  /** The last call that listed it, so an id asked twice is listed once without a set. */
  listedBy: number;
}

interface Account {
  /** In launch order, for listing without a filter. */
  readonly vms: Map<string, VmRecord>;
  /** `key\0value` → the launches carrying that tag (all VMs of a launch share its tags). */
  readonly launchesByTag: Map<string, Set<Launch>>;
  readonly launchesByToken: Map<string, Launch>;
  /** Its VMs not terminated, for EC2's limit. */
  live: number;
  /** Its VMs not deleted by their owner (nor forgotten), for OpenStack's quota. */
  held: number;
}

const FAILED_BOOT: StateReason = {
  code: "Server.InternalError",
  message: "Server.InternalError: Internal error on launch",
};
const DIED: StateReason = {
  code: "Server.InternalError",
  message: "Server.InternalError: The instance's host failed",
};
/** Nova's words for a server its scheduler found no room for. */
const NO_VALID_HOST: StateReason = {
  code: "Server.InsufficientInstanceCapacity",
  message: "No valid host was found. There are not enough hosts available.",
};
const TERMINATED_BY_USER: StateReason = {
  code: "Client.UserInitiatedShutdown",
  message: "Client.UserInitiatedShutdown: User initiated shutdown",
};
const TRANSIENT_ERRORS = [
  { code: "InternalError", message: "An internal error has occurred." },
  { code: "Unavailable", message: "The service is unavailable. Please try again shortly." },
] as const;

const MS_PER_HOUR = 3_600_000;
const TOKEN_MAX_LENGTH = 64;

/** An in-process EC2-like cloud shared by any number of accounts. See the module comment. */
export class SimulatedCloud {
  private capacity: number;
  private bootMs: number;
  private launchFailureRate: number;
  private readonly quotaPerAccount: number;
  private readonly apiErrorRate: number;
  private readonly apiLatencyMs: number;
  private readonly launchAnswerDelayMs: number;
  private readonly deathRatePerMs: number;
  private readonly retentionMs: number;
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onLaunch: ((launch: LaunchRecord) => void) | undefined;

  private readonly accounts = new Map<string, Account>();
  /** Every remembered VM of every account: ids are unique across the cloud, as on EC2. */
  private readonly allVms = new Map<string, VmRecord>();
  /** VMs whose failed boot or death lies ahead, keyed by when it happens. */
  private readonly endings = new MinHeap<VmRecord>();
  /** Terminated VMs, keyed by when they are forgotten. */
  private readonly forgettings = new MinHeap<VmRecord>();
  private liveCount = 0;
  /** Numbers the calls that list by id (see `VmRecord.listedBy`). */
  private listings = 0;

  /** @throws RangeError when an option is out of range. */
  constructor(options: SimulatedCloudOptions) {
    this.capacity = checkCapacity(options.capacity);
    this.bootMs = checkAtLeastZero("bootSeconds", options.bootSeconds) * 1000;
    this.launchFailureRate = checkRate("launchFailureRate", options.launchFailureRate ?? 0);
    this.apiErrorRate = checkRate("apiErrorRate", options.apiErrorRate ?? 0);
    this.apiLatencyMs = checkAtLeastZero("apiLatencyMs", options.apiLatencyMs ?? 0);
    this.launchAnswerDelayMs = checkAtLeastZero("launchAnswerDelayMs", options.launchAnswerDelayMs ?? 0);
    this.deathRatePerMs = checkAtLeastZero("deathRatePerHour", options.deathRatePerHour ?? 0) / MS_PER_HOUR;
    this.quotaPerAccount = checkCapacity(options.quotaPerAccount ?? Infinity, "quotaPerAccount");
    this.onLaunch = options.onLaunch;
    this.retentionMs = checkAtLeastZero("terminatedRetentionSeconds", options.terminatedRetentionSeconds ?? 3600) * 1000;
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
  }

  /**
   * Launches up to `request.count` VMs in `account`: as many as its quota and (unless
   * `whenFull` is `fail`) the cloud have room for, at least one. A token already used in this
   * account returns that launch's VMs (in their current states, those not yet forgotten) and
   * launches nothing, whatever the count.
   * @throws CloudError `capacity`/`InsufficientInstanceCapacity` when no VM fits;
   *   {@link QuotaExceededError} when the account is at its quota; `config`/`InvalidParameterValue`
   *   for a malformed request; `transient` (injected faults).
   */
  async runInstances(account: string, request: RunInstancesRequest): Promise<SimulatedVm[]> {
    checkRunRequest(request);
    const now = await this.apiCall();
    const acc = this.account(account);
    const token = request.token === undefined || request.token === "" ? null : request.token;
    const earlier = token === null ? undefined : acc.launchesByToken.get(token);
    if (earlier !== undefined) return this.snapshots(earlier.vms, now);

    const minCount = request.minCount ?? 1;
    const failWhenFull = request.whenFull === "fail";
    // OpenStack counts a project's servers until they are deleted, failed ones too.
    const used = failWhenFull ? acc.held : acc.live;
    const quotaRoom = this.quotaPerAccount - used;
    if (quotaRoom < minCount) throw new QuotaExceededError(request.count, used, this.quotaPerAccount);
    const room = Math.max(0, this.capacity - this.liveCount);
    if (room < minCount && !failWhenFull) {
      throw new CloudError(
        "capacity",
        "InsufficientInstanceCapacity",
        `InsufficientInstanceCapacity: no room for ${request.instanceType}: ${this.liveCount} of ${this.capacity} VMs in use`,
      );
    }
    const n = Math.min(request.count, quotaRoom, failWhenFull ? Infinity : room);
    const launch: Launch = {
      account,
      reservationId: this.newId("r-", "ec2"),
      imageId: request.imageId,
      instanceType: request.instanceType,
      tags: Object.freeze({ ...request.tags }),
      keyName: request.keyName ?? null,
      userData: request.userData ?? null,
      securityGroups: Object.freeze([...(request.securityGroups ?? [])]),
      token,
      attributes: Object.freeze({ ...request.attributes }),
      launchedAt: new Date(now),
      vms: [],
      remembered: 0,
    };
    const bootAtMs = now + this.bootMs;
    for (let i = 0; i < n; i++) {
      const vm: VmRecord = {
        id: this.newId("i-", request.idFormat ?? "ec2"),
        launch,
        launchIndex: i,
        bootAtMs,
        endsAtMs: Infinity,
        endReason: null,
        live: true,
        forgotten: false,
        deletedByOwner: false,
        listedBy: 0,
      };
      if (i >= room) {
        // Taken, then failed by the scheduler: it never counts against the cloud's room.
        this.scheduleEnd(vm, now, NO_VALID_HOST);
      } else if (this.launchFailureRate > 0 && this.random() < this.launchFailureRate) {
        // Drawn only when the knob is on, so turning one knob does not reshuffle the others.
        this.scheduleEnd(vm, bootAtMs, FAILED_BOOT);
      } else if (this.deathRatePerMs > 0) {
        // An exponential lifetime from boot: P(dead by t) = 1 − exp(−rate·t), the same as
        // drawing at every look with the elapsed time, but independent of how often anyone looks.
        this.scheduleEnd(vm, bootAtMs - Math.log(1 - this.random()) / this.deathRatePerMs, DIED);
      }
      launch.vms.push(vm);
      acc.vms.set(vm.id, vm);
      this.allVms.set(vm.id, vm);
    }
    launch.remembered = n;
    this.onLaunch?.({ account, token, reservationId: launch.reservationId, count: n });
    this.liveCount += n;
    acc.live += n;
    acc.held += n;
    for (const [key, value] of Object.entries(launch.tags)) {
      const tagKey = tagIndexKey(key, value);
      let launches = acc.launchesByTag.get(tagKey);
      if (launches === undefined) acc.launchesByTag.set(tagKey, (launches = new Set()));
      launches.add(launch);
    }
    if (token !== null) acc.launchesByToken.set(token, launch);
    // With no boot time (or no room), a VM that fails is already over.
    this.advance(now);
    if (this.launchAnswerDelayMs === 0) return this.snapshots(launch.vms, now);
    await this.sleep(this.launchAnswerDelayMs);
    return this.snapshots(launch.vms, this.now());
  }

  /**
   * Lists `account`'s VMs carrying a tag, or with the given ids (unknown ids are left out,
   * repeated ones listed once, in the order asked), or, without a filter, all of them.
   * Terminated VMs are listed until their retention ends. Tag matches come in launch order, value by value.
   * @throws CloudError `transient` (injected faults).
   */
  async describeInstances(account: string, filter?: DescribeFilter): Promise<SimulatedVm[]> {
    const now = await this.apiCall();
    const acc = this.accounts.get(account);
    if (acc === undefined) return [];
    if (filter === undefined) return this.snapshots(acc.vms.values(), now);
    if ("ids" in filter) {
      const out: SimulatedVm[] = [];
      const listing = ++this.listings;
      for (const id of filter.ids) {
        const vm = acc.vms.get(id);
        if (vm === undefined || vm.listedBy === listing) continue;
        vm.listedBy = listing;
        out.push(this.snapshot(vm, now));
      }
      return out;
    }
    const out: SimulatedVm[] = [];
    for (const value of new Set(filter.tag.values)) {
      const launches = acc.launchesByTag.get(tagIndexKey(filter.tag.key, value));
      if (launches === undefined) continue;
      for (const launch of launches) {
        for (const vm of launch.vms) if (!vm.forgotten) out.push(this.snapshot(vm, now));
      }
    }
    return out;
  }

  /**
   * Terminates `account`'s VMs with these ids, at once (no `shutting-down` step). Ids that are
   * already terminated, unknown or another account's change nothing and are not an error; each
   * id asked (once) gets its {@link InstanceStateChange}.
   * @throws CloudError `transient` (injected faults).
   */
  async terminateInstances(account: string, ids: readonly string[]): Promise<InstanceStateChange[]> {
    const now = await this.apiCall();
    const acc = this.accounts.get(account);
    const out: InstanceStateChange[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      const vm = acc?.vms.get(id);
      if (vm === undefined) {
        out.push({ id, previousState: null, currentState: null });
        continue;
      }
      const previousState = this.stateOf(vm, now);
      if (vm.live) this.end(vm, now, TERMINATED_BY_USER);
      if (!vm.deletedByOwner) acc!.held--;
      vm.deletedByOwner = true;
      out.push({ id, previousState, currentState: "terminated" });
    }
    return out;
  }

  /**
   * Operator and test helper, not an API call (no latency, no faults): the VM dies now, behind
   * its owner's back, as if its host failed; a `pending` VM killed looks like a failed boot.
   * False when `account` has no such live VM.
   */
  kill(account: string, id: string): boolean {
    const now = this.now();
    const vm = this.accounts.get(account)?.vms.get(id);
    if (vm === undefined || !vm.live) return false;
    this.end(vm, now, DIED);
    return true;
  }

  /**
   * Operator and test helper: changes the capacity. VMs already over a lowered capacity keep
   * running; only new launches are refused, as when a real cloud fills up.
   * @throws RangeError when `capacity` is not a whole number ≥ 0 (or `Infinity`).
   */
  setCapacity(capacity: number): void {
    this.capacity = checkCapacity(capacity);
  }

  /**
   * Test helper: changes how long VMs launched from now on stay `pending` before they run;
   * VMs already launched keep their boot time.
   * @throws RangeError when `seconds` is negative.
   */
  setBootSeconds(seconds: number): void {
    this.bootMs = checkAtLeastZero("bootSeconds", seconds) * 1000;
  }

  /**
   * Operator and test helper: changes the fraction of launched VMs that never come up, for
   * launches from now on.
   * @throws RangeError when `rate` is not in [0, 1].
   */
  setLaunchFailureRate(rate: number): void {
    this.launchFailureRate = checkRate("launchFailureRate", rate);
  }

  /** Operator and test helper: how many VMs are listed in each state, in one account or all. */
  counts(account?: string): Record<VmState, number> {
    const now = this.now();
    const counts: Record<VmState, number> = {
      pending: 0,
      running: 0,
      stopping: 0,
      stopped: 0,
      "shutting-down": 0,
      terminated: 0,
    };
    for (const vm of this.listed(account)) counts[this.stateOf(vm, now)]++;
    return counts;
  }

  /**
   * Operator and test helper, not an API call: every listed VM of one account, or of all
   * accounts, in launch order.
   */
  instances(account?: string): SimulatedVm[] {
    return this.snapshots(this.listed(account), this.now());
  }

  private listed(account: string | undefined): Iterable<VmRecord> {
    if (account === undefined) return this.allVms.values();
    return this.accounts.get(account)?.vms.values() ?? [];
  }

  /** The latency and injected failure every API call goes through; returns the time it acts at. */
  private async apiCall(): Promise<number> {
    if (this.apiLatencyMs > 0) await this.sleep(this.apiLatencyMs);
    // The call fails before it acts, so a failed call changes nothing.
    if (this.apiErrorRate > 0 && this.random() < this.apiErrorRate) {
      const error = TRANSIENT_ERRORS[this.random() < 0.5 ? 0 : 1];
      throw new CloudError("transient", error.code, `${error.code}: ${error.message}`);
    }
    return this.now();
  }

  /** Reads the clock and applies every event that is due by then. */
  private now(): number {
    const now = this.clock().getTime();
    this.advance(now);
    return now;
  }

  private advance(now: number): void {
    while (this.endings.peekKey() <= now) {
      const vm = this.endings.pop()!;
      // A VM terminated before its scheduled end was already ended.
      if (vm.live) this.end(vm, vm.endsAtMs, vm.endReason!);
    }
    while (this.forgettings.peekKey() <= now) this.forget(this.forgettings.pop()!);
  }

  private scheduleEnd(vm: VmRecord, atMs: number, reason: StateReason): void {
    vm.endsAtMs = atMs;
    vm.endReason = reason;
    this.endings.push(atMs, vm);
  }

  private end(vm: VmRecord, atMs: number, reason: StateReason): void {
    vm.live = false;
    vm.endsAtMs = atMs;
    vm.endReason = reason;
    this.liveCount--;
    this.accounts.get(vm.launch.account)!.live--;
    this.forgettings.push(atMs + this.retentionMs, vm);
  }

  private forget(vm: VmRecord): void {
    vm.forgotten = true;
    this.allVms.delete(vm.id);
    const launch = vm.launch;
    const acc = this.accounts.get(launch.account)!;
    acc.vms.delete(vm.id);
    if (!vm.deletedByOwner) acc.held--;
    if (--launch.remembered > 0) return;
    // The last VM of its launch: the launch leaves the indexes, its token can launch again.
    for (const [key, value] of Object.entries(launch.tags)) {
      const tagKey = tagIndexKey(key, value);
      const launches = acc.launchesByTag.get(tagKey)!;
      launches.delete(launch);
      if (launches.size === 0) acc.launchesByTag.delete(tagKey);
    }
    if (launch.token !== null && acc.launchesByToken.get(launch.token) === launch) acc.launchesByToken.delete(launch.token);
  }

  private account(name: string): Account {
    let acc = this.accounts.get(name);
    if (acc === undefined) {
      acc = { vms: new Map(), launchesByTag: new Map(), launchesByToken: new Map(), live: 0, held: 0 };
      this.accounts.set(name, acc);
    }
    return acc;
  }

  /**
   * `prefix` and 17 hex digits, the first `0` as in EC2's current ids, or a version 4 UUID;
   * unique among VMs.
   */
  private newId(prefix: string, format: "ec2" | "uuid"): string {
    for (;;) {
      const id =
        format === "ec2"
          ? `${prefix}0${hex8(this.random())}${hex8(this.random())}`
          : uuidOf(hex8(this.random()) + hex8(this.random()) + hex8(this.random()) + hex8(this.random()));
      if (!this.allVms.has(id)) return id;
    }
  }

  private stateOf(vm: VmRecord, now: number): VmState {
    if (!vm.live) return "terminated";
    return now >= vm.bootAtMs ? "running" : "pending";
  }

  private snapshots(vms: Iterable<VmRecord>, now: number): SimulatedVm[] {
    const out: SimulatedVm[] = [];
    for (const vm of vms) if (!vm.forgotten) out.push(this.snapshot(vm, now));
    return out;
  }

  private snapshot(vm: VmRecord, now: number): SimulatedVm {
    const launch = vm.launch;
    const state = this.stateOf(vm, now);
    return {
      id: vm.id,
      state,
      launchedAt: launch.launchedAt,
      instanceType: launch.instanceType,
      tags: launch.tags,
      account: launch.account,
      reservationId: launch.reservationId,
      launchIndex: vm.launchIndex,
      imageId: launch.imageId,
      keyName: launch.keyName,
      userData: launch.userData,
      securityGroups: launch.securityGroups,
      clientToken: launch.token,
      stateReason: state === "terminated" ? vm.endReason : null,
      terminatedAt: state === "terminated" ? new Date(vm.endsAtMs) : null,
      launchSize: launch.vms.length,
      attributes: launch.attributes,
      deletedByOwner: vm.deletedByOwner,
    };
  }
}

function tagIndexKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** 32 hex digits as a version 4 UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`). */
function uuidOf(hex: string): string {
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function hex8(r: number): string {
  return Math.floor(r * 4294967296)
    .toString(16)
    .padStart(8, "0");
}

function checkRunRequest(request: RunInstancesRequest): void {
  const invalid = (message: string) => new CloudError("config", "InvalidParameterValue", `InvalidParameterValue: ${message}`);
  if (!Number.isSafeInteger(request.count) || request.count < 1) {
    throw invalid(`the instance count must be a whole number of at least 1, not ${request.count}`);
  }
  const minCount = request.minCount ?? 1;
  if (!Number.isSafeInteger(minCount) || minCount < 1 || minCount > request.count) {
    throw invalid(`the minimum count must be a whole number from 1 to the count, not ${minCount}`);
  }
  if (request.imageId === "") throw invalid("an image id is required");
  if (request.instanceType === "") throw invalid("an instance type is required");
  // EC2 takes up to 64 ASCII characters.
  if (request.token !== undefined && (request.token.length > TOKEN_MAX_LENGTH || !/^[\x20-\x7e]*$/.test(request.token))) {
    throw invalid(`the client token must be at most ${TOKEN_MAX_LENGTH} printable ASCII characters`);
  }
}

function checkRate(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1, not ${value}`);
  return value;
}

function checkAtLeastZero(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a finite number ≥ 0, not ${value}`);
  return value;
}

function checkCapacity(value: number, name = "capacity"): number {
  if (!(value === Infinity || (Number.isSafeInteger(value) && value >= 0))) {
    throw new RangeError(`${name} must be a whole number ≥ 0 or Infinity, not ${value}`);
  }
  return value;
}
