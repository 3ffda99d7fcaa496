import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSuspended, resumeProcesses, SCALING_PROCESSES, suspendedProcesses, suspendProcesses } from "./scaling-processes.js";

const T0 = new Date("2026-12-05T08:00:00Z");
const T1 = new Date("2026-12-05T09:00:00Z");
const fresh = { extra: { TerminationPolicies: ["Default"] } as Record<string, unknown> };
const names = (g: { extra: Record<string, unknown> }) => suspendedProcesses(g.extra).map((p) => p.ProcessName);

describe("scaling processes", () => {
  const rows: { name: string; run: () => { extra: Record<string, unknown> }; expected: string[] }[] = [
    { name: "suspending none named suspends all, as AWS", run: () => suspendProcesses(fresh, undefined, T0), expected: [...SCALING_PROCESSES] },
    { name: "suspends the named ones, sorted", run: () => suspendProcesses(fresh, ["Terminate", "Launch"], T0), expected: ["Launch", "Terminate"] },
    {
      name: "suspending again adds to what is suspended",
      run: () => suspendProcesses(suspendProcesses(fresh, ["Launch"], T0), ["AZRebalance", "Launch"], T1),
      expected: ["AZRebalance", "Launch"],
    },
    { name: "resumes the named ones", run: () => resumeProcesses(suspendProcesses(fresh, ["Launch", "Terminate"], T0), ["Launch"]), expected: ["Terminate"] },
    { name: "resuming none named resumes all", run: () => resumeProcesses(suspendProcesses(fresh, undefined, T0), []), expected: [] },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(names(row.run()), row.expected));

  it("keeps AWS's reason and the first suspension's time, and the other members", () => {
    const g = suspendProcesses(suspendProcesses(fresh, ["Launch"], T0), ["Launch"], T1);
    assert.deepEqual(suspendedProcesses(g.extra), [{ ProcessName: "Launch", SuspensionReason: "User suspended at 2026-12-05T08:00:00Z" }]);
    assert.deepEqual(g.extra.TerminationPolicies, ["Default"]);
    assert.equal(isSuspended(g, "Launch"), true);
    assert.equal(isSuspended(g, "Terminate"), false);
    assert.equal("SuspendedProcesses" in resumeProcesses(g, undefined).extra, false);
  });

  it("refuses unknown process names, naming them and the valid ones", () => {
    assert.throws(() => suspendProcesses(fresh, ["Launch", "Lunch"], T0), {
      name: "ValidationError",
      message: /^Invalid processes: Lunch\. Valid processes are AZRebalance, AddToLoadBalancer, .*Terminate\.$/,
    });
  });
});
