import assert from "node:assert/strict";
import { test } from "node:test";
import { uriEncode } from "./uri-encode.js";

test("uriEncode keeps only the unreserved characters of RFC 3986", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["AZaz09-_.~", "AZaz09-_.~"],
    ["a b", "a%20b"],
    ["+", "%2B"],
    ["*", "%2A"],
    ["!'()", "%21%27%28%29"],
    ["/=&?#%", "%2F%3D%26%3F%23%25"],
    ["é", "%C3%A9"],
    ["😀", "%F0%9F%98%80"],
  ];
  for (const [input, expected] of cases) assert.equal(uriEncode(input), expected, JSON.stringify(input));
});

test("uriEncode encodes a lone surrogate as U+FFFD instead of throwing", () => {
  assert.equal(uriEncode("a\uD800b"), "a%EF%BF%BDb");
});
