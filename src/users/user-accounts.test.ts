/** User administration: which access key ids a user may be given. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { isPhantomError } from "../core/errors.js";
import { SecretBox } from "../secrets/secret-box.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { addUser } from "./user-accounts.js";

describe("addUser", () => {
  const box = new SecretBox(randomBytes(32));
  let store: Store;
  before(async () => {
    store = await openStore("sqlite::memory:");
  });
  after(() => store.close());

  it("takes an access key id of 16 to 128 word characters, underscores included, as AWS does", async () => {
    for (const [i, accessKeyId] of ["AKID_WITH_UNDER_1", "A".repeat(16), `B${"_".repeat(127)}`].entries()) {
      const user = await addUser(store, box, `ok${i}`, { accessKeyId, secretAccessKey: "secret-key" });
      assert.equal(user.accessKeyId, accessKeyId);
    }
  });

  it("refuses anything else", async () => {
    for (const [i, accessKeyId] of ["A".repeat(15), "C".repeat(129), "AKID-WITH-DASH-01", "AKID WITH SPACE 01", "AKIDÉÉÉÉÉÉÉÉÉÉÉÉ"].entries()) {
      await assert.rejects(addUser(store, box, `bad${i}`, { accessKeyId, secretAccessKey: "secret-key" }), (e) =>
        isPhantomError(e, "ValidationError"),
      );
    }
  });
});
