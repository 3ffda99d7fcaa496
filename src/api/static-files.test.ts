/**
 * The dashboard's files on Phantom's address: served read-only under /ui/ with a strict
 * Content-Security-Policy, uPlot vendored (no CDN), nothing outside the folder, and no change to
 * the API: every API call still needs a signature.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the dashboard's files under /ui/", () => {
  let phantom: TestPhantom;
  before(async () => {
    phantom = await startTestPhantom();
  });
  after(() => phantom.close());

  it("serves the page, its modules and the vendored uPlot with a same-origin-only policy", async () => {
    const page = await fetch(`${phantom.url}/ui/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self';.*connect-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script type="module" src="js\/app.js"><\/script>/);
    assert.doesNotMatch(html, /https?:\/\//, "no CDN or other origin");
    const js = await fetch(`${phantom.url}/ui/js/sigv4.js`);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(await js.text(), /crypto\.subtle/);
    const uplot = await fetch(`${phantom.url}/ui/vendor/uPlot.esm.js`);
    assert.equal(uplot.status, 200);
    assert.match(await uplot.text(), /export \{ uPlot as default \}/);
    const head = await fetch(`${phantom.url}/ui/app.css`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("redirects /ui to /ui/, refuses writes, unknown files and paths out of the folder", async () => {
    const bare = await fetch(`${phantom.url}/ui`, { redirect: "manual" });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get("location"), "/ui/");
    assert.equal((await fetch(`${phantom.url}/ui/index.html`, { method: "POST", body: "x" })).status, 405);
    assert.equal((await fetch(`${phantom.url}/ui/nothing.js`)).status, 404);
    for (const path of ["/ui/../package.json", "/ui/%2e%2e/%2e%2e/package.json", "/ui/..%2f..%2fpackage.json", "/ui/js/../../../src/cli/main.js", "/ui/%00.js"]) {
      const res = await rawGet(phantom.url, path);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.doesNotMatch(res.body, /"name": "phantom"/);
    }
  });

  it("leaves the API as it was: an unsigned call is refused", async () => {
    const res = await fetch(`${phantom.url}/?Action=DescribeAutoScalingGroups&Version=2011-01-01`);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>MissingAuthenticationToken<\/Code>/);
  });
});
