/**
 * Makes the driver of each configured site: the composition root calls this once per site and
 * hands the drivers to the controller.
 */
import type { SimulatedSiteConfig, SiteConfig } from "../config/config.js";
import type { CloudDriver } from "./driver.js";
import { SimulatedCloud } from "./simulated/simulated-cloud.js";
import { SimulatedDriver } from "./simulated/simulated-driver.js";
import { Ec2Driver } from "./ec2/ec2-driver.js";
import { OpenStackDriver } from "./openstack/openstack-driver.js";

/** What drivers take from the process: time and chance, injected so tests can control them. */
export interface DriverDeps {
  readonly clock: () => Date;
  readonly random: () => number;
}

/** The in-process cloud of a simulated site as configured, empty at start. */
export function createSimulatedCloud(site: SimulatedSiteConfig, deps: DriverDeps): SimulatedCloud {
  return new SimulatedCloud({
    capacity: site.capacity,
    bootSeconds: site.bootSeconds,
    launchFailureRate: site.launchFailureRate,
    apiErrorRate: site.apiErrorRate,
    apiLatencyMs: site.apiLatencyMs,
    deathRatePerHour: site.deathRatePerHour,
    clock: deps.clock,
    random: deps.random,
  });
}

/** The driver for `site`. A simulated site gets a cloud of its own, empty at start. */
export function createDriver(site: SiteConfig, deps: DriverDeps): CloudDriver {
  switch (site.driver) {
    case "simulated":
      return new SimulatedDriver(site.name, createSimulatedCloud(site, deps));
    case "ec2":
      return new Ec2Driver(site, { clock: deps.clock, random: deps.random });
    case "openstack":
      return new OpenStackDriver(site, { clock: deps.clock, random: deps.random });
  }
}
