/**
 * AWS Query responses: the XML body of a result, or of an error, as AWS writes them and as
 * botocore's `QueryParser` and the AWS SDK for JavaScript read them; for models of the `ec2`
 * protocol, as EC2 writes them and botocore's `EC2QueryParser` and the SDK's `AwsEc2QueryProtocol`
 * read them.
 *
 * Each output shape gets a serializer built once from the model (tags precomputed, members in
 * model order, read by constant names), so encoding is appending to one string.
 *
 * Result objects must use the model's member names. A key the shape does not have is a bug in
 * the caller (a misspelt member would silently vanish from the response), so it throws an
 * {@link EncodeError}, as does a value of the wrong type; the API edge answers `InternalFailure`.
 * `undefined` and `null` members are left out.
 */
import type { Member, Model, Operation, ScalarShape, Shape, StructureShape } from "./model.js";

/** Auto Scaling's namespace, which AWS also puts on its `ErrorResponse`. */
export const AUTOSCALING_XML_NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/** A result that does not fit the output shape; `path` leads from the result to the bad value. */
export class EncodeError extends Error {
  override readonly name = "EncodeError";
  readonly path: Array<string | number> = [];
  constructor(readonly problem: string) {
    super(problem);
  }
}

/**
 * The response body for a successful call of `operation`.
 *
 * @param result the output structure, keyed by the model's member names; undefined or empty for
 *   an operation without output
 * @throws EncodeError when `result` has a key or value that does not fit the output shape
 * @throws Error when the model has no such operation
 */
export function encodeResponse(
  model: Model,
  operation: string,
  result: Record<string, unknown> | undefined,
  requestId: string,
): string {
  const op = model.operations.get(operation);
  if (!op) throw new Error(`${operation} is not an operation of the model`);
  let envelope = envelopes.get(op);
  if (!envelope) {
    envelope = compileEnvelope(model, op);
    envelopes.set(op, envelope);
  }
  let out = envelope.idFirst ? envelope.open + escapeXml(requestId) + envelope.close : envelope.open;
  if (envelope.output) {
    try {
      out = envelope.output(result ?? {}, out);
    } catch (e) {
      if (e instanceof EncodeError) {
        e.message = `${operation} result${e.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}: ${e.problem}`;
      }
      throw e;
    }
  } else if (result !== undefined && Object.keys(result).length > 0) {
    throw new EncodeError(`${operation} has no output, but a result was given`);
  }
  return envelope.idFirst ? out + envelope.end : out + envelope.close + escapeXml(requestId) + envelope.end;
}

/**
 * The body of an EC2 error, as EC2 writes it and botocore's `EC2QueryParser` and the AWS SDK
 * for JavaScript read it: `<Response><Errors><Error>` with `Code` and `Message`, then
 * `RequestID` (capital `ID`, unlike the other Query services). No namespace and no `Type`: EC2
 * sends neither.
 */
export function encodeEc2Error(code: string, message: string, requestId: string): string {
  return (
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}

/**
 * The body of an AWS Query error (`<ErrorResponse>`), as botocore's query error parser and the
 * AWS SDK for JavaScript read it: `Error.Type`, `Error.Code`, `Error.Message`, `RequestId`.
 *
 * @param sender true for the client's fault (`Sender`), false for the service's (`Receiver`)
 * @param xmlNamespace the service's namespace (a model's `xmlNamespace`); Auto Scaling's by default
 */
export function encodeError(
  code: string,
  message: string,
  requestId: string,
  sender: boolean,
  xmlNamespace: string = AUTOSCALING_XML_NAMESPACE,
): string {
  return (
    `<ErrorResponse xmlns="${escapeXml(xmlNamespace)}"><Error><Type>${sender ? "Sender" : "Receiver"}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}

/**
 * Text that may need work: markup, `"`, `\r` (parsers would turn `\r\n` into `\n`), characters XML 1.0
 * forbids, and any surrogate. Kept free of lookarounds: it runs on every string written.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SUSPECT = /["&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
/** What is replaced: as above, but surrogates only when not part of a pair. */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- as above
  /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|"/g;
const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", '"': "&quot;" };

/**
 * Escapes text for XML content. Characters that XML 1.0 cannot carry at all, even as references
 * (most C0 controls, U+FFFE/U+FFFF, lone surrogates), become U+FFFD: a parser would reject the
 * whole response otherwise. `"` is escaped too, so the result also fits a quoted attribute.
 */
export function escapeXml(text: string): string {
  return SUSPECT.test(text) ? text.replace(UNSAFE, (c) => ENTITIES[c] ?? "\uFFFD") : text;
}

/**
 * The fixed text around a response. In `query` the members come first and the request id last
 * (`open` members `close` id `end`); in `ec2` the request id comes first (`open` id `close`
 * members `end`).
 */
interface Envelope {
  readonly idFirst: boolean;
  readonly open: string;
  readonly close: string;
  readonly end: string;
  readonly output?: Append;
}

const envelopes = new WeakMap<Operation, Envelope>();

/**
 * The query envelope (`<OpResponse>`, the result wrapper, `<ResponseMetadata><RequestId>` last)
 * or the ec2 one (`<OpResponse>`, a bare `<requestId>` first, the members, no wrapper).
 */
function compileEnvelope(model: Model, op: Operation): Envelope {
  const root = `${op.name}Response`;
  const output = op.output && content(op.output);
  if (model.protocol === "ec2") {
    // EC2 writes its namespace with a trailing slash; botocore's model metadata drops it.
    const namespace = model.xmlNamespace.endsWith("/") ? model.xmlNamespace : `${model.xmlNamespace}/`;
    const open = `<${root} xmlns="${escapeXml(namespace)}"><requestId>`;
    return { idFirst: true, open, close: "</requestId>", end: `</${root}>`, ...(output && { output }) };
  }
  const open = `<${root} xmlns="${escapeXml(model.xmlNamespace)}">`;
  const metadata = "<ResponseMetadata><RequestId>";
  const end = `</RequestId></ResponseMetadata></${root}>`;
  if (!output) return { idFirst: false, open, close: metadata, end };
  if (op.resultWrapper === undefined) return { idFirst: false, open, close: metadata, end, output };
  return { idFirst: false, open: `${open}<${op.resultWrapper}>`, close: `</${op.resultWrapper}>${metadata}`, end, output };
}

/**
 * Appends a value's content (what goes between its element's tags) to `out` and returns the
 * result. Serializers thread one string through, so the response grows by appending only.
 */
type Append = (value: unknown, out: string) => string;

const contents = new WeakMap<Shape, Append>();

function content(shape: Shape): Append {
  const cached = contents.get(shape);
  if (cached) return cached;
  // A recursive shape meets itself while being built: it gets this forwarder, called only later.
  contents.set(shape, (v, out) => built(v, out));
  const built = buildContent(shape);
  contents.set(shape, built);
  return built;
}

function buildContent(shape: Shape): Append {
  switch (shape.kind) {
    case "structure":
      return structureContent(shape);
    case "list": {
      // A list inside a list (not a member) is never flattened.
      const items = listItems(shape.member, `<${shape.xmlItem}>`, `</${shape.xmlItem}>`);
      return (v, out) => items(asArray(v), out);
    }
    case "map": {
      const entries = mapEntries(shape.keyName, shape.valueName, content(shape.value), "<entry>", "</entry>");
      return (v, out) => entries(asObject(v), out);
    }
    default: {
      const text = scalarText(shape);
      return (v, out) => out + text(v);
    }
  }
}

/** The text of a scalar, checked against its type. */
function scalarText(shape: ScalarShape): (v: unknown) => string {
  switch (shape.kind) {
    case "string":
      return (v) => (typeof v === "string" ? escapeXml(v) : wrongType("a string", v));
    case "integer":
    case "long":
      return (v) => (Number.isInteger(v) || typeof v === "bigint" ? String(v) : wrongType("an integer", v));
    case "double":
    case "float":
      return (v) => (typeof v === "number" ? String(v) : wrongType("a number", v));
    case "boolean":
      return (v) => (v === true ? "true" : v === false ? "false" : wrongType("a boolean", v));
    case "timestamp":
      // toISOString is the format botocore and the AWS SDKs parse: UTC with milliseconds.
      return (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString() : wrongType("a valid Date", v));
    case "blob":
      return (v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") : wrongType("bytes", v));
  }
}

/**
 * A structure's serializer is generated source, one line per member reading it by a constant
 * name: V8 then reads each member through an inline cache instead of a dictionary lookup by a
 * variable key, which made encoding several times slower. Scalar members are written inline.
 * Names come from the model and are quoted with JSON.stringify.
 *
 * Unknown keys are found by counting: the loop counts the members present, a `for…in` counts the
 * keys, and only when they differ does the slow check name the intruder.
 */
function structureContent(shape: StructureShape): Append {
  const members = shape.xmlMembers;
  const names = members.map((m) => m.name);
  const known = new Set(names);
  const unknownKey = (obj: Record<string, unknown>): void => {
    for (const key in obj) if (!known.has(key)) throw new EncodeError(`${shape.name} has no member ${key}`);
  };
  // w[i] appends a whole member (tags included); t[i] is the text of a scalar member.
  const w: Array<Append | undefined> = [];
  const t: Array<((v: unknown) => string) | undefined> = [];
  const lines = members.map((m, i) => {
    const write = isScalar(m.shape)
      ? ((t[i] = scalarText(m.shape)), `out += ${JSON.stringify(`<${m.xmlName}>`)} + t[${i}](x) + ${JSON.stringify(`</${m.xmlName}>`)};`)
      : ((w[i] = memberWriter(m)), `out = w[${i}](x, out);`);
    return `    x = obj[${JSON.stringify(m.name)}]; if (x !== undefined) { present++; if (x !== null) { at = ${i}; ${write} } }`;
  });
  const body = [
    "return function structure(v, out) {",
    "  const obj = asObject(v);",
    "  let present = 0, at = -1, x;",
    "  try {",
    ...lines,
    "  } catch (e) {",
    "    if (e instanceof EncodeError) e.path.unshift(names[at]);",
    "    throw e;",
    "  }",
    "  let keys = 0;",
    "  for (const _ in obj) keys++;",
    "  if (keys !== present) unknownKey(obj);",
    "  return out;",
    "};",
  ].join("\n");
  const factory = new Function("w", "t", "names", "asObject", "EncodeError", "unknownKey", body) as (
    w: ReadonlyArray<Append | undefined>,
    t: ReadonlyArray<((v: unknown) => string) | undefined>,
    names: readonly string[],
    asObject: (v: unknown) => Record<string, unknown>,
    error: typeof EncodeError,
    unknownKey: (obj: Record<string, unknown>) => void,
  ) => Append;
  return factory(w, t, names, asObject, EncodeError, unknownKey);
}

function isScalar(shape: Shape): shape is ScalarShape {
  return shape.kind !== "structure" && shape.kind !== "list" && shape.kind !== "map";
}

/** Appends a member's element(s), tags included. */
function memberWriter(member: Member): Append {
  const { shape, xmlName, flattened } = member;
  const open = `<${xmlName}>`;
  const close = `</${xmlName}>`;
  if (shape.kind === "list") {
    if (flattened) {
      const items = listItems(shape.member, open, close);
      return (v, out) => items(asArray(v), out);
    }
    const items = listItems(shape.member, `<${shape.xmlItem}>`, `</${shape.xmlItem}>`);
    const empty = `<${xmlName}/>`;
    return (v, out) => {
      const list = asArray(v);
      return list.length === 0 ? out + empty : items(list, out + open) + close;
    };
  }
  if (shape.kind === "map" && flattened) {
    const entries = mapEntries(shape.keyName, shape.valueName, content(shape.value), open, close);
    return (v, out) => entries(asObject(v), out);
  }
  const inner = content(shape);
  return (v, out) => inner(v, out + open) + close;
}

function listItems(member: Shape, open: string, close: string): (list: readonly unknown[], out: string) => string {
  const inner = content(member);
  return (list, out) => {
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      try {
        if (item === undefined || item === null) throw new EncodeError("list items must not be null");
        out = inner(item, out + open) + close;
      } catch (e) {
        if (e instanceof EncodeError) e.path.unshift(i);
        throw e;
      }
    }
    return out;
  };
}

function mapEntries(keyName: string, valueName: string, value: Append, open: string, close: string) {
  const keyOpen = `${open}<${keyName}>`;
  const keyClose = `</${keyName}><${valueName}>`;
  const valueClose = `</${valueName}>${close}`;
  return (map: Record<string, unknown>, out: string): string => {
    for (const key of Object.keys(map)) {
      const v = map[key];
      if (v === undefined || v === null) continue;
      try {
        out = value(v, out + keyOpen + escapeXml(key) + keyClose) + valueClose;
      } catch (e) {
        if (e instanceof EncodeError) e.path.unshift(key);
        throw e;
      }
    }
    return out;
  };
}

function asArray(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : wrongType("an array", v);
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)
    ? (v as Record<string, unknown>)
    : wrongType("an object", v);
}

function wrongType(expected: string, v: unknown): never {
  const got =
    v === null ? "null" : Array.isArray(v) ? "an array" : v instanceof Date ? (Number.isNaN(v.getTime()) ? "an invalid Date" : "a Date") : typeof v;
  throw new EncodeError(`expected ${expected}, got ${got}${typeof v === "string" ? ` '${v.slice(0, 40)}'` : ""}`);
}
