/**
 * simcloud's OpenStack face over HTTP, as a client sees it: Keystone's tokens and catalog,
 * Nova's microversions, servers, flavors and key pairs, Glance's images, Neutron's network,
 * and every service's errors in its own shape — malformed and hostile requests included.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimulatedCloud } from "../../clouds/simulated/simulated-cloud.js";
import { seededRandom } from "../../clouds/simulated/seeded-random.js";
import { startSimcloud, type Simcloud } from "../simcloud-server.js";
import { namePattern } from "./nova-servers.js";

const CIRROS = "7f0a4b2e-5c1d-4e8f-9a3b-2d6c8e1f0a41";
const NETWORK = "5a3c9e1f-2b4d-4c6e-8f0a-1b2c3d4e5f63";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

let now = Date.UTC(2026, 0, 1);
let cloud: SimulatedCloud;
let simcloud: Simcloud;

before(async () => {
  cloud = new SimulatedCloud({ capacity: 5, bootSeconds: 10, clock: () => new Date(now), random: seededRandom(7) });
  simcloud = await startSimcloud(cloud, { host: "127.0.0.1", port: 0 }, { openstack: { clock: () => new Date(now), region: "RegionX" } });
});
after(() => simcloud.close());

async function call(method: string, path: string, init: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(`${simcloud.url}${path}`, {
    method,
    headers: {
      ...(init.token !== undefined && { "x-auth-token": init.token }),
      ...((init.body !== undefined || init.raw !== undefined) && { "content-type": "application/json" }),
      ...init.headers,
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    ...(init.raw !== undefined && { body: init.raw }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Glance's errors are text.
  }
  return { status: response.status, headers: response.headers, text, json };
}

const passwordAuth = (user: string, project: string, password = "pw") => ({
  auth: {
    identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } },
    scope: { project: { name: project, domain: { name: "Default" } } },
  },
});

async function tokenFor(user: string, project: string): Promise<string> {
  const answer = await call("POST", "/identity/v3/auth/tokens", { body: passwordAuth(user, project) });
  assert.equal(answer.status, 201, answer.text);
  return answer.headers.get("x-subject-token")!;
}

const novaError = (answer: Answer, status: number, name: string, message: RegExp) => {
  assert.equal(answer.status, status, answer.text);
  const body = answer.json[name] as { code: number; message: string } | undefined;
  assert.ok(body !== undefined, `expected {"${name}": …}, got ${answer.text}`);
  assert.equal(body.code, status);
  assert.match(body.message, message);
};

const server = (more: Record<string, unknown> = {}) => ({ server: { name: "web", imageRef: CIRROS, flavorRef: "1", ...more } });

describe("simcloud's OpenStack face", () => {
  describe("Keystone v3", () => {
    it("discovers v3 at /identity and /identity/v3", async () => {
      const root = await call("GET", "/identity");
      assert.equal(root.status, 300);
      const v3 = await call("GET", "/identity/v3");
      assert.equal(v3.status, 200);
      assert.deepEqual((v3.json.version as { id: string; links: unknown }).links, [{ rel: "self", href: `${simcloud.url}/identity/v3/` }]);
    });

    it("issues a project-scoped token with a catalog of the face in its region, for a password or an application credential", async () => {
      const password = await call("POST", "/identity/v3/auth/tokens", { body: passwordAuth("alice", "science") });
      assert.equal(password.status, 201);
      assert.match(password.headers.get("x-subject-token") ?? "", /^gAAAAA[\w-]{64}$/);
      const token = password.json.token as Record<string, unknown>;
      assert.deepEqual(token.methods, ["password"]);
      assert.equal((token.project as { name: string }).name, "science");
      assert.equal(token.expires_at, "2026-01-01T01:00:00.000000Z");
      const catalog = token.catalog as { type: string; endpoints: { interface: string; region: string; url: string }[] }[];
      assert.deepEqual(catalog.map((s) => s.type), ["identity", "compute", "image", "network"]);
      for (const service of catalog) {
        assert.deepEqual(service.endpoints.map((e) => [e.interface, e.region]), [["public", "RegionX"], ["internal", "RegionX"], ["admin", "RegionX"]]);
      }
      assert.equal(catalog[1]!.endpoints[0]!.url, `${simcloud.url}/compute/v2.1`);
      const again = await call("POST", "/identity/v3/auth/tokens", { body: passwordAuth("alice", "science") });
      assert.equal((again.json.token as { project: { id: string } }).project.id, (token.project as { id: string }).id, "the same project by name");

      const credential = await call("POST", "/identity/v3/auth/tokens", {
        body: { auth: { identity: { methods: ["application_credential"], application_credential: { id: "cred-1", secret: "s" } } } },
      });
      assert.equal(credential.status, 201);
      const scoped = credential.json.token as { project: { id: string }; application_credential: { id: string } };
      assert.equal(scoped.application_credential.id, "cred-1");
      assert.notEqual(scoped.project.id, (token.project as { id: string }).id);

      const shown = await call("GET", "/identity/v3/auth/tokens", { token: password.headers.get("x-subject-token")!, headers: { "x-subject-token": credential.headers.get("x-subject-token")! } });
      assert.equal(shown.status, 200);
      assert.equal((shown.json.token as { application_credential: { id: string } }).application_credential.id, "cred-1");
    });

    it("answers bad requests as Keystone does: 400 malformed, 401 refused (with WWW-Authenticate), 413 too large", async () => {
      const rows: [unknown, number][] = [
        ["{not json", 400],
        [[], 400],
        [{ auth: {} }, 400],
        [{ auth: { identity: { methods: [] } } }, 400],
        [{ auth: { identity: { methods: ["password"], password: { user: { name: "a", domain: { name: "Default" } } } } } }, 400],
        [{ auth: { identity: { methods: ["totp"] } } }, 401],
        [{ auth: { identity: { methods: ["password"], password: { user: { name: "a", domain: { name: "Default" }, password: "" } } }, scope: { project: { name: "p", domain: { name: "Default" } } } } }, 401],
        [{ auth: { identity: { methods: ["password"], password: { user: { name: "a", domain: { name: "Default" }, password: "x" } } } } }, 401],
        [{ auth: { identity: { methods: ["application_credential"], application_credential: { id: "c", secret: "s" } }, scope: { project: { id: "p" } } } }, 401],
        [{ auth: { identity: { methods: ["password"], password: { user: { name: "x".repeat(256), domain: { name: "D" }, password: "p" } } }, scope: { project: { id: "p" } } } }, 400],
      ];
      for (const [body, status] of rows) {
        const answer = await call("POST", "/identity/v3/auth/tokens", typeof body === "string" ? { raw: body } : { body });
        assert.equal(answer.status, status, `${JSON.stringify(body).slice(0, 120)} → ${answer.text}`);
        const error = answer.json.error as { code: number; title: string; message: string };
        assert.equal(error.code, status);
        assert.equal(error.title, status === 400 ? "Bad Request" : "Unauthorized");
        if (status === 401) assert.equal(answer.headers.get("www-authenticate"), `Keystone uri="${simcloud.url}/identity"`);
      }
      const huge = await call("POST", "/identity/v3/auth/tokens", { raw: `{"a":"${"x".repeat(1_100_000)}"}` });
      assert.equal(huge.status, 413);
      assert.equal((await call("DELETE", "/identity/v3/auth/tokens")).status, 405);
      assert.equal((await call("GET", "/identity/v2.0")).status, 404);
    });

    it("forgets a token when it expires, or when the operator revokes them all", async () => {
      const token = await tokenFor("carol", "lab");
      assert.equal((await call("GET", "/compute/v2.1/servers", { token })).status, 200);
      now += 3_600_000;
      assert.equal((await call("GET", "/compute/v2.1/servers", { token })).status, 401);
      const fresh = await tokenFor("carol", "lab");
      simcloud.openstack!.keystone.revokeTokens();
      const refused = await call("GET", "/compute/v2.1/servers", { token: fresh });
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.json, { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
    });
  });

  describe("Nova", () => {
    it("discovers v2.1 with its microversions, echoes the one asked for, and refuses one it does not serve", async () => {
      const root = await call("GET", "/compute/");
      assert.equal((root.json.versions as { version: string; min_version: string }[])[0]!.version, "2.47");
      const token = await tokenFor("alice", "science");
      const asked = async (headers: Record<string, string>) => (await call("GET", "/compute/v2.1/flavors", { token, headers })).headers.get("openstack-api-version");
      assert.equal(await asked({}), "compute 2.1");
      assert.equal(await asked({ "x-openstack-nova-api-version": "2.37" }), "compute 2.37");
      assert.equal(await asked({ "openstack-api-version": "identity 3.0, compute 2.19", "x-openstack-nova-api-version": "2.37" }), "compute 2.19");
      assert.equal(await asked({ "openstack-api-version": "compute latest" }), "compute 2.47");
      const answer = await call("GET", "/compute/v2.1/flavors", { token, headers: { "openstack-api-version": "compute 2.48" } });
      assert.equal(answer.headers.get("x-openstack-nova-api-version"), "2.1");
      assert.equal(answer.headers.get("vary"), "OpenStack-API-Version, X-OpenStack-Nova-API-Version");
      novaError(answer, 406, "notAceptable", /^Version 2\.48 is not supported by the API\. Minimum is 2\.1 and maximum is 2\.47\.$/);
      novaError(await call("GET", "/compute/v2.1/flavors", { token, headers: { "openstack-api-version": "compute 2.x" } }), 400, "badRequest", /invalid format/);
    });

    it("needs a token for everything but discovery", async () => {
      const answer = await call("GET", "/compute/v2.1/servers");
      assert.equal(answer.status, 401);
      assert.ok(answer.headers.get("www-authenticate")?.startsWith("Keystone uri="));
      assert.equal((await call("GET", "/compute/v2.1/servers", { token: "gAAAAAforged" })).status, 401);
    });

    it("lists flavors m1.tiny … m1.large, briefly, in detail, by id, with their (empty) extra specs", async () => {
      const token = await tokenFor("alice", "science");
      const brief = await call("GET", "/compute/v2.1/flavors?is_public=None", { token });
      assert.deepEqual((brief.json.flavors as { name: string }[]).map((f) => f.name), ["m1.tiny", "m1.small", "m1.medium", "m1.large"]);
      const detail = await call("GET", "/compute/v2.1/flavors/detail", { token });
      assert.deepEqual((detail.json.flavors as { ram: number }[]).map((f) => f.ram), [512, 2048, 4096, 8192]);
      const paged = await call("GET", "/compute/v2.1/flavors?limit=2", { token });
      assert.match((paged.json.flavors_links as { href: string }[])[0]!.href, /\/compute\/v2\.1\/flavors\?limit=2&marker=2$/);
      assert.equal(((await call("GET", "/compute/v2.1/flavors/3", { token })).json.flavor as { name: string }).name, "m1.medium");
      assert.deepEqual((await call("GET", "/compute/v2.1/flavors/3/os-extra_specs", { token })).json, { extra_specs: {} });
      novaError(await call("GET", "/compute/v2.1/flavors/99", { token }), 404, "itemNotFound", /^Flavor 99 could not be found\.$/);
      novaError(await call("GET", "/compute/v2.1/flavors?limit=-1", { token }), 400, "badRequest", /limit/);
      novaError(await call("GET", "/compute/v2.1/flavors?marker=99", { token }), 400, "badRequest", /marker/);
    });

    it("creates, shows, lists and deletes servers; each project sees only its own", async () => {
      const token = await tokenFor("dave", "physics");
      const other = await tokenFor("erin", "chemistry");
      const created = await call("POST", "/compute/v2.1/servers", { token, body: server({ name: "calc", min_count: 2, max_count: "2", metadata: { role: "worker" } }) });
      assert.equal(created.status, 202, created.text);
      const first = created.json.server as { id: string; adminPass: string; security_groups: unknown; links: { href: string }[] };
      assert.match(first.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(first.security_groups, [{ name: "default" }]);
      assert.equal(first.links[0]!.href, `${simcloud.url}/compute/v2.1/servers/${first.id}`);

      const shown = (await call("GET", `/compute/v2.1/servers/${first.id}`, { token })).json.server as Record<string, unknown>;
      assert.deepEqual([shown.name, shown.status, shown.metadata, shown["OS-EXT-STS:vm_state"], shown.addresses], ["calc-1", "BUILD", { role: "worker" }, "building", {}]);
      assert.deepEqual(shown.flavor, { id: "1", links: [{ href: `${simcloud.url}/compute/flavors/1`, rel: "bookmark" }] });
      now += 10_000;
      const active = (await call("GET", `/compute/v2.1/servers/${first.id}`, { token, headers: { "x-openstack-nova-api-version": "2.47" } })).json.server as Record<string, unknown>;
      assert.equal(active.status, "ACTIVE");
      assert.deepEqual(active.flavor, { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: "m1.tiny" });
      assert.match(JSON.stringify(active.addresses), /^\{"public":\[\{"version":4,"addr":"10\.42\.\d+\.\d+"/);
      assert.equal(active.locked, false);

      const listed = await call("GET", "/compute/v2.1/servers", { token });
      assert.deepEqual((listed.json.servers as { name: string }[]).map((s) => s.name), ["calc-2", "calc-1"]);
      assert.deepEqual((await call("GET", "/compute/v2.1/servers/detail", { token: other })).json.servers, []);
      novaError(await call("GET", `/compute/v2.1/servers/${first.id}`, { token: other }), 404, "itemNotFound", new RegExp(`^Instance ${first.id} could not be found\\.$`));
      novaError(await call("DELETE", `/compute/v2.1/servers/${first.id}`, { token: other }), 404, "itemNotFound", /could not be found/);

      assert.equal((await call("DELETE", `/compute/v2.1/servers/${first.id}`, { token })).status, 204);
      novaError(await call("GET", `/compute/v2.1/servers/${first.id}`, { token }), 404, "itemNotFound", /could not be found/);
      novaError(await call("DELETE", `/compute/v2.1/servers/${first.id}`, { token }), 404, "itemNotFound", /could not be found/);
      assert.deepEqual(((await call("GET", "/compute/v2.1/servers", { token })).json.servers as { name: string }[]).map((s) => s.name), ["calc-2"]);
    });

    it("fails servers the cloud has no room for: ERROR with Nova's fault, listed until deleted", async () => {
      const token = await tokenFor("frank", "astro");
      const room = 5 - cloud.counts().pending - cloud.counts().running;
      const created = await call("POST", "/compute/v2.1/servers", { token, body: server({ max_count: room + 1, return_reservation_id: true }) });
      assert.match(String(created.json.reservation_id), /^r-[0-9a-f]{17}$/);
      const servers = (await call("GET", "/compute/v2.1/servers/detail?status=error", { token })).json.servers as Record<string, unknown>[];
      assert.equal(servers.length, 1);
      assert.deepEqual((servers[0]!.fault as { code: number; message: string }).message, "No valid host was found. There are not enough hosts available.");
      assert.equal(servers[0]!["OS-EXT-STS:vm_state"], "error");
      assert.equal((await call("DELETE", `/compute/v2.1/servers/${String(servers[0]!.id)}`, { token })).status, 204);
      assert.deepEqual((await call("GET", "/compute/v2.1/servers/detail?status=ERROR", { token })).json.servers, []);
      for (const s of (await call("GET", "/compute/v2.1/servers", { token })).json.servers as { id: string }[]) {
        await call("DELETE", `/compute/v2.1/servers/${s.id}`, { token });
      }
    });

    it("pages servers with limit and marker, next links carrying the filters, and filters names as Nova's regular expressions", async () => {
      const token = await tokenFor("gina", "bio");
      for (const name of ["alpha", "alpha2", "beta", "a.b"]) {
        assert.equal((await call("POST", "/compute/v2.1/servers", { token, body: server({ name }) })).status, 202);
      }
      const names = async (query: string) => ((await call("GET", `/compute/v2.1/servers?${query}`, { token })).json.servers as { name: string }[]).map((s) => s.name);
      assert.deepEqual(await names(`name=${encodeURIComponent("^alpha$")}`), ["alpha"]);
      assert.deepEqual(await names("name=alpha"), ["alpha2", "alpha"]);
      assert.deepEqual(await names(`name=${encodeURIComponent("a.b")}`), ["a.b"]);
      assert.deepEqual(await names(`name=${encodeURIComponent("a\\.b")}`), ["a.b"]);
      assert.deepEqual(await names(`name=${encodeURIComponent("(a+)+$")}`), []);
      const page = await call("GET", `/compute/v2.1/servers/detail?limit=2&name=${encodeURIComponent("^")}`, { token });
      const link = (page.json.servers_links as { href: string; rel: string }[])[0]!;
      assert.equal(link.rel, "next");
      const next = new URL(link.href);
      assert.deepEqual([next.pathname, next.searchParams.get("limit"), next.searchParams.get("name")], ["/compute/v2.1/servers/detail", "2", "^"]);
      const rest = await call("GET", `${next.pathname}${next.search}`, { token });
      assert.equal((rest.json.servers as unknown[]).length, 2);
      const last = await call("GET", `${new URL((rest.json.servers_links as { href: string }[])[0]!.href).pathname}${new URL((rest.json.servers_links as { href: string }[])[0]!.href).search}`, { token });
      assert.deepEqual([last.json.servers, last.json.servers_links], [[], undefined]);
      novaError(await call("GET", "/compute/v2.1/servers?marker=nope", { token }), 400, "badRequest", /^marker \[nope\] not found$/);
      novaError(await call("GET", "/compute/v2.1/servers?limit=x", { token }), 400, "badRequest", /limit/);
      for (const s of (await call("GET", "/compute/v2.1/servers", { token })).json.servers as { id: string }[]) {
        await call("DELETE", `/compute/v2.1/servers/${s.id}`, { token });
      }
    });

    it("refuses malformed servers as Nova does, creating nothing", async () => {
      const token = await tokenFor("hank", "geo");
      const rows: [unknown, number, string, RegExp, Record<string, string>?][] = [
        [{}, 400, "badRequest", /'server' is a required object/],
        [server({ flavorRef: "9" }), 400, "badRequest", /^Invalid flavorRef provided\.$/],
        [server({ flavorRef: "http://x/flavors/2", imageRef: "nope" }), 400, "badRequest", /^Can not find requested image$/],
        [server({ imageRef: undefined }), 400, "badRequest", /imageRef/],
        [server({ name: "" }), 400, "badRequest", /name/],
        [server({ name: "x".repeat(256) }), 400, "badRequest", /name/],
        [server({ bogus: 1 }), 400, "badRequest", /Additional properties are not allowed \('bogus' was unexpected\)/],
        [server({ description: "d" }), 400, "badRequest", /'description' was unexpected/],
        [server({ min_count: 3, max_count: 2 }), 400, "badRequest", /min_count/],
        [server({ max_count: 0 }), 400, "badRequest", /max_count/],
        [server({ metadata: { "bad/key": "v" } }), 400, "badRequest", /metadata/],
        [server({ metadata: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"])) }), 403, "forbidden", /Maximum number of metadata items exceeds 128/],
        [server({ user_data: "not base64!" }), 400, "badRequest", /^User data needs to be valid base 64\.$/],
        [server({ key_name: "nope" }), 400, "badRequest", /^Invalid key_name provided\.$/],
        [server({ security_groups: "default" }), 400, "badRequest", /security_groups/],
        [server(), 400, "badRequest", /'networks' is a required property/, { "x-openstack-nova-api-version": "2.37" }],
        [server({ networks: [{ uuid: "00000000-0000-4000-8000-000000000000" }] }), 400, "badRequest", /^Network 00000000-0000-4000-8000-000000000000 could not be found\.$/],
        [server({ networks: "some" }), 400, "badRequest", /networks/],
      ];
      for (const [body, status, name, message, headers] of rows) {
        novaError(await call("POST", "/compute/v2.1/servers", { token, body, ...(headers && { headers }) }), status, name, message);
      }
      novaError(await call("POST", "/compute/v2.1/servers", { token, raw: "{" }), 400, "badRequest", /^Malformed request body$/);
      assert.equal((await call("POST", "/compute/v2.1/servers", { token, body: server({ description: "d", networks: [{ uuid: NETWORK }] }), headers: { "x-openstack-nova-api-version": "2.37" } })).status, 202);
      novaError(await call("PUT", "/compute/v2.1/servers", { token }), 405, "badMethod", /PUT/);
      novaError(await call("GET", "/compute/v2.1/os-hypervisors", { token }), 404, "itemNotFound", /could not be found/);
      novaError(await call("GET", "/compute/v2.1/servers/a/b/c", { token }), 404, "itemNotFound", /could not be found/);
      novaError(await call("GET", "/compute/v2.1/servers/%E0%A4%A", { token }), 404, "itemNotFound", /could not be found/);
      assert.equal(((await call("GET", "/compute/v2.1/servers", { token })).json.servers as unknown[]).length, 1);
    });

    it("keeps key pairs per user: import, make one (its private key returned once), list, show, delete", async () => {
      const token = await tokenFor("ivy", "math");
      const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvX9q6sH1BkqvF0v2t0c8qI5HbkmqGvXkYy5fmn9OrS ivy";
      const imported = await call("POST", "/compute/v2.1/os-keypairs", { token, body: { keypair: { name: "ivy", public_key: publicKey } } });
      assert.equal(imported.status, 200);
      assert.match((imported.json.keypair as { fingerprint: string }).fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      const made = await call("POST", "/compute/v2.1/os-keypairs", { token, body: { keypair: { name: "made" } }, headers: { "x-openstack-nova-api-version": "2.2" } });
      assert.equal(made.status, 201);
      const pair = made.json.keypair as { private_key: string; public_key: string; type: string };
      assert.match(pair.private_key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
      assert.match(pair.public_key, /^ssh-rsa AAAAB3NzaC1yc2E\S+ Generated-by-Nova\n$/);
      assert.equal(pair.type, "ssh");
      novaError(await call("POST", "/compute/v2.1/os-keypairs", { token, body: { keypair: { name: "ivy", public_key: publicKey } } }), 409, "conflictingRequest", /already exists/);
      novaError(await call("POST", "/compute/v2.1/os-keypairs", { token, body: { keypair: { name: "bad", public_key: "ssh-rsa !!!" } } }), 400, "badRequest", /Keypair data is invalid/);
      novaError(await call("POST", "/compute/v2.1/os-keypairs", { token, body: { keypair: { name: "a/b", public_key: publicKey } } }), 400, "badRequest", /Keypair data is invalid/);
      const list = await call("GET", "/compute/v2.1/os-keypairs", { token });
      assert.deepEqual((list.json.keypairs as { keypair: { name: string } }[]).map((k) => k.keypair.name), ["ivy", "made"]);
      assert.deepEqual((await call("GET", "/compute/v2.1/os-keypairs", { token: await tokenFor("jack", "math") })).json.keypairs, [], "another user's");
      assert.equal(((await call("GET", "/compute/v2.1/os-keypairs/ivy", { token })).json.keypair as { public_key: string }).public_key, publicKey);
      assert.equal((await call("POST", "/compute/v2.1/servers", { token, body: server({ key_name: "ivy" }) })).status, 202);
      assert.equal((await call("DELETE", "/compute/v2.1/os-keypairs/ivy", { token })).status, 202);
      novaError(await call("GET", "/compute/v2.1/os-keypairs/ivy", { token }), 404, "itemNotFound", /^Keypair ivy not found for user /);
      for (const s of (await call("GET", "/compute/v2.1/servers", { token })).json.servers as { id: string }[]) {
        await call("DELETE", `/compute/v2.1/servers/${s.id}`, { token });
      }
    });

    it("answers the cloud's injected faults as Nova's 500 and 503", async () => {
      const flaky = new SimulatedCloud({ capacity: 5, bootSeconds: 0, apiErrorRate: 1, random: seededRandom(3) });
      const face = await startSimcloud(flaky, { host: "127.0.0.1", port: 0 }, { openstack: {} });
      try {
        const issued = await fetch(`${face.url}/identity/v3/auth/tokens`, { method: "POST", body: JSON.stringify(passwordAuth("k", "k")) });
        const token = issued.headers.get("x-subject-token")!;
        const statuses = new Set<number>();
        for (let i = 0; i < 8; i++) statuses.add((await fetch(`${face.url}/compute/v2.1/servers`, { headers: { "x-auth-token": token } })).status);
        assert.deepEqual([...statuses].sort(), [500, 503]);
      } finally {
        await face.close();
      }
    });
  });

  describe("Glance and Neutron", () => {
    it("lists and shows the public images, by name too; an unknown one is Glance's text 404", async () => {
      assert.equal((await call("GET", "/image/")).status, 300);
      const token = await tokenFor("alice", "science");
      const all = await call("GET", "/image/v2/images", { token });
      assert.deepEqual((all.json.images as { name: string }[]).map((i) => i.name), ["cirros-0.6.2-x86_64-disk", "ubuntu-24.04"]);
      assert.equal(all.json.first, "/v2/images?");
      const byName = await call("GET", "/image/v2/images?name=ubuntu-24.04", { token });
      assert.deepEqual((byName.json.images as { id: string }[]).map((i) => i.id), ["3b9d1c6a-8e2f-4a7b-b5c4-0f1e2d3c4b52"]);
      assert.deepEqual((await call("GET", "/image/v2/images?os_distro=arch", { token })).json.images, []);
      const paged = await call("GET", "/image/v2/images?limit=1", { token });
      assert.equal(paged.json.next, `/v2/images?limit=1&marker=${CIRROS}`);
      assert.equal(((await call("GET", `/image/v2/images/${CIRROS}`, { token })).json as { name: string }).name, "cirros-0.6.2-x86_64-disk");
      const missing = await call("GET", "/image/v2/images/cirros", { token });
      assert.equal(missing.status, 404);
      assert.match(missing.text, /^404 Not Found\n\nNo image found with ID cirros/);
      assert.equal((await call("GET", "/image/v2/images")).status, 401);
    });

    it("lists and shows the shared network; an unknown one is Neutron's NetworkNotFound", async () => {
      assert.equal((await call("GET", "/network/")).status, 200);
      const token = await tokenFor("alice", "science");
      assert.deepEqual(((await call("GET", "/network/v2.0/networks?name=public", { token })).json.networks as { id: string }[]).map((n) => n.id), [NETWORK]);
      assert.deepEqual((await call("GET", "/network/v2.0/networks?name=private", { token })).json.networks, []);
      assert.equal(((await call("GET", `/network/v2.0/networks/${NETWORK}`, { token })).json.network as { shared: boolean }).shared, true);
      const missing = await call("GET", "/network/v2.0/networks/nope", { token });
      assert.deepEqual([missing.status, (missing.json.NeutronError as { type: string }).type], [404, "NetworkNotFound"]);
      assert.equal((await call("POST", "/network/v2.0/networks", { token })).status, 405);
    });
  });

  it("leaves every other path to the EC2 face, and serves none of its own without --openstack", async () => {
    const ec2 = await call("GET", "/?Action=DescribeInstances");
    assert.match(ec2.text, /<Response><Errors><Error><Code>AuthFailure<\/Code>/);
    const plain = await startSimcloud(new SimulatedCloud({ capacity: 1, bootSeconds: 0 }), { host: "127.0.0.1", port: 0 });
    try {
      const answer = await fetch(`${plain.url}/identity/v3`);
      assert.match(await answer.text(), /<Code>/);
    } finally {
      await plain.close();
    }
  });
});

describe("namePattern", () => {
  it("reads anchors, '.' and escapes, and everything else literally, so no pattern can be slow", () => {
    const rows: [string, string, boolean][] = [
      ["^phantom-", "phantom-1", true],
      ["^phantom-", "my-phantom-1", false],
      ["abc$", "xabc", true],
      ["abc$", "abcx", false],
      ["a.c", "abc", true],
      ["a\\.c", "abc", false],
      ["a\\.c", "a.c", true],
      ["(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", false],
      ["(a+)+$", "x(a+)+", true],
      ["[z]", "[z]", true],
      ["a\\$", "a$", true],
    ];
    for (const [pattern, name, matches] of rows) assert.equal(namePattern(pattern).test(name), matches, `${pattern} ~ ${name}`);
  });
});
