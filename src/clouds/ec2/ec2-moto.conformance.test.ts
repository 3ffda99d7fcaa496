/**
 * The driver conformance suite against the EC2 driver talking to `moto_server`, an independent
 * EC2 implementation, over real HTTP. One moto_server serves the whole file (each test tags its
 * VMs with a group of its own); the second tenant has keys moto issued in another account.
 *
 * Without moto_server the suite is skipped with the reason printed, unless
 * `PHANTOM_REQUIRE_INTEROP=1` makes that a failure.
 *
 * What moto (5.2) does not do as EC2 does, and so what is not asked of it:
 * - `RunInstances` launches `MinCount` instances and ignores `MaxCount`; the driver sends
 *   `MinCount` 1, so moto launches one VM whatever the count.
 * - `ClientToken` is stored but not honoured: the same token launches again.
 * - Capacity is unlimited: the capacity tests have no limit to fill and skip.
 */
import { after, it } from "node:test";
import { driverConformance, type DriverConformanceOptions, type DriverFixture } from "../driver-conformance.test-support.js";
import type { DriverCredentials } from "../driver.js";
import { Ec2Driver } from "./ec2-driver.js";
import { motoMissing, motoOtherTenant, startMotoServer, type MotoServer } from "./moto.test-support.js";

const missing = motoMissing();
if (missing !== null) {
  if (process.env.PHANTOM_REQUIRE_INTEROP === "1") {
    it("moto_server is installed (PHANTOM_REQUIRE_INTEROP=1)", () => {
      throw new Error(`PHANTOM_REQUIRE_INTEROP=1 but ${missing}`);
    });
  } else {
    console.log(`# ec2 → moto conformance skipped: ${missing}`);
  }
}

const ONE_VM_PER_LAUNCH = "moto launches MinCount instances and ignores MaxCount, so a launch of several yields one";

/** The tests moto cannot pass, by title, with the reason. */
const SKIPPED_TESTS: Readonly<Record<string, string>> = {
  "launches count VMs, each with its own id, the spec's instance type and every tag given": ONE_VM_PER_LAUNCH,
  "returns the same VMs for the same token and launches no more": "moto does not honour ClientToken: the same token launches again",
  "boots VMs to running": ONE_VM_PER_LAUNCH,
};

const alice: DriverCredentials = { accessKeyId: "AKIDMOTOALICE", secretAccessKey: "unchecked", keyName: "alice-key" };

let shared: Promise<{ server: MotoServer; other: DriverCredentials }> | undefined;
after(async () => {
  if (shared !== undefined) await (await shared).server.stop();
});

/** The file's moto_server, started on first use. */
function moto() {
  shared ??= (async () => {
    const server = await startMotoServer();
    return { server, other: await motoOtherTenant(server.url) };
  })();
  return shared;
}

// `skipTests` skips single tests of the suite, each with its reason.
const options: DriverConformanceOptions & { readonly skipTests: Readonly<Record<string, string>> } = {
  skip: missing ?? undefined,
  skipTests: SKIPPED_TESTS,
};

driverConformance(
  "ec2 → moto_server over HTTP",
  async (): Promise<DriverFixture> => {
    const { server, other } = await moto();
    // moto routes requests by the SigV4 scope's service: the SDK signs for `ec2`.
    const driver = new Ec2Driver({ name: "moto", endpoint: server.url, region: "us-east-1" });
    return {
      driver,
      credentials: alice,
      otherCredentials: other,
      capacity: null,
      // moto's VMs run at once and terminate at once: a short pause is all a look needs.
      elapse: () => new Promise((resolve) => setTimeout(resolve, 50)),
      close: async () => driver.close(),
    };
  },
  options,
);
