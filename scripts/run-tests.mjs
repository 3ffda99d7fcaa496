#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node:test.
// Node 20's `--test` does not expand globs itself, so the files are listed here.
// Extra arguments are substrings that select test files: `node scripts/run-tests.mjs store api/auth`.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(dist, [])
  .filter((f) => filters.length === 0 || filters.some((s) => relative(dist, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.PHANTOM_TEST_CONCURRENCY ?? "4";
// TAP goes to stdout as before; the failures alone go to a file, printed once all is done.
const scratch = mkdtempSync(join(tmpdir(), "phantom-tests-"));
const failures = join(scratch, "failures.txt");
const result = spawnSync(
  process.execPath,
  [
    "--enable-source-maps",
    "--test",
    `--test-concurrency=${concurrency}`,
    "--test-reporter=tap",
    "--test-reporter-destination=stdout",
    `--test-reporter=${join(root, "scripts", "failures-reporter.mjs")}`,
    `--test-reporter-destination=${failures}`,
    ...files,
  ],
  { stdio: "inherit", cwd: root },
);
let failed = "";
try {
  failed = readFileSync(failures, "utf8");
} catch {
  // No file: the runner did not get as far as reporting.
}
rmSync(scratch, { recursive: true, force: true });
if (failed.trim() !== "") console.log(`\n# failed tests\n${failed}`);
process.exit(result.status ?? 1);
