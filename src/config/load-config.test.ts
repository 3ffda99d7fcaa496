import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./load-config.js";
import { ConfigError } from "./config.js";

describe("loadConfig", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "phantom-config-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => {
    const path = join(dir, `c${Math.random()}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const fails = (sources: Parameters<typeof loadConfig>[0], pattern: RegExp) =>
    assert.throws(() => loadConfig(sources), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));

  it("uses the demo with five simulated sites when nothing is configured", () => {
    const { config, demo } = loadConfig({ env: {} });
    assert.equal(demo, true);
    assert.deepEqual(config.sites.map((s) => s.name), ["hotel", "sierra", "foxtrot", "alamo", "ec2"]);
    assert.deepEqual(config.listen, { host: "127.0.0.1", port: 8445 });
    assert.equal(config.db, "sqlite:data/phantom.db");
    assert.equal(config.defaultSite, "hotel");
    for (const site of config.sites) {
      assert.deepEqual(site, {
        name: site.name,
        driver: "simulated",
        capacity: 100,
        bootSeconds: 2,
        launchFailureRate: 0,
        apiErrorRate: 0,
        apiLatencyMs: 0,
        deathRatePerHour: 0,
      });
    }
  });

  it("reads the documented example, keeping site order", () => {
    const path = write(`listen: 0.0.0.0:9000
db: postgres://u@localhost:5432/p
default_site: hotel
sites:
  hotel:  { driver: simulated, capacity: 8, boot_seconds: 2 }
  flaky:
    driver: simulated
    launch_failure_rate: 0.1
    api_error_rate: 0.05
    api_latency_ms: 150
    death_rate: 0.01
  ec2:    { driver: ec2, endpoint: https://ec2.us-east-1.amazonaws.com, region: us-east-1 }
  jetstream: { driver: openstack, auth_url: https://keystone.example:5000/v3, region: IU, network: public-net }
  campus: { driver: openstack, auth_url: http://10.0.0.5:5000 }
`);
    const { config, demo } = loadConfig({ configFile: path, env: {} });
    assert.equal(demo, false);
    assert.deepEqual(config.listen, { host: "0.0.0.0", port: 9000 });
    assert.deepEqual(config.sites, [
      {
        name: "hotel",
        driver: "simulated",
        capacity: 8,
        bootSeconds: 2,
        launchFailureRate: 0,
        apiErrorRate: 0,
        apiLatencyMs: 0,
        deathRatePerHour: 0,
      },
      {
        name: "flaky",
        driver: "simulated",
        capacity: 100,
        bootSeconds: 2,
        launchFailureRate: 0.1,
        apiErrorRate: 0.05,
        apiLatencyMs: 150,
        deathRatePerHour: 0.01,
      },
      { name: "ec2", driver: "ec2", endpoint: "https://ec2.us-east-1.amazonaws.com", region: "us-east-1" },
      { name: "jetstream", driver: "openstack", authUrl: "https://keystone.example:5000/v3", region: "IU", network: "public-net" },
      { name: "campus", driver: "openstack", authUrl: "http://10.0.0.5:5000", region: "RegionOne", network: null },
    ]);
    assert.deepEqual(config.limits, { launchConfigurations: 200, groups: 500 });
    assert.deepEqual(config.metrics, { retentionMs: 7_200_000, maxSeriesPerUser: 10_000, maxAlarmsPerUser: 5000 });
  });

  it("reads the metrics' retention, series limit and alarm limit", () => {
    const path = write("metrics: { retention_seconds: 3600, max_series_per_user: 50, max_alarms_per_user: 7 }\nsites: { a: { driver: simulated } }\n");
    assert.deepEqual(loadConfig({ configFile: path, env: {} }).config.metrics, { retentionMs: 3_600_000, maxSeriesPerUser: 50, maxAlarmsPerUser: 7 });
  });

  it("lets flags beat the environment and the environment beat the file", () => {
    const path = write("listen: 127.0.0.1:1000\nsites: { a: { driver: simulated } }\n");
    const env = { PHANTOM_CONFIG: path, PHANTOM_LISTEN: "127.0.0.1:2000", PHANTOM_DB: "sqlite::memory:" };
    assert.equal(loadConfig({ env }).config.listen.port, 2000);
    assert.equal(loadConfig({ env }).config.db, "sqlite::memory:");
    assert.equal(loadConfig({ env, listen: "[::1]:3000" }).config.listen.host, "::1");
  });

  const bad: [string, string, RegExp][] = [
    ["an unknown top-level key", "sites: { a: { driver: simulated } }\nlisten_port: 3\n", /\(top level\): Unrecognized key: "listen_port"/],
    ["an unknown driver", "sites: { a: { driver: azure } }\n", /sites\.a\.driver: Invalid discriminator value/],
    ["an unknown site key", "sites: { a: { driver: simulated, capcity: 3 } }\n", /sites\.a: Unrecognized key: "capcity"/],
    ["a negative capacity", "sites: { a: { driver: simulated, capacity: -1 } }\n", /sites\.a\.capacity: Too small/],
    ["a launch failure rate above 1", "sites: { a: { driver: simulated, launch_failure_rate: 1.5 } }\n", /sites\.a\.launch_failure_rate: Too big/],
    ["a negative API error rate", "sites: { a: { driver: simulated, api_error_rate: -0.1 } }\n", /sites\.a\.api_error_rate: Too small/],
    ["an API error rate above 1", "sites: { a: { driver: simulated, api_error_rate: 2 } }\n", /sites\.a\.api_error_rate: Too big/],
    ["a negative API latency", "sites: { a: { driver: simulated, api_latency_ms: -5 } }\n", /sites\.a\.api_latency_ms: Too small/],
    ["a negative death rate", "sites: { a: { driver: simulated, death_rate: -1 } }\n", /sites\.a\.death_rate: Too small/],
    ["a fault knob on an ec2 site", "sites: { a: { driver: ec2, endpoint: 'https://x', death_rate: 1 } }\n", /sites\.a: Unrecognized key: "death_rate"/],
    ["a bad endpoint", "sites: { a: { driver: ec2, endpoint: ftp://x } }\n", /sites\.a\.endpoint/],
    ["an openstack site without auth_url", "sites: { a: { driver: openstack, region: r } }\n", /sites\.a\.auth_url/],
    ["an openstack site with an endpoint", "sites: { a: { driver: openstack, auth_url: 'https://k/v3', endpoint: 'https://x' } }\n", /sites\.a: Unrecognized key: "endpoint"/],
    ["an empty network", "sites: { a: { driver: openstack, auth_url: 'https://k/v3', network: '' } }\n", /sites\.a\.network: Too small/],
    ["no sites", "sites: {}\n", /configure at least one site/],
    ["a site name with a colon", "sites: { 'a:b': { driver: simulated } }\n", /sites\.a:b: a site name is/],
    ["a retired default site", "default_site: a\nsites: { a: { driver: simulated, retired: true }, b: { driver: simulated } }\n", /default_site: 'a' is retired/],
    ["a retired that is not a boolean", "sites: { a: { driver: ec2, endpoint: 'https://x', retired: 'yes' } }\n", /sites\.a\.retired: Invalid input: expected boolean/],
    ["an unknown default site", "default_site: z\nsites: { a: { driver: simulated } }\n", /default_site: 'z' is not one of the sites \(a\)/],
    ["a bad listen address", "listen: nowhere\nsites: { a: { driver: simulated } }\n", /listen: expected HOST:PORT/],
    ["duplicate keys", "sites: { a: { driver: simulated } }\nsites: {}\n", /not valid YAML/],
    ["broken YAML", "sites: [\n", /not valid YAML/],
    ["a metric retention under ten minutes", "metrics: { retention_seconds: 60 }\nsites: { a: { driver: simulated } }\n", /metrics\.retention_seconds: Too small/],
    ["an unknown metrics key", "metrics: { retention: 60 }\nsites: { a: { driver: simulated } }\n", /metrics: Unrecognized key: "retention"/],
  ];
  for (const [name, text, pattern] of bad) {
    it(`rejects ${name}`, () => fails({ configFile: write(text), env: {} }, pattern));
  }
  it("marks the sites kept with retired: true, of any driver, and no others", () => {
    const text =
      "sites:\n  a: { driver: simulated }\n  b: { driver: ec2, endpoint: 'https://x', retired: true }\n" +
      "  c: { driver: openstack, auth_url: 'https://k/v3', retired: true }\n  d: { driver: simulated, retired: false }\n";
    const { sites } = loadConfig({ configFile: write(text), env: {} }).config;
    assert.deepEqual(sites.map((s) => [s.name, s.retired === true]), [["a", false], ["b", true], ["c", true], ["d", false]]);
  });

  it("reads the controller's timing, in seconds, with the documented defaults", () => {
    const path = write("controller: { interval_seconds: 2, orphan_grace_seconds: 0 }\nsites: { a: { driver: simulated } }\n");
    assert.deepEqual(loadConfig({ configFile: path, env: {} }).config.controller, {
      intervalMs: 2000,
      bootTimeoutMs: 600_000,
      missingGraceMs: 60_000,
      backoffInitialMs: 30_000,
      backoffMaxMs: 600_000,
      orphanGraceMs: 0,
      leaseMs: 30_000,
      shards: 64,
    });
    assert.equal(loadConfig({ configFile: write("controller: { shards: 4 }\nsites: { a: { driver: simulated } }\n"), env: {} }).config.controller.shards, 4);
    fails({ configFile: write("controller: { shards: 0 }\nsites: { a: { driver: simulated } }\n"), env: {} }, /controller\.shards/);
    fails({ configFile: write("controller: { backoff_initial_seconds: 60, backoff_max_seconds: 30 }\nsites: { a: { driver: simulated } }\n"), env: {} }, /backoff_max_seconds must be at least/);
    const lease = write("controller: { interval_seconds: 0.1, lease_seconds: 1 }\nsites: { a: { driver: simulated } }\n");
    assert.equal(loadConfig({ configFile: lease, env: {} }).config.controller.leaseMs, 1000);
    assert.equal(loadConfig({ configFile: write("controller: { interval_seconds: 10 }\nsites: { a: { driver: simulated } }\n"), env: {} }).config.controller.leaseMs, 60_000);
    fails({ configFile: write("controller: { interval_seconds: 1, lease_seconds: 1 }\nsites: { a: { driver: simulated } }\n"), env: {} }, /lease_seconds must be at least twice/);
    fails({ configFile: write("controller: { interval: 3 }\nsites: { a: { driver: simulated } }\n"), env: {} }, /controller: Unrecognized key: "interval"/);
  });
  it("names a missing file", () => fails({ configFile: join(dir, "absent.yaml"), env: {} }, /cannot read config file .*absent\.yaml: ENOENT/));
  it("rejects a malformed --listen", () => fails({ listen: "8445", env: {} }, /--listen: expected HOST:PORT/));
  it("names PHANTOM_LISTEN when the environment is wrong", () => fails({ env: { PHANTOM_LISTEN: "x" } }, /^PHANTOM_LISTEN: expected HOST:PORT/));
});
