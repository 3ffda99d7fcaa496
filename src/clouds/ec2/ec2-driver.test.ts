// The EC2 driver against a stubbed port: what it sends, how it pages and batches, how it
// retries, and how it classifies what EC2 answers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  EC2ServiceException,
  type DescribeInstancesRequest,
  type DescribeInstancesResult,
  type Instance,
  type Reservation,
  type RunInstancesRequest,
  type TerminateInstancesRequest,
  type TerminateInstancesResult,
} from "@aws-sdk/client-ec2";
import { parseConfig } from "../../config/config.js";
import { createDriver } from "../create-driver.js";
import { CloudError, isCloudError, type CloudErrorKind, type DriverCredentials, type LaunchRequest } from "../driver.js";
import type { RetryPolicy } from "../retry-backoff.js";
import { DESCRIBE_BATCH, DESCRIBE_PAGE, Ec2Driver, PORT_IDLE_MS, TERMINATE_BATCH } from "./ec2-driver.js";
import { classifyEc2Error, EC2_ERROR_CODES } from "./ec2-error-codes.js";
import type { Ec2Port, Ec2PortTarget } from "./ec2-port.js";

const SITE = { name: "hotel", endpoint: "http://ec2.test", region: "eu-west-1" };
const ALICE: DriverCredentials = { accessKeyId: "AKIDALICE", secretAccessKey: "alice-secret", keyName: "alice-key" };
const BOB: DriverCredentials = { accessKeyId: "AKIDBOB", secretAccessKey: "bob-secret" };
const WHEN = new Date(Date.UTC(2026, 10, 26, 12, 0, 0));

/** An error as the SDK throws it for an EC2 answer with `code` and `status`. */
function ec2Error(code: string, status: number, message = `${code} happened`): EC2ServiceException {
  return new EC2ServiceException({ name: code, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status }, message });
}

type Call =
  | { readonly op: "runInstances"; readonly input: RunInstancesRequest }
  | { readonly op: "describeInstances"; readonly input: DescribeInstancesRequest }
  | { readonly op: "terminateInstances"; readonly input: TerminateInstancesRequest };

/** A port whose answers come from `answer`, recording every call. */
class StubPort implements Ec2Port {
  readonly calls: Call[] = [];
  closed = false;
  constructor(readonly answer: (call: Call, index: number) => unknown) {}
  async #call<T>(call: Call): Promise<T> {
    this.calls.push(call);
    const out = this.answer(call, this.calls.length - 1);
    if (out instanceof Error) throw out;
    return out as T;
  }
  runInstances(input: RunInstancesRequest): Promise<Reservation> {
    return this.#call({ op: "runInstances", input });
  }
  describeInstances(input: DescribeInstancesRequest): Promise<DescribeInstancesResult> {
    return this.#call({ op: "describeInstances", input });
  }
  terminateInstances(input: TerminateInstancesRequest): Promise<TerminateInstancesResult> {
    return this.#call({ op: "terminateInstances", input });
  }
  close(): void {
    this.closed = true;
  }
}

/** A driver over one stub port (for every credential), recording sleeps. */
function stubbed(answer: (call: Call, index: number) => unknown, retry?: RetryPolicy) {
  const port = new StubPort(answer);
  const sleeps: number[] = [];
  const targets: Ec2PortTarget[] = [];
  const driver = new Ec2Driver(SITE, {
    portFactory: (target) => (targets.push(target), port),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    clock: () => WHEN,
    ...(retry && { throttleRetry: retry }),
  });
  return { driver, port, sleeps, targets };
}

function instance(id: string, more: Partial<Instance> = {}): Instance {
  return { InstanceId: id, State: { Name: "running", Code: 16 }, LaunchTime: WHEN, InstanceType: "t3.micro", Tags: [{ Key: "g", Value: "1" }], ...more };
}

const LAUNCH: LaunchRequest = {
  credentials: ALICE,
  spec: { imageId: "ami-1", instanceType: "t3.micro", keyName: "lc-key", userData: "ZWNobyBoaQ==", securityGroups: ["web", "sg-0abc", "ssh"] },
  count: 3,
  token: "tok-1",
  tags: { "phantom:group": "g1", "phantom:token": "tok-1" },
};

describe("classifyEc2Error", () => {
  const table: Array<[string, number, CloudErrorKind]> = [
    ["InsufficientInstanceCapacity", 500, "capacity"],
    ["InsufficientHostCapacity", 500, "capacity"],
    ["InstanceLimitExceeded", 400, "capacity"],
    ["VcpuLimitExceeded", 400, "capacity"],
    ["MaxSpotInstanceCountExceeded", 400, "capacity"],
    ["RequestLimitExceeded", 503, "throttled"],
    ["Throttling", 400, "throttled"],
    ["AuthFailure", 401, "auth"],
    ["UnauthorizedOperation", 403, "auth"],
    ["InvalidClientTokenId", 403, "auth"],
    ["SignatureDoesNotMatch", 403, "auth"],
    ["OptInRequired", 401, "auth"],
    ["Blocked", 403, "auth"],
    ["InvalidAMIID.NotFound", 400, "config"],
    ["InvalidAMIID.Malformed", 400, "config"],
    ["InvalidKeyPair.NotFound", 400, "config"],
    ["InvalidParameterValue", 400, "config"],
    ["InvalidParameterCombination", 400, "config"],
    ["Unsupported", 400, "config"],
    ["InvalidGroup.NotFound", 400, "config"],
    ["InvalidUserData.Malformed", 400, "config"],
    ["MissingParameter", 400, "config"],
    ["InternalError", 500, "transient"],
    ["Unavailable", 503, "transient"],
    // Not in the table: the rules decide.
    ["InvalidSubnetID.NotFound", 400, "config"],
    ["SomeNewDenial", 403, "auth"],
    ["SlowDown", 429, "throttled"],
    ["SomethingNew", 400, "transient"],
    ["Unknown", 502, "transient"],
  ];
  for (const [code, status, kind] of table) {
    it(`${code} (${status}) is ${kind}`, () => {
      const e = classifyEc2Error(ec2Error(code, status), "hotel");
      assert.equal(e.kind, kind);
      assert.equal(e.code, code);
      assert.match(e.message, new RegExp(`^hotel answered ${code.replace(".", "\\.")}: `));
      assert.ok(e.cause instanceof EC2ServiceException);
    });
  }

  it("agrees with the statuses EC2 sends each listed code with", () => {
    for (const [code, { kind, status }] of Object.entries(EC2_ERROR_CODES)) {
      assert.equal(classifyEc2Error(ec2Error(code, status), "s").kind, kind, code);
    }
  });

  it("makes errors without an answer transient: refused, reset, timed out", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    assert.deepEqual([classifyEc2Error(refused, "s").kind, classifyEc2Error(refused, "s").code], ["transient", "ECONNREFUSED"]);
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    assert.deepEqual([classifyEc2Error(timeout, "s").kind, classifyEc2Error(timeout, "s").code], ["transient", "TimeoutError"]);
    assert.equal(classifyEc2Error("a string", "s").kind, "transient");
  });

  it("passes CloudErrors through unchanged", () => {
    const e = new CloudError("auth", "MissingCredentials", "m");
    assert.equal(classifyEc2Error(e, "s"), e);
  });
});

describe("Ec2Driver.launch", () => {
  it("sends one RunInstances with the token as ClientToken, MinCount 1 and MaxCount the count", async () => {
    const { driver, port, targets } = stubbed(() => ({ Instances: [instance("i-1"), instance("i-2", { State: { Name: "pending" } })] }));
    const vms = await driver.launch(LAUNCH);
    assert.deepEqual(port.calls, [
      {
        op: "runInstances",
        input: {
          ImageId: "ami-1",
          InstanceType: "t3.micro",
          MinCount: 1,
          MaxCount: 3,
          ClientToken: "tok-1",
          KeyName: "alice-key",
          UserData: "ZWNobyBoaQ==",
          SecurityGroups: ["web", "ssh"],
          SecurityGroupIds: ["sg-0abc"],
          TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "phantom:group", Value: "g1" }, { Key: "phantom:token", Value: "tok-1" }] }],
        },
      },
    ]);
    assert.deepEqual(targets, [{ endpoint: SITE.endpoint, region: SITE.region, accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey }]);
    assert.deepEqual(vms, [
      { id: "i-1", state: "running", launchedAt: WHEN, instanceType: "t3.micro", tags: { g: "1" } },
      { id: "i-2", state: "pending", launchedAt: WHEN, instanceType: "t3.micro", tags: { g: "1" } },
    ]);
  });

  it("takes the launch configuration's key without one in the credentials, and leaves out what is not given", async () => {
    const { driver, port } = stubbed(() => ({ Instances: [instance("i-1")] }));
    await driver.launch({ ...LAUNCH, credentials: BOB });
    assert.equal((port.calls[0]!.input as RunInstancesRequest).KeyName, "lc-key");
    await driver.launch({ ...LAUNCH, credentials: BOB, spec: { imageId: "ami-1", instanceType: "m1.small" }, tags: {} });
    assert.deepEqual(port.calls[1]!.input, { ImageId: "ami-1", InstanceType: "m1.small", MinCount: 1, MaxCount: 3, ClientToken: "tok-1" });
  });

  it("falls back on the requested tags when the answer has none, and maps odd states and missing times", async () => {
    const { driver } = stubbed(() => ({ Instances: [{ InstanceId: "i-1", State: { Name: "weird" as never } }, { State: { Name: "running" } }] }));
    assert.deepEqual(await driver.launch(LAUNCH), [{ id: "i-1", state: "pending", launchedAt: WHEN, instanceType: "", tags: LAUNCH.tags }]);
  });

  it("refuses a token EC2 would not take, before calling", async () => {
    const { driver, port } = stubbed(() => ({ Instances: [instance("i-1")] }));
    await assert.rejects(driver.launch({ ...LAUNCH, token: "x".repeat(65) }), RangeError);
    await assert.rejects(driver.launch({ ...LAUNCH, token: "é" }), RangeError);
    await assert.rejects(driver.launch({ ...LAUNCH, count: 0 }), RangeError);
    assert.equal(port.calls.length, 0);
    await driver.launch({ ...LAUNCH, token: "x".repeat(64) });
    assert.equal(port.calls.length, 1);
  });

  it("throws capacity errors at once, without retrying", async () => {
    const { driver, port, sleeps } = stubbed(() => ec2Error("InsufficientInstanceCapacity", 500));
    await assert.rejects(driver.launch(LAUNCH), (e) => isCloudError(e, "capacity") && e.code === "InsufficientInstanceCapacity");
    assert.equal(port.calls.length, 1);
    assert.deepEqual(sleeps, []);
  });

  it("treats an answer without instances as a transient failure", async () => {
    const { driver } = stubbed(() => ({ Instances: [] }));
    await assert.rejects(driver.launch(LAUNCH), (e) => isCloudError(e, "transient") && e.code === "EmptyReservation");
  });
});

describe("Ec2Driver: throttling", () => {
  it("retries a throttled call with growing, jittered waits, then succeeds", async () => {
    const { driver, port, sleeps } = stubbed((_, i) => (i < 3 ? ec2Error("RequestLimitExceeded", 503) : { Instances: [instance("i-1")] }));
    assert.equal((await driver.launch(LAUNCH)).length, 1);
    assert.equal(port.calls.length, 4);
    // random() = 0.5: three quarters of 200, 400, 800 ms.
    assert.deepEqual(sleeps, [150, 300, 600]);
    assert.ok(port.calls.every((c) => (c.input as RunInstancesRequest).ClientToken === "tok-1"), "every retry keeps the token");
  });

  it("gives up after the configured attempts with a throttled error, waits capped", async () => {
    const { driver, port, sleeps } = stubbed(() => ec2Error("RequestLimitExceeded", 503), { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 });
    await assert.rejects(driver.describe(ALICE, { ids: ["i-1"] }), (e) => isCloudError(e, "throttled") && e.code === "RequestLimitExceeded");
    assert.equal(port.calls.length, 4);
    assert.deepEqual(sleeps, [75, 150, 187.5]);
  });

  it("spreads waits with the jitter", async () => {
    const waits = async (r: number) => {
      const sleeps: number[] = [];
      let n = 0;
      const driver = new Ec2Driver(SITE, {
        portFactory: () => new StubPort(() => (n++ === 0 ? ec2Error("Throttling", 400) : { Reservations: [] })),
        sleep: async (ms) => void sleeps.push(ms),
        random: () => r,
      });
      await driver.describe(ALICE, { ids: ["i-1"] });
      return sleeps;
    };
    assert.deepEqual(await waits(0), [100]);
    assert.deepEqual(await waits(0.999), [199.9]);
  });
});

describe("Ec2Driver.describe", () => {
  it("finds VMs by tag in one call per page, following NextToken", async () => {
    const pages: DescribeInstancesResult[] = [
      { Reservations: [{ Instances: [instance("i-1"), instance("i-2")] }], NextToken: "p2" },
      { Reservations: [{ Instances: [instance("i-3")] }, { Instances: [instance("i-2")] }], NextToken: "p3" },
      { Reservations: [], NextToken: "" },
    ];
    const { driver, port } = stubbed((_, i) => pages[i]);
    const vms = await driver.describe(ALICE, { tag: { key: "phantom:group", values: ["g1"] } });
    assert.deepEqual(vms.map((v) => v.id), ["i-1", "i-2", "i-3"]);
    const filter = [{ Name: "tag:phantom:group", Values: ["g1"] }];
    assert.deepEqual(port.calls.map((c) => c.input), [
      { Filters: filter, MaxResults: DESCRIBE_PAGE },
      { Filters: filter, MaxResults: DESCRIBE_PAGE, NextToken: "p2" },
      { Filters: filter, MaxResults: DESCRIBE_PAGE, NextToken: "p3" },
    ]);
  });

  it("escapes wildcards in a tag value: it is meant literally", async () => {
    const { driver, port } = stubbed(() => ({ Reservations: [] }));
    await driver.describe(ALICE, { tag: { key: "k", values: ["a*b?c\\d"] } });
    assert.deepEqual((port.calls[0]!.input as DescribeInstancesRequest).Filters, [{ Name: "tag:k", Values: ["a\\*b\\?c\\\\d"] }]);
  });

  it("finds VMs by ids with an instance-id filter, one call per batch, and makes no call for none", async () => {
    const { driver, port } = stubbed((call) => ({
      Reservations: [{ Instances: ((call.input as DescribeInstancesRequest).Filters![0]!.Values ?? []).slice(0, 1).map((id) => instance(id)) }],
    }));
    assert.deepEqual(await driver.describe(ALICE, { ids: [] }), []);
    assert.equal(port.calls.length, 0);
    const ids = Array.from({ length: 2 * DESCRIBE_BATCH + 50 }, (_, i) => `i-${i}`);
    const vms = await driver.describe(ALICE, { ids: [...ids, "i-0"] });
    assert.deepEqual(vms.map((v) => v.id), ["i-0", `i-${DESCRIBE_BATCH}`, `i-${2 * DESCRIBE_BATCH}`]);
    assert.deepEqual(
      port.calls.map((c) => [(c.input as DescribeInstancesRequest).Filters![0]!.Name, (c.input as DescribeInstancesRequest).Filters![0]!.Values!.length]),
      [
        ["instance-id", DESCRIBE_BATCH],
        ["instance-id", DESCRIBE_BATCH],
        ["instance-id", 50],
      ],
    );
    assert.ok(port.calls.every((c) => (c.input as DescribeInstancesRequest).InstanceIds === undefined), "never InstanceIds: one unknown id would fail the call");
  });

  it("refuses to run without credentials, as an auth error", async () => {
    const { driver, port } = stubbed(() => ({}));
    await assert.rejects(driver.describe(null, { ids: ["i-1"] }), (e) => isCloudError(e, "auth") && e.code === "MissingCredentials");
    assert.equal(port.calls.length, 0);
  });
});

describe("Ec2Driver.terminate", () => {
  /** Answers like EC2: the whole call fails while it names an id in `unknown`. */
  const ec2Like =
    (unknown: ReadonlySet<string>, wording: (ids: string[]) => string = (ids) => `The instance IDs '${ids.join(", ")}' do not exist`) =>
    (call: Call) => {
      const ids = (call.input as TerminateInstancesRequest).InstanceIds ?? [];
      const bad = ids.filter((id) => unknown.has(id));
      return bad.length > 0 ? ec2Error("InvalidInstanceID.NotFound", 400, wording(bad)) : { TerminatingInstances: [] };
    };
  const idsSent = (port: StubPort) => port.calls.map((c) => (c.input as TerminateInstancesRequest).InstanceIds);

  it("drops the ids EC2 names as unknown and terminates the rest", async () => {
    const { driver, port } = stubbed(ec2Like(new Set(["i-2", "i-4"])));
    await driver.terminate(ALICE, ["i-1", "i-2", "i-3", "i-4", "i-1"]);
    assert.deepEqual(idsSent(port), [
      ["i-1", "i-2", "i-3", "i-4"],
      ["i-1", "i-3"],
    ]);
  });

  it("does not take i-1 for named when EC2 names i-12", async () => {
    const { driver, port } = stubbed(ec2Like(new Set(["i-12"])));
    await driver.terminate(ALICE, ["i-1", "i-12"]);
    assert.deepEqual(idsSent(port), [["i-1", "i-12"], ["i-1"]]);
  });

  it("drops malformed ids the same way", async () => {
    const { driver, port } = stubbed((call) =>
      (call.input as TerminateInstancesRequest).InstanceIds!.includes("bogus")
        ? ec2Error("InvalidInstanceID.Malformed", 400, 'Invalid id: "bogus" (expecting "i-...")')
        : {},
    );
    await driver.terminate(ALICE, ["bogus", "i-1"]);
    assert.deepEqual(idsSent(port), [["bogus", "i-1"], ["i-1"]]);
  });

  it("halves the batch when the error names no id, until each unknown one stands alone", async () => {
    const { driver, port } = stubbed(ec2Like(new Set(["i-3"]), () => "Some instances do not exist"));
    await driver.terminate(ALICE, ["i-1", "i-2", "i-3", "i-4"]);
    assert.deepEqual(idsSent(port), [["i-1", "i-2", "i-3", "i-4"], ["i-1", "i-2"], ["i-3", "i-4"], ["i-3"], ["i-4"]]);
  });

  it("succeeds when every id is gone", async () => {
    const { driver, port } = stubbed(ec2Like(new Set(["i-1", "i-2"])));
    await driver.terminate(ALICE, ["i-1", "i-2"]);
    assert.deepEqual(idsSent(port), [["i-1", "i-2"]]);
    await driver.terminate(ALICE, []);
    assert.equal(port.calls.length, 1);
  });

  it("sends at most one batch's worth of ids per call", async () => {
    const { driver, port } = stubbed(() => ({}));
    await driver.terminate(ALICE, Array.from({ length: TERMINATE_BATCH + 1 }, (_, i) => `i-${i}`));
    assert.deepEqual(idsSent(port).map((ids) => ids!.length), [TERMINATE_BATCH, 1]);
  });

  it("passes other errors on, classified", async () => {
    const { driver } = stubbed(() => ec2Error("UnauthorizedOperation", 403));
    await assert.rejects(driver.terminate(ALICE, ["i-1"]), (e) => isCloudError(e, "auth"));
  });
});

describe("Ec2Driver: clients", () => {
  /** A driver whose ports (empty answers) are recorded as they are made. */
  const recordingPorts = (clock?: () => Date) => {
    const made: Array<{ target: Ec2PortTarget; port: StubPort }> = [];
    const driver = new Ec2Driver(SITE, {
      ...(clock === undefined ? {} : { clock }),
      portFactory: (target) => {
        const port = new StubPort(() => ({ Reservations: [] }));
        made.push({ target, port });
        return port;
      },
    });
    return { made, driver };
  };

  it("keeps one port per access key, replaces it when the secret changes, and closes them all", async () => {
    const { made, driver } = recordingPorts();
    await driver.describe(ALICE, { ids: ["i-1"] });
    await driver.describe(ALICE, { ids: ["i-1"] });
    await driver.describe(BOB, { ids: ["i-1"] });
    assert.deepEqual(made.map((m) => m.target.accessKeyId), ["AKIDALICE", "AKIDBOB"]);
    await driver.describe({ ...ALICE, secretAccessKey: "rotated" }, { ids: ["i-1"] });
    assert.equal(made.length, 3);
    assert.equal(made[0]!.port.closed, true, "the client of the old secret is closed");
    assert.equal(made[2]!.target.secretAccessKey, "rotated");
    driver.close();
    assert.deepEqual(made.map((m) => m.port.closed), [true, true, true]);
  });

  it("closes a client unused for PORT_IDLE_MS and makes a new one when its key comes back", async () => {
    let nowMs = WHEN.getTime();
    const { made, driver } = recordingPorts(() => new Date(nowMs));
    await driver.describe(ALICE, { ids: ["i-1"] });
    await driver.describe(BOB, { ids: ["i-1"] });
    nowMs += PORT_IDLE_MS - 1;
    // Alice's client is used again just in time; Bob's is not.
    await driver.describe(ALICE, { ids: ["i-1"] });
    nowMs += 1;
    await driver.describe(ALICE, { ids: ["i-1"] });
    assert.deepEqual(made.map((m) => [m.target.accessKeyId, m.port.closed]), [["AKIDALICE", false], ["AKIDBOB", true]]);
    await driver.describe(BOB, { ids: ["i-1"] });
    assert.equal(made.length, 3, "Bob gets a new client");
    assert.equal(made[2]!.target.accessKeyId, "AKIDBOB");
    nowMs += PORT_IDLE_MS / 2;
    await driver.describe(BOB, { ids: ["i-1"] });
    nowMs += PORT_IDLE_MS / 2;
    await driver.describe(BOB, { ids: ["i-1"] });
    assert.deepEqual(made.map((m) => m.port.closed), [true, true, false], "Alice's went idle too; Bob's in use stays");
    driver.close();
  });

  it("is what createDriver makes for an ec2 site", () => {
    const [site] = parseConfig({ sites: { cloudy: { driver: "ec2", endpoint: "http://127.0.0.1:1", region: "us-west-2" } } }, "test").sites;
    const driver = createDriver(site!, { clock: () => WHEN, random: () => 0.5 });
    assert.ok(driver instanceof Ec2Driver);
    assert.equal(driver.site, "cloudy");
  });
});
