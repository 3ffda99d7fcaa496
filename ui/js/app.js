// The dashboard: sign-in, the pages (#/groups, #/group/NAME, #/clouds) and live refresh.
// The secret lives in this tab's sessionStorage only; every request is signed here (sigv4.js).
import { Api, ApiError } from "./api.js";
import { fill, h } from "./dom.js";
import { groupsPage } from "./groups-page.js";
import { groupPage } from "./group-page.js";
import { cloudsPage } from "./clouds-page.js";

/** How often a shown page re-reads the API. */
const POLL_MS = 3000;
const STORAGE_KEY = "phantom.credentials";

const signIn = document.getElementById("sign-in");
const signInForm = document.getElementById("sign-in-form");
const signInError = document.getElementById("sign-in-error");
const nav = document.getElementById("nav");
const view = document.getElementById("view");

let api = null;
let page = null;
let timer = null;
let refreshing = false;
/** Refreshes done, read by the browser tests to see polling stop while hidden. */
window.phantomRefreshes = 0;

function storedCredentials() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
    return value && typeof value.accessKeyId === "string" && typeof value.secretAccessKey === "string" ? value : null;
  } catch {
    return null;
  }
}

async function refresh() {
  if (page === null || refreshing) return;
  refreshing = true;
  try {
    await page.refresh();
    window.phantomRefreshes += 1;
    view.querySelector(".load-error")?.remove();
  } catch (e) {
    if (e instanceof ApiError && (e.code === "InvalidClientTokenId" || e.code === "SignatureDoesNotMatch")) {
      signOut(`${e.code}: ${e.message}`);
      return;
    }
    const text = e instanceof ApiError ? `${e.code}: ${e.message}` : `Phantom did not answer (${String(e)}); retrying.`;
    const shown = view.querySelector(".load-error") ?? view.insertBefore(h("p", { className: "load-error error", role: "alert" }), view.firstChild);
    shown.textContent = text;
  } finally {
    refreshing = false;
  }
}

/** Polls while the tab is visible and someone is signed in; stops while it is hidden. */
function schedule() {
  clearInterval(timer);
  timer = null;
  if (api !== null && document.visibilityState === "visible") timer = setInterval(() => void refresh(), POLL_MS);
}

function route() {
  if (api === null) return;
  page?.unmount?.();
  const hash = location.hash || "#/groups";
  const groupMatch = /^#\/group\/(.+)$/.exec(hash);
  const name = hash.startsWith("#/clouds") ? "clouds" : groupMatch ? "group" : "groups";
  for (const link of nav.querySelectorAll("a[data-page]")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  fill(view);
  if (name === "clouds") page = cloudsPage(view, api);
  else if (groupMatch) page = groupPage(view, api, decodeURIComponent(groupMatch[1]), (to) => (location.hash = to));
  else page = groupsPage(view, api);
  document.title = `Phantom · ${groupMatch ? decodeURIComponent(groupMatch[1]) : name}`;
  view.querySelector("h1")?.setAttribute("tabindex", "-1");
  void refresh();
  schedule();
}

function showSignedIn(credentials) {
  api = new Api(credentials);
  signIn.hidden = true;
  nav.hidden = false;
  document.getElementById("who").textContent = credentials.accessKeyId;
  route();
}

function signOut(message = "") {
  sessionStorage.removeItem(STORAGE_KEY);
  api = null;
  page?.unmount?.();
  page = null;
  schedule();
  fill(view);
  nav.hidden = true;
  signIn.hidden = false;
  signInForm.reset();
  signInError.textContent = message;
  document.getElementById("access-key-id").focus();
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(signInForm);
  const credentials = { accessKeyId: String(data.get("accessKeyId")).trim(), secretAccessKey: String(data.get("secretAccessKey")) };
  if (credentials.accessKeyId === "" || credentials.secretAccessKey === "") {
    signInError.textContent = "Enter an access key ID and its secret.";
    return;
  }
  signInError.textContent = "Signing in…";
  try {
    // Any signed call proves the key: Phantom answers SignatureDoesNotMatch or InvalidClientTokenId otherwise.
    await new Api(credentials).call("DescribeAccountLimits");
  } catch (e) {
    signInError.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : `Phantom did not answer: ${String(e)}`;
    return;
  }
  signInError.textContent = "";
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  showSignedIn(credentials);
});

document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") void refresh();
  schedule();
});

const stored = storedCredentials();
if (stored === null) signOut();
else showSignedIn(stored);
