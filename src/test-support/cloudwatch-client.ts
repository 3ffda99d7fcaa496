/**
 * The AWS SDK's CloudWatch client for tests: a client of a test Phantom, and the assertion that
 * a call failed with a given CloudWatch error.
 */
import assert from "node:assert/strict";
import { CloudWatchClient, CloudWatchServiceException, type CloudWatchClientConfig } from "@aws-sdk/client-cloudwatch";
import type { TestUser } from "./test-phantom.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** A CloudWatch client of `phantom` signing as `user`, without retries. */
export function cwClient(phantom: { url: string }, user: Omit<TestUser, "name">, config: CloudWatchClientConfig = {}): CloudWatchClient {
  return new CloudWatchClient({
    endpoint: phantom.url,
    region: "us-east-1",
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    maxAttempts: 1,
    ...config,
  });
}

/**
 * Awaits `call`, which must fail with the CloudWatch error `code` (the Query code the SDK takes
 * from `x-amzn-query-error`), HTTP `status`, the client's fault, and a message matching `message`.
 */
export async function cwRejectsWith(call: Promise<unknown>, code: string, message: RegExp, status = 400): Promise<void> {
  let caught: unknown;
  try {
    await call;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CloudWatchServiceException, `expected ${code}, got ${String(caught ?? "success")}`);
  const e = caught as CloudWatchServiceException & { Code?: string };
  assert.equal(e.Code, code, `Code (name ${e.name}, message: ${e.message})`);
  assert.equal(e.$metadata.httpStatusCode, status);
  assert.equal(e.$fault, "client");
  assert.match(e.message, message);
}
