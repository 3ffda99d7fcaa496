/** `phantom status`'s report: what it computes from the API's answers and how it draws it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupStatus, renderStatus, type GroupAnswer } from "./status-report.js";

const vm = (AvailabilityZone: string, LifecycleState = "InService", HealthStatus = "Healthy") => ({ AvailabilityZone, LifecycleState, HealthStatus });

describe("phantom status's report", () => {
  const group: GroupAnswer = {
    AutoScalingGroupName: "web",
    DesiredCapacity: 6,
    Tags: [{ Key: "clouds", Value: "hotel:3,ec2:-1" }],
    Instances: [vm("hotel"), vm("hotel"), vm("hotel", "Pending"), vm("ec2", "InService", "Unhealthy"), vm("ec2", "Terminating"), vm("sierra")],
  };
  const until = new Date("2026-12-05T14:32:10Z");

  it("counts per cloud in the group's order (a stray site last), unhealthy whatever the state, terminating ones not at all", () => {
    const report = groupStatus(group, [{ site: "ec2", until, reason: "InsufficientInstanceCapacity" }], { StartTime: until, Description: "d", Cause: "because" });
    assert.deepEqual(report, {
      group: "web",
      desired: 6,
      deleting: false,
      clouds: [
        { site: "hotel", inService: 2, pending: 1, unhealthy: 0, cap: 3, backoff: null },
        { site: "ec2", inService: 0, pending: 0, unhealthy: 1, cap: null, backoff: { until: until.toISOString(), reason: "InsufficientInstanceCapacity" } },
        { site: "sierra", inService: 1, pending: 0, unhealthy: 0, cap: null, backoff: null },
      ],
      lastActivity: { time: until.toISOString(), description: "d", cause: "because" },
    });
  });

  it("takes a plain AWS group's zones as its clouds, uncapped", () => {
    const plain = groupStatus({ AutoScalingGroupName: "p", DesiredCapacity: 1, AvailabilityZones: ["hotel", "ec2"], Status: "Delete in progress" }, [], undefined);
    assert.deepEqual(plain.clouds.map((c) => [c.site, c.cap]), [["hotel", null], ["ec2", null]]);
    assert.equal(plain.deleting, true);
    assert.equal(plain.lastActivity, null);
  });

  it("draws a table per group with the backoff, what is short, and the last cause", () => {
    const text = renderStatus([groupStatus(group, [{ site: "ec2", until, reason: "InsufficientInstanceCapacity" }], { StartTime: until, Cause: "because" })], "http://x", until);
    assert.equal(
      text,
      [
        "Phantom at http://x, 2026-12-05 14:32:10 UTC",
        "",
        "web  desired 6  (3 short)",
        "  CLOUD   INSERVICE  PENDING  UNHEALTHY  CAP  BACKOFF",
        "  hotel   2          1        0          3    -",
        "  ec2     0          0        1          -    until 14:32:10 after InsufficientInstanceCapacity",
        "  sierra  1          0        0          -    -",
        "  last activity: 14:32:10 because",
        "",
      ].join("\n"),
    );
    assert.match(renderStatus([], "http://x", until), /No groups\./);
  });
});
