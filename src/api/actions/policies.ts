/**
 * PutScalingPolicy, DescribePolicies, DeletePolicy, ExecutePolicy. The rules live in
 * `core/scaling-policies.ts`. Executing a policy changes the group's desired capacity at once,
 * in the same transaction as the activity that says why; the controller then places the VMs.
 * Target tracking policies are run by the controller from their metric.
 */
import { randomUUID } from "node:crypto";
import { LimitExceededError, ValidationError } from "../../core/errors.js";
import { withDesired } from "../../core/group-changes.js";
import { capacityChangeActivity } from "../../core/metric-scaling.js";
import { executePolicy, policyFromInput, type PutScalingPolicyInput } from "../../core/scaling-policies.js";
import type { Group, PolicyType, ScalingPolicy } from "../../core/types.js";
import type { UserTx } from "../../store/store.js";
import { policyArn } from "../arn.js";
import { nextToken, requestedPage } from "../pagination.js";
import { renderPolicy } from "../render.js";
import { groupNotFound, type Action } from "./action.js";
import { removeAlarmActions } from "./alarms.js";

/** AWS's limit of scaling policies per group. */
export const MAX_POLICIES_PER_GROUP = 50;

function policyNotFound(name: string, group: string | undefined): ValidationError {
  return new ValidationError(`No scaling policy named ${name}${group === undefined ? "" : ` in AutoScalingGroup ${group}`} was found.`);
}

/** The group and policy an ExecutePolicy or DeletePolicy names: by group and name, or by ARN alone. */
async function findPolicy(tx: UserTx, groupName: string | undefined, policyName: string): Promise<{ group: Group; policy: ScalingPolicy }> {
  if (groupName === undefined && !policyName.startsWith("arn:")) {
    throw new ValidationError("AutoScalingGroupName is required unless PolicyName is the policy's ARN.");
  }
  const { items } = await tx.listPolicies({ ...(groupName !== undefined ? { groupName } : {}), names: [policyName] }, { limit: 2 });
  const policy = items[0];
  if (policy === undefined) {
    if (groupName !== undefined && (await tx.getGroupForUpdate(groupName)) === null) throw new ValidationError(groupNotFound(groupName));
    throw policyNotFound(policyName, groupName);
  }
  const group = await tx.getGroupForUpdate(policy.groupName);
  if (group === null) throw new ValidationError(groupNotFound(policy.groupName));
  return { group, policy };
}

export const PutScalingPolicy: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const request = input as unknown as PutScalingPolicyInput;
    const stored = await ctx.store.write(ctx.user.id, async (tx) => {
      const group = await tx.getGroupForUpdate(request.AutoScalingGroupName);
      if (group === null) throw new ValidationError(groupNotFound(request.AutoScalingGroupName));
      if (group.status === "deleting") throw new ValidationError(`AutoScalingGroup ${group.name} is pending delete; it can no longer be changed.`);
      const arn = policyArn(ctx.settings.region, ctx.user.accountId, randomUUID(), group.name, request.PolicyName);
      const policy = policyFromInput(request, { groupId: group.id, groupName: group.name, arn });
      const existing = await tx.listPolicies({ groupName: group.name }, { limit: MAX_POLICIES_PER_GROUP + 1 });
      if (existing.items.length >= MAX_POLICIES_PER_GROUP && !existing.items.some((p) => p.name === policy.name)) {
        throw new LimitExceededError(`A group can have at most ${MAX_POLICIES_PER_GROUP} scaling policies.`);
      }
      return tx.putPolicy(policy);
    });
    const alarms = (await ctx.store.alarms.naming(ctx.user.id, [stored.arn])).get(stored.arn) ?? [];
    return { PolicyARN: stored.arn, Alarms: alarms.map((a) => ({ AlarmName: a.name, AlarmARN: a.arn })) };
  },
};

const POLICY_PAGE = { defaultSize: 50, maxSize: 100 };

export const DescribePolicies: Action = {
  cacheable: true,
  async handle(input, ctx) {
    const groupName = input.AutoScalingGroupName as string | undefined;
    const names = input.PolicyNames as string[] | undefined;
    const types = input.PolicyTypes as PolicyType[] | undefined;
    const query = {
      ...(groupName !== undefined ? { groupName } : {}),
      ...(names !== undefined && names.length > 0 ? { names } : {}),
      ...(types !== undefined && types.length > 0 ? { types } : {}),
    };
    const page = requestedPage("DescribePolicies", query, input, POLICY_PAGE);
    const result = await ctx.store.reads(ctx.user.id).listPolicies(query, page);
    const alarms = await ctx.store.alarms.naming(
      ctx.user.id,
      result.items.map((p) => p.arn),
    );
    return {
      ScalingPolicies: result.items.map((p) => ({
        ...renderPolicy(p),
        Alarms: (alarms.get(p.arn) ?? []).map((a) => ({ AlarmName: a.name, AlarmARN: a.arn })),
      })),
      NextToken: nextToken("DescribePolicies", query, result.next),
    };
  },
};

export const DeletePolicy: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const arn = await ctx.store.write(ctx.user.id, async (tx) => {
      const { group, policy } = await findPolicy(tx, input.AutoScalingGroupName as string | undefined, input.PolicyName as string);
      await tx.deletePolicy(group.id, policy.name);
      return policy.arn;
    });
    // As on AWS, the alarms that ran it lose that action and stay. In a transaction of its own:
    // should it fail, an alarm keeps an action whose policy is gone, which it reports as failed.
    await removeAlarmActions(ctx, [arn]);
    return undefined;
  },
};

export const ExecutePolicy: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const changed = await ctx.store.write(ctx.user.id, async (tx) => {
      const { group, policy } = await findPolicy(tx, input.AutoScalingGroupName as string | undefined, input.PolicyName as string);
      if (group.status === "deleting") throw new ValidationError(`AutoScalingGroup ${group.name} is pending delete; it can no longer be changed.`);
      const change = executePolicy(policy, group, input, ctx.now);
      if (change === null) return null;
      await tx.updateGroup({ ...withDesired(group, change.desired), scaledAt: ctx.now });
      await tx.insertActivity(capacityChangeActivity(group, group.desiredCapacity, change, ctx.now, randomUUID()));
      return group.id;
    });
    if (changed !== null) ctx.groupChanged(changed);
    return undefined;
  },
};
