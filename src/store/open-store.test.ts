import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { openStore } from "./open-store.js";

const dir = mkdtempSync(join(tmpdir(), "phantom-open-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts that opening `url` fails with exactly one line matching `message`. */
async function failsToOpen(url: string, message: RegExp, options?: { schema: string }): Promise<void> {
  await assert.rejects(openStore(url, options), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

/** A local TCP port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

describe("openStore", () => {
  it("rejects an unsupported URL without showing its password", async () => {
    await failsToOpen(
      "mysql://root:hunter2@db/x",
      /^unsupported database URL "mysql:\/\/root:\*\*\*@db\/x": use sqlite:PATH or postgres:\/\/…$/,
    );
    await failsToOpen("sqlite:", /^database URL "sqlite:" names no file/);
    await failsToOpen("sqlite::memory:", /schema applies only to PostgreSQL/, { schema: "x" });
    await failsToOpen("postgres://127.0.0.1/x", /^invalid PostgreSQL schema name "Bad-Name"/, { schema: "Bad-Name" });
  });

  it("says which PostgreSQL server it cannot reach", async () => {
    const port = await closedPort();
    await failsToOpen(
      `postgres://postgres:secret@127.0.0.1:${port}/test`,
      new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    // "localhost" has two addresses; Node reports that failure with an empty message.
    await failsToOpen(`postgresql://localhost:${port}/test`, new RegExp(`^cannot connect to PostgreSQL at localhost:${port}: .*ECONNREFUSED`));
  });

  it("says which SQLite file it cannot open", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    await failsToOpen(`sqlite:${join(file, "sub", "phantom.db")}`, /^cannot open SQLite database .*a-file\/sub\/phantom\.db: /);
  });

  it("creates the SQLite file's directory and puts the database in WAL mode", async () => {
    const path = join(dir, "new", "deeper", "phantom.db");
    const store = await openStore(`sqlite:${path}`);
    await store.close();
    assert.ok(existsSync(path));
    const database = new SQLite(path, { readonly: true });
    try {
      assert.equal(database.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      database.close();
    }
  });

  it("creates the database, its WAL and shared memory 0600 and its new directories 0700, whatever the umask", async () => {
    const base = join(dir, "private");
    const path = join(base, "data", "phantom.db");
    const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);
    // The usual umask, which leaves files readable by every local user unless told otherwise.
    const umask = process.umask(0o022);
    try {
      const store = await openStore(`sqlite:${path}`);
      try {
        await store.users.createUser({ id: "u-1", name: "alice", accessKeyId: "AKIDALICEXXXXXXX", accountId: "123456789012", createdAt: new Date(), secretSealed: "sealed" });
        assert.deepEqual(
          [path, `${path}-wal`, `${path}-shm`].map((f) => [f, mode(f)]),
          [path, `${path}-wal`, `${path}-shm`].map((f) => [f, "600"]),
        );
      } finally {
        await store.close();
      }
    } finally {
      process.umask(umask);
    }
    assert.deepEqual([mode(base), mode(join(base, "data"))], ["700", "700"]);
  });
});
