/**
 * The cloud driver: the one interface between Phantom's controller and a cloud. Three calls,
 * each with a contract every driver keeps (the conformance suite in `conformance.ts` checks
 * them against every driver):
 *
 * - {@link CloudDriver.launch} is idempotent by token: the same token twice yields the same
 *   VMs, never more (EC2's `ClientToken`). It may launch fewer VMs than asked when the cloud
 *   runs out of room (at least one, or it throws a `capacity` error).
 * - {@link CloudDriver.describe} lists VMs in one batched call per (site, credentials): all
 *   VMs carrying a tag with one of a few values, or the given ids. Never one call per VM.
 * - {@link CloudDriver.terminate} is idempotent: a VM that is already gone is success.
 *
 * Errors are classified once, here, into {@link CloudErrorKind}s; the controller decides on
 * the kind, never on a cloud's own error codes. Only the controller calls drivers.
 */

import type { CloudVmState } from "../core/types.js";

/**
 * What a VM is doing, in EC2's words. A VM that fails to boot goes from `pending` straight to
 * `terminated` (as on EC2); the controller tells a failed boot from a death by that.
 */
export type VmState = CloudVmState;

/** A VM as a cloud reports it. */
export interface CloudVm {
  readonly id: string;
  readonly state: VmState;
  readonly launchedAt: Date;
  readonly instanceType: string;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Why the cloud says it is stopped or terminated, in the cloud's words (EC2's state reason,
   * Nova's fault message); quoted in the VM's activity.
   */
  readonly reason?: string | undefined;
  /**
   * Terminated, yet kept by the cloud until it is deleted: an OpenStack server in ERROR, which
   * still counts against the project's quota. Its termination is not confirmed until it is
   * gone, and such a VM that nobody owns is an orphan to delete.
   */
  readonly awaitsDelete?: boolean | undefined;
}

/**
 * Credentials for one site; null for sites that need none (the in-process simulated cloud).
 * Access keys for EC2 and the simulated clouds, Keystone credentials for OpenStack.
 */
export type DriverCredentials = AccessKeyCredentials | OpenStackCredentials;

/** An access key pair (EC2, the simulated cloud). */
export interface AccessKeyCredentials {
  readonly kind?: "access-key" | undefined;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The SSH key pair to launch with, if any. */
  readonly keyName?: string | undefined;
}

/** How a user signs in to an OpenStack site's Keystone (v3). */
export interface OpenStackCredentials {
  readonly kind: "openstack";
  readonly auth: OpenStackAuth;
  /** The key pair (Nova's `key_name`) to launch with, if any. */
  readonly keyName?: string | undefined;
}

/**
 * Keystone v3's two methods Phantom uses: an application credential (scoped to its project by
 * Keystone), or a user's password scoped to a project by name. Domains are names.
 */
export type OpenStackAuth =
  | { readonly method: "application_credential"; readonly id: string; readonly secret: string }
  | {
      readonly method: "password";
      readonly username: string;
      readonly password: string;
      readonly userDomain: string;
      readonly project: string;
      readonly projectDomain: string;
    };

/**
 * Who the credentials name, without their secret: the access key id, the application
 * credential's id, or `user@domain` in `project@domain`. Keys caches and accounts.
 */
export function credentialsIdentity(credentials: DriverCredentials): string {
  if (credentials.kind !== "openstack") return credentials.accessKeyId;
  const { auth } = credentials;
  return auth.method === "application_credential"
    ? `application-credential:${auth.id}`
    : `password:${auth.username}@${auth.userDomain}:${auth.project}@${auth.projectDomain}`;
}

/** What to launch: the `<name>@<site>` launch configuration's members. */
export interface VmSpec {
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyName?: string | undefined;
  /** Base64, as in the launch configuration. */
  readonly userData?: string | undefined;
  readonly securityGroups?: readonly string[] | undefined;
}

/** One launch call. */
export interface LaunchRequest {
  readonly credentials: DriverCredentials | null;
  readonly spec: VmSpec;
  readonly count: number;
  /** Idempotency token (EC2 `ClientToken`, at most 64 ASCII characters). */
  readonly token: string;
  /** Tags for every VM; include Phantom's owner, group and token tags. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Which VMs to list: those carrying tag `key` with any of `values` (at most
 * {@link MAX_TAG_VALUES}), or the given ids.
 */
export type DescribeFilter =
  | { readonly tag: { readonly key: string; readonly values: readonly string[] } }
  | { readonly ids: readonly string[] };

/** Most values of one tag filter: EC2 takes 200 values per filter. */
export const MAX_TAG_VALUES = 200;

/** One cloud site. A driver instance serves exactly one configured site. */
export interface CloudDriver {
  /** The site's name, as configured. */
  readonly site: string;
  /**
   * Launches up to `count` VMs (at least one). The same token returns the VMs of the first
   * call with that token and launches nothing more.
   * @throws CloudError (`capacity` when none could be launched for lack of room or quota)
   */
  launch(request: LaunchRequest): Promise<CloudVm[]>;
  /**
   * Lists VMs in one batched call. VMs terminated long ago may be absent; a VM that is not
   * listed is not known to be running.
   * @throws CloudError
   */
  describe(credentials: DriverCredentials | null, filter: DescribeFilter): Promise<CloudVm[]>;
  /**
   * Asks the cloud to terminate the VMs. Ids that the cloud does not know (already gone) are
   * success. Completion is confirmed by a later `describe`.
   * @throws CloudError
   */
  terminate(credentials: DriverCredentials | null, ids: readonly string[]): Promise<void>;
  /** Releases connections and timers, so a stopping process can exit. */
  close(): void;
}

/**
 * How a cloud failed:
 * - `capacity`: no room or quota (InsufficientInstanceCapacity, InstanceLimitExceeded, …);
 *   the controller backs the site off and overflows to the next one.
 * - `throttled`: the cloud asked us to slow down (RequestLimitExceeded); drivers retry with
 *   backoff and jitter before giving up with this kind.
 * - `auth`: bad or missing credentials; retrying will not help until the user fixes them.
 * - `config`: the request is wrong for this cloud (unknown image or instance type, bad key
 *   name); retrying will not help until the launch configuration changes.
 * - `transient`: timeouts, connection failures, 5xx; worth retrying later.
 */
export type CloudErrorKind = "capacity" | "throttled" | "auth" | "config" | "transient";

/** A classified cloud failure. `code` is the cloud's own code, for messages. */
export class CloudError extends Error {
  override readonly name = "CloudError";
  constructor(
    readonly kind: CloudErrorKind,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `e` is a {@link CloudError}, optionally of the given kind. */
export function isCloudError(e: unknown, kind?: CloudErrorKind): e is CloudError {
  return e instanceof CloudError && (kind === undefined || e.kind === kind);
}

/** The tags Phantom puts on every VM it launches. */
export const VM_TAGS = {
  /** The Phantom deployment that owns the VM: orphan collection never touches another's. */
  deployment: "phantom:deployment",
  /** The owning user's id. */
  user: "phantom:user",
  /** The owning group's id. */
  group: "phantom:group",
  /** The group's name, for people reading the cloud's console. */
  groupName: "phantom:group-name",
  /** The launch's idempotency token. */
  token: "phantom:token",
  /** The shard of the owning group (`core/shards.ts` `shardTag`): replicas list their shards by it. */
  shard: "phantom:shard",
} as const;
