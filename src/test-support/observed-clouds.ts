/**
 * Simulated sites a test can look into: a `createDriver` for `startTestPhantom` that makes each
 * simulated site's cloud as configured and keeps it, so the test can check what really runs
 * there, and that can hold terminations back, so a drain in progress can be watched.
 */
import type { SiteConfig } from "../config/config.js";
import { createDriver, createSimulatedCloud, type DriverDeps } from "../clouds/create-driver.js";
import type { CloudDriver, CloudVm, DescribeFilter, DriverCredentials, LaunchRequest } from "../clouds/driver.js";
import type { SimulatedCloud } from "../clouds/simulated/simulated-cloud.js";
import { SimulatedDriver } from "../clouds/simulated/simulated-driver.js";

/** A driver whose terminations wait while `held()` gives a promise. */
class HoldableDriver implements CloudDriver {
  constructor(
    private readonly inner: CloudDriver,
    private readonly held: () => Promise<void> | null,
  ) {}

  get site(): string {
    return this.inner.site;
  }

  launch(request: LaunchRequest): Promise<CloudVm[]> {
    return this.inner.launch(request);
  }

  describe(credentials: DriverCredentials | null, filter: DescribeFilter): Promise<CloudVm[]> {
    return this.inner.describe(credentials, filter);
  }

  async terminate(credentials: DriverCredentials | null, ids: readonly string[]): Promise<void> {
    await this.held();
    return this.inner.terminate(credentials, ids);
  }

  close(): void {
    this.inner.close();
  }
}

/** The clouds of a test Phantom's simulated sites. */
export class ObservedClouds {
  readonly #clouds = new Map<string, SimulatedCloud>();
  #hold: { readonly promise: Promise<void>; readonly release: () => void } | null = null;

  /** Give this to `startTestPhantom`; other drivers are made as usual. */
  readonly createDriver = (site: SiteConfig, deps: DriverDeps): CloudDriver => {
    if (site.driver !== "simulated") return createDriver(site, deps);
    const cloud = createSimulatedCloud(site, deps);
    this.#clouds.set(site.name, cloud);
    return new HoldableDriver(new SimulatedDriver(site.name, cloud), () => this.#hold?.promise ?? null);
  };

  /** The cloud of a simulated site. */
  cloud(site: string): SimulatedCloud {
    const cloud = this.#clouds.get(site);
    if (cloud === undefined) throw new Error(`no simulated cloud for site ${site}: was Phantom started with this createDriver?`);
    return cloud;
  }

  /** From now until {@link releaseTerminations}, terminate calls wait (the pass making them waits too). */
  holdTerminations(): void {
    if (this.#hold !== null) return;
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.#hold = { promise, release };
  }

  /** Lets held and future terminate calls through. */
  releaseTerminations(): void {
    this.#hold?.release();
    this.#hold = null;
  }
}
