/**
 * The driver conformance suite against the EC2 driver talking to `phantom simcloud` over real
 * HTTP: each test gets a fresh simulated cloud of capacity 6 on a virtual clock, served on a
 * free port, and the driver's real AWS SDK client.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { driverConformance, type DriverFixture } from "../driver-conformance.test-support.js";
import type { DriverCredentials } from "../driver.js";
import { SimulatedCloud } from "../simulated/simulated-cloud.js";
import { seededRandom } from "../simulated/seeded-random.js";
import { startSimcloud } from "../../simcloud/simcloud-server.js";
import { Ec2Driver } from "./ec2-driver.js";

const BOOT_SECONDS = 30;
const CAPACITY = 6;
const alice: DriverCredentials = { accessKeyId: "AKIDALICE", secretAccessKey: "alice-secret", keyName: "alice-key" };
const bob: DriverCredentials = { accessKeyId: "AKIDBOB", secretAccessKey: "bob-secret" };

let seed = 100;

async function fixture(): Promise<DriverFixture> {
  let now = Date.UTC(2026, 0, 1);
  const cloud = new SimulatedCloud({ capacity: CAPACITY, bootSeconds: BOOT_SECONDS, clock: () => new Date(now), random: seededRandom(++seed) });
  const simcloud = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 });
  const driver = new Ec2Driver({ name: "simcloud", endpoint: simcloud.url, region: "us-east-1" });
  return {
    driver,
    credentials: alice,
    otherCredentials: bob,
    capacity: CAPACITY,
    elapse: async () => void (now += BOOT_SECONDS * 1000),
    failBoots: () => cloud.setLaunchFailureRate(1),
    close: async () => {
      driver.close();
      await simcloud.close();
    },
  };
}

driverConformance("ec2 → phantom simcloud over HTTP", fixture);

it("ec2 → phantom simcloud: takes a tag value literally, * and ? included", async (t) => {
  const fx = await fixture();
  t.after(() => fx.close());
  const launch = (group: string) =>
    fx.driver.launch({ credentials: alice, spec: { imageId: "ami-1", instanceType: "t3.micro" }, count: 1, token: group, tags: { group } });
  const [star] = await launch("a*");
  await launch("ab");
  const [question] = await launch("b?");
  await launch("bc");
  assert.deepEqual((await fx.driver.describe(alice, { tag: { key: "group", values: ["a*"] } })).map((v) => v.id), [star!.id]);
  assert.deepEqual((await fx.driver.describe(alice, { tag: { key: "group", values: ["b?"] } })).map((v) => v.id), [question!.id]);
});
