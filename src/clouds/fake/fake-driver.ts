/**
 * The driver that controller tests use (karpenter's `cloudprovider/fake` is the model): a
 * faultless, latency-free {@link SimulatedCloud} on the test's clock, plus failures on demand
 * and a record of every call. Errors set here are thrown before the cloud is touched, so a
 * failed call changes nothing, as with the simulated cloud's own faults.
 */
import {
  credentialsIdentity,
  type CloudDriver,
  type CloudError,
  type CloudVm,
  type DescribeFilter,
  type DriverCredentials,
  type LaunchRequest,
} from "../driver.js";
import { SimulatedCloud, type SimulatedVm } from "../simulated/simulated-cloud.js";
import { SimulatedDriver, type FailureStyle } from "../simulated/simulated-driver.js";
import { seededRandom } from "../simulated/seeded-random.js";

/** How to make a {@link FakeDriver}. */
export interface FakeDriverOptions {
  /** The clock the test drives. */
  readonly clock: () => Date;
  /** Default `fake`. */
  readonly site?: string | undefined;
  /** Default unlimited. */
  readonly capacity?: number | undefined;
  /** Default 0: VMs are `running` as soon as they are launched. */
  readonly bootSeconds?: number | undefined;
  /** Seeds the VM ids; default 1. */
  readonly seed?: number | undefined;
  /** Fail as EC2 (default) or as OpenStack does (see {@link SimulatedDriver}). */
  readonly failures?: FailureStyle | undefined;
}

/** One call the fake received, failed or not, in order. */
export type FakeDriverCall =
  | { readonly method: "launch"; readonly request: LaunchRequest }
  | { readonly method: "describe"; readonly credentials: DriverCredentials | null; readonly filter: DescribeFilter }
  | { readonly method: "terminate"; readonly credentials: DriverCredentials | null; readonly ids: readonly string[] };

/** A {@link CloudDriver} for tests: a simulated cloud that fails when told and records calls. */
export class FakeDriver implements CloudDriver {
  readonly site: string;
  /** Errors for the next launches, one per call, first first; then {@link launchError} applies. */
  nextLaunchErrors: CloudError[] = [];
  /** While set, every launch fails with it. */
  launchError: CloudError | null = null;
  /** While set, every describe fails with it. */
  describeError: CloudError | null = null;
  /** Describes with these credentials (by access key or Keystone identity) fail with the error. */
  readonly describeErrorsFor = new Map<string, CloudError>();
  /** While set, every terminate fails with it. */
  terminateError: CloudError | null = null;
  /** Every call, in order. */
  readonly calls: FakeDriverCall[] = [];
  /** While set, awaited at the start of every call (a test changes the world there). */
  beforeCall: ((method: FakeDriverCall["method"]) => Promise<void>) | null = null;

  private cloud: SimulatedCloud;
  private driver: SimulatedDriver;

  constructor(private readonly options: FakeDriverOptions) {
    this.site = options.site ?? "fake";
    this.cloud = this.emptyCloud();
    this.driver = new SimulatedDriver(this.site, this.cloud, options.failures);
  }

  /** See {@link CloudDriver.launch}. */
  async launch(request: LaunchRequest): Promise<CloudVm[]> {
    this.calls.push({ method: "launch", request });
    await this.beforeCall?.("launch");
    const error = this.nextLaunchErrors.shift() ?? this.launchError;
    if (error !== null) throw error;
    return this.driver.launch(request);
  }

  /** See {@link CloudDriver.describe}. */
  async describe(credentials: DriverCredentials | null, filter: DescribeFilter): Promise<CloudVm[]> {
    this.calls.push({ method: "describe", credentials, filter });
    await this.beforeCall?.("describe");
    if (this.describeError !== null) throw this.describeError;
    const own = credentials === null ? undefined : this.describeErrorsFor.get(credentialsIdentity(credentials));
    if (own !== undefined) throw own;
    return this.driver.describe(credentials, filter);
  }

  /** See {@link CloudDriver.terminate}. */
  async terminate(credentials: DriverCredentials | null, ids: readonly string[]): Promise<void> {
    // A copy: the caller may reuse its array.
    this.calls.push({ method: "terminate", credentials, ids: [...ids] });
    await this.beforeCall?.("terminate");
    if (this.terminateError !== null) throw this.terminateError;
    return this.driver.terminate(credentials, ids);
  }

  /** Nothing to release. */
  close(): void {}

  /** Forgets every VM, call and programmed error: a fresh, empty cloud on the same clock. */
  reset(): void {
    this.nextLaunchErrors = [];
    this.launchError = null;
    this.describeError = null;
    this.describeErrorsFor.clear();
    this.terminateError = null;
    this.beforeCall = null;
    this.calls.length = 0;
    this.cloud = this.emptyCloud();
    this.driver = new SimulatedDriver(this.site, this.cloud, this.options.failures);
  }

  /**
   * The VM dies now, behind the controller's back (whoever owns it); a `pending` VM killed
   * looks like a failed boot. False if it is not alive.
   */
  kill(id: string): boolean {
    const vm = this.cloud.instances().find((v) => v.id === id);
    return vm !== undefined && this.cloud.kill(vm.account, id);
  }

  /** Makes every VM launched from now on fail to boot: `pending`, then `terminated` at boot time. */
  failBoots(): void {
    this.cloud.setLaunchFailureRate(1);
  }

  /**
   * VMs launched from now on stay `pending` for `seconds` of the test's clock before they run
   * (those already launched keep theirs): a slow boot, so a test sees what the controller does
   * while a replacement is not yet in service.
   */
  setBootSeconds(seconds: number): void {
    this.cloud.setBootSeconds(seconds);
  }

  /** Changes how many VMs fit; launches beyond it fail with `InsufficientInstanceCapacity`. */
  setCapacity(capacity: number): void {
    this.cloud.setCapacity(capacity);
  }

  /** Every VM the cloud lists, of every account, with its current state, in launch order. */
  vms(): SimulatedVm[] {
    return this.cloud.instances();
  }

  private emptyCloud(): SimulatedCloud {
    return new SimulatedCloud({
      capacity: this.options.capacity ?? Infinity,
      bootSeconds: this.options.bootSeconds ?? 0,
      clock: this.options.clock,
      random: seededRandom(this.options.seed ?? 1),
    });
  }
}
