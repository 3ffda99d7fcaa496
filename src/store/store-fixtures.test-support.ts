/**
 * Records for the store's conformance suites (`store-suite.test-support.ts`, `controller-store-suite.test-support.ts`).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type {
  Activity,
  Group,
  Instance,
  LaunchConfiguration,
  LaunchIntent,
  ManagedInstance,
  SiteBackoff,
} from "../core/types.js";
import type { GroupWithInstances } from "./controller-store.js";
import type { CloudCredentialsRecord, Store, UserRecord } from "./store.js";

/** The access key of the fixture user `name`. */
export function accessKeyOf(name: string): string {
  return `AK${Buffer.from(name).toString("hex").toUpperCase()}`;
}

/** The fixture user `name`, with the id `user-<name>`. */
export function userRecord(name: string): UserRecord {
  return {
    id: `user-${name}`,
    name,
    accessKeyId: accessKeyOf(name),
    secretSealed: `sealed-${name}`,
    accountId: "123456789012",
    createdAt: new Date(1_700_000_000_123),
  };
}

/** Creates the fixture user `name`; resolves with their id. */
export async function addUser(store: Store, name: string): Promise<string> {
  const user = userRecord(name);
  await store.users.createUser(user);
  return user.id;
}

/** Credentials of a user for a site. */
export function credentials(userId: string, site: string): CloudCredentialsRecord {
  return { userId, site, accessKeyId: `AK-${site}`, secretSealed: `sealed-${site}`, keyName: null };
}

/** The launch configuration `<baseName>@<site>`. */
export function launchConfiguration(baseName: string, site: string): LaunchConfiguration {
  const name = `${baseName}@${site}`;
  return {
    name,
    baseName,
    site,
    arn: `arn:aws:autoscaling:phantom:123456789012:launchConfiguration:${name}`,
    createdTime: new Date(1_700_000_000_456),
    spec: { ImageId: "ami-1", InstanceType: "m1.small", SecurityGroups: ["default"], UserData: "ZWNobw==" },
  };
}

/** A group using the launch configuration `web@s1`. */
export function group(name: string, overrides: Partial<Group> = {}): Group {
  return {
    id: randomUUID(),
    name,
    arn: `arn:aws:autoscaling:phantom:123456789012:autoScalingGroup:${name}`,
    launchConfigurationName: "web",
    launchConfigurationBase: "web",
    minSize: 0,
    maxSize: 4,
    desiredCapacity: 1,
    defaultCooldown: 300,
    healthCheckType: "EC2",
    healthCheckGracePeriod: 0,
    definition: null,
    clouds: [{ site: "s1", max: -1 }],
    tags: [],
    status: "active",
    createdTime: new Date(1_700_000_000_789),
    scaledAt: null,
    extra: {},
    ...overrides,
  };
}

/** The API's view of {@link managedInstance}. */
export function instance(id: string, g: Group): Instance {
  return {
    id,
    groupId: g.id,
    groupName: g.name,
    site: "s1",
    launchConfigurationName: "web@s1",
    instanceType: "m1.small",
    lifecycleState: "InService",
    healthStatus: "Healthy",
    protectedFromScaleIn: false,
    launchedAt: new Date(1_700_000_001_000),
  };
}

/** An activity of `g` that started at `startMs`. */
export function activity(id: string, g: Group, startMs: number, overrides: Partial<Activity> = {}): Activity {
  return {
    id,
    groupId: g.id,
    groupName: g.name,
    groupArn: g.arn,
    description: `Launching a new EC2 instance: ${id}`,
    cause: "At 2026-01-01T00:00:00Z a user request changed the desired capacity.",
    startTime: new Date(startMs),
    endTime: null,
    statusCode: "InProgress",
    statusMessage: null,
    progress: 0,
    details: "{}",
    ...overrides,
  };
}

/** A VM of `g` (site s1) as the controller records it, every field set. */
export function managedInstance(id: string, g: Group, userId: string, overrides: Partial<ManagedInstance> = {}): ManagedInstance {
  return {
    ...instance(id, g),
    userId,
    launchToken: `token-${id}`,
    cloudState: "running",
    lastSeenAt: new Date(1_700_000_002_000),
    missingSince: null,
    inServiceAt: new Date(1_700_000_001_500),
    healthReason: null,
    terminationReason: null,
    terminateRequestedAt: null,
    version: 0,
    ...overrides,
  };
}

/** A launch intent of `count` VMs of `g` on s1. */
export function intent(token: string, g: Group, userId: string, count = 1): LaunchIntent {
  return {
    token,
    userId,
    groupId: g.id,
    site: "s1",
    count,
    createdAt: new Date(1_700_000_003_000),
    cause: `launching ${count} on s1`,
  };
}

/** A backoff of (user, site). */
export function backoff(userId: string, site: string, failures = 1): SiteBackoff {
  return {
    userId,
    site,
    failures,
    until: new Date(1_700_000_030_000 * failures),
    lastError: `${site} answered InsufficientInstanceCapacity`,
  };
}

/** Records new VMs through the controller's side, as the controller does; none may conflict. */
export async function putNew(store: Store, instances: readonly ManagedInstance[]): Promise<void> {
  const { conflictedGroupIds } = await store.controller.apply({ putInstances: instances });
  assert.deepEqual(conflictedGroupIds, []);
}

/** The group `groupId` as a snapshot shows it, instances sorted by id. */
export async function snapshotGroup(store: Store, groupId: string): Promise<GroupWithInstances> {
  const { groups } = await store.controller.loadSnapshot();
  const found = groups.find((g) => g.group.id === groupId);
  assert.ok(found !== undefined, `no group ${groupId} in the snapshot`);
  return { group: found.group, instances: byId(found.instances) };
}

/** `instances` sorted by id (snapshots list them in no particular order). */
export function byId<T extends { readonly id: string }>(instances: readonly T[]): T[] {
  return [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
