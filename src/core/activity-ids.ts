/**
 * Ids of the activities that follow one VM: its launch and its termination. Derived from the
 * VM, so whoever records the start (the controller, or the API for a user's termination) and
 * whoever records the end (the controller, maybe after a restart) agree without sharing state.
 */
import { createHash } from "node:crypto";

/** The id of a VM's launch or termination activity, shaped like a UUID. */
export function vmActivityId(kind: "launch" | "terminate", userId: string, instanceId: string): string {
  const h = createHash("sha256").update(`${kind}\0${userId}\0${instanceId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
