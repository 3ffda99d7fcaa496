/** DescribeAccountLimits: the user's quotas and how much of them is used. */
import type { Action } from "./action.js";

export const DescribeAccountLimits: Action = {
  cacheable: true,
  async handle(_input, ctx) {
    const reads = ctx.store.reads(ctx.user.id);
    return {
      MaxNumberOfAutoScalingGroups: ctx.settings.limits.groups,
      MaxNumberOfLaunchConfigurations: ctx.settings.limits.launchConfigurations,
      NumberOfAutoScalingGroups: await reads.countGroups(),
      NumberOfLaunchConfigurations: await reads.countLaunchConfigurations(),
    };
  },
};
