import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { SimulatedVm } from "../../clouds/simulated/simulated-cloud.js";
import { Ec2ApiError } from "./ec2-api-error.js";
import { compileFilters, compileWildcard, hasWildcard, INSTANCE_FILTERS, matchesWildcard, STATUS_FILTERS, type Ec2Filter } from "./ec2-filters.js";

function vm(id: string, tags: Record<string, string>, state: SimulatedVm["state"] = "running"): SimulatedVm {
  return {
    id,
    state,
    launchedAt: new Date(0),
    instanceType: "t3.micro",
    tags,
    account: "a",
    reservationId: "r-1",
    launchIndex: 0,
    imageId: "ami-1",
    keyName: null,
    userData: null,
    securityGroups: [],
    clientToken: "tok",
    stateReason: null,
    terminatedAt: null,
    launchSize: 1,
    attributes: {},
    deletedByOwner: false,
  };
}

const VMS = [
  vm("i-1", { group: "alpha", env: "prod" }),
  vm("i-2", { group: "beta", env: "*" }, "pending"),
  vm("i-3", { other: "alpha" }, "terminated"),
  vm("i-4", { group: "a?c" }),
  vm("i-5", { group: "abc" }),
];

const matching = (filters: Ec2Filter[], tags = true) => VMS.filter(compileFilters(filters, INSTANCE_FILTERS, tags)).map((v) => v.id);

describe("EC2 filters", () => {
  const table: Array<[string, Ec2Filter[], string[]]> = [
    ["no filter: everything", [], ["i-1", "i-2", "i-3", "i-4", "i-5"]],
    ["tag:<key> with one value", [{ Name: "tag:group", Values: ["alpha"] }], ["i-1"]],
    ["values of one filter are alternatives", [{ Name: "tag:group", Values: ["alpha", "beta"] }], ["i-1", "i-2"]],
    ["filters all apply", [{ Name: "tag:group", Values: ["alpha", "beta"] }, { Name: "instance-state-name", Values: ["pending"] }], ["i-2"]],
    ["* matches any run of characters", [{ Name: "tag:group", Values: ["*a"] }], ["i-1", "i-2"]],
    ["? matches one character", [{ Name: "tag:group", Values: ["a?c"] }], ["i-4", "i-5"]],
    ["an escaped ? matches only itself", [{ Name: "tag:group", Values: ["a\\?c"] }], ["i-4"]],
    ["an escaped * matches only itself", [{ Name: "tag:env", Values: ["\\*"] }], ["i-2"]],
    ["tag-key", [{ Name: "tag-key", Values: ["other"] }], ["i-3"]],
    ["tag-value", [{ Name: "tag-value", Values: ["alpha"] }], ["i-1", "i-3"]],
    ["instance-id", [{ Name: "instance-id", Values: ["i-3", "i-9"] }], ["i-3"]],
    ["instance-state-code", [{ Name: "instance-state-code", Values: ["48"] }], ["i-3"]],
    ["a tag a VM lacks matches nothing, even *", [{ Name: "tag:other", Values: ["*"] }], ["i-3"]],
    ["regular expression characters are literal", [{ Name: "tag:group", Values: ["a.c"] }], []],
  ];
  for (const [what, filters, ids] of table) it(what, () => assert.deepEqual(matching(filters), ids));

  it("refuses names EC2 would not take, and filters without values", () => {
    const refused = (filters: Ec2Filter[], names = INSTANCE_FILTERS, tags = true) =>
      assert.throws(() => compileFilters(filters, names, tags), (e) => e instanceof Ec2ApiError && e.code === "InvalidParameterValue");
    refused([{ Name: "colour", Values: ["red"] }]);
    refused([{ Name: "tag:group" }]);
    refused([{ Values: ["x"] }]);
    refused([{ Name: "tag:group", Values: ["alpha"] }], STATUS_FILTERS, false);
  });

  it("tells values with wildcards from plain ones", () => {
    assert.deepEqual(["a*", "a?", "a\\*", "a\\\\*", "plain"].map(hasWildcard), [true, true, false, true, false]);
  });

  it("matches wildcards as EC2 does", () => {
    const table: Array<[pattern: string, value: string, matches: boolean]> = [
      ["*", "", true],
      ["*", "anything", true],
      ["?", "", false],
      ["?", "é", true],
      ["??", "😀x", true],
      ["a*c", "abbbc", true],
      ["a*c", "abbbd", false],
      ["a*b*c", "axxbyyc", true],
      ["a*b*c", "axxcyyb", false],
      ["*ab", "aab", true],
      ["*a*", "bbb", false],
      ["a**", "a", true],
      ["a\\*", "a*", true],
      ["a\\*", "ab", false],
      ["a\\?b", "a?b", true],
      ["a\\\\*", "a\\zz", true],
      ["a.c", "abc", false],
    ];
    for (const [pattern, value, matches] of table) assert.equal(matchesWildcard(compileWildcard(pattern), value), matches, `${pattern} ~ ${value}`);
  });

  it("matches many stars in at most (value + 1) × (pattern + 1) steps, where a regular expression backtracks exponentially", () => {
    // 14 stars between a's, then a b the value lacks: a backtracking regular expression tries
    // the ways of sharing the a's among the stars (4 to 10 s here; each star more, longer).
    const pattern = `${"*a".repeat(14)}*b`;
    const value = "a".repeat(30);
    const meter = { steps: 0 };
    assert.equal(matchesWildcard(compileWildcard(pattern), value, meter), false);
    assert.ok(meter.steps <= (value.length + 1) * (pattern.length + 1), `${meter.steps} steps`);
    assert.equal(matchesWildcard(compileWildcard(pattern), `${value}b`), true);
    // The same through DescribeInstances' filters: answered at once, not after seconds.
    const started = process.hrtime.bigint();
    const tagged = [vm("i-many", { name: value }), vm("i-b", { name: `${value}b` })];
    assert.deepEqual(tagged.filter(compileFilters([{ Name: "tag:name", Values: [pattern] }], INSTANCE_FILTERS, true)).map((v) => v.id), ["i-b"]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2_000, `${ms} ms`);
  });
});
