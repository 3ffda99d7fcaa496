import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SecretBox } from "./secret-box.js";
import { loadMasterKey } from "./master-key.js";

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));
  it("round-trips and never stores the plaintext", () => {
    const sealed = box.seal("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "user:AKID");
    assert.ok(!sealed.includes("wJalr"));
    assert.notEqual(sealed, box.seal("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "user:AKID"), "nonces differ");
    assert.equal(box.open(sealed, "user:AKID"), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  });
  it("refuses another context, another key, or a tampered value", () => {
    const sealed = box.seal("s3cret", "user:A");
    assert.throws(() => box.open(sealed, "user:B"), /wrong server key/);
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, "user:A"), /wrong server key/);
    const raw = Buffer.from(sealed.slice(3), "base64");
    raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1);
    assert.throws(() => box.open("v1:" + raw.toString("base64"), "user:A"), /wrong server key/);
    assert.throws(() => box.open("plain", "user:A"), /not a sealed secret/);
  });
});

describe("loadMasterKey", () => {
  it("creates a 0600 key file once and reads it back", () => {
    const dir = mkdtempSync(join(tmpdir(), "phantom-key-"));
    try {
      const file = join(dir, "sub", "master.key");
      const first = loadMasterKey(undefined, file);
      assert.equal(first.length, 32);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, "sub")).mode & 0o777, 0o700);
      assert.deepEqual(loadMasterKey(undefined, file), first);
      assert.equal(readFileSync(file, "utf8").trim(), first.toString("hex"));
      writeFileSync(file, "short");
      assert.throws(() => loadMasterKey(undefined, file), /must hold 32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("refuses a key file its group or others may read or write, saying chmod 600", () => {
    const dir = mkdtempSync(join(tmpdir(), "phantom-key-"));
    try {
      const file = join(dir, "master.key");
      const key = randomBytes(32);
      writeFileSync(file, key.toString("hex"));
      for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
        chmodSync(file, mode);
        assert.throws(
          () => loadMasterKey(undefined, file),
          { message: `the key file ${file} is open to other users (mode 0${mode.toString(8)}): chmod 600 ${file}` },
          mode.toString(8),
        );
      }
      chmodSync(file, 0o400);
      assert.deepEqual(loadMasterKey(undefined, file), key);
      chmodSync(file, 0o600);
      assert.deepEqual(loadMasterKey(undefined, file), key);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("prefers PHANTOM_MASTER_KEY in hex or base64", () => {
    const key = randomBytes(32);
    assert.deepEqual(loadMasterKey(key.toString("hex"), "/nonexistent/x"), key);
    assert.deepEqual(loadMasterKey(key.toString("base64"), "/nonexistent/x"), key);
    assert.throws(() => loadMasterKey("abc", "/nonexistent/x"), /PHANTOM_MASTER_KEY must hold 32 bytes/);
  });
});
