/**
 * ARNs in AWS's form with `phantom` as the partition, so tools that split ARNs keep working:
 * `arn:phantom:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME`.
 */

/** The ARN of a group. */
export function groupArn(region: string, accountId: string, id: string, name: string): string {
  return `arn:phantom:autoscaling:${region}:${accountId}:autoScalingGroup:${id}:autoScalingGroupName/${name}`;
}

/** The ARN of a launch configuration. */
export function launchConfigurationArn(region: string, accountId: string, id: string, name: string): string {
  return `arn:phantom:autoscaling:${region}:${accountId}:launchConfiguration:${id}:launchConfigurationName/${name}`;
}

/** The ARN of a scaling policy. */
export function policyArn(region: string, accountId: string, id: string, groupName: string, policyName: string): string {
  return `arn:phantom:autoscaling:${region}:${accountId}:scalingPolicy:${id}:autoScalingGroupName/${groupName}:policyName/${policyName}`;
}

/** The ARN of a scheduled action. */
export function scheduledActionArn(region: string, accountId: string, id: string, groupName: string, actionName: string): string {
  return `arn:phantom:autoscaling:${region}:${accountId}:scheduledUpdateGroupAction:${id}:autoScalingGroupName/${groupName}:scheduledActionName/${actionName}`;
}
