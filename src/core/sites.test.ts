import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { launchConfigurationBase, parseLaunchConfigurationName } from "./sites.js";
import { isPhantomError } from "./errors.js";

const catalog = { names: ["hotel", "ec2"], defaultSite: null };
const withDefault = { names: ["hotel", "ec2"], defaultSite: "hotel" };

describe("parseLaunchConfigurationName", () => {
  it("splits at the last @", () => {
    assert.deepEqual(parseLaunchConfigurationName("web@hotel", catalog), { base: "web", site: "hotel", full: "web@hotel" });
    assert.deepEqual(parseLaunchConfigurationName("a@b@ec2", catalog), { base: "a@b", site: "ec2", full: "a@b@ec2" });
  });
  it("uses the default site for a plain name when one is configured", () => {
    assert.deepEqual(parseLaunchConfigurationName("web", withDefault), { base: "web", site: "hotel", full: "web@hotel" });
  });
  const bad: [string, RegExp][] = [
    ["web", /has no site.*<name>@<site>.*web@hotel.*hotel, ec2/],
    ["web@nowhere", /'nowhere' is not a configured site\. Configured sites: hotel, ec2/],
    ["@hotel", /empty name/],
    ["web@", /'' is not a configured site/],
  ];
  for (const [name, pattern] of bad) {
    it(`rejects '${name}'`, () => {
      assert.throws(
        () => parseLaunchConfigurationName(name, catalog),
        (e: unknown) => isPhantomError(e, "ValidationError") && pattern.test(e.message),
      );
    });
  }
});

describe("launchConfigurationBase", () => {
  it("takes the name part of either form", () => {
    assert.equal(launchConfigurationBase("web", catalog), "web");
    assert.equal(launchConfigurationBase("web@ec2", catalog), "web");
  });
  it("still checks the site of name@site", () => {
    assert.throws(() => launchConfigurationBase("web@mars", catalog), /not a configured site/);
  });
});
