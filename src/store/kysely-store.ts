/**
 * The one implementation of {@link Store}, on Kysely: the same queries run on SQLite and
 * PostgreSQL. `openStore` (`open-store.ts`) builds the Kysely instance and migrates it.
 *
 * Concurrency: every `write` begins by bumping the user's generation. On PostgreSQL that row
 * lock is held until commit, so all writes of one user run one after another across replicas,
 * which makes the callers' count-then-insert and exists-then-reference checks race-free; on
 * SQLite Kysely runs one transaction at a time on its single connection. Constraints remain the
 * backstop and are mapped to typed errors.
 */
import { randomUUID } from "node:crypto";
import { sql, type CompiledQuery, type Kysely, type SelectQueryBuilder, type Transaction } from "kysely";
import type {
  Activity,
  Group,
  GroupTag,
  HealthStatus,
  Instance,
  LaunchConfiguration,
  LifecycleState,
  PolicyType,
  ScalingPolicy,
  SiteBackoff,
} from "../core/types.js";
import {
  AlreadyExistsError,
  InvalidNextTokenError,
  ResourceInUseError,
  UnknownUserError,
  ValidationError,
} from "../core/errors.js";
import type {
  CloudCredentialsRecord,
  GroupTagFilter,
  Page,
  PageOf,
  SiteInstanceCount,
  Store,
  TagFilter,
  TagRow,
  UserAdmin,
  UserReads,
  UserRecord,
  UserTx,
} from "./store.js";
import type { ControllerStore } from "./controller-store.js";
import type { Database, GroupRow } from "./schema.js";
import { constraintText, violationOf } from "./db-errors.js";
import { KyselyControllerStore } from "./kysely-controller-store.js";
import {
  INSTANCE_VIEW_COLUMNS,
  activityColumns,
  groupColumns,
  toActivity,
  toCredentials,
  toGroup,
  toInstance,
  toLaunchConfiguration,
  toPolicy,
  toSiteBackoff,
  toUserRecord,
} from "./rows.js";
import { KyselyMetricStore } from "./kysely-metric-store.js";
import type { MetricStore } from "./metric-store.js";
import { createKyselyScheduledActionStore } from "./kysely-scheduled-action-store.js";
import type { ScheduledActionStore } from "./scheduled-action-store.js";
import type { AlarmStore } from "./alarm-store.js";
import { createKyselyAlarmStore } from "./kysely-alarm-store.js";
import { IN_PROCESS_POKES, type ShardPokes } from "./shard-pokes.js";
import { MAX_IN_LIST, type SqliteGroupReads } from "./sqlite-reads.js";

/**
 * Creates the store over a migrated database. PostgreSQL's pool must parse int8 (bigint and
 * `count(*)`) as numbers, as `openStore` sets it up: the rows are typed with numbers.
 */
export function createKyselyStore(
  db: Kysely<Database>,
  options: { changeLogRetention?: number; pokes?: ShardPokes; sqliteReads?: SqliteGroupReads } = {},
): Store {
  return new KyselyStore(db, options.changeLogRetention, options.pokes ?? IN_PROCESS_POKES, options.sqliteReads ?? null);
}

class KyselyStore implements Store {
  readonly users: UserAdmin;
  readonly controller: ControllerStore;
  readonly metrics: MetricStore;
  readonly schedules: ScheduledActionStore;
  readonly alarms: AlarmStore;
  readonly pokes: ShardPokes;
  /**
   * `generation` runs before every cacheable answer, so it is compiled once; each call only
   * swaps the parameter in (building and compiling a Kysely query costs more than running it).
   */
  readonly #generationQuery: CompiledQuery<{ generation: number }>;

  constructor(
    private readonly db: Kysely<Database>,
    changeLogRetention: number | undefined,
    pokes: ShardPokes,
    private readonly sqliteReads: SqliteGroupReads | null,
  ) {
    this.pokes = pokes;
    this.users = new Users(db);
    this.controller = new KyselyControllerStore(db, changeLogRetention);
    this.metrics = new KyselyMetricStore(db);
    this.schedules = createKyselyScheduledActionStore(db);
    this.alarms = createKyselyAlarmStore(db);
    this.#generationQuery = db.selectFrom("users").select("generation").where("id", "=", "").compile();
  }

  reads(userId: string): UserReads {
    return new Reads(this.db, userId, this.sqliteReads);
  }

  write<T>(userId: string, fn: (tx: UserTx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      // First statement on purpose: see the comment at the top of this file.
      const bumped = await trx
        .updateTable("users")
        .set((eb) => ({ generation: eb("generation", "+", 1) }))
        .where("id", "=", userId)
        .executeTakeFirst();
      if (bumped.numUpdatedRows === 0n) throw new UnknownUserError(userId);
      // `fn` must read through `tx`: on SQLite this transaction holds the only connection, so a
      // `reads()` call from inside `fn` would wait for it forever.
      return fn(new Tx(trx, userId));
    });
  }

  async generation(userId: string): Promise<number> {
    const query: CompiledQuery<{ generation: number }> = { ...this.#generationQuery, parameters: [userId] };
    const { rows } = await this.db.executeQuery(query);
    if (rows[0] === undefined) throw new UnknownUserError(userId);
    return rows[0].generation;
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

/**
 * Reads of one user. Each method is one statement, so it sees one snapshot without a
 * transaction (groups come with their tags through a join rather than a second query).
 */
class Reads implements UserReads {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly userId: string,
    /**
     * SQLite only: DescribeAutoScalingGroups' reads without Kysely (`sqlite-reads.ts`). They run
     * holding Kysely's one connection, so they never see a transaction's uncommitted writes,
     * and synchronously, so their statements see one snapshot.
     */
    private readonly sqliteReads: SqliteGroupReads | null = null,
  ) {}

  async listLaunchConfigurations(names: readonly string[] | null, page: Page): Promise<PageOf<LaunchConfiguration>> {
    const limit = checkedLimit(page);
    if (names?.length === 0) return EMPTY_PAGE;
    let query = this.db.selectFrom("launch_configurations").selectAll().where("user_id", "=", this.userId);
    if (names !== null) query = query.where("name", "in", names);
    if (page.after !== undefined) query = query.where("name", ">", page.after);
    const rows = await query.orderBy("name").limit(limit + 1).execute();
    return pageOf(rows.map(toLaunchConfiguration), limit, (lc) => lc.name);
  }

  async launchConfigurationsByBase(base: string): Promise<LaunchConfiguration[]> {
    const rows = await this.db
      .selectFrom("launch_configurations")
      .selectAll()
      .where("user_id", "=", this.userId)
      .where("base_name", "=", base)
      .orderBy("name")
      .execute();
    return rows.map(toLaunchConfiguration);
  }

  async getGroup(name: string): Promise<Group | null> {
    const groups = await this.groupsWithTags(
      this.db.selectFrom("groups").selectAll().where("user_id", "=", this.userId).where("name", "=", name),
    );
    return groups[0] ?? null;
  }

  async listGroups(
    names: readonly string[] | null,
    tags: GroupTagFilter | null,
    page: Page,
  ): Promise<PageOf<Group>> {
    const limit = checkedLimit(page);
    const pairs = tags?.pairs ?? [];
    if (hasEmptyList(names, tags?.keys, tags?.values, ...pairs.map((p) => p.values))) return EMPTY_PAGE;
    const fast = this.sqliteReads;
    if (fast !== null && tags === null && (names === null || names.length <= MAX_IN_LIST)) {
      const groups = await this.db.connection().execute(async () => fast.groupsPage(this.userId, names, page, limit));
      return pageOf(groups, limit, (g) => g.name);
    }
    let query = this.db.selectFrom("groups").selectAll().where("user_id", "=", this.userId);
    if (names !== null) query = query.where("name", "in", names);
    // One EXISTS per condition: all must hold, each on some tag of the group.
    const tagged = (keys: readonly string[] | null, values: readonly string[] | null) =>
      query.where(({ exists, selectFrom }) => {
        let tag = selectFrom("group_tags").select("group_tags.key").whereRef("group_tags.group_id", "=", "groups.id");
        if (keys !== null) tag = tag.where("group_tags.key", "in", keys);
        if (values !== null) tag = tag.where("group_tags.value", "in", values);
        return exists(tag);
      });
    if (tags?.keys !== undefined) query = tagged(tags.keys, null);
    if (tags?.values !== undefined) query = tagged(null, tags.values);
    for (const pair of pairs) query = tagged([pair.key], pair.values);
    if (page.after !== undefined) query = query.where("name", ">", page.after);
    const groups = await this.groupsWithTags(query.orderBy("name").limit(limit + 1));
    return pageOf(groups, limit, (g) => g.name);
  }

  async instancesOfGroups(groupIds: readonly string[]): Promise<Instance[]> {
    if (groupIds.length === 0) return [];
    const fast = this.sqliteReads;
    if (fast !== null) return this.db.connection().execute(async () => fast.instancesOfGroups(this.userId, groupIds));
    const rows = await this.instances().where("i.group_id", "in", groupIds).orderBy("g.name").orderBy("i.id").execute();
    return rows.map(toInstance);
  }

  async listInstances(ids: readonly string[] | null, page: Page): Promise<PageOf<Instance>> {
    const limit = checkedLimit(page);
    if (ids?.length === 0) return EMPTY_PAGE;
    let query = this.instances();
    if (ids !== null) query = query.where("i.id", "in", ids);
    if (page.after !== undefined) query = query.where("i.id", ">", page.after);
    const rows = await query.orderBy("i.id").limit(limit + 1).execute();
    return pageOf(rows.map(toInstance), limit, (i) => i.id);
  }

  async getInstance(id: string): Promise<Instance | null> {
    const row = await this.instances().where("i.id", "=", id).executeTakeFirst();
    return row === undefined ? null : toInstance(row);
  }

  async listTags(filter: TagFilter, page: Page): Promise<PageOf<TagRow>> {
    const limit = checkedLimit(page);
    if (hasEmptyList(filter.groupNames, filter.keys, filter.values)) return EMPTY_PAGE;
    let query = this.db
      .selectFrom("group_tags as t")
      .innerJoin("groups as g", "g.id", "t.group_id")
      .select(["g.name as group_name", "t.key", "t.value", "t.propagate_at_launch"])
      .where("g.user_id", "=", this.userId);
    if (filter.groupNames !== undefined) query = query.where("g.name", "in", filter.groupNames);
    if (filter.keys !== undefined) query = query.where("t.key", "in", filter.keys);
    if (filter.values !== undefined) query = query.where("t.value", "in", filter.values);
    if (filter.propagateAtLaunch !== undefined) {
      query = query.where("t.propagate_at_launch", "=", filter.propagateAtLaunch ? 1 : 0);
    }
    if (page.after !== undefined) {
      const [groupName, key] = decodeKey(page.after, ["string", "string"]);
      query = query.where(({ eb, refTuple, tuple }) => eb(refTuple("g.name", "t.key"), ">", tuple(groupName, key)));
    }
    const rows = await query.orderBy("g.name").orderBy("t.key").limit(limit + 1).execute();
    const tags = rows.map(
      (r): TagRow => ({ groupName: r.group_name, key: r.key, value: r.value, propagateAtLaunch: r.propagate_at_launch === 1 }),
    );
    return pageOf(tags, limit, (t) => JSON.stringify([t.groupName, t.key]));
  }

  async listActivities(
    query: { groupName?: string; ids?: readonly string[]; includeDeletedGroups: boolean },
    page: Page,
  ): Promise<PageOf<Activity>> {
    const limit = checkedLimit(page);
    if (hasEmptyList(query.ids)) return EMPTY_PAGE;
    let select = this.db.selectFrom("activities").selectAll().where("user_id", "=", this.userId);
    if (query.groupName !== undefined) select = select.where("group_name", "=", query.groupName);
    if (!query.includeDeletedGroups) select = select.where("group_deleted", "=", 0);
    if (query.ids !== undefined) select = select.where("id", "in", query.ids);
    if (page.after !== undefined) {
      const [startTime, id] = decodeKey(page.after, ["number", "string"]);
      select = select.where(({ eb, refTuple, tuple }) => eb(refTuple("start_time", "id"), "<", tuple(startTime, id)));
    }
    const rows = await select.orderBy("start_time", "desc").orderBy("id", "desc").limit(limit + 1).execute();
    return pageOf(rows.map(toActivity), limit, (a) => JSON.stringify([a.startTime.getTime(), a.id]));
  }

  async countLaunchConfigurations(): Promise<number> {
    const row = await this.db
      .selectFrom("launch_configurations")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", this.userId)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async pendingLaunches(groupIds: readonly string[]): Promise<number> {
    if (groupIds.length === 0) return 0;
    const row = await this.db
      .selectFrom("launch_intents")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", this.userId)
      .where("group_id", "in", groupIds)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async instanceCountsBySite(): Promise<SiteInstanceCount[]> {
    const rows = await this.db
      .selectFrom("instances")
      .select(["site", "lifecycle_state", "health_status", (eb) => eb.fn.countAll<number | string>().as("n")])
      .where("user_id", "=", this.userId)
      .groupBy(["site", "lifecycle_state", "health_status"])
      .execute();
    return rows.map((r) => ({
      site: r.site,
      lifecycleState: r.lifecycle_state as LifecycleState,
      healthStatus: r.health_status as HealthStatus,
      // PostgreSQL answers count(*) as a string.
      count: Number(r.n),
    }));
  }

  async siteBackoffs(): Promise<SiteBackoff[]> {
    const rows = await this.db.selectFrom("site_backoffs").selectAll().where("user_id", "=", this.userId).orderBy("site").execute();
    return rows.map(toSiteBackoff);
  }

  async countGroups(): Promise<number> {
    const row = await this.db
      .selectFrom("groups")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", this.userId)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async listPolicies(
    query: { groupName?: string; names?: readonly string[]; types?: readonly PolicyType[] },
    page: Page,
  ): Promise<PageOf<ScalingPolicy>> {
    const limit = checkedLimit(page);
    if (hasEmptyList(query.names, query.types)) return EMPTY_PAGE;
    let select = this.db
      .selectFrom("scaling_policies as p")
      .innerJoin("groups as g", "g.id", "p.group_id")
      .select(["p.group_id", "g.name as group_name", "p.name", "p.arn", "p.policy_type", "p.spec"])
      .where("p.user_id", "=", this.userId);
    if (query.groupName !== undefined) select = select.where("g.name", "=", query.groupName);
    if (query.names !== undefined) {
      const names = query.names;
      select = select.where((eb) => eb.or([eb("p.name", "in", names), eb("p.arn", "in", names)]));
    }
    if (query.types !== undefined) select = select.where("p.policy_type", "in", query.types);
    if (page.after !== undefined) {
      const [groupName, name] = decodeKey(page.after, ["string", "string"]);
      select = select.where(({ eb, refTuple, tuple }) => eb(refTuple("g.name", "p.name"), ">", tuple(groupName, name)));
    }
    const rows = await select.orderBy("g.name").orderBy("p.name").limit(limit + 1).execute();
    return pageOf(rows.map(toPolicy), limit, (p) => JSON.stringify([p.groupName, p.name]));
  }

  /** Runs `groups` (a selection of group rows) and attaches each group's tags, sorted by key. */
  private async groupsWithTags(groups: SelectQueryBuilder<Database, "groups", GroupRow>): Promise<Group[]> {
    const rows = await this.db
      .selectFrom(groups.as("g"))
      .leftJoin("group_tags as t", "t.group_id", "g.id")
      .selectAll("g")
      .select(["t.key as tag_key", "t.value as tag_value", "t.propagate_at_launch as tag_propagate"])
      .orderBy("g.name")
      .orderBy("t.key")
      .execute();
    const result: Group[] = [];
    let tags: GroupTag[] = [];
    let current: GroupRow | undefined;
    for (const row of rows) {
      if (row.id !== current?.id) {
        if (current !== undefined) result.push(toGroup(current, tags));
        current = row;
        tags = [];
      }
      if (row.tag_key !== null && row.tag_value !== null) {
        tags.push({ key: row.tag_key, value: row.tag_value, propagateAtLaunch: row.tag_propagate === 1 });
      }
    }
    if (current !== undefined) result.push(toGroup(current, tags));
    return result;
  }

  private instances() {
    return this.db
      .selectFrom("instances as i")
      .innerJoin("groups as g", "g.id", "i.group_id")
      .select(INSTANCE_VIEW_COLUMNS.map((c) => `i.${c}` as const))
      .select("g.name as group_name")
      .where("i.user_id", "=", this.userId);
  }
}

/**
 * Writes of one user inside the transaction of {@link Store.write}. A statement that can fail
 * with a typed error runs inside a savepoint: after the error the transaction stays usable on
 * both databases (PostgreSQL would otherwise refuse every later statement of the transaction).
 */
class Tx extends Reads implements UserTx {
  constructor(
    private readonly trx: Transaction<Database>,
    userId: string,
  ) {
    // Inside the transaction, which holds the connection: through Kysely only.
    super(trx, userId, null);
  }

  async insertLaunchConfiguration(lc: LaunchConfiguration): Promise<void> {
    await this.guarded(
      () =>
        this.trx
          .insertInto("launch_configurations")
          .values({
            id: randomUUID(),
            user_id: this.userId,
            name: lc.name,
            base_name: lc.baseName,
            site: lc.site,
            arn: lc.arn,
            created_at: lc.createdTime.getTime(),
            spec: JSON.stringify(lc.spec),
            shown_name: lc.shownName ?? null,
          })
          .execute(),
      (e) =>
        violationOf(e) === "unique"
          ? new AlreadyExistsError(
              `Launch Configuration by this name already exists - A launch configuration already exists with the name ${lc.shownName ?? lc.name}`,
              { cause: e },
            )
          : null,
    );
  }

  async deleteLaunchConfiguration(name: string, requested = name): Promise<boolean> {
    const result = await this.guarded(
      () =>
        this.trx
          .deleteFrom("launch_configurations")
          .where("user_id", "=", this.userId)
          .where("name", "=", name)
          .executeTakeFirst(),
      async (e) =>
        violationOf(e) === "foreign-key"
          ? new ResourceInUseError(
              `Cannot delete launch configuration ${requested} because it is attached to AutoScalingGroup ${await this.groupUsing(name)}`,
              { cause: e },
            )
          : null,
    );
    return result.numDeletedRows > 0n;
  }

  /**
   * The same as {@link getGroup}: the user row that {@link Store.write} locked first already
   * serializes every write of this user, which covers every write of this group.
   */
  getGroupForUpdate(name: string): Promise<Group | null> {
    return this.getGroup(name);
  }

  async insertGroup(group: Group): Promise<void> {
    const launchConfigurationIds = await this.launchConfigurationIds(group);
    await this.guarded(
      () => this.trx.insertInto("groups").values({ id: group.id, user_id: this.userId, ...groupColumns(group) }).execute(),
      (e) => groupNameTaken(e, group.name),
    );
    await this.insertDependents(group, launchConfigurationIds);
    await this.logChange(group.id);
  }

  async updateGroup(group: Group): Promise<void> {
    const launchConfigurationIds = await this.launchConfigurationIds(group);
    const result = await this.guarded(
      () =>
        this.trx
          .updateTable("groups")
          .set((eb) => ({ ...groupColumns(group), version: eb("version", "+", 1) }))
          .where("id", "=", group.id)
          .where("user_id", "=", this.userId)
          .executeTakeFirst(),
      (e) => groupNameTaken(e, group.name),
    );
    if (result.numUpdatedRows === 0n) throw new Error(`no group with id ${group.id}`);
    await this.trx.deleteFrom("group_tags").where("group_id", "=", group.id).execute();
    await this.trx.deleteFrom("group_launch_configurations").where("group_id", "=", group.id).execute();
    await this.insertDependents(group, launchConfigurationIds);
    await this.logChange(group.id);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.trx
      .updateTable("activities")
      .set({ group_deleted: 1 })
      .where("user_id", "=", this.userId)
      .where("group_id", "=", groupId)
      .execute();
    // Tags, launch configuration references and instances go by ON DELETE CASCADE; launch
    // intents do not, so a group with an unfinished launch fails here (callers check first).
    const result = await this.trx
      .deleteFrom("groups")
      .where("id", "=", groupId)
      .where("user_id", "=", this.userId)
      .executeTakeFirst();
    if (result.numDeletedRows > 0n) await this.logChange(groupId);
  }

  async setInstanceHealth(id: string, health: HealthStatus, reason: string | null): Promise<boolean> {
    return this.changeInstance(id, { health_status: health, health_reason: reason });
  }

  async setInstanceProtection(id: string, protectedFromScaleIn: boolean): Promise<boolean> {
    return this.changeInstance(id, { protected_from_scale_in: protectedFromScaleIn ? 1 : 0 });
  }

  async markInstanceTerminating(id: string, reason: string): Promise<boolean> {
    return this.changeInstance(id, { lifecycle_state: "Terminating", termination_reason: reason });
  }

  async putPolicy(policy: ScalingPolicy): Promise<ScalingPolicy> {
    const row = await this.trx
      .insertInto("scaling_policies")
      .values({
        user_id: this.userId,
        group_id: policy.groupId,
        name: policy.name,
        arn: policy.arn,
        policy_type: policy.policyType,
        spec: JSON.stringify(policy.spec),
        created_at: Date.now(),
      })
      .onConflict((oc) =>
        oc.columns(["group_id", "name"]).doUpdateSet((eb) => ({
          policy_type: eb.ref("excluded.policy_type"),
          spec: eb.ref("excluded.spec"),
        })),
      )
      .returning("arn")
      .executeTakeFirstOrThrow();
    return { ...policy, arn: row.arn };
  }

  async deletePolicy(groupId: string, name: string): Promise<boolean> {
    const result = await this.trx
      .deleteFrom("scaling_policies")
      .where("user_id", "=", this.userId)
      .where("group_id", "=", groupId)
      .where("name", "=", name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async insertActivity(activity: Activity): Promise<void> {
    await this.trx.insertInto("activities").values(activityColumns(this.userId, activity)).execute();
  }

  /** Updates columns of the user's instance `id`, bumping its version and logging its group. */
  private async changeInstance(
    id: string,
    columns:
      | { health_status: string; health_reason: string | null }
      | { lifecycle_state: string; termination_reason: string }
      | { protected_from_scale_in: number },
  ): Promise<boolean> {
    const row = await this.trx
      .updateTable("instances")
      .set((eb) => ({ ...columns, version: eb("version", "+", 1) }))
      .where("user_id", "=", this.userId)
      .where("id", "=", id)
      .returning("group_id")
      .executeTakeFirst();
    if (row === undefined) return false;
    await this.logChange(row.group_id);
    return true;
  }

  /**
   * Appends the group to the change log, from which the controller learns what the API
   * changed (see `kysely-controller-store.ts` for how it reads the log without missing rows).
   */
  private async logChange(groupId: string): Promise<void> {
    await this.trx.insertInto("group_changes").values({ group_id: groupId, user_id: this.userId }).execute();
  }

  /**
   * The ids of the configurations `<base>@<site>` for the group's sites. Checked here rather
   * than left to the foreign key so that the error names the missing configuration.
   */
  private async launchConfigurationIds(group: Group): Promise<string[]> {
    const names = [...new Set(group.clouds.map((c) => `${group.launchConfigurationBase}@${c.site}`))];
    if (names.length === 0) return [];
    const rows = await this.trx
      .selectFrom("launch_configurations")
      .select(["id", "name"])
      .where("user_id", "=", this.userId)
      .where("name", "in", names)
      .execute();
    const ids = new Map(rows.map((r) => [r.name, r.id]));
    return names.map((name) => {
      const id = ids.get(name);
      if (id === undefined) {
        throw new ValidationError(
          `Launch configuration ${name} does not exist; create it with CreateLaunchConfiguration first`,
        );
      }
      return id;
    });
  }

  private async insertDependents(group: Group, launchConfigurationIds: readonly string[]): Promise<void> {
    if (group.tags.length > 0) {
      await this.trx
        .insertInto("group_tags")
        .values(
          group.tags.map((t) => ({
            group_id: group.id,
            key: t.key,
            value: t.value,
            propagate_at_launch: t.propagateAtLaunch ? 1 : 0,
          })),
        )
        .execute();
    }
    if (launchConfigurationIds.length > 0) {
      await this.trx
        .insertInto("group_launch_configurations")
        .values(launchConfigurationIds.map((id) => ({ group_id: group.id, launch_configuration_id: id })))
        .execute();
    }
  }

  /** The first group (by name) that uses the user's configuration `name`. */
  private async groupUsing(name: string): Promise<string> {
    const row = await this.trx
      .selectFrom("group_launch_configurations as r")
      .innerJoin("launch_configurations as lc", "lc.id", "r.launch_configuration_id")
      .innerJoin("groups as g", "g.id", "r.group_id")
      .select("g.name")
      .where("lc.user_id", "=", this.userId)
      .where("lc.name", "=", name)
      .orderBy("g.name")
      .limit(1)
      .executeTakeFirst();
    return row?.name ?? "(unknown)";
  }

  /**
   * Runs one statement inside a savepoint; on failure rolls back to it and throws what
   * `mapError` makes of the error, or the error itself.
   */
  private async guarded<T>(
    statement: () => Promise<T>,
    mapError: (e: unknown) => Error | null | Promise<Error | null>,
  ): Promise<T> {
    await sql`savepoint phantom_statement`.execute(this.trx);
    let result: T;
    try {
      result = await statement();
    } catch (e) {
      await sql`rollback to savepoint phantom_statement`.execute(this.trx);
      await sql`release savepoint phantom_statement`.execute(this.trx);
      throw (await mapError(e)) ?? e;
    }
    await sql`release savepoint phantom_statement`.execute(this.trx);
    return result;
  }
}

/** Users and their cloud credentials. */
class Users implements UserAdmin {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(user: UserRecord): Promise<void> {
    try {
      await this.db
        .insertInto("users")
        .values({
          id: user.id,
          name: user.name,
          access_key_id: user.accessKeyId,
          secret_sealed: user.secretSealed,
          account_id: user.accountId,
          created_at: user.createdAt.getTime(),
        })
        .execute();
    } catch (e) {
      if (violationOf(e) !== "unique") throw e;
      const message = constraintText(e).includes("access_key_id")
        ? `access key ${user.accessKeyId} is already in use`
        : `user ${user.name} already exists`;
      throw new AlreadyExistsError(message, { cause: e });
    }
  }

  async findUserByAccessKey(accessKeyId: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom("users").selectAll().where("access_key_id", "=", accessKeyId).executeTakeFirst();
    return row === undefined ? null : toUserRecord(row);
  }

  async findUserByName(name: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom("users").selectAll().where("name", "=", name).executeTakeFirst();
    return row === undefined ? null : toUserRecord(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom("users").selectAll().orderBy("name").execute();
    return rows.map(toUserRecord);
  }

  removeUser(name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // Locks the user row as `write` does, so no group can be created while we count them.
      const user = await trx
        .updateTable("users")
        .set((eb) => ({ generation: eb("generation", "+", 1) }))
        .where("name", "=", name)
        .returning("id")
        .executeTakeFirst();
      if (user === undefined) return false;
      const { n } = await trx
        .selectFrom("groups")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("user_id", "=", user.id)
        .executeTakeFirstOrThrow();
      if (n > 0) {
        throw new ResourceInUseError(`user ${name} still owns ${n} Auto Scaling group(s); delete them first`);
      }
      // Launch configurations, activities and credentials go by ON DELETE CASCADE.
      await trx.deleteFrom("users").where("id", "=", user.id).execute();
      return true;
    });
  }

  async setCredentials(credentials: CloudCredentialsRecord): Promise<void> {
    const columns = {
      access_key_id: credentials.accessKeyId,
      secret_sealed: credentials.secretSealed,
      key_name: credentials.keyName,
    };
    try {
      await this.db
        .insertInto("cloud_credentials")
        .values({ user_id: credentials.userId, site: credentials.site, ...columns })
        .onConflict((oc) => oc.columns(["user_id", "site"]).doUpdateSet(columns))
        .execute();
    } catch (e) {
      if (violationOf(e) === "foreign-key") throw new Error(`no user with id ${credentials.userId}`, { cause: e });
      throw e;
    }
  }

  async getCredentials(userId: string, site: string): Promise<CloudCredentialsRecord | null> {
    const row = await this.db
      .selectFrom("cloud_credentials")
      .selectAll()
      .where("user_id", "=", userId)
      .where("site", "=", site)
      .executeTakeFirst();
    return row === undefined ? null : toCredentials(row);
  }
}

/** The page of a listing that matches nothing. */
export const EMPTY_PAGE: PageOf<never> = Object.freeze({ items: [], next: null });

/** An empty `in` list matches nothing (and is not valid SQL), so the listing is empty. */
export function hasEmptyList(...lists: (readonly unknown[] | null | undefined)[]): boolean {
  return lists.some((list) => list?.length === 0);
}

/** The page's limit, a positive integer. @throws RangeError otherwise (a caller's bug). */
export function checkedLimit(page: Page): number {
  if (!Number.isInteger(page.limit) || page.limit < 1) throw new RangeError(`page limit must be a positive integer, got ${page.limit}`);
  return page.limit;
}

/** `rows` were fetched with `limit + 1`: one row more than the page means there is a next page. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (item: T) => string): PageOf<T> {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  return { items, next: keyOf(items[limit - 1] as T) };
}

type KeyPart = "string" | "number";
type KeyOf<P extends readonly KeyPart[]> = { [I in keyof P]: P[I] extends "number" ? number : string };

/** Decodes a composite page key (a JSON array) issued by a listing; anything else is invalid. */
export function decodeKey<const P extends readonly KeyPart[]>(after: string, parts: P): KeyOf<P> {
  let key: unknown;
  try {
    key = JSON.parse(after);
  } catch (e) {
    throw new InvalidNextTokenError(undefined, { cause: e });
  }
  if (!Array.isArray(key) || key.length !== parts.length || !parts.every((type, i) => typeof key[i] === type)) {
    throw new InvalidNextTokenError();
  }
  return key as KeyOf<P>;
}

function groupNameTaken(e: unknown, name: string): Error | null {
  return violationOf(e) === "unique" && constraintText(e).includes("name")
    ? new AlreadyExistsError(`AutoScalingGroup by this name already exists - A group with the name ${name} already exists`, {
        cause: e,
      })
    : null;
}
