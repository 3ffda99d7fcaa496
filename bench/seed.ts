/**
 * Seeds a store directly (no HTTP) with one user's launch configurations, groups and instances,
 * for the benchmarks.
 */
import { randomUUID } from "node:crypto";
import { VM_TAGS } from "../src/clouds/driver.js";
import type { RunInstancesRequest, SimulatedVm } from "../src/clouds/simulated/simulated-cloud.js";
import { ANONYMOUS_ACCOUNT } from "../src/clouds/simulated/simulated-driver.js";
import type { CloudSlot, Group, ManagedInstance } from "../src/core/types.js";
import { shardOf, shardTag } from "../src/core/shards.js";
import type { Store, UserTx } from "../src/store/store.js";

/** The launch configurations `web@<site>` that every benchmark group uses, with each site's image. */
export async function insertLaunchConfigurations(tx: UserTx, sites: readonly string[], imageOf: (site: string) => string = () => "ami-12345678"): Promise<void> {
  for (const site of sites) {
    await tx.insertLaunchConfiguration({
      name: `web@${site}`,
      baseName: "web",
      site,
      arn: `arn:phantom:autoscaling:phantom:123456789012:launchConfiguration:${randomUUID()}:launchConfigurationName/web@${site}`,
      createdTime: new Date(),
      spec: { ImageId: imageOf(site), InstanceType: "m1.small" },
    });
  }
}

/**
 * A Phantom group of the `web` launch configurations, as CreateAutoScalingGroup with the
 * placement tags (and two tags propagated to its VMs) makes it.
 */
export function benchGroup(name: string, clouds: readonly CloudSlot[], desired: number, maxSize = 100): Group {
  const id = randomUUID();
  return {
    id,
    name,
    arn: `arn:phantom:autoscaling:phantom:123456789012:autoScalingGroup:${id}:autoScalingGroupName/${name}`,
    launchConfigurationName: "web",
    launchConfigurationBase: "web",
    minSize: 0,
    maxSize,
    desiredCapacity: desired,
    defaultCooldown: 300,
    healthCheckType: "EC2",
    healthCheckGracePeriod: 0,
    definition: "error_overflow_n_preserving",
    clouds,
    tags: [
      { key: "PHANTOM_DEFINITION", value: "error_overflow_n_preserving", propagateAtLaunch: false },
      { key: "clouds", value: clouds.map((c) => `${c.site}:${c.max}`).join(","), propagateAtLaunch: false },
      { key: "env", value: "bench", propagateAtLaunch: true },
      { key: "n_preserve", value: String(desired), propagateAtLaunch: false },
      { key: "team", value: "infra", propagateAtLaunch: true },
    ],
    status: "active",
    createdTime: new Date(),
    scaledAt: null,
    extra: {},
  };
}

/** Seeds `groups` Phantom groups of `instancesPerGroup` VMs each over the sites given. */
export async function seedGroups(
  store: Store,
  userId: string,
  options: { groups: number; instancesPerGroup: number; sites: readonly string[] },
): Promise<void> {
  const now = new Date();
  const instances: ManagedInstance[] = [];
  await store.write(userId, async (tx) => {
    await insertLaunchConfigurations(tx, options.sites);
    for (let g = 0; g < options.groups; g++) {
      const name = `group-${String(g).padStart(3, "0")}`;
      const clouds = options.sites.map((site, i) => ({ site, max: i === options.sites.length - 1 ? -1 : 8 }));
      const group = benchGroup(name, clouds, options.instancesPerGroup);
      const id = group.id;
      await tx.insertGroup(group);
      for (let i = 0; i < options.instancesPerGroup; i++) {
        const site = options.sites[i < 8 ? 0 : options.sites.length - 1]!;
        instances.push({
          id: `i-${(g * 1000 + i).toString(16).padStart(17, "0")}`,
          userId,
          groupId: id,
          groupName: name,
          site,
          launchConfigurationName: `web@${site}`,
          instanceType: "m1.small",
          lifecycleState: "InService",
          healthStatus: "Healthy",
          protectedFromScaleIn: false,
          launchedAt: now,
          launchToken: `seed-${id}`,
          cloudState: "running",
          lastSeenAt: now,
          missingSince: null,
          inServiceAt: now,
          healthReason: null,
          terminationReason: null,
          terminateRequestedAt: null,
          version: 0,
        });
      }
    }
  });
  // VMs are the controller's to record, as new ones (version 0).
  await store.controller.apply({ putInstances: instances });
}

/** What seeding launches on: a simulated cloud, or one in another process. */
export interface Launcher {
  runInstances(account: string, request: RunInstancesRequest): Promise<readonly Pick<SimulatedVm, "id" | "instanceType" | "launchedAt">[]>;
}

/** How many VMs {@link seedRunningVms} records in one `store.controller.apply`. */
const PUT_BATCH = 20_000;

/**
 * Launches each group's VMs on the simulated clouds as the controller launches them, and
 * records them in the store as in service, so the first reconcile pass finds the steady state.
 *
 * Each group gets `desiredCapacity` VMs, spread over its clouds in order: `max` on each site
 * (all that are left on a site whose `max` is -1), one `runInstances` per site with a fresh
 * launch token, tagged with the group's propagated tags and Phantom's {@link VM_TAGS}
 * (deployment, user, group id and name, token, shard). They are recorded as new `InService`,
 * `Healthy`, `running` {@link ManagedInstance}s (version 0) through `store.controller.apply`,
 * in batches of at least 20,000 (whole groups).
 *
 * @param store - the store the groups are already in; its deployment id goes in the tags.
 * @param userId - the groups' owner.
 * @param groups - the groups whose VMs to launch and record.
 * @param clouds - the simulated cloud of each site the groups use, by site name (or what launches
 *   on it in another process).
 * @param shards - `controller.shards`, which the shard tags name.
 * @param launchAs - the account and the launch's extra members on a site, for a token (default:
 *   the account of calls without credentials, nothing extra): how a site served through a face
 *   (OpenStack's project, server names) sees the VMs.
 * @returns each group's VM ids, in launch order, by group name.
 */
export async function seedRunningVms(
  store: Store,
  userId: string,
  groups: readonly Group[],
  clouds: ReadonlyMap<string, Launcher>,
  shards: number,
  launchAs: (site: string, token: string) => { account: string; extra: Partial<RunInstancesRequest> } = () => ({ account: ANONYMOUS_ACCOUNT, extra: {} }),
): Promise<Map<string, string[]>> {
  const deployment = await store.controller.deploymentId();
  const vms = new Map<string, string[]>();
  let instances: ManagedInstance[] = [];
  for (const g of groups) {
    const ids: string[] = [];
    vms.set(g.name, ids);
    const propagated = Object.fromEntries(g.tags.filter((t) => t.propagateAtLaunch).map((t) => [t.key, t.value]));
    let left = g.desiredCapacity;
    for (const { site, max } of g.clouds) {
      const count = max < 0 ? left : Math.min(max, left);
      if (count === 0) continue;
      left -= count;
      const token = randomUUID();
      const tags = { ...propagated, [VM_TAGS.deployment]: deployment, [VM_TAGS.user]: userId, [VM_TAGS.group]: g.id, [VM_TAGS.groupName]: g.name, [VM_TAGS.token]: token, [VM_TAGS.shard]: shardTag(deployment, shardOf(g.id, shards), shards) };
      const { account, extra } = launchAs(site, token);
      const launched = await clouds.get(site)!.runInstances(account, { imageId: "ami-12345678", instanceType: "m1.small", count, token, tags, ...extra });
      for (const vm of launched) {
        ids.push(vm.id);
        instances.push({
          id: vm.id,
          userId,
          groupId: g.id,
          groupName: g.name,
          site,
          launchConfigurationName: `web@${site}`,
          instanceType: vm.instanceType,
          lifecycleState: "InService",
          healthStatus: "Healthy",
          protectedFromScaleIn: false,
          launchedAt: vm.launchedAt,
          launchToken: token,
          cloudState: "running",
          lastSeenAt: vm.launchedAt,
          missingSince: null,
          inServiceAt: vm.launchedAt,
          healthReason: null,
          terminationReason: null,
          terminateRequestedAt: null,
          version: 0,
        });
      }
    }
    if (instances.length >= PUT_BATCH) {
      await store.controller.apply({ putInstances: instances });
      instances = [];
    }
  }
  await store.controller.apply({ putInstances: instances });
  return vms;
}
