/**
 * The files that hold users' sealed secrets and the key that opens them, as the command line
 * makes and reads them: the compiled `phantom` in child processes, each in a temporary
 * directory, with `PHANTOM_*` variables cleared.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";

/** The compiled CLI: this test runs from dist/src/cli/, next to it. */
const MAIN = fileURLToPath(new URL("main.js", import.meta.url));

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `phantom ARGS…` in `cwd` under umask 022 (files readable by all unless Phantom says
 * otherwise). A command that should fail but runs on (a serve that started) is killed after
 * 30 s, and the test fails on its exit.
 */
function phantom(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PHANTOM_")) env[k] = v;
  const umask = process.umask(0o022);
  try {
    return spawnSync(process.execPath, [MAIN, ...args], { cwd, env, encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
  } finally {
    process.umask(umask);
  }
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("phantom's state files", () => {
  it("with no configuration: data/ is 0700, the database and the key file 0600", () => {
    const dir = mkdtempSync(join(tmpdir(), "phantom-state-"));
    dirs.push(dir);
    const r = phantom(["user", "add", "alice"], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      ["data", "data/phantom.db", "data/master.key"].map((f) => [f, mode(join(dir, f))]),
      [
        ["data", "700"],
        ["data/phantom.db", "600"],
        ["data/master.key", "600"],
      ],
    );
  });

  it("a key file other users may read: serve refuses to start, saying chmod 600, before it opens the database", () => {
    const dir = mkdtempSync(join(tmpdir(), "phantom-state-"));
    dirs.push(dir);
    mkdirSync(join(dir, "data"));
    const keyFile = join(dir, "data", "master.key");
    writeFileSync(keyFile, `${"ab".repeat(32)}\n`);
    chmodSync(keyFile, 0o644);
    const r = phantom(["serve", "--listen", "127.0.0.1:0"], dir);
    assert.notEqual(r.status, 0, "serve started");
    assert.equal(r.stderr, "phantom: the key file data/master.key is open to other users (mode 0644): chmod 600 data/master.key\n");
    assert.equal(existsSync(join(dir, "data", "phantom.db")), false, "serve opened the database before refusing the key");
  });
});
