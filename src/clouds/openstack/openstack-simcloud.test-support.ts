/**
 * What the OpenStack driver's tests share: `phantom simcloud --openstack` in this process on a
 * free port, over a simulated cloud on a virtual clock, and two users of it — Alice with a
 * password in project `science`, Bob with an application credential (a project of its own).
 */
import type { OpenStackCredentials } from "../driver.js";
import { SimulatedCloud } from "../simulated/simulated-cloud.js";
import { seededRandom } from "../simulated/seeded-random.js";
import { startSimcloud, type Simcloud } from "../../simcloud/simcloud-server.js";
import { OpenStackDriver, type OpenStackDriverOptions, type OpenStackSite } from "./openstack-driver.js";

export const alice: OpenStackCredentials = {
  kind: "openstack",
  auth: { method: "password", username: "alice", password: "alice-password", userDomain: "Default", project: "science", projectDomain: "Default" },
};
export const bob: OpenStackCredentials = { kind: "openstack", auth: { method: "application_credential", id: "bob-credential", secret: "bob-secret" } };

/** A simcloud with its OpenStack face, its cloud, and the virtual clock both run on. */
export interface OpenStackSimcloud {
  readonly simcloud: Simcloud;
  readonly cloud: SimulatedCloud;
  readonly clock: () => Date;
  /** Moves the clock on. */
  advance(ms: number): void;
  /** Keystone's v3 URL. */
  readonly authUrl: string;
  /** A driver for the face, on the same clock. */
  driver(site?: Partial<OpenStackSite>, options?: OpenStackDriverOptions): OpenStackDriver;
  close(): Promise<void>;
}

let seed = 1000;

/** Starts a simcloud with the OpenStack face; the cloud's options as given (capacity unlimited by default). */
export async function startOpenStackSimcloud(options: { capacity?: number; quota?: number; bootSeconds?: number; tokenLifetimeSeconds?: number } = {}): Promise<OpenStackSimcloud> {
  let now = Date.UTC(2026, 0, 1);
  const clock = () => new Date(now);
  const cloud = new SimulatedCloud({
    capacity: options.capacity ?? Infinity,
    quotaPerAccount: options.quota,
    bootSeconds: options.bootSeconds ?? 30,
    clock,
    random: seededRandom(++seed),
  });
  const simcloud = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 }, { openstack: { clock, tokenLifetimeSeconds: options.tokenLifetimeSeconds } });
  const authUrl = `${simcloud.url}/identity/v3`;
  const drivers: OpenStackDriver[] = [];
  return {
    simcloud,
    cloud,
    clock,
    advance: (ms) => void (now += ms),
    authUrl,
    driver: (site = {}, driverOptions = {}) => {
      const driver = new OpenStackDriver({ name: "jetstream", authUrl, region: "RegionOne", network: null, ...site }, { clock, ...driverOptions });
      drivers.push(driver);
      return driver;
    },
    close: async () => {
      for (const d of drivers) d.close();
      await simcloud.close();
    },
  };
}
