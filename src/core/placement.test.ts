import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decidePlacement, type PlacementGroup, type PlacementInput } from "./placement.js";
import type { ManagedInstance } from "./types.js";

const T0 = new Date("2026-11-26T12:00:00Z");

/** A VM: `hotel:InService`, `ec2:Pending`, `hotel:InService:Unhealthy`, `ec2:InService:protected`. */
function vm(spec: string, n: number): ManagedInstance {
  const [site, state = "InService", flag] = spec.split(":");
  return {
    id: `i-${site}-${n}`,
    userId: "u",
    groupId: "g",
    groupName: "g",
    site: site!,
    launchConfigurationName: `lc@${site}`,
    instanceType: "m1.small",
    lifecycleState: state as ManagedInstance["lifecycleState"],
    healthStatus: flag === "Unhealthy" ? "Unhealthy" : "Healthy",
    protectedFromScaleIn: flag === "protected",
    launchedAt: new Date(T0.getTime() + n * 1000),
    launchToken: "t",
    cloudState: state === "Pending" ? "pending" : "running",
    lastSeenAt: T0,
    missingSince: null,
    inServiceAt: state === "InService" ? T0 : null,
    healthReason: flag === "Unhealthy" ? "hotel reports it stopped" : null,
    terminationReason: null,
    terminateRequestedAt: null,
    version: 0,
  };
}

/** `["hotel:InService x8", "ec2:Pending x2"]` → VMs numbered in order (later = newer). */
function vms(...specs: string[]): ManagedInstance[] {
  const out: ManagedInstance[] = [];
  for (const s of specs) {
    const [spec, times = "x1"] = s.split(" ");
    for (let k = 0; k < Number(times.slice(1)); k++) out.push(vm(spec!, out.length));
  }
  return out;
}

function group(clouds: string, desired: number, extra: Partial<PlacementGroup> = {}): PlacementGroup {
  return {
    desiredCapacity: desired,
    clouds: clouds.split(",").map((e) => ({ site: e.split(":")[0]!, max: Number(e.split(":")[1]) })),
    status: "active",
    tags: [],
    ...extra,
  };
}

interface Row {
  readonly name: string;
  readonly input: PlacementInput;
  /** `site:count` per launch, in order. */
  readonly launches: string[];
  /** Ids of the terminated VMs, in order. */
  readonly terminations: string[];
  readonly shortfall?: RegExp;
  readonly causes?: RegExp[];
  /** Sites keeping VMs over their cap until replaced (default none). */
  readonly overCap?: string[];
  /** Causes of the terminations, in order. */
  readonly terminationCauses?: RegExp[];
}

const none = new Map<string, number>();
const open = new Map<string, string>();

/** `extra` with these processes suspended, as SuspendProcesses stores them. */
function suspended(...names: string[]): Partial<PlacementGroup> {
  return { extra: { SuspendedProcesses: names.map((ProcessName) => ({ ProcessName, SuspensionReason: "User suspended at …" })) } };
}

const rows: Row[] = [
  // Suspended processes (SuspendProcesses).
  {
    name: "Launch suspended: no VM is launched and the shortfall says why",
    input: { group: group("hotel:8,ec2:-1", 3, suspended("Launch")), instances: vms("hotel x1"), launching: none, blocked: open },
    launches: [],
    terminations: [],
    shortfall: /^2 VMs short of 3: the Launch process is suspended$/,
  },
  {
    name: "Launch suspended: scale-in still happens",
    input: { group: group("hotel:8,ec2:-1", 1, suspended("Launch")), instances: vms("hotel x2"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-1"],
  },
  {
    name: "Terminate suspended: no scale-in, no cap enforcement, the unhealthy VM stays and counts",
    input: {
      group: group("hotel:1,ec2:-1", 1, suspended("Terminate")),
      instances: vms("hotel x2", "ec2:InService:Unhealthy"),
      launching: none,
      blocked: open,
    },
    launches: [],
    terminations: [],
  },
  {
    name: "ReplaceUnhealthy suspended: the unhealthy VM stays and is not replaced",
    input: { group: group("hotel:8", 2, suspended("ReplaceUnhealthy")), instances: vms("hotel x1", "hotel:InService:Unhealthy"), launching: none, blocked: open },
    launches: [],
    terminations: [],
  },
  {
    name: "AZRebalance suspended: no return to the preferred cloud",
    input: { group: group("hotel:8,ec2:-1", 4, suspended("AZRebalance")), instances: vms("hotel x2", "ec2 x2"), launching: none, blocked: open },
    launches: [],
    terminations: [],
  },
  {
    name: "other processes suspended change nothing: the preferred cloud is refilled",
    input: { group: group("hotel:8,ec2:-1", 4, suspended("HealthCheck", "AddToLoadBalancer")), instances: vms("hotel x2", "ec2 x2"), launching: none, blocked: open },
    launches: ["hotel:1"],
    terminations: [],
  },
  {
    name: "a deleting group terminates everything even with Terminate suspended",
    input: { group: group("hotel:8", 2, { status: "deleting", ...suspended("Terminate", "Launch") }), instances: vms("hotel x2"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-0", "i-hotel-1"],
  },
  // Filling in order, up to each maximum (PHANTOM.md: fills sites in order up to each site's max).
  {
    name: "an empty group fills hotel to its maximum, then overflows to ec2",
    input: { group: group("hotel:8,ec2:-1", 10), instances: [], launching: none, blocked: open },
    launches: ["hotel:8", "ec2:2"],
    terminations: [],
    causes: [/^launching 8 on hotel$/, /^hotel is at its maximum of 8; launching 2 on ec2$/],
  },
  {
    name: "a whole group does nothing",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x8", "ec2 x2"), launching: none, blocked: open },
    launches: [],
    terminations: [],
  },
  {
    name: "VMs in flight count: nothing more is launched for them",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x5"), launching: new Map([["hotel", 3]]), blocked: open },
    launches: ["ec2:2"],
    terminations: [],
  },
  {
    name: "an unlimited first site takes everything",
    input: { group: group("ec2:-1,hotel:8", 50), instances: [], launching: none, blocked: open },
    launches: ["ec2:50"],
    terminations: [],
  },
  // Overflow on failure, for any site, including an unlimited one (PHANTOM.md: the original never overflowed from -1).
  {
    name: "a backing-off first site overflows at once to the next",
    input: {
      group: group("hotel:8,ec2:-1", 10),
      instances: [],
      launching: none,
      blocked: new Map([["hotel", "is backing off for 30s after InsufficientInstanceCapacity"]]),
    },
    launches: ["ec2:10"],
    terminations: [],
    causes: [/^hotel is backing off for 30s after InsufficientInstanceCapacity; launching 10 on ec2$/],
  },
  {
    name: "an unlimited site that fails overflows too",
    input: {
      group: group("ec2:-1,hotel:8", 5),
      instances: vms("ec2 x2"),
      launching: none,
      blocked: new Map([["ec2", "is backing off for 30s after InstanceLimitExceeded"]]),
    },
    launches: ["hotel:3"],
    terminations: [],
  },
  {
    name: "a backing-off site keeps its VMs",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x6", "ec2 x4"), launching: none, blocked: new Map([["hotel", "is backing off"]]) },
    launches: [],
    terminations: [],
  },
  {
    name: "every site full or failing: the group stays short and says why",
    input: {
      group: group("hotel:2,ec2:3", 10),
      instances: vms("hotel x2"),
      launching: none,
      blocked: new Map([["ec2", "is backing off for 60s after InsufficientInstanceCapacity"]]),
    },
    launches: [],
    terminations: [],
    shortfall: /^8 VMs short of 10: hotel is at its maximum of 2; ec2 is backing off for 60s after InsufficientInstanceCapacity$/,
  },
  // Return to the preferred cloud (PHANTOM.md: the original never returned).
  {
    name: "when the preferred site has room again, one VM moves back at a time (10% of 10)",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x6", "ec2 x4"), launching: none, blocked: open },
    launches: ["hotel:1"],
    terminations: [],
    causes: [/^hotel has room again; moving 1 back from ec2$/],
  },
  {
    name: "make-before-break: the twin on ec2 stays while the new VM on hotel is pending",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x6", "ec2 x4", "hotel:Pending"), launching: none, blocked: open },
    launches: [],
    terminations: [],
  },
  {
    name: "make-before-break: once the new VM is in service, the newest VM on ec2 goes",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x7", "ec2 x4"), launching: none, blocked: open },
    launches: ["hotel:1"],
    terminations: ["i-ec2-10"],
  },
  {
    name: "no return while the preferred site backs off",
    input: { group: group("hotel:8,ec2:-1", 10), instances: vms("hotel x6", "ec2 x4"), launching: none, blocked: new Map([["hotel", "is backing off"]]) },
    launches: [],
    terminations: [],
  },
  {
    name: "no return with the tag rebalance=false",
    input: {
      group: group("hotel:8,ec2:-1", 10, { tags: [{ key: "rebalance", value: "false" }] }),
      instances: vms("hotel x6", "ec2 x4"),
      launching: none,
      blocked: open,
    },
    launches: [],
    terminations: [],
  },
  {
    name: "protected VMs do not move",
    input: { group: group("hotel:8,ec2:-1", 3), instances: vms("hotel x1", "ec2:InService:protected x2"), launching: none, blocked: open },
    launches: [],
    terminations: [],
  },
  // Health (PHANTOM.md: an unhealthy VM is terminated, then replaced; cooldowns never delay it).
  {
    name: "an unhealthy VM is terminated and replaced in the same pass, on the preferred site",
    input: { group: group("hotel:8,ec2:-1", 4), instances: vms("hotel x3", "hotel:InService:Unhealthy"), launching: none, blocked: open },
    launches: ["hotel:1"],
    terminations: ["i-hotel-3"],
    causes: [/^launching 1 on hotel$/],
  },
  {
    name: "VMs already terminating neither count nor get terminated again",
    input: { group: group("hotel:8", 2), instances: vms("hotel x2", "hotel:Terminating x2"), launching: none, blocked: open },
    launches: [],
    terminations: [],
  },
  // Scale-down (PHANTOM.md: least-preferred site first, then pending, then the newest).
  {
    name: "scale-down drains the least-preferred site first, newest first",
    input: { group: group("hotel:8,ec2:-1", 6), instances: vms("hotel x8", "ec2 x2"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-ec2-9", "i-ec2-8", "i-hotel-7", "i-hotel-6"],
  },
  {
    name: "scale-down takes pending VMs before VMs in service within a site",
    input: { group: group("hotel:8", 2), instances: vms("hotel x2", "hotel:Pending x2"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-3", "i-hotel-2"],
  },
  {
    name: "scale-down to zero removes everything",
    input: { group: group("hotel:8,ec2:-1", 0), instances: vms("hotel x2", "ec2 x1"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-ec2-2", "i-hotel-1", "i-hotel-0"],
  },
  {
    name: "scale-down skips VMs protected from scale-in",
    input: { group: group("hotel:8,ec2:-1", 1), instances: vms("hotel x1", "ec2:InService:protected"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-0"],
  },
  // Caps lowered, sites dropped or retired: make-before-break (issue #10).
  {
    name: "lowering a site's maximum launches replacements elsewhere first, keeping the excess in service",
    input: { group: group("hotel:4,ec2:-1", 8), instances: vms("hotel x8"), launching: none, blocked: open },
    launches: ["ec2:4"],
    terminations: [],
    causes: [/^hotel is at its maximum of 4; launching 4 on ec2$/],
    overCap: ["hotel"],
  },
  {
    name: "the excess over a lowered maximum goes as its replacements come into service, newest first",
    input: { group: group("hotel:4,ec2:-1", 8), instances: vms("hotel x8", "ec2 x2", "ec2:Pending x2"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-7", "i-hotel-6"],
    terminationCauses: [/^hotel is over its maximum of 4; its replacement is in service$/],
    overCap: ["hotel"],
  },
  {
    name: "pending VMs over a lowered maximum go at once",
    input: { group: group("hotel:1,ec2:-1", 2), instances: vms("hotel x1", "hotel:Pending x1"), launching: none, blocked: open },
    launches: ["ec2:1"],
    terminations: ["i-hotel-1"],
  },
  {
    name: "a maximum whose replacements did not come in time is enforced at once",
    input: { group: group("hotel:4,ec2:-1", 8), instances: vms("hotel x8", "ec2:Pending x4"), launching: none, blocked: open, enforceCaps: new Set(["hotel"]) },
    launches: [],
    terminations: ["i-hotel-7", "i-hotel-6", "i-hotel-5", "i-hotel-4"],
    terminationCauses: [/^hotel is over its maximum of 4, and no replacement came into service in time$/],
  },
  {
    name: "with nowhere to move, VMs over a lowered maximum stay in service and the group says why",
    input: { group: group("hotel:1,ec2:0", 2), instances: vms("hotel x2"), launching: none, blocked: open },
    launches: [],
    terminations: [],
    shortfall: /^1 VM short of 2 without the 1 VM leaving hotel: hotel is at its maximum of 1; ec2 is at its maximum of 0$/,
    overCap: ["hotel"],
  },
  {
    name: "a site dropped from clouds is drained make-before-break",
    input: { group: group("ec2:-1", 2), instances: vms("hotel x2"), launching: none, blocked: open },
    launches: ["ec2:2"],
    terminations: [],
    overCap: ["hotel"],
  },
  {
    name: "a site dropped from clouds: its VMs go once those on ec2 are in service",
    input: { group: group("ec2:-1", 2), instances: vms("hotel x2", "ec2 x2"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-1", "i-hotel-0"],
    terminationCauses: [/^hotel is no longer among the group's clouds; its replacement is in service$/],
  },
  {
    name: "a retired site takes no new VMs; its VMs are replaced elsewhere before they go",
    input: { group: group("hotel:8,ec2:-1", 3), instances: vms("hotel x3"), launching: none, blocked: open, retired: new Set(["hotel"]) },
    launches: ["ec2:3"],
    terminations: [],
    causes: [/^hotel is retired; launching 3 on ec2$/],
  },
  {
    name: "a retired site's VM goes once one elsewhere is in service, and its pending ones at once",
    input: {
      group: group("hotel:8,ec2:-1", 3),
      instances: vms("hotel x3", "hotel:Pending x1", "ec2 x1", "ec2:Pending x2"),
      launching: none,
      blocked: open,
      retired: new Set(["hotel"]),
      enforceCaps: new Set(["hotel"]),
    },
    launches: [],
    terminations: ["i-hotel-3", "i-hotel-2"],
    terminationCauses: [/^hotel is retired$/, /^hotel is retired; its replacement is in service$/],
  },
  {
    name: "a retired site's VMs stay while there is nowhere else to put them",
    input: { group: group("hotel:8", 2), instances: vms("hotel x2"), launching: none, blocked: open, retired: new Set(["hotel"]) },
    launches: [],
    terminations: [],
    shortfall: /^2 VMs short of 2 without the 2 VMs leaving hotel: hotel is retired$/,
  },
  {
    name: "no return to a retired preferred site",
    input: { group: group("hotel:8,ec2:-1", 2), instances: vms("ec2 x2"), launching: none, blocked: open, retired: new Set(["hotel"]) },
    launches: [],
    terminations: [],
  },
  // Delete (PHANTOM.md: the group stays listed until its VMs are terminated).
  {
    name: "a deleting group terminates every VM and launches nothing",
    input: { group: group("hotel:8,ec2:-1", 4, { status: "deleting" }), instances: vms("hotel x1", "ec2:Pending x1"), launching: none, blocked: open },
    launches: [],
    terminations: ["i-hotel-0", "i-ec2-1"],
  },
];

describe("decidePlacement", () => {
  for (const row of rows) {
    it(row.name, () => {
      const d = decidePlacement(row.input);
      assert.deepEqual(d.launches.map((l) => `${l.site}:${l.count}`), row.launches, "launches");
      assert.deepEqual(d.terminations.map((t) => t.instance.id), row.terminations, "terminations");
      if (row.shortfall) assert.match(d.shortfall ?? "", row.shortfall);
      else assert.equal(d.shortfall, null);
      row.causes?.forEach((pattern, k) => assert.match(d.launches[k]?.cause ?? "", pattern));
      row.terminationCauses?.forEach((pattern, k) => assert.match(d.terminations[k]?.cause ?? "", pattern));
      assert.deepEqual(d.overCap, row.overCap ?? [], "overCap");
    });
  }

  it("the cause of a termination says why", () => {
    const d = decidePlacement({ group: group("hotel:8,ec2:-1", 1), instances: vms("hotel x1", "ec2 x1"), launching: none, blocked: open });
    assert.match(d.terminations[0]!.cause, /above its desired capacity of 1; ec2 is its least-preferred site in use/);
    const u = decidePlacement({ group: group("hotel:8", 1), instances: vms("hotel:InService:Unhealthy"), launching: none, blocked: open });
    assert.equal(u.terminations[0]!.cause, "it is unhealthy: hotel reports it stopped");
  });

  it("converges: repeatedly applying decisions reaches the preferred layout without ever dropping below desired", () => {
    // 8 on ec2 after hotel failed; hotel (cap 8) recovered. Simulate passes where launches boot next pass.
    let instances = vms("ec2 x8");
    const g = group("hotel:8,ec2:-1", 8);
    let next = 100;
    for (let pass = 0; pass < 40; pass++) {
      const running = instances.map((i) => (i.lifecycleState === "Pending" ? { ...i, lifecycleState: "InService" as const } : i));
      const d = decidePlacement({ group: g, instances: running, launching: none, blocked: open });
      const gone = new Set(d.terminations.map((t) => t.instance.id));
      instances = running.filter((i) => !gone.has(i.id));
      assert.ok(instances.filter((i) => i.lifecycleState === "InService").length >= 8, `pass ${pass}: below desired`);
      for (const l of d.launches) for (let k = 0; k < l.count; k++) instances.push({ ...vm(`${l.site}:Pending`, next++) });
    }
    assert.deepEqual(
      instances.map((i) => `${i.site}:${i.lifecycleState}`).sort(),
      Array(8).fill("hotel:InService"),
    );
  });
});
