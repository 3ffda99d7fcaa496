/**
 * Health verdicts: what one pass's cloud listing says about one VM. A VM is unhealthy when its
 * cloud reports it stopped or terminated behind Phantom's back, when it has been missing from
 * the listing beyond a grace period, or when it is not running within the boot timeout (and
 * when `SetInstanceHealth` said so, which the API records directly). A VM that Phantom is
 * terminating is confirmed gone when the cloud lists it terminated, or no longer lists it.
 * Pure: a function of the VM, the listing and `now`.
 */
import type { CloudVmState, ManagedInstance } from "./types.js";

/** Health timing, from the `controller:` settings. */
export interface HealthSettings {
  readonly bootTimeoutMs: number;
  readonly missingGraceMs: number;
}

/** What the cloud said about the VM this pass. */
export type Observation =
  /** The site's listing failed this pass: nothing is known. */
  | { readonly kind: "unknown" }
  | {
      readonly kind: "listed";
      readonly state: CloudVmState;
      /** The cloud's words for why it is stopped or terminated, if it gave any. */
      readonly reason?: string | undefined;
      /** Terminated but kept until deleted (an OpenStack server in ERROR): not gone yet. */
      readonly awaitsDelete?: boolean | undefined;
    }
  | { readonly kind: "absent" };

/**
 * Something worth a scaling activity or a backoff:
 * - `in-service`: the VM is running for the first time;
 * - `boot-failed`: it never came up (terminated while pending, missing before it ever ran, or
 *   past the boot timeout): the site backs off;
 * - `died`: it stopped or went away after it had run;
 * - `terminated`: Phantom's own termination is confirmed; the row goes.
 */
export type HealthEventKind = "in-service" | "boot-failed" | "died" | "terminated";

/** The verdict on one VM. */
export interface HealthVerdict {
  /** The VM after this pass's observation (the same object when nothing changed). */
  readonly instance: ManagedInstance;
  readonly event: { readonly kind: HealthEventKind; readonly reason: string } | null;
}

const STOPPED: ReadonlySet<CloudVmState> = new Set(["stopping", "stopped", "shutting-down", "terminated"]);

function unhealthy(instance: ManagedInstance, reason: string): ManagedInstance {
  return { ...instance, healthStatus: "Unhealthy", healthReason: reason };
}

/** Judges one VM on one observation. */
export function judgeHealth(
  instance: ManagedInstance,
  seen: Observation,
  site: string,
  now: Date,
  settings: HealthSettings,
): HealthVerdict {
  if (seen.kind === "unknown") return { instance, event: null };
  const terminating = instance.lifecycleState === "Terminating";
  const everRan = instance.inServiceAt !== null;

  if (seen.kind === "absent") {
    if (terminating) {
      return { instance, event: { kind: "terminated", reason: `${site} no longer lists it` } };
    }
    const missingSince = instance.missingSince ?? now;
    const next = instance.missingSince === null ? { ...instance, missingSince } : instance;
    if (now.getTime() - missingSince.getTime() < settings.missingGraceMs || next.healthStatus === "Unhealthy") {
      return { instance: next, event: null };
    }
    const seconds = Math.round(settings.missingGraceMs / 1000);
    const reason = `missing from ${site}'s listing for ${seconds}s`;
    return { instance: unhealthy(next, reason), event: { kind: everRan ? "died" : "boot-failed", reason } };
  }

  const state = seen.state;
  // Unchanged VMs stay the same object, so the controller writes only what changed (a pass
  // over 100,000 steady VMs writes nothing); `lastSeenAt` is refreshed only with a change.
  let next: ManagedInstance =
    instance.cloudState === state && instance.missingSince === null
      ? instance
      : { ...instance, cloudState: state, lastSeenAt: now, missingSince: null };

  if (terminating) {
    if (state === "terminated" && seen.awaitsDelete !== true) {
      return { instance: next, event: { kind: "terminated", reason: `${site} reports it terminated` } };
    }
    return { instance: next, event: null };
  }
  if (state === "running") {
    if (instance.lifecycleState === "Pending") {
      next = { ...next, lifecycleState: "InService", inServiceAt: now };
      return { instance: next, event: { kind: "in-service", reason: `${site} reports it running` } };
    }
    return { instance: next, event: null };
  }
  if (STOPPED.has(state)) {
    if (next.healthStatus === "Unhealthy") return { instance: next, event: null };
    const said = seen.reason === undefined || seen.reason === "" ? "" : `: ${seen.reason}`;
    const reason = everRan ? `${site} reports it ${state}${said}` : `it failed to boot: ${site} reports it ${state}${said}`;
    return { instance: unhealthy(next, reason), event: { kind: everRan ? "died" : "boot-failed", reason } };
  }
  // pending
  const booting = now.getTime() - instance.launchedAt.getTime();
  if (!everRan && booting > settings.bootTimeoutMs && next.healthStatus === "Healthy") {
    const reason = `not running ${Math.round(settings.bootTimeoutMs / 1000)}s after launch on ${site}`;
    return { instance: unhealthy(next, reason), event: { kind: "boot-failed", reason } };
  }
  return { instance: next, event: null };
}
