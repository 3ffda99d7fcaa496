/**
 * Helpers for the end-to-end tests that drive a {@link TestPhantom} through the AWS SDK for
 * JavaScript (`src/api/*.sdk.test.ts`): a client per user, an assertion for AWS error responses,
 * full pagination walks, and instances seeded through the store's controller side.
 */
import assert from "node:assert/strict";
import {
  AutoScalingClient,
  AutoScalingServiceException,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingClientConfig,
  type AutoScalingGroup,
  type Tag,
} from "@aws-sdk/client-auto-scaling";
import type { Instance, ManagedInstance } from "../core/types.js";
import type { TestPhantom, TestUser } from "./test-phantom.js";

/** A client of `phantom` signing as `user`, without retries so each call is one request. */
export function sdkClient(phantom: { url: string }, user: Omit<TestUser, "name">, config: AutoScalingClientConfig = {}): AutoScalingClient {
  return new AutoScalingClient({
    endpoint: phantom.url,
    region: "us-east-1",
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    maxAttempts: 1,
    ...config,
  });
}

/** The error class name the SDK gives a code: the model's shape name for modeled errors, else the code. */
const SDK_ERROR_NAMES: Readonly<Record<string, string>> = {
  AlreadyExists: "AlreadyExistsFault",
  LimitExceeded: "LimitExceededFault",
  ResourceInUse: "ResourceInUseFault",
  ResourceContention: "ResourceContentionFault",
  ScalingActivityInProgress: "ScalingActivityInProgressFault",
  InvalidNextToken: "InvalidNextToken",
};

/** What an AWS error response must say. */
export interface ExpectedAwsError {
  readonly code: string;
  /** The HTTP status; 400 unless given. */
  readonly status?: number;
  readonly message: RegExp;
}

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Awaits `call`, which must fail with the AWS error `expected`: the SDK parsed `Code` and
 * `Message`, the HTTP status matches, the fault is the client's, and the response carried an
 * `x-amzn-requestid` header (the SDK's `$metadata.requestId`). Resolves with the error.
 */
export async function rejectsWith(call: Promise<unknown>, expected: ExpectedAwsError): Promise<AutoScalingServiceException> {
  let caught: unknown;
  try {
    await call;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AutoScalingServiceException, `expected ${expected.code}, got ${String(caught ?? "success")}`);
  const e = caught as AutoScalingServiceException & { Code?: string; Type?: string; Error?: { Message?: string } };
  assert.equal(e.Code, expected.code, `Code (message: ${e.message})`);
  assert.equal(e.name, SDK_ERROR_NAMES[expected.code] ?? expected.code);
  assert.match(e.message, expected.message);
  assert.equal(e.Error?.Message, e.message);
  assert.equal(e.$fault, "client");
  assert.equal(e.Type, "Sender");
  assert.equal(e.$metadata.httpStatusCode, expected.status ?? 400);
  assert.match(e.$metadata.requestId ?? "", REQUEST_ID);
  return e;
}

/** One page of a Describe action: its items and the token of the next page. */
export interface PageResult<T> {
  readonly items: readonly T[];
  readonly next: string | undefined;
}

/**
 * Walks every page of a Describe call with `pageSize` records per page, checking that each page
 * but the last is full and that the last has no token; resolves with the items in page order.
 */
export async function walkPages<T>(
  pageSize: number,
  fetch: (maxRecords: number, nextToken: string | undefined) => Promise<PageResult<T>>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(pageSize, token);
    pages++;
    assert.ok(page.items.length <= pageSize, `page ${pages} has ${page.items.length} records, more than ${pageSize}`);
    if (page.next !== undefined) assert.equal(page.items.length, pageSize, `page ${pages} is short but has a NextToken`);
    items.push(...page.items);
    token = page.next;
    assert.ok(pages <= 1000, "pagination does not end");
  } while (token !== undefined);
  return { items, pages };
}

/** The store id of a test user. */
export async function userIdOf(phantom: TestPhantom, user: TestUser): Promise<string> {
  const record = await phantom.store.users.findUserByAccessKey(user.accessKeyId);
  assert.ok(record !== null, `no user ${user.name}`);
  return record.id;
}

/** An instance to seed: the group by name, the rest defaulting to a healthy InService VM. */
export type SeedInstance = Pick<Instance, "id" | "site"> & { readonly groupName: string } & Partial<
    Pick<Instance, "lifecycleState" | "healthStatus" | "instanceType" | "launchConfigurationName" | "protectedFromScaleIn">
  >;

/**
 * Puts instances straight into the store as the controller does (new VMs, version 0), with
 * the launch configuration `<base>@<site>` of their group.
 */
export async function seedInstances(phantom: TestPhantom, user: TestUser, instances: readonly SeedInstance[]): Promise<void> {
  const userId = await userIdOf(phantom, user);
  const reads = phantom.store.reads(userId);
  const managed: ManagedInstance[] = [];
  for (const i of instances) {
    const group = await reads.getGroup(i.groupName);
    assert.ok(group !== null, `no group ${i.groupName} for ${user.name}`);
    const lifecycleState = i.lifecycleState ?? "InService";
    const healthStatus = i.healthStatus ?? "Healthy";
    const now = new Date();
    managed.push({
      id: i.id,
      userId,
      groupId: group.id,
      groupName: group.name,
      site: i.site,
      launchConfigurationName: i.launchConfigurationName ?? `${group.launchConfigurationBase}@${i.site}`,
      instanceType: i.instanceType ?? "m1.small",
      lifecycleState,
      healthStatus,
      protectedFromScaleIn: i.protectedFromScaleIn ?? false,
      launchedAt: now,
      launchToken: `seed-${i.id}`,
      cloudState: "running",
      lastSeenAt: now,
      missingSince: null,
      inServiceAt: lifecycleState === "InService" ? now : null,
      healthReason: healthStatus === "Unhealthy" ? "seeded unhealthy" : null,
      terminationReason: lifecycleState === "Terminating" ? "seeded terminating" : null,
      terminateRequestedAt: null,
      version: 0,
    });
  }
  const { conflictedGroupIds } = await phantom.store.controller.apply({ putInstances: managed });
  assert.deepEqual(conflictedGroupIds, [], "seeded instances conflict with existing ones");
}

/** The three tags of a Phantom group. */
export function phantomTags(clouds: string, nPreserve: number | string): Tag[] {
  return [
    { Key: "PHANTOM_DEFINITION", Value: "error_overflow_n_preserving" },
    { Key: "clouds", Value: clouds },
    { Key: "n_preserve", Value: String(nPreserve) },
  ];
}

/** Creates launch configurations `name@site` with an image and type derived from the name. */
export async function createLaunchConfigurations(client: AutoScalingClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await client.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: name, ImageId: `ami-${name}`, InstanceType: "m1.small" }));
  }
}

/** The one group named `name`, as DescribeAutoScalingGroups shows it. */
export async function describeGroup(client: AutoScalingClient, name: string): Promise<AutoScalingGroup> {
  const out = await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  assert.equal(out.AutoScalingGroups?.length, 1, `group ${name} is not listed exactly once`);
  return out.AutoScalingGroups[0]!;
}

/** The names of the groups a client sees, in listing order. */
export async function groupNames(client: AutoScalingClient, names?: string[]): Promise<string[]> {
  const out = await client.send(new DescribeAutoScalingGroupsCommand(names === undefined ? {} : { AutoScalingGroupNames: names }));
  return (out.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName ?? "");
}

/** The value of a group's tag, or undefined. */
export function tagOf(group: AutoScalingGroup, key: string): string | undefined {
  return group.Tags?.find((t) => t.Key === key)?.Value;
}
