import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCloudsTag, parseNPreserve, placementFromTags, plainPlacement } from "./placement-tags.js";
import { isPhantomError } from "./errors.js";
import type { SiteCatalog } from "./sites.js";

const catalog: SiteCatalog = { names: ["hotel", "sierra", "ec2"], defaultSite: "hotel" };
const noDefault: SiteCatalog = { ...catalog, defaultSite: null };

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isPhantomError(e, "ValidationError") && pattern.test(e.message));
}

describe("parseCloudsTag", () => {
  const good: [string, { site: string; max: number }[]][] = [
    ["hotel:8,ec2:-1", [{ site: "hotel", max: 8 }, { site: "ec2", max: -1 }]],
    [" hotel:0 , sierra : 3 ", [{ site: "hotel", max: 0 }, { site: "sierra", max: 3 }]],
    ["ec2:-1", [{ site: "ec2", max: -1 }]],
  ];
  for (const [value, want] of good) {
    it(`parses '${value}'`, () => assert.deepEqual(parseCloudsTag(value, catalog), want));
  }
  const bad: [string, RegExp][] = [
    ["", /site:max entries/],
    ["hotel:8,", /site:max entries/],
    ["hotel", /must be site:max/],
    ["hotel:x", /must be site:max/],
    [":4", /must be site:max/],
    ["hotel:-2", /-1 for unlimited/],
    ["hotel:1.5", /must be site:max/],
    ["nowhere:3", /'nowhere' is not a configured site.*hotel, sierra, ec2/],
    ["hotel:1,hotel:2", /twice/],
    ["hotel:99999999999", /-1 for unlimited/],
  ];
  for (const [value, pattern] of bad) {
    it(`rejects '${value}'`, () => rejects(() => parseCloudsTag(value, catalog), pattern));
  }
});

describe("parseNPreserve", () => {
  it("accepts whole numbers", () => {
    assert.equal(parseNPreserve("0"), 0);
    assert.equal(parseNPreserve("10"), 10);
  });
  for (const v of ["-1", "1.0", "ten", "", "1e3", " 2 "]) {
    it(`rejects '${v}'`, () => rejects(() => parseNPreserve(v), /n_preserve/));
  }
});

describe("placementFromTags", () => {
  const tag = (key: string, value: string) => ({ key, value });
  it("reads the three Phantom tags", () => {
    const p = placementFromTags(
      [tag("PHANTOM_DEFINITION", "error_overflow_n_preserving"), tag("clouds", "hotel:8,ec2:-1"), tag("n_preserve", "10")],
      catalog,
    );
    assert.deepEqual(p, {
      definition: "error_overflow_n_preserving",
      clouds: [{ site: "hotel", max: 8 }, { site: "ec2", max: -1 }],
      nPreserve: 10,
      sensor: null,
    });
  });
  it("is null for a group without PHANTOM_DEFINITION", () => {
    assert.equal(placementFromTags([tag("env", "prod")], catalog), null);
  });
  const bad: [string, { key: string; value: string }[], RegExp][] = [
    ["clouds without a definition", [tag("clouds", "hotel:1")], /only takes effect.*PHANTOM_DEFINITION/],
    ["n_preserve without a definition", [tag("n_preserve", "1")], /only takes effect/],
    ["an unknown definition", [tag("PHANTOM_DEFINITION", "magic")], /Unknown PHANTOM_DEFINITION 'magic'/],
    ["sensor_engine without its metric", [tag("PHANTOM_DEFINITION", "sensor_engine"), tag("clouds", "hotel:1")], /needs the tag metric=Namespace\/MetricName/],
    ["missing clouds", [tag("PHANTOM_DEFINITION", "error_overflow_n_preserving"), tag("n_preserve", "1")], /needs the tag clouds=/],
    ["missing n_preserve", [tag("PHANTOM_DEFINITION", "error_overflow_n_preserving"), tag("clouds", "hotel:1")], /needs the tag n_preserve=/],
  ];
  for (const [name, tags, pattern] of bad) {
    it(`rejects ${name}`, () => rejects(() => placementFromTags(tags, catalog), pattern));
  }
});

describe("plainPlacement", () => {
  it("uses the zones as uncapped sites in order", () => {
    assert.deepEqual(plainPlacement(["sierra", "hotel"], catalog).clouds, [
      { site: "sierra", max: -1 },
      { site: "hotel", max: -1 },
    ]);
  });
  it("defaults to the default site", () => {
    assert.deepEqual(plainPlacement(undefined, catalog).clouds, [{ site: "hotel", max: -1 }]);
    assert.deepEqual(plainPlacement([], catalog).clouds, [{ site: "hotel", max: -1 }]);
  });
  it("rejects AWS zone names, naming the sites", () => {
    rejects(() => plainPlacement(["us-east-1a"], catalog), /'us-east-1a' is not a configured site.*hotel, sierra, ec2/);
  });
  it("explains the Phantom convention without a default site", () => {
    rejects(() => plainPlacement(["hotel"], noDefault), /no default site.*PHANTOM_DEFINITION=error_overflow_n_preserving.*clouds=/);
  });
});
