/**
 * Helpers for the auth tests only: load the captured conformance requests and turn requests
 * into {@link SignedRequest}s the way the HTTP layer will.
 */
import assert from "node:assert/strict";
import { loadCaptures as loadCaptureFiles } from "../../test-support/captures.js";
import { isPhantomError, type AwsErrorCode, type PhantomError } from "../../core/errors.js";
import type { SignedRequest } from "./request.js";
import type { SecretLookup } from "./authenticate.js";

/** Query-string parameters, then form-body ones when the body is a form, in order. */
export function decodeParams(rawQuery: string, rawHeaders: readonly string[], body: Buffer): [string, string][] {
  const params = [...new URLSearchParams(rawQuery)];
  const contentType = headerOf(rawHeaders, "content-type") ?? "";
  if (contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    params.push(...new URLSearchParams(body.toString("utf8")));
  }
  return params;
}

function headerOf(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return undefined;
}

/** Builds a request from its parts, decoding the params as the HTTP layer will. */
export function makeRequest(parts: Omit<SignedRequest, "params">): SignedRequest {
  return { ...parts, params: decodeParams(parts.rawQuery, parts.rawHeaders, parts.body) };
}

/** A header value as Node hands it over: each UTF-8 byte becomes one latin1 character. */
export function asNodeHeader(value: string): string {
  return Buffer.from(value, "utf8").toString("latin1");
}

/** A secret lookup that knows one key. */
export function oneKey(accessKeyId: string, secret: string): SecretLookup {
  return (id) => Promise.resolve(id === accessKeyId ? secret : null);
}

/** One captured request (`test-fixtures/captures/`) as the signature check sees it. */
export interface CapturedRequest {
  readonly name: string;
  readonly request: SignedRequest;
  /** The parameters the file lists after the request, to check the parsing against. */
  readonly listedParams: [string, string][];
}

/** Every capture, each turned into a {@link SignedRequest} the way the HTTP layer will. */
export function loadCaptures(): CapturedRequest[] {
  return loadCaptureFiles().map((c) => ({
    name: c.name,
    request: makeRequest({ method: c.method, path: c.path, rawQuery: c.rawQuery, rawHeaders: c.rawHeaders, body: c.body }),
    listedParams: c.listedParams,
  }));
}

/** Asserts that `promise` rejects with a Phantom error of `code`, and returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: AwsErrorCode, label = ""): Promise<PhantomError> {
  let error: unknown;
  await assert.rejects(promise, (e) => ((error = e), true));
  assert.ok(isPhantomError(error, code), `${label}${label === "" ? "" : ": "}expected ${code}, got ${String(error)}`);
  return error;
}
