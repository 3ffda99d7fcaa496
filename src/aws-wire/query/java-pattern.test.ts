import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { javaPatternToRegExp } from "./java-pattern.js";
import { BOTOCORE_DATA } from "./query.test-support.js";

/** [Java pattern, strings Java's matches() accepts, strings it refuses]. */
const CASES: Array<[string, string[], string[]]> = [
  [
    // Auto Scaling's XmlString: the surrogate pair escapes form the range U+10000–U+10FFFF.
    "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*",
    ["", "abc", "😀", "\u{10FFFF}", "\r\n\t", "\uE000"],
    ["\u0001", "a\u001Fb", "\uD800", "x\uDC00", "\uFFFE"],
  ],
  ["[A-Za-z0-9\\-_\\/]+", ["a-b_c/D9"], ["", "a b", "a.b"]],
  // CloudWatch escapes `_`, which the `u` flag would refuse as written.
  ["[0-9A-Za-z][\\-\\.\\_0-9A-Za-z]{0,126}[0-9A-Za-z]", ["a_b.c-d", "ab"], ["_ab", "a", "ab_"]],
  ["[\\w+=,.@\\:-]*", ["a:b@c=d,e.f+g-h_"], ["a b", "é"]],
  // Java's matches() needs the whole string; a bare alternation must not match a prefix or suffix.
  ["[a-z]+", ["abc"], ["abc1", "1abc"]],
  ["a|b", ["a", "b"], ["ab", "xb", "ax"]],
  // Java's \s is ASCII whitespace only.
  ["\\s*", [" \t\n\u000B\f\r"], ["\u00A0", "\u2003"]],
  ["[\\s]+", [" "], ["\u00A0"]],
  ["\\S+", ["ab", "\u00A0"], ["a b", "a\u000Bb"]],
  // Java's [\s\S] is any character; JavaScript's \S would leave out Unicode spaces.
  ["[\\s\\S]+", ["a b\n\u00A0\u2003😀"], [""]],
  ["[a\\S]", ["a", "\u00A0"], [" "]],
  // In Java a `]` right after `[` is a literal.
  ["[]a]+", ["]a]"], ["b"]],
  ["^[\\p{L}_][\\p{L}\\p{N}@$#_]+$", ["éa1", "_x#"], ["1a", "a"]],
  ["[a-zA-Z][-a-zA-Z0-9]*(?::[a-zA-Z0-9]{8})?", ["abc", "a:12345678"], ["a:123"]],
];

describe("javaPatternToRegExp", () => {
  for (const [pattern, accepted, refused] of CASES) {
    it(`matches like Java: ${pattern}`, () => {
      const regex = javaPatternToRegExp(pattern);
      for (const s of accepted) assert.ok(regex.test(s), `${JSON.stringify(s)} should match ${pattern}`);
      for (const s of refused) assert.ok(!regex.test(s), `${JSON.stringify(s)} should not match ${pattern}`);
    });
  }

  it("refuses Java constructs it cannot translate faithfully", () => {
    for (const pattern of ["[a-z&&[^b]]", "[a[b]]", "(?i)abc", "a++", "[a-z]*+", "\\Qa.b\\E", "\\Aabc", "[^\\S]", "[abc", "abc\\"]) {
      assert.throws(() => javaPatternToRegExp(pattern), SyntaxError, pattern);
    }
  });

  it("translates every pattern of the query-protocol models botocore ships", (t) => {
    if (!existsSync(BOTOCORE_DATA)) return t.skip("botocore's models are not installed (python3-botocore)");
    let count = 0;
    for (const service of readdirSync(BOTOCORE_DATA)) {
      const dir = join(BOTOCORE_DATA, service);
      if (!statSync(dir).isDirectory()) continue;
      for (const version of readdirSync(dir)) {
        const file = join(dir, version, "service-2.json");
        if (!existsSync(file)) continue;
        const model = JSON.parse(readFileSync(file, "utf8")) as {
          metadata: { protocol: string };
          shapes: Record<string, { pattern?: string }>;
        };
        if (model.metadata.protocol !== "query") continue;
        for (const shape of Object.values(model.shapes)) {
          if (shape.pattern === undefined) continue;
          assert.doesNotThrow(() => javaPatternToRegExp(shape.pattern!), `${service}: ${shape.pattern}`);
          count++;
        }
      }
    }
    assert.ok(count > 100, `only ${count} patterns found`);
  });
});
