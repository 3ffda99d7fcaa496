/** Every Auto Scaling action Phantom serves, by name. Anything else is `InvalidAction`. */
import type { Action } from "./action.js";
import { DescribeAccountLimits } from "./account.js";
import { DescribeScalingActivities } from "./activities.js";
import {
  CreateAutoScalingGroup,
  DeleteAutoScalingGroup,
  DescribeAutoScalingGroups,
  SetDesiredCapacity,
  UpdateAutoScalingGroup,
} from "./groups.js";
import { DescribeAutoScalingInstances, SetInstanceHealth, TerminateInstanceInAutoScalingGroup } from "./instances.js";
import { CreateLaunchConfiguration, DeleteLaunchConfiguration, DescribeLaunchConfigurations } from "./launch-configurations.js";
import { DeletePolicy, DescribePolicies, ExecutePolicy, PutScalingPolicy } from "./policies.js";
import { CreateOrUpdateTags, DeleteTags, DescribeTags } from "./tags.js";

/** The Auto Scaling actions, keyed by their AWS name. */
export const AUTOSCALING_ACTIONS: Readonly<Record<string, Action>> = {
  CreateLaunchConfiguration,
  DeleteLaunchConfiguration,
  DescribeLaunchConfigurations,
  CreateAutoScalingGroup,
  DeleteAutoScalingGroup,
  DescribeAutoScalingGroups,
  SetDesiredCapacity,
  UpdateAutoScalingGroup,
  DescribeAutoScalingInstances,
  TerminateInstanceInAutoScalingGroup,
  SetInstanceHealth,
  CreateOrUpdateTags,
  DeleteTags,
  DescribeTags,
  DescribeScalingActivities,
  DescribeAccountLimits,
  PutScalingPolicy,
  DescribePolicies,
  DeletePolicy,
  ExecutePolicy,
};
