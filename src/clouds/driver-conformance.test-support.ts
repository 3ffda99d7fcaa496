/**
 * The conformance suite of {@link CloudDriver}: every driver runs these same tests against its
 * cloud (the simulated one in-process; EC2 against `phantom simcloud` and `moto_server` over
 * HTTP), so the controller can rely on the contract in `driver.ts` whatever the site.
 *
 * Each test asks the fixture for a fresh cloud (or a fresh corner of a shared one: every test
 * tags its VMs with a group id of its own and launches with tokens of its own) and closes it
 * at the end. Tests that need what a fixture cannot give skip, and say why.
 */
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  isCloudError,
  MAX_TAG_VALUES,
  VM_TAGS,
  type CloudDriver,
  type CloudVm,
  type DescribeFilter,
  type DriverCredentials,
  type VmSpec,
} from "./driver.js";

/** A driver connected to a cloud, for one test. */
export interface DriverFixture {
  readonly driver: CloudDriver;
  /** The credentials tests launch with. */
  readonly credentials: DriverCredentials | null;
  /** Another tenant on the same cloud; null skips the isolation test. */
  readonly otherCredentials: DriverCredentials | null;
  /**
   * How many VMs fit on the cloud, which must be empty when the fixture is made and used by
   * no other test meanwhile; null (no limit, or one the fixture cannot control) skips the
   * capacity tests. At least 2 and small: the tests fill it.
   */
  readonly capacity: number | null;
  /**
   * Lets some time pass on the cloud, so that VMs can boot and terminations complete: a
   * fixture on a virtual clock advances it (by at least the boot time), one on a real cloud
   * sleeps briefly. The suite calls it between looks until what it waits for is seen.
   */
  elapse(): Promise<void>;
  /**
   * Makes every VM launched from now on fail to boot, the way the cloud fails them (a VM that
   * never comes up; OpenStack's scheduler finding no host); absent skips the test of it.
   */
  readonly failBoots?: (() => void) | undefined;
  /** Releases the fixture (servers, connections). */
  close(): Promise<void>;
}

/** How to run the suite. */
export interface DriverConformanceOptions {
  /** Skips the whole suite with this reason (e.g. the cloud's endpoint is not installed). */
  readonly skip?: string | undefined;
  /** What to launch; an image and type the cloud accepts. */
  readonly spec?: VmSpec | undefined;
  /** Real time a test may take, waits included; default 60 s. */
  readonly timeoutMs?: number | undefined;
  /**
   * Tests this cloud cannot pass, by title, each with the reason (an independent EC2
   * implementation that ignores `MaxCount` or `ClientToken`). A title that names no test fails.
   */
  readonly skipTests?: Readonly<Record<string, string>> | undefined;
}

const DEFAULT_SPEC: VmSpec = { imageId: "ami-0123456789abcdef0", instanceType: "t3.micro" };
/** EC2-shaped, so a cloud that checks id syntax takes it, and made up, so no cloud knows it. */
const UNKNOWN_ID = "i-0123456789abcdef0";
/** Looks at the cloud at most this often when waiting, whatever the real time allows. */
const MAX_LOOKS = 1000;

/** Registers the conformance tests of the driver that `fixture` makes, under `name`. */
export function driverConformance(
  name: string,
  fixture: () => Promise<DriverFixture>,
  options: DriverConformanceOptions = {},
): void {
  const spec = options.spec ?? DEFAULT_SPEC;
  const timeoutMs = options.timeoutMs ?? 60_000;

  /** A fresh fixture, closed when the test ends, with helpers bound to a group of its own. */
  async function open(t: TestContext) {
    const fx = await fixture();
    t.after(() => fx.close());
    const group = randomUUID();
    const tags = {
      [VM_TAGS.deployment]: "conformance",
      [VM_TAGS.user]: "conformance-user",
      [VM_TAGS.group]: group,
      [VM_TAGS.groupName]: "conformance",
    };
    const byGroup = (value = group): DescribeFilter => ({ tag: { key: VM_TAGS.group, values: [value] } });
    return {
      fx,
      group,
      tags,
      byGroup,
      launch: (count: number, more: { token?: string; tags?: Record<string, string>; credentials?: DriverCredentials | null } = {}) => {
        const token = more.token ?? randomUUID();
        return fx.driver.launch({
          credentials: more.credentials === undefined ? fx.credentials : more.credentials,
          spec,
          count,
          token,
          tags: { ...tags, [VM_TAGS.token]: token, ...more.tags },
        });
      },
      describe: (filter: DescribeFilter, credentials = fx.credentials) => fx.driver.describe(credentials, filter),
      /** Describes with `read` until `done` holds, letting time pass between looks. */
      eventually: async (what: string, read: () => Promise<CloudVm[]>, done: (vms: CloudVm[]) => boolean) => {
        const deadline = Date.now() + timeoutMs;
        for (let look = 1; ; look++) {
          const vms = await read();
          if (done(vms)) return vms;
          if (look >= MAX_LOOKS || Date.now() > deadline) {
            assert.fail(`${what}; last seen: ${JSON.stringify(vms.map((v) => [v.id, v.state]))}`);
          }
          await fx.elapse();
        }
      },
    };
  }

  const ids = (vms: readonly CloudVm[]) => vms.map((v) => v.id).sort();
  const live = (vms: readonly CloudVm[]) => vms.filter((v) => v.state === "pending" || v.state === "running");
  const gone = (vms: readonly CloudVm[]) => vms.every((v) => v.state === "terminated");

  const skipTests = options.skipTests ?? {};
  const titles = new Set<string>();
  /** A test with room for its waits and its fixture's start and close. */
  const test = (title: string, fn: (t: TestContext) => Promise<void>): void => {
    titles.add(title);
    it(title, { timeout: timeoutMs + 30_000, skip: Object.hasOwn(skipTests, title) ? skipTests[title] : false }, fn);
  };

  describe(`CloudDriver conformance: ${name}`, { skip: options.skip ?? false }, () => {
    describe("launch", () => {
      test("launches count VMs, each with its own id, the spec's instance type and every tag given", async (t) => {
        const c = await open(t);
        const token = randomUUID();
        const vms = await c.launch(3, { token });
        assert.equal(vms.length, 3);
        assert.equal(new Set(ids(vms)).size, 3, "ids are distinct");
        for (const vm of vms) {
          assert.ok(vm.state === "pending" || vm.state === "running", `${vm.id} is ${vm.state}`);
          assert.equal(vm.instanceType, spec.instanceType);
          assert.ok(vm.launchedAt instanceof Date && !Number.isNaN(vm.launchedAt.getTime()), "launchedAt is a date");
          // A cloud may add tags of its own; ours must all be there.
          for (const [key, value] of Object.entries({ ...c.tags, [VM_TAGS.token]: token })) {
            assert.equal(vm.tags[key], value, `${vm.id} tag ${key}`);
          }
        }
      });

      test("returns the same VMs for the same token and launches no more", async (t) => {
        const c = await open(t);
        const token = randomUUID();
        const first = await c.launch(2, { token });
        const again = await c.launch(2, { token });
        assert.deepEqual(ids(again), ids(first));
        assert.deepEqual(ids(await c.describe(c.byGroup())), ids(first));
      });

      test("launches different VMs for different tokens", async (t) => {
        const c = await open(t);
        const a = await c.launch(1);
        const b = await c.launch(1);
        assert.notDeepEqual(ids(a), ids(b));
        assert.deepEqual(ids(await c.describe(c.byGroup())), ids([...a, ...b]));
      });

      test("boots VMs to running", async (t) => {
        const c = await open(t);
        const launched = await c.launch(2);
        const vms = await c.eventually(
          "the VMs should reach running",
          () => c.describe({ ids: ids(launched) }),
          (vms) => vms.length === 2 && vms.every((v) => v.state === "running"),
        );
        assert.deepEqual(ids(vms), ids(launched));
      });
    });

    describe("describe", () => {
      test("finds exactly the launched VMs by tag and by ids", async (t) => {
        const c = await open(t);
        const launched = await c.launch(3);
        assert.deepEqual(ids(await c.describe(c.byGroup())), ids(launched));
        assert.deepEqual(ids(await c.describe({ ids: ids(launched) })), ids(launched));
        const [first] = ids(launched);
        assert.deepEqual(ids(await c.describe({ ids: [first!] })), [first]);
      });

      test("leaves out VMs whose tag has another value", async (t) => {
        const c = await open(t);
        const mine = await c.launch(2);
        const otherGroup = randomUUID();
        const theirs = await c.launch(1, { tags: { [VM_TAGS.group]: otherGroup } });
        assert.deepEqual(ids(await c.describe(c.byGroup())), ids(mine));
        assert.deepEqual(ids(await c.describe(c.byGroup(otherGroup))), ids(theirs));
        assert.deepEqual(await c.describe(c.byGroup(randomUUID())), []);
      });

      // A replica lists the VMs of the shards it holds: one tag, many values, more than EC2
      // takes in one filter (200).
      test("finds the VMs whose tag has any of the values, however many values", async (t) => {
        const c = await open(t);
        const mine = await c.launch(2);
        const otherGroup = randomUUID();
        const theirs = await c.launch(1, { tags: { [VM_TAGS.group]: otherGroup } });
        const absent = Array.from({ length: MAX_TAG_VALUES }, () => randomUUID());
        const values = [...absent.slice(0, 100), c.group, ...absent.slice(100), otherGroup];
        assert.deepEqual(ids(await c.describe({ tag: { key: VM_TAGS.group, values } })), ids([...mine, ...theirs]));
        assert.deepEqual(ids(await c.describe({ tag: { key: VM_TAGS.group, values: [otherGroup, otherGroup] } })), ids(theirs));
      });

      // EC2's DescribeInstances lists every instance when given no ids: a driver must not pass that on.
      test("returns nothing for an empty id list or an empty list of tag values", async (t) => {
        const c = await open(t);
        await c.launch(1);
        assert.deepEqual(await c.describe({ ids: [] }), []);
        assert.deepEqual(await c.describe({ tag: { key: VM_TAGS.group, values: [] } }), []);
      });
    });

    describe("terminate", () => {
      test("terminates VMs: later they are listed terminated, or not at all", async (t) => {
        const c = await open(t);
        const launched = await c.launch(3);
        const [victim, ...kept] = ids(launched);
        await c.fx.driver.terminate(c.fx.credentials, [victim!]);
        await c.eventually("the VM should be terminated or gone", () => c.describe({ ids: [victim!] }), gone);
        assert.deepEqual(ids(live(await c.describe(c.byGroup()))), kept, "the other VMs live on");
      });

      test("succeeds for VMs already terminated and for ids the cloud does not know", async (t) => {
        const c = await open(t);
        const launched = ids(await c.launch(1));
        await c.fx.driver.terminate(c.fx.credentials, launched);
        await c.fx.driver.terminate(c.fx.credentials, launched);
        await c.eventually("the VM should be terminated or gone", () => c.describe({ ids: launched }), gone);
        await c.fx.driver.terminate(c.fx.credentials, launched);
        await c.fx.driver.terminate(c.fx.credentials, [UNKNOWN_ID]);
      });
    });

    describe("capacity", () => {
      /** The fixture's capacity, or null after skipping the test. */
      function capacityOf(t: TestContext, fx: DriverFixture): number | null {
        if (fx.capacity === null) {
          t.skip(`${name} has no capacity limit the suite can fill`);
          return null;
        }
        assert.ok(fx.capacity >= 2, `the fixture's capacity must be at least 2, not ${fx.capacity}`);
        return fx.capacity;
      }

      test("refuses a launch when the cloud is full with a capacity error that names the cloud's code", async (t) => {
        const c = await open(t);
        const capacity = capacityOf(t, c.fx);
        if (capacity === null) return;
        assert.equal((await c.launch(capacity)).length, capacity);
        const error: unknown = await c.launch(1).then(
          () => assert.fail("a launch on a full cloud should fail"),
          (e: unknown) => e,
        );
        assert.ok(isCloudError(error, "capacity"), `expected a capacity CloudError, got ${String(error)}`);
        assert.ok(error.message.includes(error.code), `the message "${error.message}" names the code ${error.code}`);
        assert.equal((await c.describe(c.byGroup())).length, capacity, "the refused launch left no VM");
      });

      test("launches only as many VMs as there is room for, when that is fewer than asked", async (t) => {
        const c = await open(t);
        const capacity = capacityOf(t, c.fx);
        if (capacity === null) return;
        await c.launch(capacity - 1);
        assert.equal((await c.launch(3)).length, 1);
        assert.equal((await c.describe(c.byGroup())).length, capacity);
      });

      test("has room again once a VM is terminated", async (t) => {
        const c = await open(t);
        const capacity = capacityOf(t, c.fx);
        if (capacity === null) return;
        const [victim] = ids(await c.launch(capacity));
        await c.fx.driver.terminate(c.fx.credentials, [victim!]);
        await c.eventually("the VM should be terminated or gone", () => c.describe({ ids: [victim!] }), gone);
        assert.equal((await c.launch(1)).length, 1);
      });
    });

    describe("failed boots", () => {
      test("lists a VM that failed to boot as terminated, with the cloud's reason, until it is terminated", async (t) => {
        const c = await open(t);
        if (c.fx.failBoots === undefined) {
          t.skip(`${name} cannot be made to fail boots`);
          return;
        }
        c.fx.failBoots();
        const launched = ids(await c.launch(1));
        const [failed] = await c.eventually(
          "the VM should fail to boot",
          () => c.describe({ ids: launched }),
          (vms) => vms.length === 1 && vms[0]!.state === "terminated",
        );
        assert.ok(failed!.reason !== undefined && failed!.reason !== "", `${failed!.id} is terminated without a reason`);
        assert.deepEqual(ids(await c.describe(c.byGroup())), launched, "still listed by tag");
        await c.fx.driver.terminate(c.fx.credentials, launched);
        await c.eventually(
          "the failed VM should be gone once terminated",
          () => c.describe({ ids: launched }),
          (vms) => vms.every((v) => v.state === "terminated" && v.awaitsDelete !== true),
        );
      });
    });

    describe("credentials", () => {
      test("keeps each tenant's VMs apart: another one cannot list or terminate them", async (t) => {
        const c = await open(t);
        const other = c.fx.otherCredentials;
        if (other === null) {
          t.skip(`${name} offers no second set of credentials`);
          return;
        }
        const launched = ids(await c.launch(2));
        assert.deepEqual(await c.describe(c.byGroup(), other), []);
        assert.deepEqual(await c.describe({ ids: launched }, other), []);
        await c.fx.driver.terminate(other, launched);
        assert.deepEqual(ids(live(await c.describe({ ids: launched }))), launched, "still alive for their owner");
        const theirs = await c.launch(1, { credentials: other });
        assert.deepEqual(ids(await c.describe(c.byGroup())), launched, "the other tenant's VM is not listed");
        assert.deepEqual(ids(await c.describe(c.byGroup(), other)), ids(theirs));
      });
    });

    // A skip that names no test (a test renamed since) would silently stop skipping anything.
    it("skips only tests of the suite", () => {
      assert.deepEqual(Object.keys(skipTests).filter((title) => !titles.has(title)), []);
    });
  });
}
