/**
 * {@link ScheduledActionStore} on Kysely, for SQLite and PostgreSQL. Writes follow the store's
 * lock order: the user's generation is bumped first (`kysely-store.ts`), so on PostgreSQL two
 * replicas running the same occurrence take turns, and the second finds it recorded.
 */
import { randomUUID } from "node:crypto";
import type { Kysely, Selectable, Transaction } from "kysely";
import type { ScheduledAction } from "../core/scheduled-actions.js";
import type { GroupTag } from "../core/types.js";
import { lostLeases, putGroup } from "./kysely-controller-store.js";
import { isPostgres } from "./migrations/column-types.js";
import { checkedLimit, decodeKey, EMPTY_PAGE, hasEmptyList, pageOf } from "./kysely-store.js";
import { activityColumns, toGroup } from "./rows.js";
import type { NewScheduledAction, OccurrenceRun, RunOutcome, ScheduledActionStore, ScheduleFilter, ScheduleTx } from "./scheduled-action-store.js";
import type { Database, ScheduledActionsTable } from "./schema.js";
import type { Page, PageOf } from "./store.js";

/** The JSON of `scheduled_actions.spec`: times as epoch ms. */
interface SpecJson {
  startTime: number | null;
  endTime: number | null;
  recurrence: string | null;
  timeZone: string | null;
  minSize: number | null;
  maxSize: number | null;
  desiredCapacity: number | null;
}

type ActionRow = Selectable<ScheduledActionsTable> & { group_name: string };

function toAction(row: ActionRow): ScheduledAction {
  const spec = JSON.parse(row.spec) as SpecJson;
  return {
    id: row.id,
    userId: row.user_id,
    groupId: row.group_id,
    groupName: row.group_name,
    name: row.name,
    arn: row.arn,
    putAt: new Date(row.put_at),
    startTime: spec.startTime === null ? null : new Date(spec.startTime),
    endTime: spec.endTime === null ? null : new Date(spec.endTime),
    recurrence: spec.recurrence,
    timeZone: spec.timeZone,
    minSize: spec.minSize,
    maxSize: spec.maxSize,
    desiredCapacity: spec.desiredCapacity,
  };
}

function specJson(a: NewScheduledAction): string {
  const json: SpecJson = {
    startTime: a.startTime?.getTime() ?? null,
    endTime: a.endTime?.getTime() ?? null,
    recurrence: a.recurrence,
    timeZone: a.timeZone,
    minSize: a.minSize,
    maxSize: a.maxSize,
    desiredCapacity: a.desiredCapacity,
  };
  return JSON.stringify(json);
}

/** Thrown inside a transaction to roll it back with an outcome. */
export class RolledBack<T extends string> extends Error {
  constructor(readonly outcome: T) {
    super(outcome);
  }
}

/** Runs `transaction`; an outcome it rolled back with ({@link RolledBack}) is its result. */
export async function outcomeOf<T extends string>(transaction: () => Promise<T>): Promise<T> {
  try {
    return await transaction();
  } catch (e) {
    if (e instanceof RolledBack) return e.outcome as T;
    throw e;
  }
}

/** Creates the store over a migrated database. */
export function createKyselyScheduledActionStore(db: Kysely<Database>): ScheduledActionStore {
  return new KyselyScheduledActionStore(db);
}

class KyselyScheduledActionStore implements ScheduledActionStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = isPostgres(db);
  }

  async write<T>(userId: string, groupName: string, fn: (tx: ScheduleTx) => Promise<T>): Promise<{ value: T } | null> {
    return this.db.transaction().execute(async (trx) => {
      await bumpGeneration(trx, userId);
      const rows = await trx
        .selectFrom("groups as g")
        .leftJoin("group_tags as t", "t.group_id", "g.id")
        .selectAll("g")
        .select(["t.key as tag_key", "t.value as tag_value", "t.propagate_at_launch as tag_propagate"])
        .where("g.user_id", "=", userId)
        .where("g.name", "=", groupName)
        .orderBy("t.key")
        .execute();
      const first = rows[0];
      if (first === undefined) return null;
      const tags: GroupTag[] = rows.flatMap((r) =>
        r.tag_key !== null && r.tag_value !== null ? [{ key: r.tag_key, value: r.tag_value, propagateAtLaunch: r.tag_propagate === 1 }] : [],
      );
      const group = toGroup(first, tags);
      const actions = () => trx.selectFrom("scheduled_actions").where("group_id", "=", group.id);
      const tx: ScheduleTx = {
        group,
        async get(name) {
          const row = await actions().selectAll().where("name", "=", name).executeTakeFirst();
          return row === undefined ? null : toAction({ ...row, group_name: group.name });
        },
        async count() {
          const row = await actions()
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow();
          return Number(row.n);
        },
        async put(action) {
          await trx
            .insertInto("scheduled_actions")
            .values({
              id: randomUUID(),
              user_id: userId,
              group_id: group.id,
              name: action.name,
              arn: action.arn,
              spec: specJson(action),
              put_at: action.putAt.getTime(),
            })
            .onConflict((oc) =>
              oc.columns(["group_id", "name"]).doUpdateSet((eb) => ({ spec: eb.ref("excluded.spec"), put_at: eb.ref("excluded.put_at") })),
            )
            .execute();
        },
        async delete(name) {
          const result = await trx.deleteFrom("scheduled_actions").where("group_id", "=", group.id).where("name", "=", name).executeTakeFirst();
          return result.numDeletedRows > 0n;
        },
      };
      return { value: await fn(tx) };
    });
  }

  async list(userId: string, filter: ScheduleFilter, page: Page): Promise<PageOf<ScheduledAction>> {
    const limit = checkedLimit(page);
    if (hasEmptyList(filter.names)) return EMPTY_PAGE;
    let select = this.#select().where("a.user_id", "=", userId);
    if (filter.groupName !== undefined) select = select.where("g.name", "=", filter.groupName);
    if (filter.names !== undefined) select = select.where("a.name", "in", filter.names);
    if (page.after !== undefined) {
      const [groupName, name] = decodeKey(page.after, ["string", "string"]);
      select = select.where(({ eb, refTuple, tuple }) => eb(refTuple("g.name", "a.name"), ">", tuple(groupName, name)));
    }
    const rows = await select.orderBy("g.name").orderBy("a.name").limit(limit + 1).execute();
    return pageOf(rows.map(toAction), limit, (a) => JSON.stringify([a.groupName, a.name]));
  }

  async loadAll(): Promise<ScheduledAction[]> {
    return (await this.#select().execute()).map(toAction);
  }

  async runOccurrence(run: OccurrenceRun): Promise<RunOutcome> {
    return outcomeOf<RunOutcome>(() =>
      this.db.transaction().execute(async (trx) => {
        await bumpGeneration(trx, run.action.userId);
        if ((await lostLeases(trx, run.fence, this.postgres)).length > 0) throw new RolledBack("lost-shard");
        const action = await trx.selectFrom("scheduled_actions").select("id").where("id", "=", run.action.id).executeTakeFirst();
        // Deleted meanwhile (with its runs): nothing to do.
        if (action === undefined) throw new RolledBack("ran-before");
        const recorded = await trx
          .insertInto("scheduled_action_runs")
          .values({ action_id: run.action.id, occurrence: run.occurrence.getTime(), ran_at: run.ranAt.getTime() })
          .onConflict((oc) => oc.columns(["action_id", "occurrence"]).doNothing())
          .returning("action_id")
          .executeTakeFirst();
        if (recorded === undefined) throw new RolledBack("ran-before");
        if (run.group !== null && !(await putGroup(trx, run.group))) throw new RolledBack("conflict");
        await trx.insertInto("activities").values(activityColumns(run.activity.userId, run.activity)).execute();
        if (run.deleteAction) {
          await trx.deleteFrom("scheduled_actions").where("id", "=", run.action.id).execute();
        } else {
          // Only the last occurrence is needed to refuse running it again.
          await trx
            .deleteFrom("scheduled_action_runs")
            .where("action_id", "=", run.action.id)
            .where("occurrence", "<", run.occurrence.getTime())
            .execute();
        }
        return "ran" as const;
      }),
    );
  }

  #select() {
    return this.db
      .selectFrom("scheduled_actions as a")
      .innerJoin("groups as g", "g.id", "a.group_id")
      .selectAll("a")
      .select("g.name as group_name");
  }
}

/** The store's lock order: the user's row first (see `kysely-store.ts`). */
export async function bumpGeneration(trx: Transaction<Database>, userId: string): Promise<void> {
  await trx
    .updateTable("users")
    .set((eb) => ({ generation: eb("generation", "+", 1) }))
    .where("id", "=", userId)
    .execute();
}
