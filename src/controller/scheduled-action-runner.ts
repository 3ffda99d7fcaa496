/**
 * The controller's scheduled-action step: once per pass, before the metric step, every
 * occurrence that has come (`core/scheduled-actions.ts`' `dueOccurrence`) runs on its group.
 *
 * Exactly once: each occurrence is committed on its own with `ScheduledActionStore.runOccurrence`,
 * which records the occurrence (unique per action) in the same transaction as the group's new
 * sizes and the activity, fenced by the lease of the group's shard like every controller batch. After a crash, or on a second replica, the same occurrence finds its
 * record and changes nothing; a restart inside the catch-up window still runs one that was not
 * recorded. The step returns the groups it changed (their version one higher) for the pass's
 * model; placement then acts on the new sizes as on any `UpdateAutoScalingGroup`.
 */
import { randomUUID } from "node:crypto";
import { capacityChangeActivity } from "../core/metric-scaling.js";
import { applyScheduledAction, dueOccurrence } from "../core/scheduled-actions.js";
import { isSuspended } from "../core/scaling-processes.js";
import type { OwnedGroup } from "../core/types.js";
import type { Logger } from "../observability/logger.js";
import type { WriteFence } from "../store/controller-store.js";
import type { Store } from "../store/store.js";

/** Runs scheduled actions for the reconciler. */
export class ScheduledActionRunner {
  /** The last occurrence known to be recorded, per action: no store round trip for it again. */
  readonly #recorded = new Map<string, number>();

  constructor(private readonly deps: { readonly store: Store; readonly logger: Logger }) {}

  /**
   * Runs what is due at `now` on these groups. `fenceFor` gives the lease a group's write is
   * fenced by (null: its shard is not held, so it is not this replica's to run). Returns the
   * groups it changed and the shards found lost (the caller drops them).
   */
  async run(
    groups: ReadonlyMap<string, { readonly group: OwnedGroup }>,
    now: Date,
    fenceFor: (groupId: string) => WriteFence | null,
  ): Promise<{ changed: OwnedGroup[]; lostShards: number[] }> {
    const lostShards = new Set<number>();
    // Two actions of one group in one pass: the second runs on what the first left.
    const changed = new Map<string, OwnedGroup>();
    const actions = await this.deps.store.schedules.loadAll();
    for (const action of actions) {
      // Only this replica's groups: another replica's are not worth a cron evaluation here.
      const current = changed.get(action.groupId) ?? groups.get(action.groupId)?.group;
      if (current === undefined) continue;
      const occurrence = dueOccurrence(action, now);
      if (occurrence === null || this.#recorded.get(action.id) === occurrence.getTime()) continue;
      // A suspended process misses its occurrences, as on AWS; a deleting group takes none.
      if (current.status !== "active" || isSuspended(current, "ScheduledActions")) continue;
      const fence = fenceFor(action.groupId);
      if (fence === null || fence.leases.some((l) => lostShards.has(l.shard))) continue;
      const change = applyScheduledAction(current, action, now);
      const next = change.group === null ? null : { ...change.group, version: current.version + 1 };
      const activity = {
        ...capacityChangeActivity(current, change.from, { desired: change.to, cause: change.cause }, now, randomUUID()),
        ...(next === null ? { statusCode: "Failed" as const, statusMessage: change.cause.slice(0, 255) } : {}),
        userId: action.userId,
      };
      const outcome = await this.deps.store.schedules.runOccurrence({
        action,
        occurrence,
        ranAt: now,
        group: next,
        activity,
        deleteAction: action.recurrence === null,
        fence,
      });
      if (outcome === "lost-shard") {
        for (const l of fence.leases) lostShards.add(l.shard);
        continue;
      }
      // A conflict (the API changed the group meanwhile) runs again next pass, on the reloaded group.
      if (outcome === "conflict") continue;
      this.#recorded.set(action.id, occurrence.getTime());
      if (outcome === "ran" && next !== null) {
        changed.set(next.id, next);
        this.deps.logger.info({ group: current.name, action: action.name, from: change.from, to: change.to }, "scheduled action ran");
      }
    }
    return { changed: [...changed.values()], lostShards: [...lostShards] };
  }
}
