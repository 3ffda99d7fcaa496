// The simcloud as EC2 clients see it: the AWS SDK for JavaScript's EC2 client over real HTTP,
// against a simulated cloud on a virtual clock.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type EC2ServiceException,
  type Instance,
  type RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import { XMLParser } from "fast-xml-parser";
import { createLogger } from "../observability/logger.js";
import { SimulatedCloud } from "../clouds/simulated/simulated-cloud.js";
import { seededRandom } from "../clouds/simulated/seeded-random.js";
import { startSimcloud, type Simcloud } from "./simcloud-server.js";
import { signV4, formEncode } from "../test-support/sign-v4.js";

const BOOT_SECONDS = 30;
const CAPACITY = 20;
const REGION = "eu-central-1";

let now = Date.UTC(2026, 10, 26, 12, 0, 0);
let cloud: SimulatedCloud;
let simcloud: Simcloud;
const clients: EC2Client[] = [];

function client(accessKeyId = "AKIDALICE"): EC2Client {
  const c = new EC2Client({ endpoint: simcloud.url, region: REGION, credentials: { accessKeyId, secretAccessKey: "any" }, maxAttempts: 1 });
  clients.push(c);
  return c;
}

/** What the SDK threw for `call`, which must fail. */
async function failure(call: Promise<unknown>): Promise<EC2ServiceException> {
  return call.then(
    () => assert.fail("the call should fail"),
    (e: unknown) => e as EC2ServiceException,
  );
}

const RUN: RunInstancesCommandInput = { ImageId: "ami-0abc", InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 };

async function run(c: EC2Client, count: number, more: Partial<RunInstancesCommandInput> = {}): Promise<Instance[]> {
  const reservation = await c.send(new RunInstancesCommand({ ...RUN, MaxCount: count, ...more }));
  return reservation.Instances ?? [];
}

const idsOf = (instances: readonly Instance[] | undefined) => (instances ?? []).map((i) => i.InstanceId!);

describe("phantom simcloud through the AWS SDK for JavaScript", () => {
  before(async () => {
    cloud = new SimulatedCloud({ capacity: CAPACITY, bootSeconds: BOOT_SECONDS, clock: () => new Date(now), random: seededRandom(7) });
    simcloud = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 }, { logger: createLogger("silent") });
  });
  beforeEach(async () => {
    // Each test starts on an empty cloud: terminate everything and let it be forgotten.
    for (const vm of cloud.instances()) if (vm.state !== "terminated") cloud.kill(vm.account, vm.id);
    now += 2 * 3600 * 1000;
    assert.equal(cloud.instances().length, 0);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await simcloud.close();
  });

  describe("RunInstances", () => {
    it("launches with every launch parameter, as EC2 reports it", async () => {
      const reservation = await client().send(
        new RunInstancesCommand({
          ...RUN,
          MaxCount: 2,
          KeyName: "alice-key",
          UserData: "ZWNobyBoaQ==",
          SecurityGroups: ["web"],
          SecurityGroupIds: ["sg-0123"],
          ClientToken: "launch-1",
          TagSpecifications: [
            { ResourceType: "instance", Tags: [{ Key: "phantom:group", Value: "g1" }, { Key: "Name", Value: "" }] },
            { ResourceType: "volume", Tags: [{ Key: "ignored", Value: "x" }] },
          ],
        }),
      );
      assert.match(reservation.ReservationId!, /^r-0[0-9a-f]{16}$/);
      assert.match(reservation.OwnerId!, /^\d{12}$/);
      assert.equal(reservation.Instances!.length, 2);
      reservation.Instances!.forEach((i, index) => {
        assert.match(i.InstanceId!, /^i-0[0-9a-f]{16}$/);
        assert.deepEqual(
          {
            image: i.ImageId,
            type: i.InstanceType,
            key: i.KeyName,
            index: i.AmiLaunchIndex,
            state: i.State,
            launched: i.LaunchTime,
            zone: i.Placement?.AvailabilityZone,
            token: i.ClientToken,
            groups: i.SecurityGroups?.map((g) => g.GroupId ?? g.GroupName),
            tags: i.Tags,
          },
          {
            image: "ami-0abc",
            type: "t3.micro",
            key: "alice-key",
            index,
            state: { Code: 0, Name: "pending" },
            launched: new Date(now),
            zone: `${REGION}a`,
            token: "launch-1",
            groups: [i.SecurityGroups![0]!.GroupId, "sg-0123"],
            tags: [
              { Key: "phantom:group", Value: "g1" },
              { Key: "Name", Value: "" },
            ],
          },
        );
        assert.equal(i.SecurityGroups![0]!.GroupName, "web");
      });
    });

    it("returns the first launch again for a repeated ClientToken", async () => {
      const c = client();
      const first = await c.send(new RunInstancesCommand({ ...RUN, MaxCount: 2, ClientToken: "same" }));
      const again = await c.send(new RunInstancesCommand({ ...RUN, MaxCount: 2, ClientToken: "same" }));
      assert.equal(again.ReservationId, first.ReservationId);
      assert.deepEqual(idsOf(again.Instances), idsOf(first.Instances));
      assert.equal(cloud.instances().length, 2);
    });

    it("launches up to MaxCount when there is room for fewer, and answers InsufficientInstanceCapacity (500) when full", async () => {
      const c = client();
      assert.equal((await run(c, CAPACITY - 2)).length, CAPACITY - 2);
      assert.equal((await run(c, 5)).length, 2);
      const e = await failure(run(c, 1));
      assert.equal(e.name, "InsufficientInstanceCapacity");
      assert.equal(e.$metadata.httpStatusCode, 500);
      assert.equal(e.$fault, "server");
      assert.match(e.message, /no room for t3\.micro/);
    });

    it("launches nothing when fewer than MinCount fit", async () => {
      const c = client();
      await run(c, CAPACITY - 2);
      const e = await failure(c.send(new RunInstancesCommand({ ...RUN, MinCount: 3, MaxCount: 3 })));
      assert.equal(e.name, "InsufficientInstanceCapacity");
      assert.equal(cloud.counts().pending, CAPACITY - 2, "the partial launch was undone");
    });

    it("refuses what EC2 refuses, with EC2's codes", async () => {
      const c = client();
      const cases: Array<[RunInstancesCommandInput, string, number]> = [
        [{ ...RUN, ImageId: undefined }, "MissingParameter", 400],
        [{ ...RUN, MinCount: 2, MaxCount: 1 }, "InvalidParameterValue", 400],
        [{ ...RUN, UserData: "not base64!" }, "InvalidParameterValue", 400],
        [{ ...RUN, ClientToken: "x".repeat(65) }, "InvalidParameterValue", 400],
        [{ ...RUN, DryRun: true }, "DryRunOperation", 412],
      ];
      for (const [input, code, status] of cases) {
        const e = await failure(c.send(new RunInstancesCommand(input)));
        assert.deepEqual([e.name, e.$metadata.httpStatusCode], [code, status], JSON.stringify(input));
      }
      assert.equal(cloud.instances().length, 0);
    });
  });

  describe("DescribeInstances", () => {
    it("lists by ids, and fails the whole call for an unknown or malformed id", async () => {
      const c = client();
      const ids = idsOf(await run(c, 3));
      const listed = await c.send(new DescribeInstancesCommand({ InstanceIds: [ids[2]!, ids[0]!] }));
      assert.deepEqual(listed.Reservations!.flatMap((r) => idsOf(r.Instances)), [ids[2], ids[0]]);
      const unknown = await failure(c.send(new DescribeInstancesCommand({ InstanceIds: [ids[0]!, "i-0123456789abcdef0"] })));
      assert.deepEqual([unknown.name, unknown.$metadata.httpStatusCode], ["InvalidInstanceID.NotFound", 400]);
      assert.equal(unknown.message, "The instance ID 'i-0123456789abcdef0' does not exist");
      const malformed = await failure(c.send(new DescribeInstancesCommand({ InstanceIds: ["web-1"] })));
      assert.equal(malformed.name, "InvalidInstanceID.Malformed");
    });

    it("filters by tag:<key>, tag-key, instance-state-name and instance-id, with wildcards", async () => {
      const c = client();
      const tagged = (group: string) => ({ TagSpecifications: [{ ResourceType: "instance" as const, Tags: [{ Key: "group", Value: group }] }] });
      const a = idsOf(await run(c, 2, tagged("alpha")));
      const b = idsOf(await run(c, 1, tagged("beta")));
      const plain = idsOf(await run(c, 1));
      await c.send(new TerminateInstancesCommand({ InstanceIds: [a[1]!] }));
      const list = async (Filters: Array<{ Name: string; Values: string[] }>) =>
        idsOf((await c.send(new DescribeInstancesCommand({ Filters }))).Reservations?.flatMap((r) => r.Instances ?? [])).sort();
      assert.deepEqual(await list([{ Name: "tag:group", Values: ["alpha"] }]), [...a].sort());
      assert.deepEqual(await list([{ Name: "tag:group", Values: ["alpha", "beta"] }]), [...a, ...b].sort());
      assert.deepEqual(await list([{ Name: "tag:group", Values: ["?eta"] }]), b);
      assert.deepEqual(await list([{ Name: "tag-key", Values: ["group"] }]), [...a, ...b].sort());
      assert.deepEqual(await list([{ Name: "tag:group", Values: ["*"] }, { Name: "instance-state-name", Values: ["pending"] }]), [a[0]!, ...b].sort());
      assert.deepEqual(await list([{ Name: "instance-id", Values: [plain[0]!, "i-0123456789abcdef0"] }]), plain);
      assert.deepEqual(await list([]), [...a, ...b, ...plain].sort());
      const e = await failure(list([{ Name: "colour", Values: ["red"] }]));
      assert.deepEqual([e.name, e.message], ["InvalidParameterValue", "The filter 'colour' is invalid"]);
    });

    it("pages by MaxResults and NextToken, grouping instances into their reservations", async () => {
      const c = client();
      const launched = [...idsOf(await run(c, 4)), ...idsOf(await run(c, 4)), ...idsOf(await run(c, 4))];
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const page = await c.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: token }));
        pages.push(page.Reservations!.flatMap((r) => idsOf(r.Instances)));
        assert.equal(new Set(page.Reservations!.map((r) => r.ReservationId)).size, page.Reservations!.length, "one entry per reservation");
        token = page.NextToken;
      } while (token !== undefined);
      assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
      assert.deepEqual(pages.flat(), launched);
      const refused: Array<[DescribeInstancesCommandInput, string]> = [
        [{ MaxResults: 4 }, "InvalidParameterValue"],
        [{ MaxResults: 5, InstanceIds: [launched[0]!] }, "InvalidParameterCombination"],
        [{ NextToken: "bogus" }, "InvalidPaginationToken"],
      ];
      for (const [input, code] of refused) {
        assert.equal((await failure(c.send(new DescribeInstancesCommand(input)))).name, code);
      }
    });

    it("shows VMs running after their boot time", async () => {
      const c = client();
      const ids = idsOf(await run(c, 1));
      now += BOOT_SECONDS * 1000;
      const [instance] = (await c.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations![0]!.Instances!;
      assert.deepEqual(instance!.State, { Code: 16, Name: "running" });
    });
  });

  describe("TerminateInstances", () => {
    it("terminates, and reports the state change", async () => {
      const c = client();
      const ids = idsOf(await run(c, 2));
      now += BOOT_SECONDS * 1000;
      const out = await c.send(new TerminateInstancesCommand({ InstanceIds: [ids[0]!] }));
      assert.deepEqual(out.TerminatingInstances, [
        { InstanceId: ids[0], PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 48, Name: "terminated" } },
      ]);
      const [instance] = (await c.send(new DescribeInstancesCommand({ InstanceIds: [ids[0]!] }))).Reservations![0]!.Instances!;
      assert.equal(instance!.State!.Name, "terminated");
      assert.match(instance!.StateTransitionReason!, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
      assert.equal(instance!.StateReason!.Code, "Client.UserInitiatedShutdown");
    });

    it("terminates nothing when one id is unknown, naming it", async () => {
      const c = client();
      const ids = idsOf(await run(c, 1));
      const e = await failure(c.send(new TerminateInstancesCommand({ InstanceIds: [ids[0]!, "i-0123456789abcdef0", "i-0fedcba987654321f"] })));
      assert.deepEqual([e.name, e.$metadata.httpStatusCode], ["InvalidInstanceID.NotFound", 400]);
      assert.equal(e.message, "The instance IDs 'i-0123456789abcdef0, i-0fedcba987654321f' do not exist");
      assert.equal(cloud.counts().pending, 1);
    });
  });

  describe("DescribeInstanceStatus", () => {
    it("lists running instances, or all with IncludeAllInstances", async () => {
      const c = client();
      const booted = idsOf(await run(c, 1));
      now += BOOT_SECONDS * 1000;
      const booting = idsOf(await run(c, 1));
      const running = await c.send(new DescribeInstanceStatusCommand({}));
      assert.deepEqual(running.InstanceStatuses, [
        {
          InstanceId: booted[0],
          AvailabilityZone: `${REGION}a`,
          InstanceState: { Code: 16, Name: "running" },
          InstanceStatus: { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] },
          SystemStatus: { Status: "ok", Details: [{ Name: "reachability", Status: "passed" }] },
        },
      ]);
      const all = await c.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));
      assert.deepEqual(all.InstanceStatuses!.map((s) => [s.InstanceId, s.InstanceState!.Name, s.InstanceStatus!.Status]), [
        [booted[0], "running", "ok"],
        [booting[0], "pending", "not-applicable"],
      ]);
      const one = await c.send(new DescribeInstanceStatusCommand({ InstanceIds: booting, IncludeAllInstances: true }));
      assert.deepEqual(one.InstanceStatuses!.map((s) => s.InstanceId), booting);
    });
  });

  describe("accounts and errors", () => {
    it("keeps each access key's VMs apart", async () => {
      const alice = client("AKIDALICE");
      const bob = client("AKIDBOB");
      const ids = idsOf(await run(alice, 2));
      assert.deepEqual((await bob.send(new DescribeInstancesCommand({}))).Reservations, []);
      assert.equal((await failure(bob.send(new TerminateInstancesCommand({ InstanceIds: ids })))).name, "InvalidInstanceID.NotFound");
      assert.equal((await failure(bob.send(new DescribeInstancesCommand({ InstanceIds: ids })))).name, "InvalidInstanceID.NotFound");
      assert.equal(cloud.counts("AKIDALICE").pending, 2);
    });

    it("answers an unsigned request AuthFailure (401) in EC2's error XML", async () => {
      const res = await fetch(`${simcloud.url}/`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "Action=DescribeInstances&Version=2016-11-15",
      });
      assert.equal(res.status, 401);
      const xml = new XMLParser().parse(await res.text()) as { Response: { Errors: { Error: { Code: string } }; RequestID: string } };
      assert.equal(xml.Response.Errors.Error.Code, "AuthFailure");
      assert.match(xml.Response.RequestID, /^[0-9a-f-]{36}$/);
    });

    it("answers unknown actions and parameters as EC2 does", async () => {
      const call = async (params: [string, string][]) => {
        const body = formEncode([...params, ["Version", "2016-11-15"]]);
        const headers = signV4(
          { method: "POST", path: "/", rawQuery: "", headers: { host: new URL(simcloud.url).host, "content-type": "application/x-www-form-urlencoded" }, body },
          { accessKeyId: "AKIDALICE", secretAccessKey: "whatever" },
          { region: REGION, service: "ec2" },
        );
        const res = await fetch(`${simcloud.url}/`, { method: "POST", headers, body });
        const xml = new XMLParser().parse(await res.text()) as { Response: { Errors: { Error: { Code: string; Message: string } } } };
        return [res.status, xml.Response.Errors.Error.Code];
      };
      assert.deepEqual(await call([["Action", "RebootInstances"]]), [400, "InvalidAction"]);
      assert.deepEqual(await call([]), [400, "MissingAction"]);
      assert.deepEqual(await call([["Action", "DescribeInstances"], ["Colour", "red"]]), [400, "UnknownParameter"]);
      assert.deepEqual(await call([["Action", "DescribeInstances"], ["MaxResults", "many"]]), [400, "InvalidParameterValue"]);
    });

    it("passes the cloud's injected faults on as EC2's server errors", async () => {
      const flaky = new SimulatedCloud({ capacity: 1, bootSeconds: 0, apiErrorRate: 1, random: seededRandom(1) });
      const server = await startSimcloud(flaky, { host: "127.0.0.1", port: 0 });
      const c = new EC2Client({ endpoint: server.url, region: REGION, credentials: { accessKeyId: "A", secretAccessKey: "s" }, maxAttempts: 1 });
      try {
        const seen = new Set<string>();
        for (let i = 0; i < 8; i++) {
          const e = await failure(c.send(new DescribeInstancesCommand({})));
          seen.add(`${e.name} ${e.$metadata.httpStatusCode}`);
        }
        assert.deepEqual([...seen].sort(), ["InternalError 500", "Unavailable 503"]);
      } finally {
        c.destroy();
        await server.close();
      }
    });
  });
});

describe("phantom simcloud started with credentials verifies signatures", () => {
  const ALICE = { accessKeyId: "AKIDALICE0000001", secretAccessKey: "alice-secret" };
  let server: Simcloud;
  const ec2 = (accessKeyId: string, secretAccessKey: string) => {
    const c = new EC2Client({ endpoint: server.url, region: REGION, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  before(async () => {
    const cloud = new SimulatedCloud({ capacity: 5, bootSeconds: 0, random: seededRandom(3) });
    server = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 }, { logger: createLogger("silent"), credentials: new Map([[ALICE.accessKeyId, ALICE.secretAccessKey]]) });
  });
  after(() => server.close());

  it("serves a key signed with its secret", async () => {
    const alice = ec2(ALICE.accessKeyId, ALICE.secretAccessKey);
    const ids = idsOf(await run(alice, 2));
    assert.equal(ids.length, 2);
    const listed = await alice.send(new DescribeInstancesCommand({}));
    assert.deepEqual(listed.Reservations?.flatMap((r) => idsOf(r.Instances)), ids);
  });

  it("answers a wrong secret or an unknown key AuthFailure (401) and does nothing", async () => {
    for (const [who, c] of [
      ["a wrong secret", ec2(ALICE.accessKeyId, "not-alice-secret")],
      ["an unknown key", ec2("AKIDMALLORY00001", "whatever")],
    ] as const) {
      const e = await failure(c.send(new RunInstancesCommand(RUN)));
      assert.equal(e.name, "AuthFailure", who);
      assert.equal(e.$metadata.httpStatusCode, 401, who);
      assert.match(e.message, /not able to validate the provided access credentials/, who);
    }
    assert.equal(server.cloud.instances().filter((vm) => vm.state !== "terminated").length, 2, "a refused RunInstances launched nothing");
  });

  it("refuses a body changed after signing", async () => {
    const body = formEncode([["Action", "DescribeInstances"], ["Version", "2016-11-15"]]);
    const headers = signV4(
      { method: "POST", path: "/", rawQuery: "", headers: { host: new URL(server.url).host, "content-type": "application/x-www-form-urlencoded" }, body },
      ALICE,
      { region: REGION, service: "ec2" },
    );
    const tampered = formEncode([["Action", "TerminateInstances"], ["Version", "2016-11-15"], ["InstanceId.1", "i-1"]]);
    const res = await fetch(`${server.url}/`, { method: "POST", headers, body: tampered });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /<Code>AuthFailure<\/Code>/);
  });
});
