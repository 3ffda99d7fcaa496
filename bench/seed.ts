/**
 * Seeds a store directly (no HTTP) with one user's launch configurations, groups and instances,
 * for the API benchmark.
 */
import { randomUUID } from "node:crypto";
import type { Group, ManagedInstance } from "../src/core/types.js";
import type { Store } from "../src/store/store.js";

/** Seeds `groups` Phantom groups of `instancesPerGroup` VMs each over the sites given. */
export async function seedGroups(
  store: Store,
  userId: string,
  options: { groups: number; instancesPerGroup: number; sites: readonly string[] },
): Promise<void> {
  const now = new Date();
  const instances: ManagedInstance[] = [];
  await store.write(userId, async (tx) => {
    for (const site of options.sites) {
      await tx.insertLaunchConfiguration({
        name: `web@${site}`,
        baseName: "web",
        site,
        arn: `arn:phantom:autoscaling:phantom:123456789012:launchConfiguration:${randomUUID()}:launchConfigurationName/web@${site}`,
        createdTime: now,
        spec: { ImageId: "ami-12345678", InstanceType: "m1.small" },
      });
    }
    for (let g = 0; g < options.groups; g++) {
      const id = randomUUID();
      const name = `group-${String(g).padStart(3, "0")}`;
      const group: Group = {
        id,
        name,
        arn: `arn:phantom:autoscaling:phantom:123456789012:autoScalingGroup:${id}:autoScalingGroupName/${name}`,
        launchConfigurationName: "web",
        launchConfigurationBase: "web",
        minSize: 0,
        maxSize: 100,
        desiredCapacity: options.instancesPerGroup,
        defaultCooldown: 300,
        healthCheckType: "EC2",
        healthCheckGracePeriod: 0,
        definition: "error_overflow_n_preserving",
        clouds: options.sites.map((site, i) => ({ site, max: i === options.sites.length - 1 ? -1 : 8 })),
        tags: [
          { key: "PHANTOM_DEFINITION", value: "error_overflow_n_preserving", propagateAtLaunch: false },
          { key: "clouds", value: options.sites.map((s, i) => `${s}:${i === options.sites.length - 1 ? -1 : 8}`).join(","), propagateAtLaunch: false },
          { key: "env", value: "bench", propagateAtLaunch: true },
          { key: "n_preserve", value: String(options.instancesPerGroup), propagateAtLaunch: false },
          { key: "team", value: "infra", propagateAtLaunch: true },
        ],
        status: "active",
        createdTime: now,
        extra: {},
      };
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
