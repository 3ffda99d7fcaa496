import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { capsDue, overCapSince } from "./cap-grace.js";

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 12, 0, s));

describe("cap grace", () => {
  it("keeps the first time a site was over its cap while it stays over, and forgets it after", () => {
    const first = overCapSince(undefined, ["hotel"], at(0));
    const later = overCapSince(first, ["hotel", "ec2"], at(5));
    assert.deepEqual([...later], [["hotel", at(0)], ["ec2", at(5)]]);
    assert.deepEqual([...overCapSince(later, ["ec2"], at(10))], [["ec2", at(5)]]);
  });

  const rows: { name: string; since: [string, number][]; now: number; due: string[] }[] = [
    { name: "nothing over its cap", since: [], now: 100, due: [] },
    { name: "within the grace", since: [["hotel", 0]], now: 54, due: [] },
    { name: "the grace just run out", since: [["hotel", 0]], now: 55, due: ["hotel"] },
    { name: "each site on its own clock", since: [["hotel", 0], ["ec2", 30]], now: 60, due: ["hotel"] },
  ];
  for (const row of rows) {
    it(`capsDue: ${row.name}`, () => {
      const since = new Map(row.since.map(([site, s]) => [site, at(s)]));
      assert.deepEqual([...capsDue(since, at(row.now), 55_000)], row.due);
    });
  }
});
