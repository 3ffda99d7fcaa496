/**
 * The typical Phantom flow through boto 2.49 (Debian's `python3-boto`), connected the way old
 * Phantom scripts connect — `AutoScaleConnection(region=RegionInfo(name='phantom',
 * endpoint='127.0.0.1'), port=…, is_secure=False)`, `Tag` objects, a dummy availability zone —
 * plus reads and writes signed with Signature Version 2. The whole flow runs in one process.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  aboveMaxMessage,
  assertUnknownSiteError,
  byKey,
  failed,
  flowOutcomes,
  GROUP_TAGS,
  probeClient,
  skipUnlessInstalled,
  succeeded,
  SYSTEM_PYTHON,
  type Step,
  type StepOutcome,
  type WireRequest,
} from "./interop.test-support.js";

const boto2 = await probeClient(
  "boto 2",
  SYSTEM_PYTHON,
  ["-c", "import boto; print(boto.__version__)"],
  "apt-get install -y python3-boto",
  (version) => (version.startsWith("2.") ? null : `boto ${version}, not 2.x`),
);

const LAUNCH = { image_id: "ami-12345678", instance_type: "m1.small" };

/** PropagateAtLaunch is set on one tag, so its echo is checked both ways. */
const TAGS = GROUP_TAGS.map((t) => ({ key: t.Key, value: t.Value, propagate_at_launch: t.Key === "PHANTOM_DEFINITION" }));

const FLOW: readonly Step[] = [
  { id: "lc-hotel", call: "create_launch_configuration", args: { name: "mylaunch@hotel", ...LAUNCH } },
  { id: "lc-ec2", call: "create_launch_configuration", args: { name: "mylaunch@ec2", ...LAUNCH } },
  { id: "lc-unknown-site", call: "create_launch_configuration", args: { name: "mylaunch@nowhere", ...LAUNCH } },
  {
    id: "create-group",
    call: "create_auto_scaling_group",
    args: { name: "mygroup", launch_config: "mylaunch", min_size: 0, max_size: 20, availability_zones: ["us-east-1a"], tags: TAGS },
  },
  { id: "describe-groups", call: "get_all_groups", args: { names: ["mygroup"] } },
  { id: "describe-lcs", call: "get_all_launch_configurations", args: { names: ["mylaunch@hotel", "mylaunch@ec2"] } },
  { id: "set-4", call: "set_desired_capacity", args: { group_name: "mygroup", desired_capacity: 4 } },
  { id: "describe-after-set", call: "get_all_groups", args: { names: ["mygroup"] } },
  { id: "set-40", call: "set_desired_capacity", args: { group_name: "mygroup", desired_capacity: 40 } },
  // The second name needs encoding in the signed query string; no group has it.
  { id: "v2-describe-groups", call: "get_all_groups", args: { names: ["mygroup", "no group: Zoë ~*+/=&%"] }, sigv2: true },
  { id: "v2-set-5", call: "set_desired_capacity", args: { group_name: "mygroup", desired_capacity: 5 }, sigv2: true },
  { id: "v2-lc-sierra", call: "create_launch_configuration", args: { name: "other@sierra", ...LAUNCH }, sigv2: true },
  { id: "v2-describe-after-set", call: "get_all_groups", args: { names: ["mygroup"] }, sigv2: true },
  { id: "v2-delete-lc-sierra", call: "delete_launch_configuration", args: { launch_config_name: "other@sierra" }, sigv2: true },
  { id: "delete-group", call: "delete_auto_scaling_group", args: { name: "mygroup" } },
  { id: "describe-after-delete", call: "get_all_groups", args: { names: ["mygroup"] } },
  { id: "delete-lc-hotel", call: "delete_launch_configuration", args: { launch_config_name: "mylaunch@hotel" } },
  { id: "delete-lc-ec2", call: "delete_launch_configuration", args: { launch_config_name: "mylaunch@ec2" } },
  { id: "describe-lcs-after-delete", call: "get_all_launch_configurations" },
];

interface Group {
  name: string;
  launch_config_name: string;
  min_size: number;
  max_size: number;
  desired_capacity: number;
  availability_zones: string[];
  instances: string[];
  tags: { key: string; value: string; resource_id: string; resource_type: string; propagate_at_launch: boolean }[];
}

interface LaunchConfiguration {
  name: string;
  image_id: string;
  instance_type: string;
  instance_monitoring: string;
  ebs_optimized: boolean;
}

function groups(outcomes: ReadonlyMap<string, StepOutcome>, id: string): Group[] {
  return succeeded(outcomes, id) as Group[];
}

/** The one request a step sent. */
function sent(outcomes: ReadonlyMap<string, StepOutcome>, id: string): WireRequest {
  const wire = outcomes.get(id)?.wire ?? [];
  assert.equal(wire.length, 1, `step ${id} sent ${wire.length} requests`);
  return wire[0] as WireRequest;
}

/** The parameters a request carried (query string for GET, form body for POST). */
function sentParams(request: WireRequest): URLSearchParams {
  return new URLSearchParams(request.method === "GET" ? (request.url.split("?")[1] ?? "") : request.body);
}

describe("boto 2 against Phantom", { skip: skipUnlessInstalled(boto2) }, () => {
  const run = flowOutcomes(boto2, "boto2_steps.py", FLOW);

  test("creates mylaunch@hotel and mylaunch@ec2 (POST, SigV4)", () => {
    assert.equal(succeeded(run(), "lc-hotel"), true);
    assert.equal(succeeded(run(), "lc-ec2"), true);
    const request = sent(run(), "lc-hotel");
    assert.equal(request.method, "POST");
    assert.match(request.authorization ?? "", /^AWS4-HMAC-SHA256 Credential=AKIDALICE/);
  });

  test("creates mygroup from Tag objects and a dummy availability zone", () => {
    assert.equal(succeeded(run(), "create-group"), true);
    const params = sentParams(sent(run(), "create-group"));
    assert.equal(params.get("AvailabilityZones.member.1"), "us-east-1a");
    assert.equal(params.get("Tags.member.1.ResourceId"), "mygroup");
  });

  test("describes the group: n_preserve as desired capacity, the clouds as availability zones, the tags echoed", () => {
    const request = sent(run(), "describe-groups");
    assert.equal(request.method, "GET");
    const [group, ...rest] = groups(run(), "describe-groups");
    assert.ok(group, "get_all_groups returned no group");
    assert.equal(rest.length, 0);
    assert.equal(group.name, "mygroup");
    assert.equal(group.launch_config_name, "mylaunch");
    assert.equal(group.min_size, 0);
    assert.equal(group.max_size, 20);
    assert.equal(group.desired_capacity, 10);
    assert.deepEqual(group.availability_zones, ["hotel", "ec2"]);
    assert.deepEqual(group.instances, []);
    assert.deepEqual(
      byKey(group.tags),
      byKey(TAGS.map((t) => ({ ...t, resource_id: "mygroup", resource_type: "auto-scaling-group" }))),
    );
  });

  test("describes the launch configurations, with what boto 2 sent by default", () => {
    const lcs = succeeded(run(), "describe-lcs") as LaunchConfiguration[];
    assert.deepEqual(
      lcs.map((lc) => [lc.name, lc.image_id, lc.instance_type, lc.instance_monitoring, lc.ebs_optimized]).sort(),
      [
        ["mylaunch@ec2", "ami-12345678", "m1.small", "false", false],
        ["mylaunch@hotel", "ami-12345678", "m1.small", "false", false],
      ],
    );
  });

  test("sets the desired capacity to 4, and the n_preserve tag with it", () => {
    assert.equal(succeeded(run(), "set-4"), true);
    const [group] = groups(run(), "describe-after-set");
    assert.ok(group);
    assert.equal(group.desired_capacity, 4);
    assert.equal(group.tags.find((t) => t.key === "n_preserve")?.value, "4");
  });

  test("surfaces AWS's errors as BotoServerError with AWS's codes and messages", () => {
    assert.deepEqual(failed(run(), "set-40"), { code: "ValidationError", message: aboveMaxMessage(40, 20), status: 400 });
    assertUnknownSiteError(failed(run(), "lc-unknown-site"), "nowhere");
  });

  test("reads and writes with Signature Version 2 (GET and POST)", () => {
    for (const id of ["v2-describe-groups", "v2-set-5", "v2-lc-sierra", "v2-describe-after-set", "v2-delete-lc-sierra"]) {
      const request = sent(run(), id);
      assert.equal(request.authorization, null, `${id} sent an Authorization header`);
      const params = sentParams(request);
      assert.equal(params.get("SignatureVersion"), "2", id);
      assert.equal(params.get("SignatureMethod"), "HmacSHA256", id);
      assert.ok(params.get("Signature"), id);
    }
    assert.equal(sent(run(), "v2-lc-sierra").method, "POST");
    assert.equal(sent(run(), "v2-set-5").method, "GET");
    assert.deepEqual(groups(run(), "v2-describe-groups").map((g) => [g.name, g.desired_capacity]), [["mygroup", 4]]);
    assert.equal(succeeded(run(), "v2-set-5"), true);
    assert.equal(succeeded(run(), "v2-lc-sierra"), true);
    const [group] = groups(run(), "v2-describe-after-set");
    assert.ok(group);
    assert.equal(group.desired_capacity, 5);
    assert.equal(group.tags.find((t) => t.key === "n_preserve")?.value, "5");
    assert.equal(succeeded(run(), "v2-delete-lc-sierra"), true);
  });

  test("deletes the group, then its launch configurations", () => {
    assert.equal(succeeded(run(), "delete-group"), true);
    assert.deepEqual(groups(run(), "describe-after-delete"), []);
    assert.equal(succeeded(run(), "delete-lc-hotel"), true);
    assert.equal(succeeded(run(), "delete-lc-ec2"), true);
    assert.deepEqual(succeeded(run(), "describe-lcs-after-delete"), []);
  });
});
