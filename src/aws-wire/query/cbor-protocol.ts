/**
 * Smithy's RPC v2 CBOR protocol (`POST /service/<target>/operation/<Operation>`,
 * `smithy-protocol: rpc-v2-cbor`, `application/cbor`), which recent botocore (and so the AWS CLI
 * and boto3 built on it) speaks to CloudWatch. Like the JSON protocol, the body is turned into
 * the Query parameters of the same call, so one decoder validates all three protocols. CBOR
 * itself is `@smithy/core`'s codec.
 */
import { cbor, dateToTag } from "@smithy/core/cbor";
import { PhantomError } from "../../core/errors.js";
import { MAX_NESTING_DEPTH } from "../limits.js";
import { inputToParams, tooDeep } from "./json-protocol.js";
import { cborNestingWithin } from "./nesting-depth.js";
import type { Model } from "./model.js";

/** The CBOR content type. */
export const CBOR_CONTENT_TYPE = "application/cbor";
/** The header value that marks the protocol, on requests and responses. */
export const CBOR_PROTOCOL = "rpc-v2-cbor";

/** The service target and operation of an RPC v2 path, or null when the path is not one. */
export function cborRoute(path: string): { target: string; operation: string } | null {
  const m = /^\/service\/([^/]+)\/operation\/([^/]+)$/.exec(path);
  return m ? { target: decodeURIComponent(m[1]!), operation: decodeURIComponent(m[2]!) } : null;
}

/** The Query parameters equivalent to a CBOR request body. */
export function cborToParams(model: Model, operation: string, body: Buffer): Map<string, string> {
  let input: unknown = {};
  if (body.length > 0) {
    if (!cborNestingWithin(body, MAX_NESTING_DEPTH)) throw tooDeep();
    try {
      input = cbor.deserialize(new Uint8Array(body.buffer, body.byteOffset, body.length));
    } catch (cause) {
      throw new PhantomError("MalformedQueryString", "The request body is not valid CBOR.", { cause });
    }
  }
  return inputToParams(model, operation, input);
}

/** A value as CBOR's data model wants it: dates as tag 1, absent members dropped. */
function toCborValue(value: unknown): unknown {
  if (value instanceof Date) return dateToTag(value);
  if (Array.isArray(value)) return value.map(toCborValue);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCborValue(v);
    return out;
  }
  return value;
}

/** A result as a CBOR body. */
export function encodeCborResponse(result: Record<string, unknown> | undefined): Buffer {
  return Buffer.from(cbor.serialize(toCborValue(result ?? {})));
}

/** A CBOR error body: `__type` and `message`, as the JSON protocol's. */
export function encodeCborError(code: string, message: string): Buffer {
  return Buffer.from(cbor.serialize({ __type: code, message }));
}
