import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../config/config.js";
import { createDriver } from "./create-driver.js";
import { isCloudError } from "./driver.js";
import { seededRandom } from "./simulated/seeded-random.js";
import { Ec2Driver } from "./ec2/ec2-driver.js";
import { OpenStackDriver } from "./openstack/openstack-driver.js";

describe("createDriver", () => {
  const spec = { imageId: "ami-1", instanceType: "m1.small" };
  const sitesOf = (sites: Record<string, unknown>) => parseConfig({ sites }, "test").sites;
  const deps = (now: { ms: number }) => ({ clock: () => new Date(now.ms), random: seededRandom(3) });

  it("makes a simulated site's driver with its capacity and boot time, each site a cloud of its own", async () => {
    const now = { ms: 0 };
    const [hotel, sierra] = sitesOf({
      hotel: { driver: "simulated", capacity: 2, boot_seconds: 5 },
      sierra: { driver: "simulated", capacity: 1, boot_seconds: 5 },
    }).map((site) => createDriver(site, deps(now)));
    assert.equal(hotel!.site, "hotel");
    const launched = await hotel!.launch({ credentials: null, spec, count: 5, token: "t", tags: { g: "1" } });
    assert.equal(launched.length, 2);
    assert.equal((await sierra!.launch({ credentials: null, spec, count: 5, token: "t", tags: { g: "1" } })).length, 1);
    now.ms = 5000;
    assert.deepEqual((await hotel!.describe(null, { tag: { key: "g", values: ["1"] } })).map((v) => v.state), ["running", "running"]);
  });

  it("passes the fault knobs on", async () => {
    const now = { ms: 0 };
    const [failing, erring, slow, dying] = sitesOf({
      failing: { driver: "simulated", boot_seconds: 0, launch_failure_rate: 1 },
      erring: { driver: "simulated", api_error_rate: 1 },
      slow: { driver: "simulated", api_latency_ms: 40 },
      dying: { driver: "simulated", boot_seconds: 0, death_rate: 1000 },
    }).map((site) => createDriver(site, deps(now)));
    const vms = await failing!.launch({ credentials: null, spec, count: 2, token: "t", tags: {} });
    assert.deepEqual(vms.map((v) => v.state), ["terminated", "terminated"]);
    await assert.rejects(erring!.describe(null, { ids: [] }), (e) => isCloudError(e, "transient"));
    const started = performance.now();
    await slow!.describe(null, { ids: [] });
    assert.ok(performance.now() - started >= 35, "the call waited for the latency");
    const doomed = await dying!.launch({ credentials: null, spec, count: 10, token: "t", tags: {} });
    now.ms = 3_600_000;
    const states = (await dying!.describe(null, { ids: doomed.map((v) => v.id) })).map((v) => v.state);
    assert.deepEqual(states, Array(10).fill("terminated"), "at 1000 deaths per VM-hour none lasts an hour");
  });

  it("makes an ec2 site's EC2 driver and an openstack site's OpenStack driver", () => {
    const [ec2, jetstream] = sitesOf({
      ec2: { driver: "ec2", endpoint: "https://ec2.us-east-1.amazonaws.com" },
      jetstream: { driver: "openstack", auth_url: "https://keystone.example:5000/v3" },
    }).map((site) => createDriver(site, deps({ ms: 0 })));
    assert.ok(ec2 instanceof Ec2Driver && ec2.site === "ec2");
    assert.ok(jetstream instanceof OpenStackDriver && jetstream.site === "jetstream");
    ec2.close();
    jetstream.close();
  });
});
