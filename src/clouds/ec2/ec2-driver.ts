/**
 * The EC2 driver: one EC2-compatible site (AWS, OpenStack's EC2 API, Eucalyptus, Nimbus,
 * `phantom simcloud`, moto) through `@aws-sdk/client-ec2`, as each user, with the user's own
 * credentials for the site.
 *
 * - `launch` is one `RunInstances` (`MinCount` 1, `MaxCount` the count) whose `ClientToken` is
 *   the launch's token, so EC2 itself makes a repeated launch return the first one's VMs.
 * - `describe` is one logical `DescribeInstances` per call: a tag filter, or the ids as an
 *   `instance-id` filter, its values in batches of {@link DESCRIBE_BATCH}, following `NextToken`. A filter,
 *   unlike `InstanceIds`, does not fail the whole call when one id is unknown.
 * - `terminate` is `TerminateInstances` in batches of {@link TERMINATE_BATCH}. EC2 fails the
 *   whole call when one id is unknown or malformed; those ids are gone (success), so they are
 *   dropped and the rest sent again.
 * - Every error is classified once ({@link classifyEc2Error}). Throttling is retried here with
 *   exponential backoff and jitter, a few times, then surfaces as `throttled`; everything else
 *   surfaces at once and the controller's next pass retries.
 */
import type { Instance, RunInstancesRequest, _InstanceType } from "@aws-sdk/client-ec2";
import {
  CloudError,
  type CloudDriver,
  type CloudVm,
  type DescribeFilter,
  type DriverCredentials,
  type LaunchRequest,
  type VmState,
} from "../driver.js";
import { jitteredDelay, type RetryPolicy } from "../retry-backoff.js";
import { classifyEc2Error } from "./ec2-error-codes.js";
import { sdkEc2Port, type Ec2Port, type Ec2PortFactory } from "./ec2-port.js";

/** One configured EC2-compatible site. */
export interface Ec2Site {
  readonly name: string;
  /** The endpoint URL, e.g. `https://ec2.us-east-1.amazonaws.com` or `http://127.0.0.1:8599`. */
  readonly endpoint: string;
  /** The region requests are signed for. */
  readonly region: string;
}

/** Retries of throttled calls unless configured otherwise: 5 calls over about 3 s at most. */
export const DEFAULT_THROTTLE_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 2_000 };

/** Most ids in one `instance-id` filter: EC2 allows 200 filter values per call. */
export const DESCRIBE_BATCH = 200;
/** Most ids in one `TerminateInstances`. */
export const TERMINATE_BATCH = 500;
/** `MaxResults` of each `DescribeInstances` page (EC2's largest). */
export const DESCRIBE_PAGE = 1000;
/**
 * How long an SDK client (a port) may go unused before it is closed: a deployment with
 * 10,000 users keeps a client for each user listed in recent passes, not for every user ever.
 */
export const PORT_IDLE_MS = 15 * 60_000;
/** EC2's limit on `ClientToken`. */
export const MAX_CLIENT_TOKEN_LENGTH = 64;

/** What tests (and nothing else) replace. */
export interface Ec2DriverOptions {
  /** Makes the port for a set of credentials; the real SDK client by default. */
  readonly portFactory?: Ec2PortFactory;
  readonly throttleRetry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1): the jitter. */
  readonly random?: () => number;
  /** For VMs a cloud reports without a launch time, and for how long a port has been unused. */
  readonly clock?: () => Date;
}

/** The codes with which EC2 refuses a whole `TerminateInstances` over some of its ids. */
const GONE_CODES: ReadonlySet<string> = new Set(["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"]);

const VM_STATES: ReadonlySet<string> = new Set<VmState>(["pending", "running", "stopping", "stopped", "shutting-down", "terminated"]);

/** Printable ASCII: what EC2 accepts in a `ClientToken`. */
const CLIENT_TOKEN = /^[\x20-\x7E]+$/;

/** A {@link CloudDriver} for one EC2-compatible site. */
export class Ec2Driver implements CloudDriver {
  readonly site: string;
  readonly #target: Ec2Site;
  readonly #factory: Ec2PortFactory;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #clock: () => Date;
  /**
   * One port (one SDK client, one connection pool) per access key, with the secret it was made
   * with and when it was last used; least recently used first (each use moves it to the end).
   */
  readonly #ports = new Map<string, { readonly secret: string; readonly port: Ec2Port; usedAt: number }>();

  constructor(site: Ec2Site, options: Ec2DriverOptions = {}) {
    this.site = site.name;
    this.#target = site;
    this.#factory = options.portFactory ?? sdkEc2Port;
    this.#retry = options.throttleRetry ?? DEFAULT_THROTTLE_RETRY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** {@inheritDoc CloudDriver.launch} */
  async launch(request: LaunchRequest): Promise<CloudVm[]> {
    const { spec, count, token, credentials } = request;
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`launch count must be a positive integer, not ${count}`);
    if (token.length > MAX_CLIENT_TOKEN_LENGTH || !CLIENT_TOKEN.test(token)) {
      throw new RangeError(`launch token must be 1 to ${MAX_CLIENT_TOKEN_LENGTH} printable ASCII characters: '${token}'`);
    }
    const port = this.#port(credentials);
    // The user's key pair for this site, as set with `phantom credentials set --key-name`,
    // else the launch configuration's.
    const keyName = credentials?.keyName ?? spec.keyName;
    // Launch configurations list groups by name or id in one field; EC2 takes ids in another,
    // and a VPC refuses names.
    const groups = spec.securityGroups ?? [];
    const groupIds = groups.filter((g) => g.startsWith("sg-"));
    const groupNames = groups.filter((g) => !g.startsWith("sg-"));
    const tags = Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value }));
    const input: RunInstancesRequest = {
      ImageId: spec.imageId,
      // The SDK's type lists AWS's instance types; other EC2 clouds name theirs freely.
      InstanceType: spec.instanceType as _InstanceType,
      MinCount: 1,
      MaxCount: count,
      ClientToken: token,
      ...(keyName !== undefined && keyName !== "" && { KeyName: keyName }),
      ...(spec.userData !== undefined && spec.userData !== "" && { UserData: spec.userData }),
      ...(groupNames.length > 0 && { SecurityGroups: groupNames }),
      ...(groupIds.length > 0 && { SecurityGroupIds: groupIds }),
      ...(tags.length > 0 && { TagSpecifications: [{ ResourceType: "instance", Tags: tags }] }),
    };
    const reservation = await this.#call(() => port.runInstances(input));
    const vms = (reservation.Instances ?? []).flatMap((i) => this.#vm(i, request.tags));
    if (vms.length === 0) {
      throw new CloudError("transient", "EmptyReservation", `${this.site} answered RunInstances without any instance`);
    }
    return vms;
  }

  /** {@inheritDoc CloudDriver.describe} */
  async describe(credentials: DriverCredentials | null, filter: DescribeFilter): Promise<CloudVm[]> {
    const port = this.#port(credentials);
    const found = new Map<string, CloudVm>();
    if ("tag" in filter) {
      // EC2 reads `*` and `?` in filter values as wildcards; a tag value is meant literally.
      const values = [...new Set(filter.tag.values)].map((v) => v.replace(/[\\*?]/g, "\\$&"));
      for (let i = 0; i < values.length; i += DESCRIBE_BATCH) {
        await this.#describePages(port, { Name: `tag:${filter.tag.key}`, Values: values.slice(i, i + DESCRIBE_BATCH) }, found);
      }
    } else {
      const ids = [...new Set(filter.ids)];
      for (let i = 0; i < ids.length; i += DESCRIBE_BATCH) {
        await this.#describePages(port, { Name: "instance-id", Values: ids.slice(i, i + DESCRIBE_BATCH) }, found);
      }
    }
    return [...found.values()];
  }

  /** {@inheritDoc CloudDriver.terminate} */
  async terminate(credentials: DriverCredentials | null, ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const port = this.#port(credentials);
    for (let i = 0; i < unique.length; i += TERMINATE_BATCH) {
      await this.#terminateBatch(port, unique.slice(i, i + TERMINATE_BATCH));
    }
  }

  /** Closes every SDK client; the driver is not used afterwards. */
  close(): void {
    for (const { port } of this.#ports.values()) port.close();
    this.#ports.clear();
  }

  async #describePages(port: Ec2Port, filter: { Name: string; Values: string[] }, found: Map<string, CloudVm>): Promise<void> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.#call(() =>
        port.describeInstances({ Filters: [filter], MaxResults: DESCRIBE_PAGE, ...(token !== undefined && { NextToken: token }) }),
      );
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) for (const vm of this.#vm(instance)) found.set(vm.id, vm);
      }
      // Some EC2 implementations send an empty token on the last page.
      nextToken = page.NextToken === "" ? undefined : page.NextToken;
    } while (nextToken !== undefined);
  }

  /**
   * Terminates `ids`, dropping the ones EC2 names as unknown or malformed and sending the rest
   * again. When an answer names none of them (a cloud that words it differently), the batch is
   * halved until each unknown id stands alone, where it is dropped.
   */
  async #terminateBatch(port: Ec2Port, ids: readonly string[]): Promise<void> {
    let pending = ids;
    while (pending.length > 0) {
      const batch = pending;
      try {
        await this.#call(() => port.terminateInstances({ InstanceIds: [...batch] }));
        return;
      } catch (e) {
        if (!(e instanceof CloudError) || !GONE_CODES.has(e.code)) throw e;
        const said = e.cause instanceof Error ? e.cause.message : e.message;
        const named = new Set(batch.filter((id) => mentions(said, id)));
        if (named.size > 0) {
          pending = batch.filter((id) => !named.has(id));
        } else if (batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await this.#terminateBatch(port, batch.slice(0, half));
          await this.#terminateBatch(port, batch.slice(half));
          return;
        } else {
          return;
        }
      }
    }
  }

  /** Runs one EC2 call, retrying it while it is throttled; throws classified errors only. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        const error = classifyEc2Error(e, this.site);
        if (error.kind !== "throttled" || attempt >= this.#retry.attempts) throw error;
        await this.#sleep(jitteredDelay(attempt, this.#retry, this.#random));
      }
    }
  }

  #port(credentials: DriverCredentials | null): Ec2Port {
    if (credentials === null) {
      throw new CloudError("auth", "MissingCredentials", `${this.site} needs the user's credentials: phantom credentials set USER ${this.site} …`);
    }
    if (credentials.kind === "openstack") {
      throw new CloudError("auth", "WrongCredentials", `${this.site} is an EC2 site and takes an access key: phantom credentials set USER ${this.site} --access-key …`);
    }
    const nowMs = this.#clock().getTime();
    this.#closeIdlePorts(nowMs);
    const cached = this.#ports.get(credentials.accessKeyId);
    this.#ports.delete(credentials.accessKeyId);
    if (cached?.secret === credentials.secretAccessKey) {
      this.#ports.set(credentials.accessKeyId, { ...cached, usedAt: nowMs });
      return cached.port;
    }
    cached?.port.close();
    const port = this.#factory({
      endpoint: this.#target.endpoint,
      region: this.#target.region,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
    });
    this.#ports.set(credentials.accessKeyId, { secret: credentials.secretAccessKey, port, usedAt: nowMs });
    return port;
  }

  /** Closes the ports unused for {@link PORT_IDLE_MS}: the oldest come first, so it stops at the first recent one. */
  #closeIdlePorts(nowMs: number): void {
    for (const [key, entry] of this.#ports) {
      if (nowMs - entry.usedAt < PORT_IDLE_MS) return;
      entry.port.close();
      this.#ports.delete(key);
    }
  }

  /**
   * An EC2 instance as a {@link CloudVm}. Tags the cloud did not report fall back on the ones
   * asked for (`RunInstances` answers of some EC2 clouds leave them out). A state outside EC2's
   * six counts as `pending`: the boot timeout then decides.
   */
  #vm(instance: Instance, requestedTags?: Readonly<Record<string, string>>): CloudVm[] {
    if (instance.InstanceId === undefined) return [];
    const reported = Object.fromEntries((instance.Tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? ""]])));
    const name = instance.State?.Name;
    return [
      {
        id: instance.InstanceId,
        state: name !== undefined && VM_STATES.has(name) ? (name as VmState) : "pending",
        launchedAt: instance.LaunchTime ?? this.#clock(),
        instanceType: instance.InstanceType ?? "",
        tags: Object.keys(reported).length === 0 && requestedTags ? { ...requestedTags } : reported,
        ...(instance.StateReason?.Message !== undefined && instance.StateReason.Message !== "" && { reason: instance.StateReason.Message }),
      },
    ];
  }
}

/** True when `text` names `id` as a whole word (so `i-1` is not found in `i-12`). */
function mentions(text: string, id: string): boolean {
  const word = /[A-Za-z0-9_-]/;
  for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) {
    const before = text[at - 1];
    const after = text[at + id.length];
    if ((before === undefined || !word.test(before)) && (after === undefined || !word.test(after))) return true;
  }
  return false;
}
