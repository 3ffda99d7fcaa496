/** DescribeScalingActivities. */
import { nextToken, requestedPage } from "../pagination.js";
import { renderActivity } from "../render.js";
import type { Action } from "./action.js";

const ACTIVITY_PAGE = { defaultSize: 100, maxSize: 100 };

export const DescribeScalingActivities: Action = {
  cacheable: true,
  async handle(input, ctx) {
    const given = input.ActivityIds as string[] | undefined;
    const query = {
      ...(input.AutoScalingGroupName !== undefined ? { groupName: input.AutoScalingGroupName as string } : {}),
      ...(given && given.length > 0 ? { ids: given } : {}),
      includeDeletedGroups: (input.IncludeDeletedGroups as boolean | undefined) ?? false,
    };
    const page = requestedPage("DescribeScalingActivities", query, input, ACTIVITY_PAGE);
    const result = await ctx.store.reads(ctx.user.id).listActivities(query, page);
    return {
      Activities: result.items.map(renderActivity),
      NextToken: nextToken("DescribeScalingActivities", query, result.next),
    };
  },
};
