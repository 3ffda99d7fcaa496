/** Dispatch between the schemes, and the error each malformed request gets. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AwsErrorCode } from "../../core/errors.js";
import { AUTH_PARAMETERS, authenticate } from "./authenticate.js";
import type { SignedRequest } from "./request.js";
import { makeRequest, oneKey, rejectsWith } from "./auth.test-support.js";

const NOW = new Date("2026-11-26T11:37:24Z");
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const lookup = oneKey("AKIDEXAMPLE", SECRET);
const GOOD_AUTHORIZATION =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/autoscaling/aws4_request, " +
  "SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";

function request(headers: Record<string, string>, rawQuery = "Action=DescribeAutoScalingGroups&Version=2011-01-01"): SignedRequest {
  return makeRequest({ method: "GET", path: "/", rawQuery, rawHeaders: Object.entries(headers).flat(), body: Buffer.alloc(0) });
}

async function rejects(req: SignedRequest, code: AwsErrorCode, message: string | RegExp): Promise<void> {
  const error = await rejectsWith(authenticate(req, NOW, lookup), code);
  if (typeof message === "string") assert.equal(error.message, message);
  else assert.match(error.message, message);
  assert.ok(!error.message.includes(SECRET), "the secret never appears in a message");
}

test("no credentials at all → MissingAuthenticationToken", async () => {
  await rejects(request({ Host: "h" }), "MissingAuthenticationToken", "Request is missing Authentication Token");
});

test("malformed Authorization headers → IncompleteSignature saying what is wrong", async () => {
  const cases: [string, RegExp][] = [
    ["Basic dXNlcjpwYXNz", /algorithm 'Basic' is not supported/],
    ["AWS4-HMAC-SHA512 Credential=x", /algorithm 'AWS4-HMAC-SHA512'/],
    ["AWS4-HMAC-SHA256", /requires 'Credential' parameter\. .*requires 'Signature' parameter\. .*requires 'SignedHeaders' parameter\./],
    [GOOD_AUTHORIZATION.replace(/, Signature=.*/, ""), /^Authorization header requires 'Signature' parameter\.$/],
    [GOOD_AUTHORIZATION.replace("SignedHeaders=host;x-amz-date, ", ""), /^Authorization header requires 'SignedHeaders' parameter\.$/],
    [GOOD_AUTHORIZATION.replace("Credential=", "Credential"), /not a valid key=value pair/],
    [`${GOOD_AUTHORIZATION}, Signature=00`, /more than one 'Signature'/],
    [`${GOOD_AUTHORIZATION}, Foo=bar`, /unknown parameter 'Foo'/],
    [GOOD_AUTHORIZATION.replace("/us-east-1/autoscaling", "/us-east-1"), /5 slash-separated parts/],
    [GOOD_AUTHORIZATION.replace("/aws4_request", "/aws5_request"), /valid terminator: 'aws4_request', not 'aws5_request'/],
    [GOOD_AUTHORIZATION.replace("Credential=AKIDEXAMPLE", "Credential="), /access key id/],
    [GOOD_AUTHORIZATION.replace("us-east-1", "us east 1"), /valid region/],
    [GOOD_AUTHORIZATION.replace("20261126/", "2026112/"), /valid date/],
    [GOOD_AUTHORIZATION.replace("20261126/", "20261125/"), /Date in Credential scope does not match .*'20261125' != '20261126'/],
    [GOOD_AUTHORIZATION.replace("host;x-amz-date", "x-amz-date"), /'Host' or ':authority' must be a 'SignedHeader'/],
    [GOOD_AUTHORIZATION.replace("host;x-amz-date", "host;;x-amz-date"), /empty header name/],
    [GOOD_AUTHORIZATION.replace("host;x-amz-date", "host;x-amz-date;x-missing"), /Signed header 'x-missing' is not present/],
  ];
  for (const [authorization, message] of cases) {
    await rejects(request({ Host: "h", "X-Amz-Date": "20261126T113724Z", Authorization: authorization }), "IncompleteSignature", message);
  }
});

test("a missing or malformed signing date → IncompleteSignature", async () => {
  await rejects(request({ Host: "h", Authorization: GOOD_AUTHORIZATION }), "IncompleteSignature", /either a 'X-Amz-Date' or a 'Date' header/);
  await rejects(
    request({ Host: "h", "X-Amz-Date": "2026-11-26T11:37:24Z", Authorization: GOOD_AUTHORIZATION }),
    "IncompleteSignature",
    /ISO-8601 'basic format'/,
  );
  // A second X-Amz-Date is not silently ignored.
  await rejects(
    request({ Host: "h", "X-Amz-Date": "20261126T113724Z", "x-amz-date": "20261126T113725Z", Authorization: GOOD_AUTHORIZATION }),
    "IncompleteSignature",
    /ISO-8601 'basic format'/,
  );
  await rejects(request({ Host: "h", Date: "yesterday", Authorization: GOOD_AUTHORIZATION }), "IncompleteSignature", /RFC 7231/);
});

test("a well-formed request with a wrong signature → SignatureDoesNotMatch, worded as AWS does", async () => {
  await rejects(
    request({ Host: "h", "X-Amz-Date": "20261126T113724Z", Authorization: GOOD_AUTHORIZATION }),
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key " +
      "and signing method. Consult the service documentation for details.",
  );
});

test("an unknown access key → InvalidClientTokenId", async () => {
  await rejects(
    request({ Host: "h", "X-Amz-Date": "20261126T113724Z", Authorization: GOOD_AUTHORIZATION.replace("AKIDEXAMPLE", "AKIDOTHER") }),
    "InvalidClientTokenId",
    "The security token included in the request is invalid.",
  );
});

test("a stale request is refused before its secret is looked up", async () => {
  let lookups = 0;
  const counting = (id: string) => {
    lookups++;
    return lookup(id);
  };
  const req = request({ Host: "h", "X-Amz-Date": "20261126T113724Z", Authorization: GOOD_AUTHORIZATION });
  await rejectsWith(authenticate(req, new Date(NOW.getTime() + 16 * 60_000), counting), "RequestExpired");
  assert.equal(lookups, 0);
});

test("presigned parameters must be complete and well formed", async () => {
  const presigned =
    "Action=DescribeAutoScalingGroups&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    "&X-Amz-Credential=AKIDEXAMPLE%2F20261126%2Fus-east-1%2Fautoscaling%2Faws4_request" +
    "&X-Amz-Date=20261126T113724Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
  await rejects(request({ Host: "h" }, presigned), "SignatureDoesNotMatch", /does not match/);
  await rejects(request({ Host: "h" }, presigned.replace("&X-Amz-Expires=300", "")), "IncompleteSignature", /must include 'X-Amz-Algorithm'/);
  await rejects(request({ Host: "h" }, presigned.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")), "IncompleteSignature", /only supports/);
  await rejects(request({ Host: "h" }, presigned.replace("Expires=300", "Expires=0")), "IncompleteSignature", /X-Amz-Expires/);
  await rejects(request({ Host: "h" }, presigned.replace("Expires=300", "Expires=604801")), "IncompleteSignature", /604800/);
  await rejects(request({ Host: "h" }, `${presigned}&X-Amz-Signature=01`), "IncompleteSignature", /more than once/);
  await rejects(request({ Host: "h" }, presigned.replace("SignedHeaders=host", "SignedHeaders=x-amz-date")), "IncompleteSignature", /'Host'/);
});

test("one request may use only one scheme", async () => {
  const headers = { Host: "h", "X-Amz-Date": "20261126T113724Z", Authorization: GOOD_AUTHORIZATION };
  await rejects(request(headers, "Action=X&X-Amz-Algorithm=AWS4-HMAC-SHA256"), "IncompleteSignature", /Only one authentication mechanism/);
  await rejects(request(headers, "Action=X&SignatureVersion=2"), "IncompleteSignature", /Only one authentication mechanism/);
});

test("AUTH_PARAMETERS names every authentication parameter and no action parameter", () => {
  for (const name of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
    "X-Amz-Security-Token", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp", "Expires", "SecurityToken"]) {
    assert.ok(AUTH_PARAMETERS.has(name), name);
  }
  for (const name of ["Action", "Version", "AutoScalingGroupName", "x-amz-signature"]) assert.ok(!AUTH_PARAMETERS.has(name), name);
});

test("SigV4: a header that chooses the action or how the body is read must be signed when sent", async () => {
  const header = { Host: "h", "X-Amz-Date": "20261126T113724Z", Authorization: GOOD_AUTHORIZATION };
  const presigned =
    "Action=DescribeAutoScalingGroups&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    "&X-Amz-Credential=AKIDEXAMPLE%2F20261126%2Fus-east-1%2Fautoscaling%2Faws4_request" +
    "&X-Amz-Date=20261126T113724Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
  const unsigned: [string, string][] = [
    ["X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics"],
    ["smithy-protocol", "rpc-v2-cbor"],
    ["Content-Encoding", "gzip"],
    ["Content-Type", "application/x-amz-json-1.0"],
  ];
  for (const [name, value] of unsigned) {
    const message = new RegExp(`^The '${name.toLowerCase()}' header decides how the request is read and must be among the SignedHeaders`);
    await rejects(request({ ...header, [name]: value }), "SignatureDoesNotMatch", message);
    await rejects(request({ Host: "h", [name]: value }, presigned), "SignatureDoesNotMatch", message);
  }
  // boto 2 leaves its form Content-Type unsigned: that one reaches the signature check.
  await rejects(request({ ...header, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" }), "SignatureDoesNotMatch", /^The request signature we calculated/);
});
