/**
 * The real `openstack` command (python3-openstackclient, nobody here wrote it) against
 * simcloud's OpenStack face: flavors and images, a key pair, `server create --wait`, `server
 * list`, `server show`, `server delete --wait`, with a password and with an application
 * credential; a server the cloud has no room for ends in ERROR with Nova's fault, and a
 * project over its quota is refused. What the command shows is checked against the cloud.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeClientHome, requireClient, skipUnlessInstalled, type ClientHome } from "../../api/interop/interop.test-support.js";
import { SimulatedCloud } from "../../clouds/simulated/simulated-cloud.js";
import { startSimcloud, type Simcloud } from "../simcloud-server.js";
import { hashId } from "./keystone-api.js";
import { projectAccount } from "./nova-servers.js";
import { OpenStackCli, openstackCli } from "./openstack-cli.test-support.js";

const CAPACITY = 4;
const QUOTA = 2;
const CIRROS = "cirros-0.6.2-x86_64-disk";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvX9q6sH1BkqvF0v2t0c8qI5HbkmqGvXkYy5fmn9OrS alice@laptop";

/** What `server list -f json` prints per server. */
interface ListedServer {
  readonly ID: string;
  readonly Name: string;
  readonly Status: string;
  readonly Networks: unknown;
  readonly Image: string;
  readonly Flavor: string;
}

describe("the openstack command against simcloud's OpenStack face", { skip: skipUnlessInstalled(openstackCli), concurrency: 1 }, () => {
  let cloud: SimulatedCloud;
  let simcloud: Simcloud;
  let home: ClientHome;
  let alice: OpenStackCli;
  let robot: OpenStackCli;
  const aliceAccount = projectAccount(hashId("project", "default/science"));
  const robotAccount = projectAccount(hashId("credential-project", "robot-credential"));

  before(async () => {
    requireClient(openstackCli);
    cloud = new SimulatedCloud({ capacity: CAPACITY, quotaPerAccount: QUOTA, bootSeconds: 0.3 });
    simcloud = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 }, { openstack: {} });
    home = await makeClientHome();
    const authUrl = `${simcloud.url}/identity/v3`;
    alice = new OpenStackCli(authUrl, home.dir, { user: "alice", password: "alice-password", project: "science" });
    robot = new OpenStackCli(authUrl, home.dir, { applicationCredentialId: "robot-credential", secret: "robot-secret" });
  });
  after(async () => {
    await simcloud?.close();
    await home?.remove();
  });

  test("flavor list shows m1.tiny … m1.large; image list the two public images", async () => {
    const flavors = await alice.json<{ ID: string; Name: string; RAM: number; VCPUs: number }[]>(["flavor", "list"]);
    assert.deepEqual(flavors.map((f) => [f.ID, f.Name, f.RAM, f.VCPUs]), [
      ["1", "m1.tiny", 512, 1],
      ["2", "m1.small", 2048, 1],
      ["3", "m1.medium", 4096, 2],
      ["4", "m1.large", 8192, 4],
    ]);
    const images = await alice.json<{ Name: string; Status: string }[]>(["image", "list"]);
    assert.deepEqual(images.map((i) => [i.Name, i.Status]), [
      [CIRROS, "active"],
      ["ubuntu-24.04", "active"],
    ]);
  });

  test("keypair create --public-key imports Alice's key, with the fingerprint ssh-keygen -l -E md5 gives it", async () => {
    const file = join(home.dir, "alice.pub");
    await writeFile(file, `${PUBLIC_KEY}\n`);
    const pair = await alice.json<{ name: string; fingerprint: string }>(["keypair", "create", "--public-key", file, "alice-key"]);
    assert.deepEqual([pair.name, pair.fingerprint], ["alice-key", "a3:83:8b:a6:eb:1f:d7:d3:a2:4b:c7:79:0c:b1:8a:74"]);
  });

  test("server create --wait (password): ACTIVE, with the flavor, image, key and metadata asked for", async () => {
    const server = await alice.json<Record<string, unknown>>([
      "server",
      "create",
      "--flavor",
      "m1.small",
      "--image",
      CIRROS,
      "--key-name",
      "alice-key",
      "--property",
      "role=web",
      "--wait",
      "web-1",
    ]);
    assert.equal(server.status, "ACTIVE");
    assert.equal(server.name, "web-1");
    assert.equal(server.flavor, "m1.small (2)");
    assert.match(String(server.image), /^cirros-0\.6\.2-x86_64-disk \(7f0a4b2e-/);
    assert.equal(server.key_name, "alice-key");
    const [vm] = cloud.instances(aliceAccount);
    assert.deepEqual([vm?.id, vm?.state, vm?.keyName, vm?.tags], [server.id, "running", "alice-key", { role: "web" }]);
  });

  test("server list and server show: what the cloud runs, with its address on the public network", async () => {
    const listed = await alice.json<ListedServer[]>(["server", "list"]);
    assert.deepEqual(listed.map((s) => [s.Name, s.Status, s.Image, s.Flavor]), [["web-1", "ACTIVE", CIRROS, "m1.small"]]);
    assert.match(JSON.stringify(listed[0]!.Networks), /10\.42\.\d+\.\d+/);
    const shown = await alice.json<Record<string, unknown>>(["server", "show", "web-1"]);
    assert.equal(shown.id, listed[0]!.ID);
    assert.equal(shown["OS-EXT-STS:vm_state"], "active");
    assert.deepEqual(shown.properties, { role: "web" });
  });

  test("application credential: server create --wait, and each project sees only its own servers", async () => {
    const server = await robot.json<Record<string, unknown>>(["server", "create", "--flavor", "1", "--image", CIRROS, "--wait", "robot-1"]);
    assert.equal(server.status, "ACTIVE");
    assert.deepEqual((await robot.json<ListedServer[]>(["server", "list"])).map((s) => s.Name), ["robot-1"]);
    assert.deepEqual((await alice.json<ListedServer[]>(["server", "list"])).map((s) => s.Name), ["web-1"]);
    assert.deepEqual(cloud.instances(robotAccount).map((vm) => vm.id), [server.id]);
  });

  test("a full cloud: server create --wait fails, and the server is ERROR with Nova's No valid host fault", async () => {
    cloud.setCapacity(2);
    // The command says so (and exits 0 all the same: `openstack` 6.0 raises a bare SystemExit).
    const result = await alice.run(["server", "create", "--flavor", "m1.tiny", "--image", CIRROS, "--wait", "squeezed"]);
    assert.match(result.stdout + result.stderr, /Error creating server/);
    const shown = await alice.json<{ status: string; fault: { code: number; message: string } }>(["server", "show", "squeezed"]);
    assert.equal(shown.status, "ERROR");
    assert.deepEqual([shown.fault.code, shown.fault.message], [500, "No valid host was found. There are not enough hosts available."]);
    cloud.setCapacity(CAPACITY);
  });

  test("over its quota a project is refused: 403 Quota exceeded for instances (its failed server counts)", async () => {
    const refused = await alice.run(["server", "create", "--flavor", "m1.tiny", "--image", CIRROS, "too-many"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Quota exceeded for instances: Requested 1, but already used 2 of 2 instances \(HTTP 403\)/);
  });

  test("server delete --wait: gone from the list and from the cloud, failed server included", async () => {
    await alice.ok(["server", "delete", "--wait", "web-1", "squeezed"]);
    await robot.ok(["server", "delete", "--wait", "robot-1"]);
    assert.deepEqual(await alice.json(["server", "list"]), []);
    assert.ok(cloud.instances().every((vm) => vm.state === "terminated" && vm.deletedByOwner));
  });
});
