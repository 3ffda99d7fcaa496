/**
 * Signature verification against requests captured from real clients (aws-cli 1 and 2, boto3,
 * boto 2 incl. forced SigV2, the JS SDK, boto3 retries), then the same requests tampered with.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authenticate, type AuthResult } from "./authenticate.js";
import { parseAmzDate, parseIsoTimestamp } from "./clock.js";
import type { SignedRequest } from "./request.js";
import { loadCaptures, makeRequest, oneKey, rejectsWith as rejects, type CapturedRequest } from "./auth.test-support.js";

const AKID = "AKIDEXAMPLE";
const captures = loadCaptures();

function secretFor(capture: CapturedRequest): string {
  return capture.name.startsWith("awscli") ? "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" : "secret";
}

function header(req: SignedRequest, lowerName: string): string | undefined {
  const i = req.rawHeaders.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === lowerName);
  return i < 0 ? undefined : req.rawHeaders[i + 1];
}

/** The clock a capture was signed at: its X-Amz-Date, or its SigV2 Timestamp. */
function signedAt(req: SignedRequest): Date {
  const amzDate = header(req, "x-amz-date");
  const timestamp = req.params.find(([k]) => k === "Timestamp")?.[1];
  const date = amzDate !== undefined ? parseAmzDate(amzDate) : parseIsoTimestamp(timestamp ?? "");
  assert.ok(date, "capture has a signing time");
  return date;
}

function withHeader(req: SignedRequest, lowerName: string, value: string): SignedRequest {
  const rawHeaders = req.rawHeaders.map((h, i) => (i % 2 === 1 && req.rawHeaders[i - 1]?.toLowerCase() === lowerName ? value : h));
  assert.notDeepEqual(rawHeaders, req.rawHeaders, `capture has a ${lowerName} header`);
  return { ...req, rawHeaders };
}

function verify(capture: CapturedRequest, overrides: { req?: SignedRequest; now?: Date; secret?: string } = {}): Promise<AuthResult> {
  const req = overrides.req ?? capture.request;
  return authenticate(req, overrides.now ?? signedAt(capture.request), oneKey(AKID, overrides.secret ?? secretFor(capture)));
}

const MINUTE = 60_000;

test("the captures are all there", () => {
  assert.ok(captures.length >= 26, `found ${captures.length} captures`);
  assert.ok(captures.some((c) => c.name.startsWith("retry-")), "retries/ was read");
});

for (const capture of captures) {
  const isSigV2 = capture.name.includes("SigV2");

  describe(capture.name, () => {
    test("is parsed into the parameters it lists", () => {
      assert.deepEqual(capture.request.params, capture.listedParams);
    });

    test("verifies, with the scope the client sent", async () => {
      const result = await verify(capture);
      assert.equal(result.accessKeyId, AKID);
      if (isSigV2) {
        assert.deepEqual(result, { accessKeyId: AKID, method: "sigv2" });
      } else {
        const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(header(capture.request, "authorization") ?? "");
        assert.ok(scope);
        assert.deepEqual(result, { accessKeyId: AKID, method: "sigv4", region: scope[1], service: scope[2] });
      }
    });

    test("still verifies with an unsigned header changed", async () => {
      await verify(capture, { req: withHeader(capture.request, "user-agent", "something else") });
    });

    test("one byte of the body (or, for SigV2 GET, a parameter) changed → SignatureDoesNotMatch", async () => {
      const { request } = capture;
      let req: SignedRequest;
      if (isSigV2) {
        const rawQuery = request.rawQuery.replace("g1", "g2");
        assert.notEqual(rawQuery, request.rawQuery);
        req = makeRequest({ ...request, rawQuery });
      } else if (request.body.length > 0) {
        const body = Buffer.from(request.body);
        body.writeUInt8(body.readUInt8(body.length - 1) ^ 0x01, body.length - 1);
        req = { ...request, body };
      } else {
        req = { ...request, body: Buffer.from("x") };
      }
      await rejects(verify(capture, { req }), "SignatureDoesNotMatch");
    });

    test("a signed header changed → SignatureDoesNotMatch", async () => {
      await rejects(verify(capture, { req: withHeader(capture.request, "host", "127.0.0.2:8099") }), "SignatureDoesNotMatch");
    });

    test("the wrong secret → SignatureDoesNotMatch", async () => {
      await rejects(verify(capture, { secret: "not-the-secret" }), "SignatureDoesNotMatch");
    });

    test("an unknown access key → InvalidClientTokenId", async () => {
      await rejects(authenticate(capture.request, signedAt(capture.request), () => Promise.resolve(null)), "InvalidClientTokenId");
    });

    test("the clock 15 minutes off either way is tolerated, 16 is not", async () => {
      const t = signedAt(capture.request).getTime();
      await verify(capture, { now: new Date(t + 15 * MINUTE) });
      await verify(capture, { now: new Date(t - 15 * MINUTE) });
      await rejects(verify(capture, { now: new Date(t + 16 * MINUTE) }), "RequestExpired");
      await rejects(verify(capture, { now: new Date(t - 16 * MINUTE) }), "RequestExpired");
    });
  });
}
