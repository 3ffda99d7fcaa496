/** The driver conformance suite against the simulated driver, on a virtual clock. */
import { SimulatedCloud } from "./simulated-cloud.js";
import { SimulatedDriver } from "./simulated-driver.js";
import { seededRandom } from "./seeded-random.js";
import { driverConformance, type DriverFixture } from "../driver-conformance.test-support.js";
import type { DriverCredentials } from "../driver.js";

const BOOT_SECONDS = 30;
const alice: DriverCredentials = { accessKeyId: "AKIAALICE", secretAccessKey: "alice-secret", keyName: "alice-key" };
const bob: DriverCredentials = { accessKeyId: "AKIABOB", secretAccessKey: "bob-secret" };

let seed = 0;

/** A fresh cloud of capacity 6 whose clock moves only when the suite lets time pass. */
function fixture(credentials: DriverCredentials | null, otherCredentials: DriverCredentials | null) {
  return async (): Promise<DriverFixture> => {
    let now = Date.UTC(2025, 0, 1);
    const capacity = 6;
    const cloud = new SimulatedCloud({
      capacity,
      bootSeconds: BOOT_SECONDS,
      clock: () => new Date(now),
      random: seededRandom(++seed),
    });
    return {
      driver: new SimulatedDriver("hotel", cloud),
      credentials,
      otherCredentials,
      capacity,
      elapse: async () => void (now += BOOT_SECONDS * 1000),
      failBoots: () => cloud.setLaunchFailureRate(1),
      close: async () => {},
    };
  };
}

driverConformance("simulated, with credentials", fixture(alice, bob));
driverConformance("simulated, without credentials", fixture(null, alice));
