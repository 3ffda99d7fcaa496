import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { judgeHealth, type Observation } from "./health.js";
import type { ManagedInstance } from "./types.js";

const T0 = new Date("2026-11-26T12:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const settings = { bootTimeoutMs: 600_000, missingGraceMs: 60_000 };

function vm(over: Partial<ManagedInstance> = {}): ManagedInstance {
  return {
    id: "i-1",
    userId: "u",
    groupId: "g",
    groupName: "g",
    site: "hotel",
    launchConfigurationName: "lc@hotel",
    instanceType: "m1.small",
    lifecycleState: "Pending",
    healthStatus: "Healthy",
    protectedFromScaleIn: false,
    launchedAt: T0,
    launchToken: "t",
    cloudState: null,
    lastSeenAt: null,
    missingSince: null,
    inServiceAt: null,
    healthReason: null,
    terminationReason: null,
    terminateRequestedAt: null,
    version: 0,
    ...over,
  };
}
const running = vm({ lifecycleState: "InService", cloudState: "running", inServiceAt: at(5), lastSeenAt: at(5) });
const listed = (state: "pending" | "running" | "stopped" | "terminated" | "shutting-down"): Observation => ({ kind: "listed", state });

interface Row {
  readonly name: string;
  readonly before: ManagedInstance;
  readonly seen: Observation;
  readonly now: Date;
  readonly event: string | null;
  readonly lifecycle: string;
  readonly health: string;
  readonly reason?: RegExp;
}

const rows: Row[] = [
  { name: "a booting VM listed pending stays pending", before: vm(), seen: listed("pending"), now: at(5), event: null, lifecycle: "Pending", health: "Healthy" },
  { name: "a VM listed running goes InService", before: vm(), seen: listed("running"), now: at(5), event: "in-service", lifecycle: "InService", health: "Healthy" },
  { name: "a running VM stays as it is", before: running, seen: listed("running"), now: at(50), event: null, lifecycle: "InService", health: "Healthy" },
  { name: "a VM still pending after the boot timeout failed to boot", before: vm(), seen: listed("pending"), now: at(601), event: "boot-failed", lifecycle: "Pending", health: "Unhealthy", reason: /^not running 600s after launch on hotel$/ },
  { name: "a VM terminated while pending failed to boot", before: vm(), seen: listed("terminated"), now: at(5), event: "boot-failed", lifecycle: "Pending", health: "Unhealthy", reason: /^it failed to boot: hotel reports it terminated$/ },
  { name: "a running VM stopped behind Phantom's back died", before: running, seen: listed("stopped"), now: at(50), event: "died", lifecycle: "InService", health: "Unhealthy", reason: /^hotel reports it stopped$/ },
  { name: "a running VM terminated behind Phantom's back died", before: running, seen: listed("terminated"), now: at(50), event: "died", lifecycle: "InService", health: "Unhealthy" },
  { name: "missing within the grace period: nothing yet", before: running, seen: { kind: "absent" }, now: at(50), event: null, lifecycle: "InService", health: "Healthy" },
  { name: "missing beyond the grace period: gone", before: { ...running, missingSince: at(10) }, seen: { kind: "absent" }, now: at(71), event: "died", lifecycle: "InService", health: "Unhealthy", reason: /^missing from hotel's listing for 60s$/ },
  { name: "never listed beyond the grace period: failed to boot", before: { ...vm(), missingSince: at(1) }, seen: { kind: "absent" }, now: at(62), event: "boot-failed", lifecycle: "Pending", health: "Unhealthy" },
  { name: "an unknown listing changes nothing", before: { ...running, missingSince: at(10) }, seen: { kind: "unknown" }, now: at(1000), event: null, lifecycle: "InService", health: "Healthy" },
  { name: "a terminating VM listed terminated is confirmed gone", before: { ...running, lifecycleState: "Terminating" }, seen: listed("terminated"), now: at(60), event: "terminated", lifecycle: "Terminating", health: "Healthy" },
  { name: "a terminating VM no longer listed is confirmed gone", before: { ...running, lifecycleState: "Terminating" }, seen: { kind: "absent" }, now: at(60), event: "terminated", lifecycle: "Terminating", health: "Healthy" },
  { name: "a VM the cloud failed says why it failed to boot", before: vm(), seen: { kind: "listed", state: "terminated", reason: "No valid host was found. There are not enough hosts available.", awaitsDelete: true }, now: at(5), event: "boot-failed", lifecycle: "Pending", health: "Unhealthy", reason: /^it failed to boot: hotel reports it terminated: No valid host was found\. There are not enough hosts available\.$/ },
  { name: "a terminating VM terminated but kept until deleted is not yet gone", before: { ...running, lifecycleState: "Terminating" }, seen: { kind: "listed", state: "terminated", awaitsDelete: true }, now: at(60), event: null, lifecycle: "Terminating", health: "Healthy" },
  { name: "a terminating VM shutting down is not yet gone", before: { ...running, lifecycleState: "Terminating" }, seen: listed("shutting-down"), now: at(60), event: null, lifecycle: "Terminating", health: "Healthy" },
  { name: "a VM already unhealthy raises no second event", before: { ...running, healthStatus: "Unhealthy", healthReason: "set by a user" }, seen: listed("stopped"), now: at(60), event: null, lifecycle: "InService", health: "Unhealthy", reason: /^set by a user$/ },
];

describe("judgeHealth", () => {
  for (const row of rows) {
    it(row.name, () => {
      const v = judgeHealth(row.before, row.seen, "hotel", row.now, settings);
      assert.equal(v.event?.kind ?? null, row.event);
      assert.equal(v.instance.lifecycleState, row.lifecycle);
      assert.equal(v.instance.healthStatus, row.health);
      if (row.reason) assert.match(v.instance.healthReason ?? "", row.reason);
    });
  }
  it("leaves an unchanged VM the same object, so nothing is written for it", () => {
    assert.equal(judgeHealth(running, listed("running"), "hotel", at(99), settings).instance, running);
  });
  it("starts the missing clock once, then keeps it", () => {
    const first = judgeHealth(running, { kind: "absent" }, "hotel", at(20), settings).instance;
    assert.deepEqual(first.missingSince, at(20));
    assert.equal(judgeHealth(first, { kind: "absent" }, "hotel", at(30), settings).instance, first);
  });
  it("clears the missing clock when the VM is listed again", () => {
    const back = judgeHealth({ ...running, missingSince: at(20) }, listed("running"), "hotel", at(30), settings).instance;
    assert.equal(back.missingSince, null);
    assert.deepEqual(back.lastSeenAt, at(30));
  });
});
