/**
 * Domain records rendered as the AWS output shapes (member names of the Auto Scaling model).
 * The encoder writes them in model order; this file only decides what each member says.
 */
import { GROUP_RESOURCE_TYPE } from "../core/group-changes.js";
import { suspendedProcesses } from "../core/scaling-processes.js";
import type { Activity, Group, Instance, LaunchConfiguration, ScalingPolicy } from "../core/types.js";

/** A launch configuration as `DescribeLaunchConfigurations` lists it, with AWS's defaults. */
export function renderLaunchConfiguration(lc: LaunchConfiguration): Record<string, unknown> {
  return {
    SecurityGroups: [],
    ClassicLinkVPCSecurityGroups: [],
    UserData: "",
    KernelId: "",
    RamdiskId: "",
    KeyName: "",
    BlockDeviceMappings: [],
    InstanceMonitoring: { Enabled: true },
    EbsOptimized: false,
    ...lc.spec,
    LaunchConfigurationName: lc.shownName ?? lc.name,
    LaunchConfigurationARN: lc.arn,
    CreatedTime: lc.createdTime,
  };
}

/** An instance as a group lists it. */
export function renderGroupInstance(i: Instance): Record<string, unknown> {
  return {
    InstanceId: i.id,
    InstanceType: i.instanceType,
    AvailabilityZone: i.site,
    LifecycleState: i.lifecycleState,
    HealthStatus: i.healthStatus,
    LaunchConfigurationName: i.launchConfigurationName,
    ProtectedFromScaleIn: i.protectedFromScaleIn,
  };
}

/** An instance as `DescribeAutoScalingInstances` lists it (AWS upper-cases the health here). */
export function renderInstanceDetails(i: Instance): Record<string, unknown> {
  return {
    InstanceId: i.id,
    InstanceType: i.instanceType,
    AutoScalingGroupName: i.groupName,
    AvailabilityZone: i.site,
    LifecycleState: i.lifecycleState,
    HealthStatus: i.healthStatus === "Healthy" ? "HEALTHY" : "UNHEALTHY",
    LaunchConfigurationName: i.launchConfigurationName,
    ProtectedFromScaleIn: i.protectedFromScaleIn,
  };
}

/** A tag as AWS describes it. */
export function renderTag(groupName: string, t: { key: string; value: string; propagateAtLaunch: boolean }): Record<string, unknown> {
  return {
    ResourceId: groupName,
    ResourceType: GROUP_RESOURCE_TYPE,
    Key: t.key,
    Value: t.value,
    PropagateAtLaunch: t.propagateAtLaunch,
  };
}

/** A group as `DescribeAutoScalingGroups` lists it; `AvailabilityZones` are its ordered sites. */
export function renderGroup(g: Group, instances: readonly Instance[]): Record<string, unknown> {
  return {
    TerminationPolicies: ["Default"],
    NewInstancesProtectedFromScaleIn: false,
    CapacityRebalance: false,
    ...g.extra,
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: g.arn,
    LaunchConfigurationName: g.launchConfigurationName,
    MinSize: g.minSize,
    MaxSize: g.maxSize,
    DesiredCapacity: g.desiredCapacity,
    DefaultCooldown: g.defaultCooldown,
    AvailabilityZones: g.clouds.map((c) => c.site),
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: g.healthCheckType,
    HealthCheckGracePeriod: g.healthCheckGracePeriod,
    Instances: instances.map(renderGroupInstance),
    CreatedTime: g.createdTime,
    SuspendedProcesses: suspendedProcesses(g.extra),
    EnabledMetrics: [],
    Status: g.status === "deleting" ? "Delete in progress" : undefined,
    Tags: g.tags.map((t) => renderTag(g.name, t)),
  };
}

/** A scaling activity in AWS's shape. */
export function renderActivity(a: Activity): Record<string, unknown> {
  return {
    ActivityId: a.id,
    AutoScalingGroupName: a.groupName,
    Description: a.description,
    Cause: a.cause,
    StartTime: a.startTime,
    EndTime: a.endTime ?? undefined,
    StatusCode: a.statusCode,
    StatusMessage: a.statusMessage ?? undefined,
    Progress: a.progress,
    Details: a.details,
    AutoScalingGroupARN: a.groupArn,
  };
}

/** A scaling policy as `DescribePolicies` lists it. */
export function renderPolicy(p: ScalingPolicy): Record<string, unknown> {
  return {
    ...p.spec,
    AutoScalingGroupName: p.groupName,
    PolicyName: p.name,
    PolicyARN: p.arn,
    PolicyType: p.policyType,
    Alarms: [],
    Enabled: true,
  };
}
