/**
 * AWS's JSON 1.0 protocol (`X-Amz-Target: <prefix>.<Operation>`, `application/x-amz-json-1.0`),
 * as the AWS SDK for JavaScript speaks it to CloudWatch, whose model declares
 * `awsQueryCompatible`: errors carry the Query error code in `x-amzn-query-error`.
 *
 * The request body is turned into the Query parameters the same call would have sent
 * (`MetricData.member.1.Value=…`), so one decoder ({@link decodeInput}) validates both
 * protocols with the same rules and the same messages.
 */
import { PhantomError } from "../../core/errors.js";
import { MAX_NESTING_DEPTH } from "../limits.js";
import { maxMembers, type Model, type Shape } from "./model.js";
import { jsonNestingWithin } from "./nesting-depth.js";

/** The JSON 1.0 content type. */
export const JSON_CONTENT_TYPE = "application/x-amz-json-1.0";

/**
 * The Query parameters equivalent to a JSON request body.
 * @throws PhantomError `SerializationException`-like `ValidationError`s for a body that is not a
 *   JSON object or whose values do not fit the operation's input shape
 */
export function jsonToParams(model: Model, operation: string, body: Buffer): Map<string, string> {
  if (!jsonNestingWithin(body, MAX_NESTING_DEPTH)) throw tooDeep();
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch (cause) {
    throw new PhantomError("MalformedQueryString", "The request body is not valid JSON.", { cause });
  }
  return inputToParams(model, operation, json);
}

/**
 * The Query parameters equivalent to an operation's input given as a structured value (the
 * decoded body of a JSON or CBOR request). Timestamps may be epoch seconds, or CBOR's tag 1.
 * A list longer than its model allows is cut one past that length, so the decoder still reports
 * it but a million members never become a million parameters.
 */
export function inputToParams(model: Model, operation: string, input: unknown): Map<string, string> {
  const op = model.operations.get(operation);
  if (!op) throw new PhantomError("InvalidAction", `Could not find operation ${operation} for version ${model.apiVersion}`);
  const out = new Map<string, string>();
  if (op.input === undefined) return out;
  flatten(op.input, input, "", out, model.flatListParams);
  return out;
}

function flatten(shape: Shape, input: unknown, prefix: string, out: Map<string, string>, flatLists: boolean): void {
  let value = input;
  if (value === null || value === undefined) return;
  const where = prefix === "" ? "the request" : prefix;
  switch (shape.kind) {
    case "structure": {
      if (typeof value !== "object" || Array.isArray(value)) throw notFit(where, "an object");
      for (const [key, v] of Object.entries(value)) {
        const member = shape.byName.get(key);
        if (member === undefined) {
          // A name the model does not know goes through as is: the decoder names it.
          if (typeof v !== "object" || v === null) out.set(join(prefix, key), String(v));
          else throw notFit(join(prefix, key), "a member of the input");
          continue;
        }
        flatten(member.shape, v, join(prefix, member.paramName), out, flatLists);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(value)) throw notFit(where, "a list");
      value.slice(0, maxMembers(shape) + 1).forEach((item, i) => flatten(shape.member, item, join(prefix, flatLists ? String(i + 1) : `${shape.paramItem}.${i + 1}`), out, flatLists));
      return;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) throw notFit(where, "an object");
      Object.entries(value).forEach(([k, v], i) => {
        out.set(join(prefix, `entry.${i + 1}.${shape.keyName}`), k);
        flatten(shape.value, v, join(prefix, `entry.${i + 1}.${shape.valueName}`), out, flatLists);
      });
      return;
    }
    case "timestamp":
      // Epoch seconds, as the JSON protocols send them (CBOR wraps them in tag 1); a string is
      // passed on for the decoder.
      if (typeof value === "object" && value !== null && (value as { tag?: unknown }).tag === 1) {
        value = (value as { value: unknown }).value;
      }
      if (typeof value === "number") {
        const date = new Date(value * 1000);
        if (Number.isNaN(date.getTime())) throw notFit(where, "a timestamp");
        out.set(prefix, date.toISOString());
      } else out.set(prefix, String(value));
      return;
    default:
      if (typeof value === "object") throw notFit(where, "a single value");
      out.set(prefix, String(value));
  }
}

/** A body nested deeper than {@link MAX_NESTING_DEPTH}, refused before it is parsed. */
export function tooDeep(): PhantomError {
  return new PhantomError("MalformedQueryString", `The request body nests deeper than ${MAX_NESTING_DEPTH} levels.`);
}

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function notFit(where: string, what: string): PhantomError {
  return new PhantomError("ValidationError", `${where} must be ${what}.`);
}

/** A result as a JSON 1.0 body: dates as epoch seconds, absent members left out. */
export function encodeJsonResponse(result: Record<string, unknown> | undefined): string {
  // The replacer sees a Date after its toJSON ran; the holder still has the Date itself.
  return JSON.stringify(result ?? {}, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
}

/**
 * A JSON 1.0 error: `__type` names the error, `x-amzn-query-error` carries the Query code and
 * fault side, which SDKs of query-compatible services report as the error's code.
 */
export function encodeJsonError(code: string, message: string, sender: boolean): { body: string; headers: Record<string, string> } {
  return {
    body: JSON.stringify({ __type: code, message }),
    headers: { "x-amzn-query-error": `${code};${sender ? "Sender" : "Receiver"}` },
  };
}
