/**
 * The driver conformance suite against the OpenStack driver talking to `phantom simcloud
 * --openstack` over real HTTP: each test gets a fresh simulated cloud on a virtual clock,
 * served on a free port, and the driver's real `fetch` port. Alice signs in with a password,
 * Bob with an application credential: two projects. The suite's capacity is the project's
 * instance quota (6): OpenStack refuses a launch over quota at once (403 "Quota exceeded"),
 * whereas a cloud without room takes the launch and fails its servers ("No valid host was
 * found"), which the failed-boot test makes happen.
 */
import { driverConformance, type DriverFixture } from "../driver-conformance.test-support.js";
import { alice, bob, startOpenStackSimcloud } from "./openstack-simcloud.test-support.js";

const BOOT_SECONDS = 30;
const QUOTA = 6;

async function fixture(): Promise<DriverFixture> {
  const sim = await startOpenStackSimcloud({ quota: QUOTA, bootSeconds: BOOT_SECONDS });
  return {
    driver: sim.driver(),
    credentials: alice,
    otherCredentials: bob,
    capacity: QUOTA,
    elapse: async () => sim.advance(BOOT_SECONDS * 1000),
    failBoots: () => sim.cloud.setCapacity(0),
    close: () => sim.close(),
  };
}

driverConformance("openstack → phantom simcloud --openstack over HTTP", fixture, {
  spec: { imageId: "cirros-0.6.2-x86_64-disk", instanceType: "m1.small" },
});
