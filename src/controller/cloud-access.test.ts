import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SiteConfig } from "../config/config.js";
import type { SecretBox } from "../secrets/secret-box.js";
import type { Store } from "../store/store.js";
import { CloudAccess, CREDENTIALS_TTL_MS } from "./cloud-access.js";

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
