/**
 * The dashboard in a real browser: headless Chromium (Debian's, through playwright-core) against
 * a real Phantom whose controller places VMs on simulated clouds. The page signs its own
 * requests; these tests sign in (and are refused with a wrong secret), see the quick start's
 * group as 8 on hotel and 2 on ec2, set the desired capacity to 4 and watch it converge, read
 * the timeline, terminate a VM, delete the group, and check where the secret lives. Screenshots
 * of each page go to test-output/dashboard/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CreateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { startTestPhantom, type TestPhantom } from "../test-support/test-phantom.js";
import { createLaunchConfigurations, phantomTags, sdkClient } from "../test-support/sdk-client.js";
import { repoRoot } from "../test-support/captures.js";

const CHROMIUM = process.env.PHANTOM_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = join(repoRoot(), "test-output", "dashboard");
const missing = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
const skip = missing !== false && process.env.PHANTOM_REQUIRE_INTEROP !== "1" ? missing : false;

describe("the dashboard at /ui/ in Chromium", { skip }, () => {
  let phantom: TestPhantom;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const cloudText = (group: string, site: string) => page.locator(`[data-group="${group}"] .counts li[data-site="${site}"]`);

  /**
   * Waits until the page expression is true. (Playwright's waitForFunction evaluates with
   * `new Function`, which the dashboard's Content-Security-Policy rightly forbids.)
   */
  async function until(expression: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await page.evaluate<boolean>(expression))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Signs in with the keyboard only: type, Tab, type, Enter. */
  async function signIn(accessKeyId: string, secret: string): Promise<void> {
    await page.goto(`${phantom.url}/ui/`);
    await page.locator("#access-key-id").focus();
    await page.keyboard.type(accessKeyId);
    await page.keyboard.press("Tab");
    await page.keyboard.type(secret);
    await page.keyboard.press("Enter");
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    phantom = await startTestPhantom({ controller: { interval_seconds: 0.5 } }, { controller: true });
    const alice = sdkClient(phantom, phantom.alice);
    await createLaunchConfigurations(alice, ["mylaunch@hotel", "mylaunch@ec2", "mylaunch@sierra"]);
    await alice.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "mygroup",
        LaunchConfigurationName: "mylaunch",
        MinSize: 0,
        MaxSize: 20,
        Tags: phantomTags("hotel:8,ec2:-1", 10),
      }),
    );
    // A sensor group with a metric to chart.
    const sensorTags = {
      PHANTOM_DEFINITION: "sensor_engine",
      clouds: "sierra:-1",
      metric: "MyApp/QueueLength",
      scale_up_threshold: "100",
      scale_down_threshold: "10",
      minimum_vms: "1",
      maximum_vms: "3",
      cooldown_period: "60",
    };
    await alice.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "workers",
        LaunchConfigurationName: "mylaunch",
        MinSize: 0,
        MaxSize: 5,
        Tags: Object.entries(sensorTags).map(([Key, Value]) => ({ Key, Value, ResourceId: "workers", ResourceType: "auto-scaling-group" })),
      }),
    );
    const cloudwatch = new CloudWatchClient({
      endpoint: phantom.url,
      region: "us-east-1",
      credentials: { accessKeyId: phantom.alice.accessKeyId, secretAccessKey: phantom.alice.secretAccessKey },
      maxAttempts: 1,
    });
    const now = Date.now();
    for (const [minutesAgo, value] of [[20, 40], [10, 60], [0, 250]] as const) {
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: "MyApp",
          MetricData: [{ MetricName: "QueueLength", Value: value, Timestamp: new Date(now - minutesAgo * 60_000), Dimensions: [{ Name: "AutoScalingGroupName", Value: "workers" }] }],
        }),
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await phantom?.close();
  });

  it("refuses a wrong secret and an unknown key with AWS's error text on the sign-in form, keeping nothing", async () => {
    await signIn(phantom.alice.accessKeyId, "not-the-secret");
    await page.locator("#sign-in-error").filter({ hasText: "SignatureDoesNotMatch" }).waitFor();
    assert.match(await page.locator("#sign-in-error").innerText(), /^SignatureDoesNotMatch: The request signature we calculated does not match/);
    assert.equal(await page.evaluate<number>("sessionStorage.length + localStorage.length"), 0);
    await shot("sign-in-refused");
    await signIn("AKIDNOBODYXXXXXXXXXX", "whatever");
    await page.locator("#sign-in-error").filter({ hasText: "InvalidClientTokenId" }).waitFor();
    assert.equal(await page.locator("#nav").isVisible(), false);
  });

  it("signs in and shows the quick start's group as 8 on hotel and 2 on ec2, counts as text and a stacked bar", async () => {
    await signIn(phantom.alice.accessKeyId, phantom.alice.secretAccessKey);
    await cloudText("mygroup", "hotel").filter({ hasText: "hotel: 8 InService, 0 Pending, 0 unhealthy (cap 8)" }).waitFor({ timeout: 20_000 });
    await cloudText("mygroup", "ec2").filter({ hasText: "ec2: 2 InService, 0 Pending, 0 unhealthy (no cap)" }).waitFor({ timeout: 20_000 });
    const bar = page.locator('[data-group="mygroup"] .bar');
    assert.match((await bar.getAttribute("aria-label")) ?? "", /hotel: 8 InService.*; ec2: 2 InService/);
    assert.deepEqual(await bar.locator(".section").evaluateAll((els) => els.map((e) => e.getAttribute("data-site"))), ["hotel", "ec2"]);
    assert.equal(await bar.locator(".section[data-site=hotel] .seg.inService").count(), 1);
    await shot("groups");
  });

  it("keeps the secret in this tab's sessionStorage only: not in localStorage or cookies, not in another tab", async () => {
    const stored = await page.evaluate<{ session: string | null; local: number; cookie: string }>(
      '({ session: sessionStorage.getItem("phantom.credentials"), local: localStorage.length, cookie: document.cookie })',
    );
    assert.deepEqual(JSON.parse(stored.session ?? "null"), { accessKeyId: phantom.alice.accessKeyId, secretAccessKey: phantom.alice.secretAccessKey });
    assert.equal(stored.local, 0);
    assert.equal(stored.cookie, "");
    assert.deepEqual(await context.cookies(), []);
    const other = await context.newPage();
    await other.goto(`${phantom.url}/ui/`);
    await other.locator("#sign-in-form").waitFor();
    assert.equal(await other.locator("#nav").isVisible(), false, "another tab is not signed in");
    await other.close();
  });

  it("sets the desired capacity to 4 after a confirmation and watches the group converge to 4 on hotel", async () => {
    await page.locator('[data-group="mygroup"] h2 a').click();
    await page.locator("h1", { hasText: "mygroup" }).waitFor();
    await page.locator("#desired").fill("4");
    await page.getByRole("button", { name: "Set…" }).click();
    const dialog = page.locator("dialog#confirm");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Change the desired capacity of mygroup from 10 to 4\?/);
    await dialog.getByRole("button", { name: "Set to 4" }).click();
    await page.locator("#desired-now", { hasText: /^4$/ }).waitFor();
    await until(`(() => {
      const rows = [...document.querySelectorAll("table.vms tbody tr")].map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent));
      return rows.length === 4 && rows.every((c) => c[0] === "hotel" && c[1] === "InService");
    })()`);
    await shot("group");
  });

  it("shows the activity timeline newest first, each with its Cause", async () => {
    const items = page.locator("ol.timeline li");
    assert.ok((await items.count()) >= 12, "10 launches and at least 6 terminations");
    const times = await items.locator("time").evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute("datetime") ?? "")));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    assert.match(await items.first().locator(".description").innerText(), /^Terminating EC2 instance/);
    assert.match(await page.locator("ol.timeline").innerText(), /hotel is at its maximum of 8; launching 2 on ec2/);
    assert.match(await items.first().locator(".cause").innerText(), /\S/);
  });

  it("terminates a VM with decrement after a confirmation, and stops polling while the tab is hidden", async () => {
    const first = page.locator("table.vms tbody tr").first();
    const id = await first.getAttribute("data-instance");
    await first.getByRole("button", { name: `Terminate ${id}` }).click();
    await page.locator("dialog#confirm input[name=decrement]").check();
    await page.locator("dialog#confirm").getByRole("button", { name: "Terminate" }).click();
    await page.locator("#desired-now", { hasText: /^3$/ }).waitFor();

    const hide = (state: string) =>
      page.evaluate(`Object.defineProperty(document, "visibilityState", { value: "${state}", configurable: true });
        document.dispatchEvent(new Event("visibilitychange"))`);
    const refreshes = () => page.evaluate<number>("window.phantomRefreshes");
    await hide("hidden");
    const before = await refreshes();
    let requests = 0;
    const count = () => requests++;
    page.on("request", count);
    await new Promise((r) => setTimeout(r, 4000));
    page.off("request", count);
    assert.equal(requests, 0, "no request while hidden");
    assert.equal(await refreshes(), before);
    await hide("visible");
    await until(`window.phantomRefreshes > ${before}`);
  });

  it("lists the clouds with this user's VMs and backoff state", async () => {
    await page.locator("#nav a[data-page=clouds]").click();
    await page.locator("table.clouds tr[data-site=hotel] td", { hasText: /^3$/ }).first().waitFor({ timeout: 20_000 });
    assert.deepEqual(await page.locator("table.clouds tbody th").allInnerTexts(), ["hotel", "sierra", "ec2"]);
    assert.match(await page.locator("table.clouds tr[data-site=hotel]").innerText(), /hotel: accepting VMs/);
    await shot("clouds");
  });

  it("charts a sensor group's metric over the last hour with its thresholds and the desired capacity", async () => {
    await page.goto(`${phantom.url}/ui/#/group/workers`);
    await page.locator("#chart-title").waitFor();
    await page.locator(".chart .uplot canvas").waitFor();
    const legend = await page.locator(".chart .u-legend").innerText();
    for (const label of ["MyApp/QueueLength (Average)", "scale_up_threshold 100", "scale_down_threshold 10", "desired capacity"]) {
      assert.ok(legend.includes(label), `legend lacks ${label}: ${legend}`);
    }
    // The 250 just now scaled it up: the timeline says why.
    await page.locator("ol.timeline .cause", { hasText: /above scale_up_threshold 100/ }).first().waitFor({ timeout: 20_000 });
    await shot("group-sensor");
  });

  it("reads at phone width without sideways scrolling", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.locator("#nav a[data-page=groups]").click();
    await cloudText("mygroup", "hotel").waitFor();
    assert.ok(await page.evaluate<boolean>("document.documentElement.scrollWidth <= 375"));
    await shot("groups-phone");
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  it("deletes the group only once its name is typed", async () => {
    await page.locator('[data-group="mygroup"] h2 a').click();
    await page.getByRole("button", { name: "Delete group…" }).click();
    const confirm = page.locator("dialog#confirm").getByRole("button", { name: "Delete group" });
    assert.equal(await confirm.isDisabled(), true);
    await page.locator("dialog#confirm input[name=typed]").fill("mygrou");
    assert.equal(await confirm.isDisabled(), true);
    await page.locator("dialog#confirm input[name=typed]").fill("mygroup");
    await confirm.click();
    await page.locator("h1", { hasText: "Groups" }).waitFor();
    await until(`!document.querySelector('[data-group="mygroup"]') || !!document.querySelector('[data-group="mygroup"] .mark.deleting')`);
    // The list re-renders on each poll: wait for it to show the other group before counting.
    await page.locator('[data-group="workers"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-group="workers"]').count(), 1, "the other group stays");
  });

  it("signs out and forgets the secret", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#sign-in-form").waitFor();
    assert.equal(await page.evaluate<number>("sessionStorage.length + localStorage.length"), 0);
    await page.reload();
    await page.locator("#sign-in-form").waitFor();
    assert.equal(await page.locator("#nav").isVisible(), false);
  });
});
