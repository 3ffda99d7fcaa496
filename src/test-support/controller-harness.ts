/**
 * The controller on a virtual clock, for tests: a real store (SQLite in memory), one fake
 * driver per site, the reconciler, and a user who changes groups through the real API handlers
 * (without HTTP). `run(n)` runs n passes, moving the clock one interval after each.
 */
import { randomBytes } from "node:crypto";
import type { ApiSettings, ActionContext } from "../api/actions/action.js";
import { AUTOSCALING_ACTIONS } from "../api/actions/index.js";
import { MONITORING } from "../api/services.js";
import type { SiteConfig } from "../config/config.js";
import type { Activity, Instance, UserWithSecret } from "../core/types.js";
import { VM_TAGS } from "../clouds/driver.js";
import { FakeDriver } from "../clouds/fake/fake-driver.js";
import { shardOf, shardTag } from "../core/shards.js";
import { CloudAccess } from "../controller/cloud-access.js";
import { Reconciler, type ControllerSettings, type PassReport } from "../controller/reconciler.js";
import type { ShardLeases } from "../controller/shard-leases.js";
import { createLogger } from "../observability/logger.js";
import { SecretBox } from "../secrets/secret-box.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { addUser, setCloudCredentials } from "../users/user-accounts.js";
import { soleReplicaShards } from "./sole-replica.js";
import { VirtualClock } from "./virtual-clock.js";

/** A site of the harness: a fake cloud. */
export interface HarnessSite {
  readonly name: string;
  readonly capacity?: number;
  readonly bootSeconds?: number;
  /** Fails as EC2 (default) or as OpenStack does. */
  readonly failures?: "ec2" | "openstack";
  /**
   * The site takes each user's own access key (as an `ec2` site does): it is listed once per
   * user, and a user without credentials for it gets no VMs there (see {@link ControllerHarness.setCredentials}).
   */
  readonly perUserCredentials?: boolean;
}

/** The settings controller tests run with unless they say otherwise. */
export const TEST_CONTROLLER_SETTINGS: ControllerSettings = {
  intervalMs: 5_000,
  bootTimeoutMs: 600_000,
  missingGraceMs: 60_000,
  backoffInitialMs: 30_000,
  backoffMaxMs: 600_000,
  orphanGraceMs: 120_000,
  leaseMs: 30_000,
  shards: 8,
};

/** A controller, its clouds and a user, on a virtual clock. */
export class ControllerHarness {
  readonly clock = new VirtualClock();
  readonly drivers = new Map<string, FakeDriver>();
  reconciler!: Reconciler;
  /** The shard leases of {@link reconciler}: every shard, renewed before each pass. */
  shards!: ShardLeases;
  user!: UserWithSecret;
  store!: Store;
  readonly calls: { site: string; call: string; outcome: string }[] = [];
  readonly #box = new SecretBox(randomBytes(32));
  #settings!: ControllerSettings;
  #sites!: SiteConfig[];

  /** Starts a harness. */
  static async start(sites: readonly HarnessSite[], settings: Partial<ControllerSettings> = {}): Promise<ControllerHarness> {
    const h = new ControllerHarness();
    h.store = await openStore("sqlite::memory:");
    h.#settings = { ...TEST_CONTROLLER_SETTINGS, ...settings };
    h.#sites = sites.map((s): SiteConfig =>
      s.perUserCredentials === true
        ? { name: s.name, driver: "ec2", endpoint: "http://127.0.0.1:9/", region: "us-east-1" }
        : {
            name: s.name,
            driver: "simulated",
            capacity: s.capacity ?? 1000,
            bootSeconds: s.bootSeconds ?? 0,
            launchFailureRate: 0,
            apiErrorRate: 0,
            apiLatencyMs: 0,
            deathRatePerHour: 0,
          },
    );
    sites.forEach((s, k) => {
      // Distinct seeds: VM ids must not repeat across sites (they are unique per user).
      const options = { clock: () => h.clock.now(), site: s.name, capacity: s.capacity, bootSeconds: s.bootSeconds ?? 0, seed: k + 1, failures: s.failures };
      h.drivers.set(s.name, new FakeDriver(options));
    });
    h.user = await addUser(h.store, h.#box, "tester");
    await h.restart();
    return h;
  }

  /**
   * A new reconciler over the same store and clouds: what a restart after a crash sees. It
   * holds the shards under the same name, so it takes them at once.
   */
  async restart(): Promise<void> {
    const { shards, reconciler } = await this.replica("harness");
    this.shards = shards;
    this.reconciler = reconciler;
  }

  /**
   * Another controller replica on the same store and clouds, named `holder`, after its first
   * lease round (it takes what is free or expired on the virtual clock, up to a fair share).
   */
  async replica(holder: string): Promise<{ shards: ShardLeases; reconciler: Reconciler; pass(): Promise<PassReport> }> {
    const shards = await soleReplicaShards(this.store, this.clock, this.#settings, { holder, monotonic: () => this.clock.now().getTime() });
    const clouds = new CloudAccess(this.#sites, this.drivers, this.store, this.#box, (site, call, outcome) =>
      this.calls.push({ site, call, outcome }),
    );
    const reconciler = new Reconciler({
      store: this.store,
      clouds,
      clock: this.clock,
      settings: this.#settings,
      logger: createLogger(process.env.PHANTOM_TEST_LOG_LEVEL ?? "silent"),
      shards,
    });
    return {
      shards,
      reconciler,
      async pass() {
        await shards.round();
        return reconciler.runPass();
      },
    };
  }

  /**
   * Another user of the same Phantom. Assign it to {@link user} to act as that user: the API
   * calls, groups, layouts and activities that follow are theirs.
   */
  async addUser(name: string): Promise<UserWithSecret> {
    return addUser(this.store, this.#box, name);
  }

  /** Gives `user` the access key `accessKeyId` for a per-user-credentials site (its account on the fake cloud). */
  async setCredentials(user: UserWithSecret, site: string, accessKeyId: string): Promise<void> {
    const credentials = { accessKeyId, secretAccessKey: `secret-of-${accessKeyId}` };
    await setCloudCredentials(this.store, this.#box, this.#sites.map((s) => s.name), user.name, site, credentials);
  }

  /**
   * Marks `site` `retired: true` in the configuration and restarts the controller with it, as
   * an operator would restart `phantom serve` after editing the file.
   */
  async retire(site: string): Promise<void> {
    this.#sites = this.#sites.map((s) => (s.name === site ? { ...s, retired: true } : s));
    await this.restart();
  }

  /** The driver of a site. */
  driver(site: string): FakeDriver {
    const d = this.drivers.get(site);
    if (!d) throw new Error(`no site ${site}`);
    return d;
  }

  /** Calls an API action as the harness's user, at the virtual clock's time. */
  async api(action: string, input: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const handler = AUTOSCALING_ACTIONS[action] ?? MONITORING.actions[action];
    if (!handler) throw new Error(`no action ${action}`);
    const settings: ApiSettings = {
      region: "test",
      catalog: { names: this.#sites.map((s) => s.name), defaultSite: null },
      limits: { launchConfigurations: 200, groups: 500 },
      metrics: { retentionMs: 2 * 3600_000, maxSeriesPerUser: 10_000 },
    };
    const ctx: ActionContext = { user: this.user, store: this.store, settings, now: this.clock.now(), groupChanged: () => {} };
    return handler.handle(input, ctx);
  }

  /** Creates `base@site` for every site, then a Phantom group over `clouds` keeping `n` VMs. */
  async createGroup(name: string, clouds: string, n: number, options: { maxSize?: number; tags?: Record<string, string> } = {}): Promise<void> {
    const tags = { PHANTOM_DEFINITION: "error_overflow_n_preserving", clouds, n_preserve: String(n), ...options.tags };
    await this.#create(name, clouds, tags, options.maxSize ?? 1000);
  }

  /**
   * Creates `base@site` for every site, then a `sensor_engine` group over `clouds` reading
   * `App/load` (thresholds 70 and 30) with these tags on top, sized 0..`maxSize`.
   */
  async createSensorGroup(name: string, clouds: string, tags: Record<string, string>, maxSize: number): Promise<void> {
    const all = { PHANTOM_DEFINITION: "sensor_engine", clouds, metric: "App/load", scale_up_threshold: "70", scale_down_threshold: "30", ...tags };
    await this.#create(name, clouds, all, maxSize);
  }

  async #create(name: string, clouds: string, tags: Record<string, string>, maxSize: number): Promise<void> {
    const base = `lc-${name}`;
    for (const entry of clouds.split(",")) {
      const site = entry.split(":")[0]!;
      const existing = await this.store.reads(this.user.id).listLaunchConfigurations([`${base}@${site}`], { limit: 1 });
      if (existing.items.length === 0) {
        await this.api("CreateLaunchConfiguration", { LaunchConfigurationName: `${base}@${site}`, ImageId: "ami-test", InstanceType: "m1.small" });
      }
    }
    await this.api("CreateAutoScalingGroup", {
      AutoScalingGroupName: name,
      LaunchConfigurationName: base,
      MinSize: 0,
      MaxSize: maxSize,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    });
  }

  /**
   * The tags Phantom puts on a VM of group `groupId` (its deployment, group and shard), for
   * VMs a test launches itself: orphans, VMs of a launch a crash left unrecorded.
   */
  async vmTags(groupId: string): Promise<Record<string, string>> {
    const deployment = await this.store.controller.deploymentId();
    const { shards } = this.#settings;
    return { [VM_TAGS.deployment]: deployment, [VM_TAGS.group]: groupId, [VM_TAGS.shard]: shardTag(deployment, shardOf(groupId, shards), shards) };
  }

  /** One pass at the current time, after a lease round. */
  async pass(): Promise<PassReport> {
    await this.shards.round();
    return this.reconciler.runPass();
  }

  /** `passes` passes, the clock moving `stepMs` (default: one interval) after each. */
  async run(passes: number, stepMs = this.#settings.intervalMs): Promise<PassReport[]> {
    const reports: PassReport[] = [];
    for (let k = 0; k < passes; k++) {
      reports.push(await this.pass());
      this.clock.advance(stepMs);
    }
    return reports;
  }

  /** The group's VMs as the API shows them. */
  async instances(group: string): Promise<Instance[]> {
    const g = await this.store.reads(this.user.id).getGroup(group);
    return g === null ? [] : this.store.reads(this.user.id).instancesOfGroups([g.id]);
  }

  /** `{ site: count }` of the group's VMs that are not terminating, optionally only in `state`. */
  async layout(group: string, state?: Instance["lifecycleState"]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const i of await this.instances(group)) {
      if (i.lifecycleState === "Terminating" || (state !== undefined && i.lifecycleState !== state)) continue;
      out[i.site] = (out[i.site] ?? 0) + 1;
    }
    return out;
  }

  /** How many of the group's VMs are `InService`, on every site. */
  async inService(group: string): Promise<number> {
    return Object.values(await this.layout(group, "InService")).reduce((a, b) => a + b, 0);
  }

  /** The group's activities, newest first. */
  async activities(group: string): Promise<Activity[]> {
    const page = await this.store.reads(this.user.id).listActivities({ groupName: group, includeDeletedGroups: true }, { limit: 1000 });
    return page.items;
  }

  /** VMs on a site's cloud that are not terminated, of every group. */
  alive(site: string): number {
    return this.driver(site).vms().filter((vm) => vm.state !== "terminated").length;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
