import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VM_TAGS, type DescribeFilter } from "../clouds/driver.js";
import { FakeDriver } from "../clouds/fake/fake-driver.js";
import type { SiteConfig } from "../config/config.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store } from "../store/store.js";
import { CloudAccess, CREDENTIALS_TTL_MS, listingKey, MAX_LOOKUPS, type Listing } from "./cloud-access.js";

describe("CloudAccess credentials", () => {
  const sites: SiteConfig[] = [{ name: "ec2", driver: "ec2", endpoint: "http://127.0.0.1:1", region: "us-east-1" }];
  /** A store that knows no credentials, counting its reads. */
  function access(): { clouds: CloudAccess; reads: string[] } {
    const reads: string[] = [];
    const store = { users: { getCredentials: async (userId: string, site: string) => (reads.push(`${userId}/${site}`), null) } } as unknown as Store;
    return { clouds: new CloudAccess(sites, new Map(), store, {} as SecretBox, () => {}), reads };
  }

  it("reads a user's credentials once per TTL", async () => {
    const { clouds, reads } = access();
    assert.equal(await clouds.credentials("u1", "ec2", 0), undefined);
    assert.equal(await clouds.credentials("u1", "ec2", CREDENTIALS_TTL_MS - 1), undefined);
    assert.deepEqual(reads, ["u1/ec2"]);
    await clouds.credentials("u1", "ec2", CREDENTIALS_TTL_MS);
    assert.deepEqual(reads, ["u1/ec2", "u1/ec2"]);
  });

  it("forgets the credentials of users no longer asked for, so the cache holds only recent users", async () => {
    const { clouds } = access();
    for (let i = 0; i < 1_000; i++) await clouds.credentials(`user${i}`, "ec2", i);
    assert.equal(clouds.cachedCredentials, 1_000);
    // Two TTLs later, one user is asked for: the thousand others expired and are dropped.
    await clouds.credentials("late", "ec2", 2 * CREDENTIALS_TTL_MS + 1_000);
    assert.equal(clouds.cachedCredentials, 1);
  });
});

describe("CloudAccess listings by shard", () => {
  const deploymentId = "dep";
  const shardTag = "dep:1/8";
  /** A simulated site holding `tagged` VMs with the shard tag and `untagged` without, all of the deployment. */
  async function site(tagged: number, untagged: number): Promise<{ clouds: CloudAccess; driver: FakeDriver; ids: string[] }> {
    const driver = new FakeDriver({ clock: () => new Date(0), site: "hotel" });
    const spec = { imageId: "ami-test", instanceType: "m1.small" };
    const ids: string[] = [];
    for (const [count, tags] of [
      [tagged, { [VM_TAGS.deployment]: deploymentId, [VM_TAGS.shard]: shardTag }],
      [untagged, { [VM_TAGS.deployment]: deploymentId }],
    ] as const) {
      if (count > 0) ids.push(...(await driver.launch({ credentials: null, spec, count, token: `t${ids.length}`, tags })).map((vm) => vm.id));
    }
    driver.calls.length = 0;
    const sites: SiteConfig[] = [
      { name: "hotel", driver: "simulated", capacity: 1_000_000, bootSeconds: 0, launchFailureRate: 0, apiErrorRate: 0, apiLatencyMs: 0, deathRatePerHour: 0 },
    ];
    return { clouds: new CloudAccess(sites, new Map([["hotel", driver]]), {} as Store, {} as SecretBox, () => {}), driver, ids };
  }
  const filters = (driver: FakeDriver) =>
    driver.calls.flatMap((c): string[] => (c.method !== "describe" ? [] : [describeOf(c.filter)]));
  const describeOf = (f: DescribeFilter) => ("ids" in f ? `${f.ids.length} ids` : `${f.tag.key}=${f.tag.values.join(",")}`);
  const listed = (listings: Listing[]) => {
    const result = listings[0]!.result;
    assert.ok("vms" in result, JSON.stringify(result));
    return [...result.vms.keys()].sort();
  };
  const list = (clouds: CloudAccess, known: readonly string[]) =>
    clouds.listAll({ deploymentId, shardTags: [shardTag], known: new Map([[listingKey("hotel", null), known]]) }, new Map(), 0);

  it("looks up by id the known VMs that the shard listing misses", async () => {
    const { clouds, driver, ids } = await site(3, 2);
    assert.deepEqual(listed(await list(clouds, ids)), [...ids].sort());
    assert.deepEqual(filters(driver), [`${VM_TAGS.shard}=${shardTag}`, "2 ids"]);
  });

  it("makes no lookup when the shard listing shows every known VM", async () => {
    const { clouds, driver, ids } = await site(3, 2);
    assert.deepEqual(listed(await list(clouds, ids.slice(0, 3))), [...ids].slice(0, 3).sort());
    assert.deepEqual(filters(driver), [`${VM_TAGS.shard}=${shardTag}`]);
  });

  it(`lists the site whole when more than ${MAX_LOOKUPS} known VMs are missed`, async () => {
    const { clouds, driver, ids } = await site(1, MAX_LOOKUPS + 1);
    assert.deepEqual(listed(await list(clouds, ids)), [...ids].sort());
    assert.deepEqual(filters(driver), [`${VM_TAGS.shard}=${shardTag}`, `${VM_TAGS.deployment}=${deploymentId}`]);
  });

  it("lists the whole deployment when asked for no shards", async () => {
    const { clouds, driver, ids } = await site(1, 1);
    const listings = await clouds.listAll({ deploymentId, shardTags: null, known: new Map() }, new Map(), 0);
    assert.deepEqual(listed(listings), [...ids].sort());
    assert.deepEqual(filters(driver), [`${VM_TAGS.deployment}=${deploymentId}`]);
  });

  it("fails the listing when a lookup fails: a missed VM is never judged absent", async () => {
    const { clouds, driver, ids } = await site(1, 1);
    driver.beforeCall = async () => {
      if (driver.calls.length === 2) throw new Error("lookup refused");
    };
    const listings = await list(clouds, ids);
    assert.deepEqual(listings[0]!.result, { error: "lookup refused" });
  });
});
