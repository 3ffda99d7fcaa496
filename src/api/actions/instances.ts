/** DescribeAutoScalingInstances, TerminateInstanceInAutoScalingGroup, SetInstanceHealth, SetInstanceProtection. */
import { vmActivityId } from "../../core/activity-ids.js";
import { ValidationError } from "../../core/errors.js";
import { setDesiredCapacity } from "../../core/group-changes.js";
import type { Activity, HealthStatus } from "../../core/types.js";
import { nextToken, requestedPage } from "../pagination.js";
import { renderActivity, renderInstanceDetails } from "../render.js";
import { groupNotFound, type Action } from "./action.js";

function instanceNotFound(id: string): ValidationError {
  return new ValidationError(`Instance Id not found - No managed instance found for instance ID: ${id}`);
}

const INSTANCE_PAGE = { defaultSize: 50, maxSize: 50 };

export const DescribeAutoScalingInstances: Action = {
  cacheable: true,
  async handle(input, ctx) {
    const given = input.InstanceIds as string[] | undefined;
    const ids = given && given.length > 0 ? given : null;
    const page = requestedPage("DescribeAutoScalingInstances", ids, input, INSTANCE_PAGE);
    const result = await ctx.store.reads(ctx.user.id).listInstances(ids, page);
    return {
      AutoScalingInstances: result.items.map(renderInstanceDetails),
      NextToken: nextToken("DescribeAutoScalingInstances", ids, result.next),
    };
  },
};

/**
 * Marks the VM `Terminating` (the controller terminates it and confirms), optionally lowering
 * the desired capacity so that it is not replaced.
 */
export const TerminateInstanceInAutoScalingGroup: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const id = input.InstanceId as string;
    const decrement = input.ShouldDecrementDesiredCapacity as boolean;
    const { activity, groupId } = await ctx.store.write(ctx.user.id, async (tx) => {
      const instance = await tx.getInstance(id);
      if (instance === null) throw instanceNotFound(id);
      if (instance.lifecycleState === "Terminating" || instance.lifecycleState === "Terminated") {
        throw new ValidationError(`Instance ${id} is already ${instance.lifecycleState.toLowerCase()}.`);
      }
      const group = await tx.getGroupForUpdate(instance.groupName);
      if (group === null) throw instanceNotFound(id);
      const before = group.desiredCapacity;
      if (decrement) {
        if (before <= group.minSize) {
          throw new ValidationError(
            `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate ` +
              `group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
          );
        }
        await tx.updateGroup(setDesiredCapacity(group, before - 1));
      }
      const after = decrement ? before - 1 : before;
      const cause =
        `At ${ctx.now.toISOString()} instance ${id} was taken out of service in response to a user request` +
        (decrement ? `, shrinking the capacity from ${before} to ${after}.` : ".");
      await tx.markInstanceTerminating(id, cause);
      const activity: Activity = {
        // The controller completes it once the cloud confirms the VM gone.
        id: vmActivityId("terminate", ctx.user.id, id),
        groupId: group.id,
        groupName: group.name,
        groupArn: group.arn,
        description: `Terminating EC2 instance: ${id}`,
        cause,
        startTime: ctx.now,
        endTime: null,
        statusCode: "InProgress",
        statusMessage: null,
        progress: 0,
        details: JSON.stringify({ "Availability Zone": instance.site }),
      };
      await tx.insertActivity(activity);
      return { activity, groupId: group.id };
    });
    ctx.groupChanged(groupId);
    return { Activity: renderActivity(activity) };
  },
};

const HEALTH: Readonly<Record<string, HealthStatus>> = { healthy: "Healthy", unhealthy: "Unhealthy" };

export const SetInstanceHealth: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const id = input.InstanceId as string;
    const health = HEALTH[(input.HealthStatus as string).toLowerCase()];
    if (health === undefined) throw new ValidationError("Valid values for HealthStatus are Healthy and Unhealthy.");
    const groupId = await ctx.store.write(ctx.user.id, async (tx) => {
      const instance = await tx.getInstance(id);
      if (instance === null) throw instanceNotFound(id);
      const reason = health === "Unhealthy" ? `At ${ctx.now.toISOString()} a user request set the health to Unhealthy.` : null;
      await tx.setInstanceHealth(id, health, reason);
      return instance.groupId;
    });
    ctx.groupChanged(groupId);
    return undefined;
  },
};

/**
 * Protects VMs from scale-in (or lifts it): placement never picks a protected VM to remove for
 * a lower desired capacity, a cap or a return to the preferred cloud. Every VM must belong to
 * the group; otherwise nothing changes.
 */
export const SetInstanceProtection: Action = {
  cacheable: false,
  async handle(input, ctx) {
    const ids = input.InstanceIds as string[];
    const groupName = input.AutoScalingGroupName as string;
    const protect = input.ProtectedFromScaleIn as boolean;
    const groupId = await ctx.store.write(ctx.user.id, async (tx) => {
      const group = await tx.getGroupForUpdate(groupName);
      if (group === null) throw new ValidationError(groupNotFound(groupName));
      for (const id of ids) {
        const instance = await tx.getInstance(id);
        if (instance === null || instance.groupId !== group.id) {
          throw new ValidationError(`The instance ${id} is not part of Auto Scaling group ${groupName}.`);
        }
        await tx.setInstanceProtection(id, protect);
      }
      return group.id;
    });
    ctx.groupChanged(groupId);
    return {};
  },
};
