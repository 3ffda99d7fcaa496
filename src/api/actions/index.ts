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
import { DescribeAutoScalingInstances, SetInstanceHealth, SetInstanceProtection, TerminateInstanceInAutoScalingGroup } from "./instances.js";
import { CreateLaunchConfiguration, DeleteLaunchConfiguration, DescribeLaunchConfigurations } from "./launch-configurations.js";
import { DeletePolicy, DescribePolicies, ExecutePolicy, PutScalingPolicy } from "./policies.js";
import { DescribeScalingProcessTypes, ResumeProcesses, SuspendProcesses } from "./processes.js";
import {
  BatchDeleteScheduledAction,
  BatchPutScheduledUpdateGroupAction,
  DeleteScheduledAction,
  DescribeScheduledActions,
  PutScheduledUpdateGroupAction,
} from "./scheduled-actions.js";
import { DescribePhantomSites } from "./sites.js";
import { CreateOrUpdateTags, DeleteTags, DescribeTags } from "./tags.js";

/** The Auto Scaling actions, keyed by their AWS name, and Phantom's own (`DescribePhantomSites`). */
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
  SetInstanceProtection,
  SuspendProcesses,
  ResumeProcesses,
  DescribeScalingProcessTypes,
  CreateOrUpdateTags,
  DeleteTags,
  DescribeTags,
  DescribeScalingActivities,
  DescribeAccountLimits,
  PutScalingPolicy,
  DescribePolicies,
  DeletePolicy,
  ExecutePolicy,
  PutScheduledUpdateGroupAction,
  BatchPutScheduledUpdateGroupAction,
  DescribeScheduledActions,
  DeleteScheduledAction,
  BatchDeleteScheduledAction,
  DescribePhantomSites,
};
