/** The logger as a process writes it: secrets of every kind of cloud credentials are redacted. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

/** The compiled logger, next to this compiled test. */
const LOGGER = fileURLToPath(new URL("logger.js", import.meta.url));

describe("createLogger", () => {
  it("redacts access keys' secrets, Keystone passwords and application credential secrets", () => {
    const script = `
      import { createLogger } from ${JSON.stringify(LOGGER)};
      const log = createLogger("info");
      log.info({ credentials: { accessKeyId: "AKID", secretAccessKey: "ec2-secret-1" } }, "keys");
      log.info({ credentials: { kind: "openstack", auth: { method: "password", username: "alice", password: "keystone-password-2" } } }, "password");
      log.info({ auth: { method: "application_credential", id: "ac-1", secret: "app-secret-3" } }, "application credential");
      log.info({ password: "bare-password-4" }, "bare");
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const lines = out.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 4);
    assert.doesNotMatch(out, /ec2-secret-1|keystone-password-2|app-secret-3|bare-password-4/);
    assert.match(out, /"username":"alice"/);
    assert.match(out, /"id":"ac-1"/);
  });
});
