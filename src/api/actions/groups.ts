/**
 * CreateAutoScalingGroup, UpdateAutoScalingGroup, SetDesiredCapacity, DeleteAutoScalingGroup,
 * DescribeAutoScalingGroups. The rules live in `core/group-changes.ts`; each write here is one
 * transaction: load, apply the rule, check launch configurations, save.
 */
import { randomUUID } from "node:crypto";
import { LimitExceededError, ValidationError } from "../../core/errors.js";
import {
  createGroup,
  markDeleting,
  requireLaunchConfigurations,
  setDesiredCapacity,
  updateGroup,
  type CreateGroupInput,
  type UpdateGroupInput,
} from "../../core/group-changes.js";
import type { Group, Instance } from "../../core/types.js";
import type { GroupTagFilter, UserTx } from "../../store/store.js";
import { groupArn } from "../arn.js";
import { nextToken, requestedPage } from "../pagination.js";
import { renderGroup } from "../render.js";
import { groupNotFound, type Action, type ActionContext } from "./action.js";
import { removeAlarmActions } from "./alarms.js";
import { MAX_POLICIES_PER_GROUP } from "./policies.js";

/** Checks that every site of the group has its `<base>@<site>` launch configuration. */
export async function checkLaunchConfigurations(tx: UserTx, group: Group): Promise<void> {
  const existing = await tx.launchConfigurationsByBase(group.launchConfigurationBase);
  requireLaunchConfigurations(group, new Set(existing.map((lc) => lc.name)));
}

/** Loads a group for a read-modify-write, applies `change` and saves the result. */
export async function changeGroup(ctx: ActionContext, name: string, change: (g: Group) => Group): Promise<void> {
  const id = await ctx.store.write(ctx.user.id, async (tx) => {
    const group = await tx.getGroupForUpdate(name);
    if (group === null) throw new ValidationError(groupNotFound(name));
    const next = change(group);
    await checkLaunchConfigurations(tx, next);
    await tx.updateGroup(next);
    return group.id;
  });
  ctx.groupChanged(id);
}

export const CreateAutoScalingGroup: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const id = randomUUID();
    const name = input.AutoScalingGroupName as string;
    const group = createGroup(input as CreateGroupInput, ctx.settings.catalog, {
      id,
      arn: groupArn(ctx.settings.region, ctx.user.accountId, id, name),
      now: ctx.now,
    });
    const limit = ctx.settings.limits.groups;
    await ctx.store.write(ctx.user.id, async (tx) => {
      if ((await tx.getGroup(name)) === null && (await tx.countGroups()) >= limit) {
        throw new LimitExceededError(`Max number of Auto Scaling groups reached: the limit is ${limit}.`);
      }
      await checkLaunchConfigurations(tx, group);
      await tx.insertGroup(group);
    });
    ctx.groupChanged(id);
    return undefined;
  },
};

export const UpdateAutoScalingGroup: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const update = input as UpdateGroupInput;
    await changeGroup(ctx, update.AutoScalingGroupName, (g) => updateGroup(g, update, ctx.settings.catalog));
    return undefined;
  },
};

export const SetDesiredCapacity: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const desired = input.DesiredCapacity as number;
    await changeGroup(ctx, input.AutoScalingGroupName as string, (g) => setDesiredCapacity(g, desired));
    return undefined;
  },
};

export const DeleteAutoScalingGroup: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const name = input.AutoScalingGroupName as string;
    const { id, policies } = await ctx.store.write(ctx.user.id, async (tx) => {
      const group = await tx.getGroupForUpdate(name);
      if (group === null) throw new ValidationError(groupNotFound(name));
      const { items } = await tx.listPolicies({ groupName: group.name }, { limit: MAX_POLICIES_PER_GROUP });
      // A group without VMs or unfinished launches goes at once; otherwise the controller
      // drains it, then removes it.
      const drained =
        (await tx.instancesOfGroups([group.id])).length === 0 && (await tx.pendingLaunches([group.id])) === 0;
      if (drained) await tx.deleteGroup(group.id);
      else if (group.status !== "deleting") await tx.updateGroup(markDeleting(group));
      return { id: group.id, policies: items.map((p) => p.arn) };
    });
    ctx.groupChanged(id);
    // Its policies go with it, and with them its alarms' actions (AWS's rule; see DeletePolicy).
    await removeAlarmActions(ctx, policies);
    return undefined;
  },
};

const GROUP_PAGE = { defaultSize: 50, maxSize: 100 };

/** AWS's tag filters of DescribeAutoScalingGroups: `tag-key`, `tag-value`, `tag:<key>`. */
function groupTagFilter(filters: readonly { Name?: string; Values?: string[] }[] | undefined): GroupTagFilter | null {
  if (!filters || filters.length === 0) return null;
  const keys: string[] = [];
  const values: string[] = [];
  const pairs: { key: string; values: string[] }[] = [];
  for (const f of filters) {
    const name = f.Name ?? "";
    const vals = f.Values ?? [];
    if (name === "tag-key") keys.push(...vals);
    else if (name === "tag-value") values.push(...vals);
    else if (name.startsWith("tag:") && name.length > 4) pairs.push({ key: name.slice(4), values: vals });
    else throw new ValidationError(`Filter name '${name}' is invalid; use tag-key, tag-value or tag:<key>.`);
  }
  return {
    ...(keys.length > 0 ? { keys } : {}),
    ...(values.length > 0 ? { values } : {}),
    ...(pairs.length > 0 ? { pairs } : {}),
  };
}

export const DescribeAutoScalingGroups: Action = {
  cacheable: true,
  async handle(input, ctx) {
    const given = input.AutoScalingGroupNames as string[] | undefined;
    const names = given && given.length > 0 ? given : null;
    const tags = groupTagFilter(input.Filters as { Name?: string; Values?: string[] }[] | undefined);
    const query = [names, tags];
    const page = requestedPage("DescribeAutoScalingGroups", query, input, GROUP_PAGE);
    const reads = ctx.store.reads(ctx.user.id);
    const result = await reads.listGroups(names, tags, page);
    const instances = await reads.instancesOfGroups(result.items.map((g) => g.id));
    const byGroup = new Map<string, Instance[]>();
    for (const i of instances) byGroup.set(i.groupId, [...(byGroup.get(i.groupId) ?? []), i]);
    return {
      AutoScalingGroups: result.items.map((g) => renderGroup(g, byGroup.get(g.id) ?? [])),
      NextToken: nextToken("DescribeAutoScalingGroups", query, result.next),
    };
  },
};
