/** Signature Version 2, checked against signatures computed here independently with node:crypto. */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import type { AwsErrorCode } from "../../core/errors.js";
import { authenticate } from "./authenticate.js";
import type { SignedRequest } from "./request.js";
import { makeRequest, oneKey, rejectsWith } from "./auth.test-support.js";

const AKID = "AKIDV2";
const SECRET = "v2/secret+key";
const lookup = oneKey(AKID, SECRET);
const NOW = new Date("2026-11-26T11:38:10Z");

/** RFC 3986 encoding written out byte by byte, to stay independent of the code under test. */
function rfc3986(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

interface V2Options {
  readonly method?: "GET" | "POST";
  readonly host?: string;
  readonly algorithm?: "HmacSHA1" | "HmacSHA256";
  readonly params?: Record<string, string>;
  readonly secret?: string;
}

/** A SigV2-signed request, as boto 2 would send it. */
function signV2(options: V2Options = {}): SignedRequest {
  const { method = "GET", host = "127.0.0.1:8099", algorithm = "HmacSHA256", secret = SECRET } = options;
  const params: Record<string, string> = {
    Action: "DescribeAutoScalingGroups",
    Version: "2011-01-01",
    AWSAccessKeyId: AKID,
    SignatureVersion: "2",
    SignatureMethod: algorithm,
    Timestamp: "2026-11-26T11:38:10Z",
    ...options.params,
  };
  for (const [k, v] of Object.entries(params)) if (v === "") delete params[k];
  const sorted = Object.keys(params).sort();
  const stringToSign = `${method}\n${host.toLowerCase()}\n/\n${sorted.map((k) => `${rfc3986(k)}=${rfc3986(params[k] ?? "")}`).join("&")}`;
  const digest = algorithm === "HmacSHA1" ? "sha1" : "sha256";
  const signature = createHmac(digest, secret).update(stringToSign, "utf8").digest("base64");
  const encoded = [...sorted.map((k) => `${rfc3986(k)}=${rfc3986(params[k] ?? "")}`), `Signature=${rfc3986(signature)}`].join("&");
  const rawHeaders = ["Host", host, "User-Agent", "Boto/2.49.0"];
  if (method === "GET") return makeRequest({ method, path: "/", rawQuery: encoded, rawHeaders, body: Buffer.alloc(0) });
  const body = Buffer.from(encoded);
  return makeRequest({
    method,
    path: "/",
    rawQuery: "",
    rawHeaders: [...rawHeaders, "Content-Type", "application/x-www-form-urlencoded; charset=UTF-8", "Content-Length", String(body.length)],
    body,
  });
}

async function rejects(req: SignedRequest, code: AwsErrorCode, now = NOW, messagePart = ""): Promise<void> {
  const error = await rejectsWith(authenticate(req, now, lookup), code);
  assert.ok(error.message.includes(messagePart), error.message);
}

for (const algorithm of ["HmacSHA1", "HmacSHA256"] as const) {
  for (const method of ["GET", "POST"] as const) {
    test(`SigV2 ${algorithm} ${method} verifies, and not once a parameter changes`, async () => {
      const params = { AutoScalingGroupName: "g 1+é~*/=", "Tags.member.1.Value": "😀" };
      const req = signV2({ algorithm, method, params, host: "LocalHost:8099" });
      assert.deepEqual(await authenticate(req, NOW, lookup), { accessKeyId: AKID, method: "sigv2" });
      const tampered = makeRequest(
        method === "GET" ? { ...req, rawQuery: req.rawQuery.replace("g%201", "g%202") } : { ...req, body: Buffer.from(req.body.toString().replace("g%201", "g%202")) },
      );
      await rejects(tampered, "SignatureDoesNotMatch");
      await rejectsWith(authenticate(req, NOW, oneKey(AKID, "wrong")), "SignatureDoesNotMatch");
    });
  }
}

test("SigV2 signs the host header: another host does not verify", async () => {
  const req = signV2();
  await rejects({ ...req, rawHeaders: ["Host", "127.0.0.1:8098"] }, "SignatureDoesNotMatch");
});

test("SigV2 with Expires: good until then, RequestExpired after", async () => {
  const req = signV2({ params: { Timestamp: "", Expires: "2026-11-26T12:00:00Z" } });
  await authenticate(req, new Date("2026-11-26T11:59:59Z"), lookup);
  await rejects(req, "RequestExpired", new Date("2026-11-26T12:00:01Z"), "Request has expired.");
});

test("SigV2 Expires more than a week ahead is refused", async () => {
  await authenticate(signV2({ params: { Timestamp: "", Expires: "2026-12-03T11:38:10Z" } }), NOW, lookup);
  await rejects(signV2({ params: { Timestamp: "", Expires: "2026-12-03T11:38:11Z" } }), "IncompleteSignature", NOW, "one week");
  await rejects(signV2({ params: { Timestamp: "", Expires: "2036-11-26T11:38:10Z" } }), "IncompleteSignature", NOW, "one week");
});

test("SigV2 signs only Query requests: no routing header, no body but a form", async () => {
  const get = signV2();
  for (const name of ["X-Amz-Target", "smithy-protocol"]) {
    await rejects({ ...get, rawHeaders: [...get.rawHeaders, name, "GraniteServiceVersion20100801.PutMetricData"] }, "SignatureDoesNotMatch", NOW, `'${name.toLowerCase()}' header`);
  }
  const json = Buffer.from('{"Namespace":"n","MetricData":[{"MetricName":"m","Value":1}]}');
  const withBody = { ...get, method: "POST", body: json, rawHeaders: [...get.rawHeaders, "Content-Type", "application/x-amz-json-1.0"] };
  await rejects(withBody, "SignatureDoesNotMatch", NOW, "a body that is not a form");
  await authenticate(signV2({ method: "POST" }), NOW, lookup);
});

test("SigV2 Timestamp outside the 15-minute window is RequestExpired", async () => {
  await rejects(signV2(), "RequestExpired", new Date(NOW.getTime() + 16 * 60_000), "Signature expired");
});

test("SigV2 refuses what it cannot check", async () => {
  await rejects(signV2({ params: { SignatureVersion: "1" } }), "IncompleteSignature", NOW, "SignatureVersion '1'");
  await rejects(signV2({ params: { SignatureVersion: "0" } }), "IncompleteSignature", NOW, "SignatureVersion '0'");
  await rejects(signV2({ params: { SignatureMethod: "HmacMD5" } }), "IncompleteSignature", NOW, "HmacMD5");
  await rejects(signV2({ params: { SignatureMethod: "toString" } }), "IncompleteSignature", NOW, "toString");
  await rejects(signV2({ params: { Expires: "2026-11-26T12:00:00Z" } }), "IncompleteSignature", NOW, "exactly one of");
  await rejects(signV2({ params: { Timestamp: "" } }), "IncompleteSignature", NOW, "exactly one of");
  await rejects(signV2({ params: { Timestamp: "yesterday" } }), "IncompleteSignature", NOW, "ISO 8601");
  await rejects(signV2({ params: { AWSAccessKeyId: "" } }), "IncompleteSignature", NOW, "AWSAccessKeyId");
  const req = signV2();
  await rejects(makeRequest({ ...req, rawQuery: `${req.rawQuery}&Signature=abc` }), "IncompleteSignature", NOW, "more than once");
  await rejects(signV2({ params: { AWSAccessKeyId: "AKIDUNKNOWN" } }), "InvalidClientTokenId");
});
