/**
 * Seeds a store directly (no HTTP) with one user's launch configurations, groups and instances,
 * for the benchmarks.
 */
import { randomUUID } from "node:crypto";
import type { CloudSlot, Group, ManagedInstance } from "../src/core/types.js";
import type { Store, UserTx } from "../src/store/store.js";

/** The launch configurations `web@<site>` that every benchmark group uses. */
export async function insertLaunchConfigurations(tx: UserTx, sites: readonly string[]): Promise<void> {
  for (const site of sites) {
    await tx.insertLaunchConfiguration({
      name: `web@${site}`,
      baseName: "web",
      site,
      arn: `arn:phantom:autoscaling:phantom:123456789012:launchConfiguration:${randomUUID()}:launchConfigurationName/web@${site}`,
      createdTime: new Date(),
      spec: { ImageId: "ami-12345678", InstanceType: "m1.small" },
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
