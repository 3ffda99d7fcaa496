import assert from "node:assert/strict";
import { test } from "node:test";
import { isPhantomError } from "../../core/errors.js";
import { canonicalHeaders, canonicalQuery, canonicalUri, decodeQuery } from "./canonical.js";

test("decodeQuery decodes as URLSearchParams does, keeping a leading '?' and empty values", () => {
  assert.deepEqual(decodeQuery(""), []);
  assert.deepEqual(decodeQuery("a=1&&b&c=x+y%2By&d=%zz"), [["a", "1"], ["b", ""], ["c", "x y+y"], ["d", "%zz"]]);
  assert.deepEqual(decodeQuery("?a=1"), [["?a", "1"]]);
});

test("canonicalQuery encodes, then sorts by name and value, and omits the signature", () => {
  const query = decodeQuery("b=2&a=z&a=y&X-Amz-Signature=abc&c%7e=%7e&sp=a+b&u=%C3%A9&e=");
  assert.equal(canonicalQuery(query, "X-Amz-Signature"), "a=y&a=z&b=2&c~=~&e=&sp=a%20b&u=%C3%A9");
  // Byte order of the encoded names: '%' (0x25) before digits, upper case before lower case.
  assert.equal(canonicalQuery([["a", "1"], ["B", "2"], [" ", "3"]]), "%20=3&B=2&a=1");
});

test("canonicalUri normalises and encodes the path once more, as for every service but S3", () => {
  const cases: [string, string][] = [
    ["/", "/"],
    ["", "/"],
    ["/a/b", "/a/b"],
    ["/a//b/", "/a/b/"],
    ["/a/./b/../c", "/a/c"],
    ["/..", "/"],
    ["//", "/"],
    ["/a%20b", "/a%2520b"],
    ["/%7Euser/", "/%257Euser/"],
    ["/foo:bar@x", "/foo%3Abar%40x"],
    ["/a+b", "/a%2Bb"],
  ];
  for (const [path, expected] of cases) assert.equal(canonicalUri(path), expected, path);
});

test("canonicalHeaders keeps repeats, trims and collapses spaces, in the signed order", () => {
  const raw = ["Host", "h:1", "X-A", "  one   two\t three ", "x-a", "2", "X-Unsigned", "u", "X-Utf8", "caf\u00c3\u00a9 \u00c3\u00a0"];
  assert.equal(canonicalHeaders(raw, ["host", "x-a", "x-utf8"]), "host:h:1\nx-a:one two three,2\nx-utf8:caf\u00c3\u00a9 \u00c3\u00a0\n");
});

test("canonicalHeaders refuses a signed header the request does not carry", () => {
  assert.throws(
    () => canonicalHeaders(["Host", "h"], ["host", "x-amz-date"]),
    (e) => isPhantomError(e, "IncompleteSignature") && e.message.includes("x-amz-date"),
  );
});
