/**
 * The API's hottest reads on SQLite, without Kysely: `DescribeAutoScalingGroups` reads a page
 * of groups, their tags and their VMs, and building and compiling those Kysely queries, the
 * join that repeated every group column once per tag, and better-sqlite3 turning each row into
 * an object with named keys cost most of an uncached answer (see BENCHMARKS.md). Here each read
 * is a prepared statement returning arrays (`.raw()`), one for the groups, one for their tags,
 * one for the VMs, and the records are built from the arrays.
 *
 * `in` lists are padded to the next power of two by repeating their last value (a repeated
 * value changes nothing in an `in` list), so at most one statement is prepared per power of two
 * and variant: the statements kept are bounded whatever the requests ask for.
 *
 * The caller must hold the database's connection (Kysely's `connection()`, or a transaction):
 * every method here runs synchronously, so its statements see one snapshot.
 */
import type { Database, Statement } from "better-sqlite3";
import type { Group, GroupTag, Instance } from "../core/types.js";
import type { Page } from "./store.js";
import { GROUP_RECORD_COLUMNS, INSTANCE_VIEW_COLUMNS, toGroup, toInstance } from "./rows.js";

/** The most values an `in` list of these reads takes; longer lists are a caller's bug. */
export const MAX_IN_LIST = 4096;

/** The smallest power of two at least `n` (n ≥ 1). */
function bucketOf(n: number): number {
  let bucket = 1;
  while (bucket < n) bucket *= 2;
  return bucket;
}

/** `values` padded with its last value up to its bucket's length. */
function padded(values: readonly string[]): string[] {
  const out = values.slice();
  const last = values[values.length - 1]!;
  for (let i = values.length, n = bucketOf(values.length); i < n; i++) out.push(last);
  return out;
}

/** Reads of groups, their tags and their VMs on one SQLite database, for any user. */
export class SqliteGroupReads {
  readonly #database: Database;
  readonly #statements = new Map<string, Statement>();

  constructor(database: Database) {
    this.#database = database;
  }

  /** How many statements are prepared now (at most a few per power of two up to {@link MAX_IN_LIST}). */
  get preparedStatements(): number {
    return this.#statements.size;
  }

  /**
   * A page of the user's groups in name order, `limit + 1` at most (the caller pages), with their
   * tags sorted by key: `names` (non-empty) restricts them, `page.after` starts after a name.
   */
  groupsPage(userId: string, names: readonly string[] | null, page: Page, limit: number): Group[] {
    if (names !== null) checkList(names);
    const after = page.after !== undefined;
    const key = `groups:${names === null ? 0 : bucketOf(names.length)}:${after}`;
    const statement = this.#statement(key, () => {
      let sql = `select ${GROUP_RECORD_COLUMNS.join(", ")} from groups where user_id = ?`;
      if (names !== null) sql += ` and name in (${placeholders(bucketOf(names.length))})`;
      if (after) sql += " and name > ?";
      return `${sql} order by name limit ?`;
    });
    const params: unknown[] = [userId];
    if (names !== null) params.push(...padded(names));
    if (after) params.push(page.after);
    params.push(limit + 1);
    const rows = statement.all(...params) as unknown[][];
    if (rows.length === 0) return [];
    const tags = this.#tagsOf(rows.map((r) => r[0] as string));
    return rows.map((r) => groupOf(r, tags.get(r[0] as string) ?? []));
  }

  /** The user's VMs in these groups, ordered by group name, then VM id. */
  instancesOfGroups(userId: string, groupIds: readonly string[]): Instance[] {
    if (groupIds.length === 0) return [];
    checkList(groupIds);
    const bucket = bucketOf(groupIds.length);
    const ids = padded(groupIds);
    const names = this.#statement(
      `group-names:${bucket}`,
      () => `select id, name from groups where user_id = ? and id in (${placeholders(bucket)}) order by name`,
    );
    const rank = new Map<string, { name: string; rank: number }>();
    for (const [id, name] of names.all(userId, ...ids) as [string, string][]) rank.set(id, { name, rank: rank.size });
    const vms = this.#statement(
      `instances:${bucket}`,
      () =>
        `select ${INSTANCE_VIEW_COLUMNS.join(", ")} from instances where user_id = ? and group_id in (${placeholders(bucket)}) ` +
        "order by group_id, id",
    );
    const rows = vms.all(userId, ...ids) as unknown[][];
    const instances: Instance[] = [];
    for (const r of rows) {
      const group = rank.get(r[0] as string);
      // A VM's group row is the key of its foreign key, so it is always there.
      if (group === undefined) continue;
      instances.push(instanceOf(r, group.name));
    }
    // Stable: within a group the VMs keep the statement's id order.
    return instances.sort((a, b) => rank.get(a.groupId)!.rank - rank.get(b.groupId)!.rank);
  }

  /** The tags of these groups by group id, each group's sorted by key. */
  #tagsOf(groupIds: readonly string[]): Map<string, GroupTag[]> {
    const bucket = bucketOf(groupIds.length);
    const statement = this.#statement(
      `tags:${bucket}`,
      () =>
        `select group_id, key, value, propagate_at_launch from group_tags where group_id in (${placeholders(bucket)}) ` +
        "order by group_id, key",
    );
    const byGroup = new Map<string, GroupTag[]>();
    let current: GroupTag[] = [];
    let currentId: string | undefined;
    for (const [groupId, key, value, propagate] of statement.all(...padded(groupIds)) as [string, string, string, number][]) {
      if (groupId !== currentId) {
        currentId = groupId;
        current = [];
        byGroup.set(groupId, current);
      }
      current.push({ key, value, propagateAtLaunch: propagate === 1 });
    }
    return byGroup;
  }

  #statement(key: string, sql: () => string): Statement {
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#database.prepare(sql()).raw(true);
      this.#statements.set(key, statement);
    }
    return statement;
  }
}

function checkList(values: readonly string[]): void {
  if (values.length === 0 || values.length > MAX_IN_LIST) {
    throw new RangeError(`an in list of 1 to ${MAX_IN_LIST} values was expected, got ${values.length}`);
  }
}

function placeholders(n: number): string {
  return new Array<string>(n).fill("?").join(", ");
}

/** A group from the columns of {@link GROUP_RECORD_COLUMNS}, in that order. */
function groupOf(r: readonly unknown[], tags: GroupTag[]): Group {
  return toGroup(
    {
      id: r[0] as string,
      user_id: r[1] as string,
      name: r[2] as string,
      arn: r[3] as string,
      launch_configuration_name: r[4] as string,
      launch_configuration_base: r[5] as string,
      min_size: r[6] as number,
      max_size: r[7] as number,
      desired_capacity: r[8] as number,
      default_cooldown: r[9] as number,
      health_check_type: r[10] as string,
      health_check_grace_period: r[11] as number,
      definition: r[12] as string | null,
      clouds: r[13] as string,
      status: r[14] as string,
      created_at: r[15] as number,
      extra: r[16] as string,
      scaled_at: r[17] as number | null,
    },
    tags,
  );
}

/** A VM from the columns of {@link INSTANCE_VIEW_COLUMNS}, in that order. */
function instanceOf(r: readonly unknown[], groupName: string): Instance {
  return toInstance({
    group_id: r[0] as string,
    id: r[1] as string,
    site: r[2] as string,
    launch_configuration_name: r[3] as string,
    instance_type: r[4] as string,
    lifecycle_state: r[5] as string,
    health_status: r[6] as string,
    protected_from_scale_in: r[7] as number,
    launched_at: r[8] as number,
    group_name: groupName,
  });
}
