/**
 * The audit trail: one JSON log line `audit` per API call that changes something (every action
 * but the `Describe…`, `Get…` and `List…` reads), whether it succeeded or was refused. The line
 * names who, what and which resource, never a secret: it is built from a fixed set of
 * parameters (names and ids), not from the request.
 */
import type { Logger } from "../observability/logger.js";

/** What the endpoint learned of a request while answering it; filled in as it goes. */
export interface AuditFacts {
  /** The action, once the request named one. */
  action?: string;
  /** The authenticated user's name. */
  user?: string;
  /** The request's parameters (Query names), once decoded. */
  params?: ReadonlyMap<string, string>;
}

/** One audit line's fields (pino adds `time`). */
export interface AuditEntry {
  readonly audit: true;
  readonly user: string | null;
  readonly action: string;
  /** The group(s) the call names, comma-separated; null when it names none. */
  readonly group: string | null;
  /** Another resource it names: a launch configuration, an instance, a policy, a namespace. */
  readonly resource: string | null;
  readonly requestId: string;
  /** `ok`, or the AWS error code the call was answered with. */
  readonly outcome: string;
}

const READ_ONLY = /^(Describe|Get|List)/;

/** Parameters that name the resource of a call, in the order they are looked for. */
const RESOURCE_PARAMS = ["LaunchConfigurationName", "InstanceId", "PolicyName", "ScheduledActionName", "Namespace"] as const;

/** `Tags.member.N.ResourceId`: the groups a tag call names. */
const TAG_GROUP = /^Tags\.member\.\d+\.ResourceId$/;

/** Whether an action changes something, and so is audited. */
export function isAudited(action: string): boolean {
  return !READ_ONLY.test(action);
}

/** The audit entry of a finished request, or null when the request is not audited. */
export function auditEntry(facts: AuditFacts, requestId: string, outcome: string): AuditEntry | null {
  const { action, params } = facts;
  if (action === undefined || !isAudited(action)) return null;
  let group = params?.get("AutoScalingGroupName") ?? null;
  if (group === null && params !== undefined) {
    const tagged = new Set<string>();
    for (const [name, value] of params) if (TAG_GROUP.test(name)) tagged.add(value);
    if (tagged.size > 0) group = [...tagged].join(",");
  }
  let resource: string | null = null;
  for (const name of RESOURCE_PARAMS) {
    resource = params?.get(name) ?? null;
    if (resource !== null) break;
  }
  return { audit: true, user: facts.user ?? null, action, group, resource, requestId, outcome };
}

/** Writes the audit line of a finished request (nothing for a read). */
export function writeAudit(logger: Logger, facts: AuditFacts, requestId: string, outcome: string): void {
  const entry = auditEntry(facts, requestId, outcome);
  if (entry !== null) logger.info(entry, "audit");
}
