import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OpenStackCredentials } from "../driver.js";
import { KeystoneTokens } from "./keystone-tokens.js";
import type { KeystoneToken } from "./openstack-port.js";

const HOUR = 3_600_000;

function user(name: string): OpenStackCredentials {
  return { kind: "openstack", auth: { method: "application_credential", id: name, secret: `${name}-secret` } } as OpenStackCredentials;
}

describe("KeystoneTokens", () => {
  let nowMs = 0;
  const issued: string[] = [];
  const tokens = new KeystoneTokens(
    async (c) => {
      issued.push(c.auth.method === "application_credential" ? c.auth.id : "?");
      return { id: `t${issued.length}`, expiresAtMs: nowMs + HOUR, projectId: "p", catalog: [] } satisfies KeystoneToken;
    },
    () => new Date(nowMs),
  );

  it("reuses a token until shortly before it expires, then asks for a new one", async () => {
    const first = await tokens.get(user("a"));
    assert.equal(first.fresh, true);
    nowMs += HOUR - 3 * 60_000;
    assert.deepEqual(await tokens.get(user("a")), { token: first.token, fresh: false });
    nowMs += 2 * 60_000;
    assert.equal((await tokens.get(user("a"))).fresh, true);
    assert.deepEqual(issued, ["a", "a"]);
  });

  it("forgets the tokens of credentials no longer used", async () => {
    for (let i = 0; i < 500; i++) await tokens.get(user(`u${i}`));
    assert.equal(tokens.size, 501);
    nowMs += 2 * HOUR;
    await tokens.get(user("late"));
    assert.equal(tokens.size, 1);
  });
});
