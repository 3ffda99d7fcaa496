/**
 * The four EC2 actions the simcloud serves, over a {@link SimulatedCloud}: inputs as the codec
 * decodes them (the model's member names), results as it encodes them. Each action makes one
 * API call on the cloud, so its latency and injected faults apply once per EC2 request.
 *
 * Where EC2 refuses a request, so do they, with EC2's code: unknown or malformed instance ids
 * fail the whole call (`InvalidInstanceID.NotFound` / `.Malformed`), `MaxResults` outside
 * 5–1000 or next to `InstanceIds` is refused. Members EC2 honours that a simulation has no use
 * for (subnets, block devices, placement, …) are accepted and ignored.
 */
import { createHash } from "node:crypto";
import type { VmState } from "../../clouds/driver.js";
import type { SimulatedCloud, SimulatedVm } from "../../clouds/simulated/simulated-cloud.js";
import { Ec2ApiError } from "./ec2-api-error.js";
import { compileFilters, hasWildcard, INSTANCE_FILTERS, literalValue, STATE_CODES, STATUS_FILTERS, type Ec2Filter } from "./ec2-filters.js";

/** Who calls, and where. */
export interface CallContext {
  /** The caller's access key: the simulated cloud's account. */
  readonly account: string;
  /** The region of the request's signature; its `a` zone is where every VM runs. */
  readonly region: string;
}

/** One action: decoded input in, result out. */
export type Ec2Action = (cloud: SimulatedCloud, input: Record<string, unknown>, context: CallContext) => Promise<Record<string, unknown>>;

/** What a real EC2 launches without an `InstanceType`. */
const DEFAULT_INSTANCE_TYPE = "m1.small";
/** EC2's instance ids: `i-` and 8 or 17 hex digits. */
const INSTANCE_ID = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MIN_PAGE = 5;
const MAX_PAGE = 1000;

interface TagInput {
  readonly Key?: string;
  readonly Value?: string;
}

interface RunInput {
  readonly ImageId?: string;
  readonly InstanceType?: string;
  readonly MinCount: number;
  readonly MaxCount: number;
  readonly KeyName?: string;
  readonly UserData?: string;
  readonly SecurityGroups?: readonly string[];
  readonly SecurityGroupIds?: readonly string[];
  readonly ClientToken?: string;
  readonly TagSpecifications?: ReadonlyArray<{ readonly ResourceType?: string; readonly Tags?: readonly TagInput[] }>;
}

interface ListInput {
  readonly Filters?: readonly Ec2Filter[];
  readonly InstanceIds?: readonly string[];
  readonly MaxResults?: number;
  readonly NextToken?: string;
}

/** `RunInstances`: as many VMs as fit, up to `MaxCount`; fewer than `MinCount` is a capacity error. */
async function runInstances(cloud: SimulatedCloud, raw: Record<string, unknown>, context: CallContext): Promise<Record<string, unknown>> {
  const input = raw as unknown as RunInput;
  if (input.ImageId === undefined || input.ImageId === "") {
    throw new Ec2ApiError("MissingParameter", "The request must contain the parameter ImageId");
  }
  if (input.MinCount < 1) throw new Ec2ApiError("InvalidParameterValue", `Value (${input.MinCount}) for parameter minCount is invalid. Expected a positive integer.`);
  if (input.MaxCount < input.MinCount) {
    throw new Ec2ApiError("InvalidParameterValue", `Value (${input.MaxCount}) for parameter maxCount is invalid. It must be at least minCount (${input.MinCount}).`);
  }
  if (input.UserData !== undefined && !BASE64.test(input.UserData)) {
    throw new Ec2ApiError("InvalidParameterValue", "Invalid BASE64 encoding of user data.");
  }
  const tags: Record<string, string> = {};
  for (const spec of input.TagSpecifications ?? []) {
    // Volumes, network interfaces, …: the simulation has none to tag.
    if (spec.ResourceType !== "instance") continue;
    for (const tag of spec.Tags ?? []) {
      if (tag.Key === undefined || tag.Key === "") throw new Ec2ApiError("InvalidParameterValue", "Tag keys must not be empty.");
      tags[tag.Key] = tag.Value ?? "";
    }
  }
  const vms = await cloud.runInstances(context.account, {
    imageId: input.ImageId,
    instanceType: input.InstanceType ?? DEFAULT_INSTANCE_TYPE,
    count: input.MaxCount,
    token: input.ClientToken,
    tags,
    keyName: input.KeyName,
    userData: input.UserData,
    securityGroups: [...(input.SecurityGroups ?? []), ...(input.SecurityGroupIds ?? [])],
  });
  if (vms.length < input.MinCount) {
    // EC2 launches all of MinCount or nothing: undo the partial launch.
    await cloud.terminateInstances(context.account, vms.map((vm) => vm.id));
    throw new Ec2ApiError(
      "InsufficientInstanceCapacity",
      `There is not enough capacity to launch ${input.MinCount} ${input.InstanceType ?? DEFAULT_INSTANCE_TYPE} instances; only ${vms.length} fit.`,
    );
  }
  return reservations(vms, context)[0]!;
}

/** `DescribeInstances`: by ids, filters, both or neither, paginated by instances. */
async function describeInstances(cloud: SimulatedCloud, raw: Record<string, unknown>, context: CallContext): Promise<Record<string, unknown>> {
  const input = raw as ListInput;
  const pageSize = checkPaging(input);
  const matches = compileFilters(input.Filters, INSTANCE_FILTERS, true);
  const vms = (await list(cloud, context.account, input)).filter(matches);
  const { page, nextToken } = paginate(vms, pageSize, input.NextToken);
  return { Reservations: reservations(page, context), NextToken: nextToken };
}

/** `TerminateInstances`: all of the ids, or (when one is unknown or malformed) none. */
async function terminateInstances(cloud: SimulatedCloud, raw: Record<string, unknown>, context: CallContext): Promise<Record<string, unknown>> {
  const ids = [...new Set((raw as { InstanceIds: readonly string[] }).InstanceIds)];
  checkIds(ids);
  // Checked before the call, which terminates what it knows: EC2 terminates nothing then.
  const known = new Set(cloud.instances(context.account).map((vm) => vm.id));
  notFound(ids.filter((id) => !known.has(id)));
  const changes = await cloud.terminateInstances(context.account, ids);
  return {
    TerminatingInstances: changes.map((c) => ({
      InstanceId: c.id,
      // Null only for a VM forgotten while the call waited: it was terminated long ago.
      CurrentState: state(c.currentState ?? "terminated"),
      PreviousState: state(c.previousState ?? "terminated"),
    })),
  };
}

/** `DescribeInstanceStatus`: running VMs, or all of them with `IncludeAllInstances`. */
async function describeInstanceStatus(cloud: SimulatedCloud, raw: Record<string, unknown>, context: CallContext): Promise<Record<string, unknown>> {
  const input = raw as ListInput & { readonly IncludeAllInstances?: boolean };
  const pageSize = checkPaging(input);
  const matches = compileFilters(input.Filters, STATUS_FILTERS, false);
  const vms = (await list(cloud, context.account, input)).filter(
    (vm) => matches(vm) && (input.IncludeAllInstances === true || vm.state === "running"),
  );
  const { page, nextToken } = paginate(vms, pageSize, input.NextToken);
  return {
    InstanceStatuses: page.map((vm) => {
      const checks =
        vm.state === "running"
          ? { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] }
          : { Status: "not-applicable" };
      return { AvailabilityZone: zone(context), InstanceId: vm.id, InstanceState: state(vm.state), InstanceStatus: checks, SystemStatus: checks };
    }),
    NextToken: nextToken,
  };
}

/** The actions by name. */
export const EC2_ACTIONS: Readonly<Record<string, Ec2Action>> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  DescribeInstanceStatus: describeInstanceStatus,
};

/**
 * The account's VMs a listing starts from, in one cloud call: the ids asked (all must exist,
 * as on EC2), else those of a `tag:<key>` filter without wildcards (the cloud's tag index), else all.
 */
async function list(cloud: SimulatedCloud, account: string, input: ListInput): Promise<SimulatedVm[]> {
  if (input.InstanceIds !== undefined && input.InstanceIds.length > 0) {
    const ids = [...new Set(input.InstanceIds)];
    checkIds(ids);
    const vms = await cloud.describeInstances(account, { ids });
    const found = new Set(vms.map((vm) => vm.id));
    notFound(ids.filter((id) => !found.has(id)));
    return vms;
  }
  const tagFilter = input.Filters?.find(
    (f) => f.Name?.startsWith("tag:") === true && f.Values !== undefined && f.Values.length > 0 && !f.Values.some(hasWildcard),
  );
  if (tagFilter !== undefined) {
    return cloud.describeInstances(account, { tag: { key: tagFilter.Name!.slice(4), values: tagFilter.Values!.map(literalValue) } });
  }
  return cloud.describeInstances(account);
}

/** The page size asked for (undefined: everything), checked as EC2 checks it. */
function checkPaging(input: ListInput): number | undefined {
  const max = input.MaxResults;
  if (max === undefined) return undefined;
  if (input.InstanceIds !== undefined && input.InstanceIds.length > 0) {
    throw new Ec2ApiError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults");
  }
  if (max < MIN_PAGE || max > MAX_PAGE) {
    throw new Ec2ApiError("InvalidParameterValue", `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${MIN_PAGE} and ${MAX_PAGE}.`);
  }
  return max;
}

/**
 * One page of `vms`. The token names the last VM served and its position: the next page starts
 * after that VM, or at the position when it has been forgotten meanwhile.
 */
function paginate(vms: readonly SimulatedVm[], pageSize: number | undefined, token: string | undefined): { page: SimulatedVm[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined && token !== "") {
    const cursor = decodeCursor(token);
    const at = vms.findIndex((vm) => vm.id === cursor.after);
    start = at >= 0 ? at + 1 : Math.min(cursor.offset, vms.length);
  }
  const end = pageSize === undefined ? vms.length : Math.min(vms.length, start + pageSize);
  const page = vms.slice(start, end);
  if (end >= vms.length || page.length === 0) return { page };
  return { page, nextToken: Buffer.from(JSON.stringify({ after: page.at(-1)!.id, offset: end })).toString("base64url") };
}

function decodeCursor(token: string): { after: string; offset: number } {
  try {
    const cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after?: unknown; offset?: unknown };
    if (typeof cursor.after === "string" && Number.isSafeInteger(cursor.offset) && (cursor.offset as number) >= 0) {
      return { after: cursor.after, offset: cursor.offset as number };
    }
  } catch {
    // Refused below, as any other token the simcloud did not issue.
  }
  throw new Ec2ApiError("InvalidPaginationToken", "The specified pagination token is not valid or is expired.");
}

function checkIds(ids: readonly string[]): void {
  const bad = ids.find((id) => !INSTANCE_ID.test(id));
  if (bad !== undefined) throw new Ec2ApiError("InvalidInstanceID.Malformed", `Invalid id: "${bad}" (expecting "i-...")`);
}

function notFound(unknown: readonly string[]): void {
  if (unknown.length === 1) throw new Ec2ApiError("InvalidInstanceID.NotFound", `The instance ID '${unknown[0]}' does not exist`);
  if (unknown.length > 1) throw new Ec2ApiError("InvalidInstanceID.NotFound", `The instance IDs '${unknown.join(", ")}' do not exist`);
}

function state(name: VmState): { Code: number; Name: VmState } {
  return { Code: STATE_CODES[name], Name: name };
}

function zone(context: CallContext): string {
  return `${context.region}a`;
}

/** A stable 12-digit owner id for an account, as EC2 shows the AWS account number. */
function ownerId(account: string): string {
  const n = createHash("sha256").update(account).digest().readBigUInt64BE(0) % 10n ** 12n;
  return n.toString().padStart(12, "0");
}

/** A stable `sg-` id for a group given by name. */
function groupId(name: string): string {
  return `sg-${createHash("sha256").update(name).digest("hex").slice(0, 17)}`;
}

/** `vms` grouped by their launch, in order of first appearance, as EC2's `Reservation`s. */
function reservations(vms: readonly SimulatedVm[], context: CallContext): Array<Record<string, unknown>> {
  const byId = new Map<string, { ReservationId: string; OwnerId: string; Groups: never[]; Instances: Array<Record<string, unknown>> }>();
  for (const vm of vms) {
    let reservation = byId.get(vm.reservationId);
    if (reservation === undefined) {
      reservation = { ReservationId: vm.reservationId, OwnerId: ownerId(vm.account), Groups: [], Instances: [] };
      byId.set(vm.reservationId, reservation);
    }
    reservation.Instances.push(instance(vm, context));
  }
  return [...byId.values()];
}

/** A VM as EC2's `Instance`. */
function instance(vm: SimulatedVm, context: CallContext): Record<string, unknown> {
  const reason = vm.stateReason;
  return {
    AmiLaunchIndex: vm.launchIndex,
    ImageId: vm.imageId,
    InstanceId: vm.id,
    InstanceType: vm.instanceType,
    KeyName: vm.keyName ?? undefined,
    LaunchTime: vm.launchedAt,
    Monitoring: { State: "disabled" },
    Placement: { AvailabilityZone: zone(context), Tenancy: "default" },
    PrivateDnsName: "",
    PublicDnsName: "",
    State: state(vm.state),
    StateTransitionReason:
      vm.terminatedAt === null || reason === null
        ? ""
        : reason.code === "Client.UserInitiatedShutdown"
          ? `User initiated (${vm.terminatedAt.toISOString().replace("T", " ").slice(0, 19)} GMT)`
          : reason.message,
    ClientToken: vm.clientToken ?? "",
    SecurityGroups: vm.securityGroups.map((g) => (g.startsWith("sg-") ? { GroupId: g } : { GroupName: g, GroupId: groupId(g) })),
    StateReason: reason === null ? undefined : { Code: reason.code, Message: reason.message },
    Tags: Object.entries(vm.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}
