/**
 * Cross-check with @smithy/signature-v4, the signer inside the AWS SDK for JavaScript: for many
 * generated requests (GET and POST, awkward characters, two scopes, header-signed and
 * presigned), whatever it signs we accept, and whatever is changed after signing we reject.
 *
 * @smithy/hash-node and @smithy/protocol-http are not installed here; their code now lives in
 * @smithy/core (a dependency of @smithy/signature-v4), so `Hash` and `buildQueryString` come
 * from there and requests are plain objects of @smithy/types' `HttpRequest` shape.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { buildQueryString } from "@smithy/core/protocols";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest, QueryParameterBag, SourceData } from "@smithy/types";
import { authenticate } from "./authenticate.js";
import type { SignedRequest } from "./request.js";
import { asNodeHeader, makeRequest, oneKey, rejectsWith as rejects } from "./auth.test-support.js";

const AKID = "AKIDSMITHY";
const SECRET = "smithy/Secret+Key=0123456789abcdefABCDEF";
const lookup = oneKey(AKID, SECRET);

class Sha256 extends Hash {
  constructor(secret?: SourceData) {
    super("sha256", secret);
  }
}

function signer(region: string, service: string, applyChecksum = false): SignatureV4 {
  return new SignatureV4({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region, service, sha256: Sha256, applyChecksum });
}

/** mulberry32: a seeded generator, so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [..."aZ09-_.~ *+/=&%?#!'()@:;,$é日本😀\t"];
const NAMES = ["Action", "Version", "AutoScalingGroupName", "Tags.member.1.Key", "Tags.member.1.Value", "a b", "x~y", "k*+/="];
const PATHS = ["/", "/", "/a/b", "/a//b/", "/a/./b/../c", "/a%20b/", "/%7Euser", "/foo:bar@x", "/a+b", "/a%2Fb"];
const SCOPES: [string, string][] = [["us-east-1", "autoscaling"], ["0", "127"]];
const SIGNING_DATE = new Date("2026-11-26T11:37:24Z");

interface Case {
  readonly label: string;
  readonly http: HttpRequest;
  readonly presign: boolean;
  readonly scope: [string, string];
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function text(next: () => number, max: number): string {
  let s = "";
  for (let n = 1 + Math.floor(next() * max); n > 0; n--) s += pick(next, ALPHABET);
  return s;
}

function generate(seed: number): Case {
  const next = random(seed);
  const method = next() < 0.5 ? "GET" : "POST";
  const presign = next() < 0.3;
  const scope = pick(next, SCOPES);
  const params: QueryParameterBag = {};
  for (let n = 1 + Math.floor(next() * 6); n > 0; n--) {
    const name = next() < 0.7 ? pick(next, NAMES) : text(next, 8);
    const value = text(next, 12);
    const existing = params[name];
    // A repeated name becomes a list, which smithy sorts by value.
    params[name] = existing === undefined || existing === null ? value : [existing, value].flat();
  }
  const headers: Record<string, string> = {
    host: "127.0.0.1:8099",
    "x-phantom-spaces": "  a   b \t c  ",
    "x-phantom-utf8": "café à",
  };
  const http: HttpRequest = { method, protocol: "http:", hostname: "127.0.0.1", port: 8099, path: pick(next, PATHS), headers, query: {} };
  if (method === "GET") {
    http.query = params;
  } else {
    headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    http.body = buildQueryString(params);
    http.query = next() < 0.3 ? { Extra: text(next, 5) } : {};
  }
  return { label: `seed ${seed}: ${method}${presign ? " presigned" : ""} ${scope.join("/")} ${http.path}`, http, presign, scope };
}

/**
 * What the server would receive for a signed request. The query string goes on the wire with
 * one of several equivalent encodings (as clients differ), and header values arrive as Node
 * delivers them: latin1-decoded bytes, repeats kept.
 */
function received(http: HttpRequest, wire: "smithy" | "plus-and-lowercase"): SignedRequest {
  let rawQuery = buildQueryString(http.query ?? {});
  if (wire === "plus-and-lowercase") {
    rawQuery = rawQuery.replace(/%20/g, "+").replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()).replace(/~/g, "%7E");
  }
  const rawHeaders = Object.entries(http.headers).flatMap(([name, value]) => [name, asNodeHeader(value)]);
  const body = typeof http.body === "string" ? Buffer.from(http.body, "utf8") : Buffer.alloc(0);
  return makeRequest({ method: http.method, path: http.path, rawQuery, rawHeaders, body });
}

async function signCase(c: Case, applyChecksum = false): Promise<HttpRequest> {
  const s = signer(c.scope[0], c.scope[1], applyChecksum);
  return c.presign ? s.presign(c.http, { signingDate: SIGNING_DATE, expiresIn: 3600 }) : s.sign(c.http, { signingDate: SIGNING_DATE });
}

/** Appends to the value of the first query parameter that is not one of the X-Amz-* of presigning. */
function changeFirstActionValue(r: SignedRequest): SignedRequest | undefined {
  const pairs = r.rawQuery.split("&");
  const i = pairs.findIndex((p) => !p.startsWith("X-Amz-"));
  if (i < 0) return undefined;
  pairs[i] = `${pairs[i] as string}${(pairs[i] as string).includes("=") ? "" : "="}z`;
  return { ...r, rawQuery: pairs.join("&") };
}

/** Changes that any correct verifier must notice. */
const TAMPERINGS: readonly [string, (r: SignedRequest) => SignedRequest | undefined][] = [
  ["method", (r) => ({ ...r, method: r.method === "GET" ? "PUT" : "GET" })],
  ["path", (r) => ({ ...r, path: r.path === "/" ? "/x" : "/" })],
  ["added query parameter", (r) => ({ ...r, rawQuery: r.rawQuery === "" ? "Injected=1" : `${r.rawQuery}&Injected=1` })],
  ["query value", changeFirstActionValue],
  ["body byte", (r) => (r.body.length > 0 ? { ...r, body: Buffer.concat([r.body.subarray(1), Buffer.from("A")]) } : { ...r, body: Buffer.from("A") })],
  ["signed header value", (r) => ({ ...r, rawHeaders: r.rawHeaders.map((h, i) => (r.rawHeaders[i - 1] === "x-phantom-utf8" ? `${h}!` : h)) })],
  ["repeated signed header", (r) => ({ ...r, rawHeaders: [...r.rawHeaders, "x-phantom-spaces", "again"] })],
];

describe("requests signed by @smithy/signature-v4", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const c = generate(seed);
    test(c.label, async () => {
      const signed = await signCase(c);
      const now = new Date(SIGNING_DATE.getTime() + 5 * 60_000);
      for (const wire of ["smithy", "plus-and-lowercase"] as const) {
        const req = received(signed, wire);
        const result = await authenticate(req, now, lookup);
        assert.deepEqual(result, {
          accessKeyId: AKID,
          method: c.presign ? "sigv4-presigned" : "sigv4",
          region: c.scope[0],
          service: c.scope[1],
        });
      }
      const req = received(signed, "smithy");
      for (const [what, tamper] of TAMPERINGS) {
        const tampered = tamper(req);
        if (tampered !== undefined) await rejects(authenticate(tampered, now, lookup), "SignatureDoesNotMatch", `${c.label}, ${what}`);
      }
      await rejects(authenticate(req, now, oneKey(AKID, `${SECRET}x`)), "SignatureDoesNotMatch", `${c.label}, wrong secret`);
    });
  }
});

describe("payload hash", () => {
  const post: HttpRequest = {
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    path: "/",
    headers: { host: "127.0.0.1:8099", "content-type": "application/x-www-form-urlencoded" },
    query: {},
    body: "Action=DescribeAutoScalingGroups&Version=2011-01-01",
  };
  const now = SIGNING_DATE;

  test("a signed, truthful x-amz-content-sha256 is accepted", async () => {
    const signed = await signer("us-east-1", "autoscaling", true).sign(post, { signingDate: now });
    assert.ok(signed.headers["x-amz-content-sha256"]);
    await authenticate(received(signed, "smithy"), now, lookup);
  });

  test("a signed x-amz-content-sha256 for another body is refused: the body is hashed here", async () => {
    const otherHash = createHash("sha256").update("Action=DeleteAutoScalingGroup").digest("hex");
    const lying = { ...post, headers: { ...post.headers, "x-amz-content-sha256": otherHash } };
    // smithy trusts the header and signs the lie; the bytes that arrive do not match it.
    const signed = await signer("us-east-1", "autoscaling").sign(lying, { signingDate: now });
    await rejects(authenticate(received(signed, "smithy"), now, lookup), "SignatureDoesNotMatch", "lying hash");
  });

  test("an unsigned x-amz-content-sha256 must still match the body", async () => {
    const signed = await signer("us-east-1", "autoscaling").sign(post, { signingDate: now });
    const req = received(signed, "smithy");
    const realHash = createHash("sha256").update(req.body).digest("hex");
    await authenticate({ ...req, rawHeaders: [...req.rawHeaders, "x-amz-content-sha256", realHash] }, now, lookup);
    const wrong = { ...req, rawHeaders: [...req.rawHeaders, "x-amz-content-sha256", "UNSIGNED-PAYLOAD"] };
    await rejects(authenticate(wrong, now, lookup), "SignatureDoesNotMatch", "unsigned wrong hash");
  });

  test("a truthful x-amz-content-sha256 next to a changed body is refused", async () => {
    const signed = await signer("us-east-1", "autoscaling", true).sign(post, { signingDate: now });
    const req = received(signed, "smithy");
    await rejects(authenticate({ ...req, body: Buffer.from(`${post.body as string}&X=1`) }, now, lookup), "SignatureDoesNotMatch", "changed body");
  });
});

describe("signing time", () => {
  const get: HttpRequest = {
    method: "GET",
    protocol: "http:",
    hostname: "127.0.0.1",
    path: "/",
    headers: { host: "127.0.0.1:8099" },
    query: { Action: "DescribeAutoScalingGroups", Version: "2011-01-01" },
  };

  test("the HTTP Date header stands in for X-Amz-Date", async () => {
    // Leave x-amz-date out of the signed headers, then send the same time as a Date header.
    const signed = await signer("us-east-1", "autoscaling").sign(get, {
      signingDate: SIGNING_DATE,
      unsignableHeaders: new Set(["x-amz-date"]),
    });
    const headers: Record<string, string> = { ...signed.headers, date: SIGNING_DATE.toUTCString() };
    delete headers["x-amz-date"];
    await authenticate(received({ ...signed, headers }, "smithy"), SIGNING_DATE, lookup);
    const later = { ...headers, date: new Date(SIGNING_DATE.getTime() + 1000).toUTCString() };
    await rejects(authenticate(received({ ...signed, headers: later }, "smithy"), SIGNING_DATE, lookup), "SignatureDoesNotMatch", "Date moved");
  });

  test("a presigned URL is good until it expires, and not before it is signed", async () => {
    const t = SIGNING_DATE.getTime();
    const signed = await signer("us-east-1", "autoscaling").presign(get, { signingDate: SIGNING_DATE, expiresIn: 7200 });
    const req = received(signed, "smithy");
    await authenticate(req, new Date(t + 7200_000), lookup);
    await authenticate(req, new Date(t - 15 * 60_000), lookup);
    await rejects(authenticate(req, new Date(t + 7201_000), lookup), "RequestExpired", "after X-Amz-Expires");
    await rejects(authenticate(req, new Date(t - 16 * 60_000), lookup), "RequestExpired", "signed in the future");
  });

  test("X-Amz-Expires above a week is refused before anything else", async () => {
    const signed = await signer("us-east-1", "autoscaling").presign(get, { signingDate: SIGNING_DATE, expiresIn: 604800 });
    const req = received(signed, "smithy");
    await authenticate(req, new Date(SIGNING_DATE.getTime() + 604800_000), lookup);
    const tooLong = { ...req, rawQuery: req.rawQuery.replace("X-Amz-Expires=604800", "X-Amz-Expires=604801") };
    assert.notEqual(tooLong.rawQuery, req.rawQuery);
    await rejects(authenticate(tooLong, SIGNING_DATE, lookup), "IncompleteSignature", "expires too long");
  });
});
