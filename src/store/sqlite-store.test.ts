import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openStore } from "./open-store.js";
import { storeCases } from "./store-suite.test-support.js";

storeCases({
  name: "SQLite in memory",
  fresh: async (options) => ({ store: await openStore("sqlite::memory:", options), reopen: null }),
});

const dir = mkdtempSync(join(tmpdir(), "phantom-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let databases = 0;

storeCases({
  name: "SQLite file",
  fresh: async (options) => {
    // A directory that does not exist yet: opening creates it.
    const url = `sqlite:${join(dir, `db-${++databases}`, "phantom.db")}`;
    return { store: await openStore(url, options), reopen: () => openStore(url, options) };
  },
});

describe("SQLite file shared by processes", () => {
  it("lets several processes open one new file and write to it at once", async () => {
    const url = `sqlite:${join(dir, "shared", "phantom.db")}`;
    // Each process migrates, creates its own user and writes; a deferred BEGIN made some fail.
    // They start together at startAt: process start-up times vary more than the race window.
    const startAt = Date.now() + 1500;
    const script = `
      const { openStore } = await import(${JSON.stringify(new URL("./open-store.js", import.meta.url).href)});
      await new Promise((resolve) => setTimeout(resolve, ${startAt} - Date.now()));
      const store = await openStore(${JSON.stringify(url)});
      const id = "user-" + process.pid;
      await store.users.createUser({ id, name: id, accessKeyId: id, secretSealed: "s", accountId: "1", createdAt: new Date() });
      for (let i = 0; i < 20; i++) {
        await store.write(id, (tx) => tx.insertLaunchConfiguration({
          name: "lc" + i + "@s1", baseName: "lc" + i, site: "s1", arn: "arn", createdTime: new Date(),
          spec: { ImageId: "ami-1", InstanceType: "m1.small" },
        }));
      }
      await store.close();`;
    const run = promisify(execFile);
    await Promise.all([1, 2, 3, 4].map(() => run(process.execPath, ["--input-type=module", "-e", script])));
    const store = await openStore(url);
    try {
      const users = await store.users.listUsers();
      assert.equal(users.length, 4);
      for (const user of users) assert.equal(await store.reads(user.id).countLaunchConfigurations(), 20);
    } finally {
      await store.close();
    }
  });
});
