import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { OpenStackCredentials } from "../clouds/driver.js";
import { SecretBox } from "../secrets/secret-box.js";
import { openCloudCredentials, sealCloudCredentials } from "./cloud-credentials.js";

const box = new SecretBox(randomBytes(32));
const password: OpenStackCredentials = {
  kind: "openstack",
  auth: { method: "password", username: "alice", password: "pw-1", userDomain: "Default", project: "science", projectDomain: "Campus" },
  keyName: "alice-key",
};
const applicationCredential: OpenStackCredentials = { kind: "openstack", auth: { method: "application_credential", id: "ac-1", secret: "s-1" } };

describe("sealCloudCredentials and openCloudCredentials", () => {
  it("seals Keystone credentials whole and opens them for an openstack site; only who they name is in the clear", () => {
    for (const credentials of [password, applicationCredential]) {
      const sealed = sealCloudCredentials(box, "u1", "jet", credentials);
      assert.doesNotMatch(sealed.secretSealed, /pw-1|s-1|science/);
      const opened = openCloudCredentials(box, "u1", "jet", "openstack", { userId: "u1", site: "jet", ...sealed });
      assert.deepEqual(opened, { ...credentials, keyName: credentials.keyName });
    }
    assert.equal(sealCloudCredentials(box, "u1", "jet", password).accessKeyId, "password:alice@Default:science@Campus");
    assert.equal(sealCloudCredentials(box, "u1", "jet", applicationCredential).accessKeyId, "application-credential:ac-1");
  });

  it("keeps access keys as before: the id in the clear, the secret sealed", () => {
    const sealed = sealCloudCredentials(box, "u1", "ec2", { accessKeyId: "AKID", secretAccessKey: "secret", keyName: "k" });
    assert.deepEqual([sealed.accessKeyId, sealed.keyName], ["AKID", "k"]);
    assert.deepEqual(openCloudCredentials(box, "u1", "ec2", "access-key", { userId: "u1", site: "ec2", ...sealed }), {
      accessKeyId: "AKID",
      secretAccessKey: "secret",
      keyName: "k",
    });
  });

  it("reads nothing from a row of the other kind (the site changed driver), and opens a seal only for its own user and site", () => {
    const keys = sealCloudCredentials(box, "u1", "jet", { accessKeyId: "AKID", secretAccessKey: "secret" });
    assert.equal(openCloudCredentials(box, "u1", "jet", "openstack", { userId: "u1", site: "jet", ...keys }), undefined);
    const sealed = sealCloudCredentials(box, "u1", "jet", password);
    assert.throws(() => openCloudCredentials(box, "u2", "jet", "openstack", { userId: "u2", site: "jet", ...sealed }));
    assert.throws(() => openCloudCredentials(box, "u1", "other", "openstack", { userId: "u1", site: "other", ...sealed }));
  });
});
