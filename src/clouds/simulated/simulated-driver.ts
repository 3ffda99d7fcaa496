/**
 * The `simulated` driver: {@link CloudDriver} over an in-process {@link SimulatedCloud}, for
 * one site. Each access key is its own account on that cloud, as on EC2; a site used without
 * credentials puts everything in one fixed account. The cloud already throws classified
 * {@link CloudError}s, so this driver only translates shapes.
 *
 * It fails the way EC2 does (a full cloud refuses launches; a failed VM is gone), or, asked
 * to, the way OpenStack does: a full cloud takes launches and fails the VMs it has no room
 * for, and a failed VM is listed, awaiting delete, until it is terminated.
 */
import { credentialsIdentity, type CloudDriver, type CloudVm, type DescribeFilter, type DriverCredentials, type LaunchRequest } from "../driver.js";
import type { SimulatedCloud, SimulatedVm } from "./simulated-cloud.js";

/**
 * The account of calls without credentials. No access key can be spelled like it, so it never
 * collides with a user's account.
 */
export const ANONYMOUS_ACCOUNT = "(no credentials)";

/**
 * The simulated cloud's account for `credentials`: who they name (the access key), or
 * {@link ANONYMOUS_ACCOUNT}.
 */
export function simulatedAccount(credentials: DriverCredentials | null): string {
  return credentials === null ? ANONYMOUS_ACCOUNT : credentialsIdentity(credentials);
}

/** Whose way of failing the driver shows. */
export type FailureStyle = "ec2" | "openstack";

/** A {@link CloudDriver} for the site `site` of `cloud`. */
export class SimulatedDriver implements CloudDriver {
  constructor(
    readonly site: string,
    private readonly cloud: SimulatedCloud,
    private readonly style: FailureStyle = "ec2",
  ) {}

  /** See {@link CloudDriver.launch}. The spec's key name wins over the credentials' one. */
  async launch(request: LaunchRequest): Promise<CloudVm[]> {
    const { credentials, spec } = request;
    const vms = await this.cloud.runInstances(simulatedAccount(credentials), {
      imageId: spec.imageId,
      instanceType: spec.instanceType,
      count: request.count,
      token: request.token,
      tags: request.tags,
      keyName: spec.keyName ?? credentials?.keyName,
      userData: spec.userData,
      securityGroups: spec.securityGroups,
      whenFull: this.style === "openstack" ? "fail" : "refuse",
    });
    return vms.map((vm) => this.#vm(vm));
  }

  /** See {@link CloudDriver.describe}. */
  async describe(credentials: DriverCredentials | null, filter: DescribeFilter): Promise<CloudVm[]> {
    return (await this.cloud.describeInstances(simulatedAccount(credentials), filter)).map((vm) => this.#vm(vm));
  }

  /** See {@link CloudDriver.terminate}. */
  async terminate(credentials: DriverCredentials | null, ids: readonly string[]): Promise<void> {
    await this.cloud.terminateInstances(simulatedAccount(credentials), ids);
  }

  /** Nothing to release: the cloud lives in this process. */
  close(): void {}

  /** Only the driver's fields, so the controller sees the same shape from every driver. */
  #vm(vm: SimulatedVm): CloudVm {
    const base = { id: vm.id, state: vm.state, launchedAt: vm.launchedAt, instanceType: vm.instanceType, tags: vm.tags };
    if (vm.stateReason === null) return base;
    const awaitsDelete = this.style === "openstack" && !vm.deletedByOwner;
    return { ...base, reason: vm.stateReason.message, ...(awaitsDelete && { awaitsDelete }) };
  }
}
