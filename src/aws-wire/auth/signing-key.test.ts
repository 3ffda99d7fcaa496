import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveSigningKey, SigningKeyCache } from "./signing-key.js";

test("deriveSigningKey matches AWS's documented example", () => {
  // From AWS's "Examples of how to derive a signing key for Signature Version 4".
  const key = deriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  assert.equal(key.toString("hex"), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
});

test("the cache returns the same key on a hit and stays within its capacity", () => {
  const cache = new SigningKeyCache(3);
  const first = cache.get("s", "20261126", "us-east-1", "autoscaling");
  assert.equal(cache.get("s", "20261126", "us-east-1", "autoscaling"), first);
  assert.notEqual(cache.get("s2", "20261126", "us-east-1", "autoscaling"), first);
  for (const region of ["a", "b", "c", "d"]) cache.get("s", "20261126", region, "autoscaling");
  assert.equal(cache.size, 3);
  // The oldest entry went first: asking again derives a new (equal) key.
  const again = cache.get("s", "20261126", "us-east-1", "autoscaling");
  assert.notEqual(again, first);
  assert.deepEqual(again, first);
});
