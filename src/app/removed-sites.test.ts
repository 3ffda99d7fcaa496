import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ConfigError, parseConfig } from "../config/config.js";
import { createLogger } from "../observability/logger.js";
import { openStore } from "../store/open-store.js";
import { addUser, group, intent, launchConfiguration, managedInstance, putNew } from "../store/store-fixtures.test-support.js";
import { removedSitesMessage } from "./removed-sites.js";
import { startPhantom } from "./start-phantom.js";

describe("removedSitesMessage", () => {
  it("is null when no removed site holds a VM", () => {
    assert.equal(removedSitesMessage([]), null);
  });

  it("names each site, its VM count, and each group with its user and count, and says what to do", () => {
    const message = removedSitesMessage([
      { site: "gone", userName: "alice", groupName: "web", count: 2, launching: 0 },
      { site: "gone", userName: "bob", groupName: "api", count: 1, launching: 0 },
      { site: "old", userName: "alice", groupName: "db", count: 1, launching: 0 },
    ]);
    assert.equal(
      message,
      "site 'gone' is no longer configured but holds 3 VMs: alice/web (2), bob/api (1); " +
        "site 'old' is no longer configured but holds 1 VM: alice/db (1). " +
        "Keep them under sites: with retired: true (gone, old) until their VMs have moved elsewhere, then remove them.",
    );
  });
});

describe("phantom serve with a site removed from the configuration", () => {
  it("refuses to start while the site holds VMs, starts with the site retired, and starts without it once it is empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phantom-removed-sites-"));
    try {
      const db = `sqlite:${join(dir, "phantom.db")}`;
      const store = await openStore(db);
      const alice = await addUser(store, "alice");
      const web = group("web");
      await store.write(alice, async (tx) => {
        await tx.insertLaunchConfiguration(launchConfiguration("web", "s1"));
        await tx.insertGroup(web);
      });
      await putNew(store, [managedInstance("i-1", web, alice, { site: "hotel" }), managedInstance("i-2", web, alice, { site: "sierra" })]);
      await store.close();

      const config = (sites: Record<string, unknown>) =>
        parseConfig({ listen: "127.0.0.1:0", db, sites, master_key_file: "/nonexistent/unused" }, "test.yaml");
      const start = (sites: Record<string, unknown>) =>
        startPhantom(config(sites), { logger: createLogger("silent"), masterKey: randomBytes(32).toString("hex"), controller: false });

      // A Phantom that starts anyway is closed, so the failure does not hang the test.
      const refused = await start({ hotel: { driver: "simulated" } }).then(
        async (started) => void (await started.close()),
        (e: unknown) => e,
      );
      assert.ok(refused instanceof ConfigError, `refused with a ConfigError, not ${String(refused)}`);
      assert.match(refused.message, /^site 'sierra' is no longer configured but holds 1 VM: alice\/web \(1\)\. Keep it under sites: with retired: true \(sierra\)/);
      const running = await start({ hotel: { driver: "simulated" }, sierra: { driver: "simulated", retired: true } });
      await running.close();

      // An unfinished launch there may have made VMs: the site is not empty yet.
      const emptied = await openStore(db);
      await emptied.controller.apply({ deleteInstances: [{ userId: alice, id: "i-2" }], insertIntents: [{ ...intent("t-1", web, alice, 3), site: "sierra" }] });
      await emptied.close();
      const launching = await start({ hotel: { driver: "simulated" } }).then(
        async (started) => void (await started.close()),
        (e: unknown) => e,
      );
      assert.ok(launching instanceof ConfigError, `refused with a ConfigError, not ${String(launching)}`);
      assert.match(launching.message, /^site 'sierra' is no longer configured but holds 0 VMs and has launches of 3 unfinished: alice\/web \(0, 3 being launched\)\./);

      const finished = await openStore(db);
      await finished.controller.apply({ deleteIntents: ["t-1"] });
      await finished.close();
      const again = await start({ hotel: { driver: "simulated" } });
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
