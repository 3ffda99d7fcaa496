/**
 * Builds an operation's input structure from flat AWS Query parameters and validates it against
 * the model the way AWS does.
 *
 * Two passes. The first places each parameter by its name (`Tags.member.1.Key`) into pending
 * containers; a name that does not fit the input shape is refused at once, naming it. The second
 * walks the input shape in model order, converts scalars and checks every constraint, collecting
 * all violations into one `ValidationError` worded like AWS's ("1 validation error detected: Value
 * null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null").
 *
 * The result uses the model's member names; lists are arrays, maps plain objects, integers and
 * doubles numbers, timestamps `Date`s, blobs `Buffer`s.
 */
import { PhantomError, ValidationError } from "../../core/errors.js";
import { MAX_REPORTED_ERRORS } from "../limits.js";
import { maxMembers, type ListShape, type MapShape, type Model, type ScalarShape, type Shape, type StructureShape } from "./model.js";

/** Parameters every Query request carries that are not members of the input. */
const ENVELOPE = new Set(["Action", "Version"]);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INTEGER = /^-?\d+$/;
/** The syntax of a double or float parameter (then it must also be finite). */
export const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const ISO8601 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:Z|([+-])(\d\d):?(\d\d))$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes and validates the input of `operation`.
 *
 * @param params the request's parameters by name (see `parseParams`)
 * @param ignored names that are not input members and must not be reported (authentication
 *   parameters, known client quirks); `Action` and `Version` are always ignored
 * @returns the input structure, keyed by the model's member names
 * @throws PhantomError `InvalidAction` when the model has no such operation
 * @throws UnknownParameterError (a ValidationError) for a parameter that is not part of the input
 * @throws ValidationError for a malformed list index (naming the parameter), or for constraint
 *   violations (all of them, in one message); MissingMemberError when the only violations are
 *   required members left out
 */
export function decodeInput(
  model: Model,
  operation: string,
  params: ReadonlyMap<string, string>,
  ignored: ReadonlySet<string>,
): Record<string, unknown> {
  const op = model.operations.get(operation);
  if (!op) {
    throw new PhantomError("InvalidAction", `Could not find operation ${operation} for version ${model.apiVersion}`);
  }
  const root: PendingStructure = {};
  for (const [name, value] of params) {
    if (ENVELOPE.has(name) || ignored.has(name)) continue;
    if (!op.input) throw notValid(name, operation);
    place(root, op.input, name, value, operation, params.size, model.flatListParams);
  }
  if (!op.input) return {};
  const errors: string[] = [];
  let input: Record<string, unknown> = {};
  let stopped = false;
  try {
    input = finishStructure(op.input, root, [], errors);
  } catch (e) {
    if (!(e instanceof ErrorLimitReached)) throw e;
    stopped = true;
  }
  if (errors.length > 0) {
    const message =
      `${errors.length} validation error${errors.length === 1 ? "" : "s"} detected: ${errors.join("; ")}` +
      (stopped ? ` (checking stopped after ${MAX_REPORTED_ERRORS} errors)` : "");
    throw errors.every((e) => e.endsWith(MUST_NOT_BE_NULL)) ? new MissingMemberError(message) : new ValidationError(message);
  }
  return input;
}

/** A structure being assembled, by member name. */
type PendingStructure = Record<string, unknown>;

/**
 * A list being assembled: items by zero-based index, with holes until every index is seen.
 * Members past one over the model's maximum are not kept, only noted: one over is enough for
 * AWS's message, which quotes the list.
 */
class PendingList {
  readonly items: unknown[] = [];
  overflow = false;
  /** The parameter prefix before the index (`Tags.member`), for messages. */
  constructor(readonly prefix: string) {}
}

/** A map being assembled: entries by zero-based index. */
class PendingMap {
  readonly entries: Array<{ key?: unknown; value?: unknown }> = [];
  overflow = false;
  constructor(readonly prefix: string) {}
}

type Container = StructureShape | ListShape | MapShape;

/**
 * Puts one parameter into the pending tree, creating containers on the way. Every name has one
 * spelling per slot (indexes refuse leading zeros), so two parameters never share a slot.
 * With `flatLists` (the `ec2` protocol) every list is addressed as `Name.N`.
 */
function place(
  root: PendingStructure,
  input: StructureShape,
  name: string,
  value: string,
  op: string,
  limit: number,
  flatLists: boolean,
): void {
  let shape: Container = input;
  let node: unknown = root;
  let flattened = false;
  let pos = 0;
  for (;;) {
    let holder: Record<string | number, unknown>;
    let slot: string | number;
    let next: Shape;
    let nextFlattened = false;
    let end = segmentEnd(name, pos);
    if (shape.kind === "structure") {
      const member = shape.byParam.get(name.slice(pos, end));
      if (!member) throw notValid(name, op);
      holder = node as PendingStructure;
      slot = member.name;
      next = member.shape;
      nextFlattened = member.flattened;
    } else if (shape.kind === "list") {
      if (!flattened) {
        if (end === name.length || name.slice(pos, end) !== shape.paramItem) throw notValid(name, op);
        pos = end + 1;
        end = segmentEnd(name, pos);
      }
      const list = node as PendingList;
      const index = listIndex(name, pos, end, limit);
      if (index > maxMembers(shape) + 1) {
        list.overflow = true;
        return;
      }
      holder = list.items as unknown as Record<number, unknown>;
      slot = index - 1;
      next = shape.member;
    } else {
      if (!flattened) {
        if (end === name.length || name.slice(pos, end) !== "entry") throw notValid(name, op);
        pos = end + 1;
        end = segmentEnd(name, pos);
      }
      const map = node as PendingMap;
      const index = listIndex(name, pos, end, limit) - 1;
      if (index > maxMembers(shape)) {
        map.overflow = true;
        return;
      }
      const entries = map.entries;
      if (end === name.length) throw notValid(name, op);
      pos = end + 1;
      end = segmentEnd(name, pos);
      const part = name.slice(pos, end);
      holder = entries[index] ??= {};
      if (part === shape.keyName) {
        slot = "key";
        next = shape.key;
      } else if (part === shape.valueName) {
        slot = "value";
        next = shape.value;
      } else {
        throw notValid(name, op);
      }
    }
    if (flatLists && next.kind === "list") nextFlattened = true;
    if (end === name.length) {
      if (!isContainer(next)) {
        holder[slot] = value;
        return;
      }
      // botocore sends an empty list as `Name=` (its query serializer's "serializes empty lists").
      if (next.kind === "list" && value === "") {
        holder[slot] ??= new PendingList(listPrefix(name, next, nextFlattened));
        return;
      }
      throw new ValidationError(
        `${name} is not a valid parameter of ${op}: it ${next.kind === "list" ? "is a list" : "has members"}; ` +
          `send ${next.kind === "list" ? `${listPrefix(name, next, nextFlattened)}.1, .2, …` : `${name}.<Member>`}`,
      );
    }
    if (!isContainer(next)) throw notValid(name, op);
    const prefix = name.slice(0, end);
    node = holder[slot] ??=
      next.kind === "structure"
        ? {}
        : next.kind === "list"
          ? new PendingList(listPrefix(prefix, next, nextFlattened))
          : new PendingMap(nextFlattened ? prefix : `${prefix}.entry`);
    shape = next;
    flattened = nextFlattened;
    pos = end + 1;
  }
}

function isContainer(shape: Shape): shape is Container {
  return shape.kind === "structure" || shape.kind === "list" || shape.kind === "map";
}

function segmentEnd(name: string, pos: number): number {
  const dot = name.indexOf(".", pos);
  return dot < 0 ? name.length : dot;
}

function listPrefix(param: string, list: ListShape, flattened: boolean): string {
  return flattened ? param : `${param}.${list.paramItem}`;
}

/**
 * The 1-based index at `name[pos, end)`: digits without a leading zero. An index above `limit`
 * (the number of parameters) is refused here: such a list must have a gap, and refusing it early
 * keeps a forged `member.999999999` from allocating anything.
 */
function listIndex(name: string, pos: number, end: number, limit: number): number {
  let n = 0;
  for (let i = pos; i < end; i++) {
    const d = name.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (i === pos && d === 0)) n = NaN;
    n = n * 10 + d;
  }
  if (end === pos || !(n >= 1)) {
    throw new ValidationError(
      `${name} has an invalid list index '${name.slice(pos, end)}': members are numbered 1, 2, 3, … without leading zeros`,
    );
  }
  if (n > limit) throw new ValidationError(`${name} is out of sequence: list members must be numbered 1, 2, 3, … without gaps`);
  return n;
}

/**
 * A parameter the operation does not have (a `ValidationError` to the Query services; EC2
 * answers it as `UnknownParameter`, so its endpoint needs to tell it apart).
 */
export class UnknownParameterError extends ValidationError {}

/**
 * Input whose only violations are required members left out (a ValidationError; services
 * that name this case apart, as CloudWatch's `MissingParameter`, can tell it by its class).
 */
export class MissingMemberError extends ValidationError {}

const MUST_NOT_BE_NULL = "Member must not be null";

function notValid(name: string, op: string): ValidationError {
  return new UnknownParameterError(`${name} is not a valid parameter of ${op}`);
}

/**
 * A path to a value, for messages: member path names, list indexes (shown as `N.member`) and
 * map parts (`N.key`, `N.value`). Joined only when a violation is reported.
 */
type Path = Array<string | number>;

function finish(shape: Shape, raw: unknown, path: Path, errors: string[]): unknown {
  switch (shape.kind) {
    case "structure":
      return finishStructure(shape, raw as PendingStructure, path, errors);
    case "list":
      return finishList(shape, raw as PendingList, path, errors);
    case "map":
      return finishMap(shape, raw as PendingMap, path, errors);
    default:
      return finishScalar(shape, raw as string, path, errors);
  }
}

function finishStructure(shape: StructureShape, raw: PendingStructure, path: Path, errors: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const member of shape.members) {
    const value = raw[member.name];
    path.push(member.pathName);
    if (value !== undefined) out[member.name] = finish(member.shape, value, path, errors);
    else if (member.required) violation(errors, path, undefined, false, MUST_NOT_BE_NULL);
    path.pop();
  }
  return out;
}

function finishList(shape: ListShape, raw: PendingList, path: Path, errors: string[]): unknown[] {
  const { items } = raw;
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    if (!(i in items)) {
      throw new ValidationError(`${raw.prefix}.${i + 1} is missing: list members must be numbered 1, 2, 3, … without gaps`);
    }
    path.push(i + 1);
    out[i] = finish(shape.member, items[i], path, errors);
    path.pop();
  }
  if (raw.overflow) tooMany(shape, path, errors);
  else checkSize(shape, out.length, out, path, errors);
  return out;
}

function finishMap(shape: MapShape, raw: PendingMap, path: Path, errors: string[]): Record<string, unknown> {
  const { entries } = raw;
  const pairs: Array<[string, unknown]> = [];
  const keys = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const where = `${raw.prefix}.${i + 1}`;
    if (entry === undefined) throw new ValidationError(`${where} is missing: map entries must be numbered 1, 2, 3, … without gaps`);
    if (entry.key === undefined) throw new ValidationError(`${where}.${shape.keyName} is missing`);
    if (entry.value === undefined) throw new ValidationError(`${where}.${shape.valueName} is missing`);
    const key = entry.key as string;
    if (keys.has(key)) throw new ValidationError(`${where}.${shape.keyName} repeats the key '${key}'`);
    keys.add(key);
    path.push(`${i + 1}.key`);
    finishScalar(shape.key, key, path, errors);
    path.pop();
    path.push(`${i + 1}.value`);
    pairs.push([key, finish(shape.value, entry.value, path, errors)]);
    path.pop();
  }
  // fromEntries defines own properties, so a key like "__proto__" stays a plain key.
  const out = Object.fromEntries(pairs);
  if (raw.overflow) tooMany(shape, path, errors);
  else checkSize(shape, pairs.length, out, path, errors);
  return out;
}

/** A list or map with members past its maximum, which were not kept: reported without its value. */
function tooMany(shape: ListShape | MapShape, path: Path, errors: string[]): void {
  violation(errors, path, undefined, true, `Member must have length less than or equal to ${maxMembers(shape)}`);
}

function checkSize(shape: ListShape | MapShape, size: number, value: unknown, path: Path, errors: string[]): void {
  if (shape.min !== undefined && size < shape.min) {
    violation(errors, path, value, false, `Member must have length greater than or equal to ${shape.min}`);
  }
  if (size > maxMembers(shape)) {
    violation(errors, path, value, false, `Member must have length less than or equal to ${maxMembers(shape)}`);
  }
}

function finishScalar(shape: ScalarShape, raw: string, path: Path, errors: string[]): unknown {
  const bad = (constraint: string): undefined => {
    violation(errors, path, raw, shape.sensitive, constraint);
    return undefined;
  };
  switch (shape.kind) {
    case "string": {
      const { min, max, pattern } = shape;
      if (min !== undefined && raw.length < min) bad(`Member must have length greater than or equal to ${min}`);
      if (max !== undefined && raw.length > max) bad(`Member must have length less than or equal to ${max}`);
      if (pattern && !pattern.regex.test(raw)) bad(`Member must satisfy regular expression pattern: ${pattern.source}`);
      if (shape.enum && !shape.enum.has(raw)) bad(`Member must satisfy enum value set: [${[...shape.enum].join(", ")}]`);
      return raw;
    }
    case "integer":
    case "long": {
      // `+ 0` turns "-0" into 0: Java's int has no negative zero.
      const n = Number(raw) + 0;
      if (!INTEGER.test(raw)) return bad("Member must be an integer");
      if (shape.kind === "integer" ? n < INT32_MIN || n > INT32_MAX : !Number.isSafeInteger(n)) {
        return bad(
          shape.kind === "integer"
            ? `Member must be an integer between ${INT32_MIN} and ${INT32_MAX}`
            : `Member must be an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`,
        );
      }
      return checkRange(shape, n, bad);
    }
    case "double":
    case "float": {
      const n = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(n)) return bad("Member must be a number");
      return checkRange(shape, n, bad);
    }
    case "boolean": {
      const lower = raw.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      return bad("Member must be true or false");
    }
    case "timestamp":
      return parseTimestamp(raw) ?? bad("Member must be a timestamp in ISO 8601 format, like 2026-11-26T11:37:24Z");
    case "blob":
      return BASE64.test(raw) ? Buffer.from(raw, "base64") : bad("Member must be base64-encoded");
  }
}

function checkRange(shape: ScalarShape, n: number, bad: (constraint: string) => undefined): number | undefined {
  if (shape.min !== undefined && n < shape.min) return bad(`Member must have value greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && n > shape.max) return bad(`Member must have value less than or equal to ${shape.max}`);
  return n;
}

/** A strict ISO 8601 date-time with an offset; `Date.parse` would accept `2026-02-30`. */
function parseTimestamp(s: string): Date | undefined {
  const m = ISO8601.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const offset = m[8] ? (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  if (
    local.getUTCFullYear() !== year ||
    local.getUTCMonth() !== month - 1 ||
    local.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  return new Date(local.getTime() - offset * 60_000);
}

/** Thrown once {@link MAX_REPORTED_ERRORS} violations are collected: the walk stops there. */
class ErrorLimitReached extends Error {}

function violation(errors: string[], path: Path, value: unknown, sensitive: boolean, constraint: string): void {
  const at = path.map((p) => (typeof p === "number" ? `${p}.member` : p)).join(".");
  errors.push(`Value${sensitive ? "" : ` ${value === undefined ? "null" : `'${render(value)}'`}`} at '${at}' failed to satisfy constraint: ${constraint}`);
  if (errors.length >= MAX_REPORTED_ERRORS) throw new ErrorLimitReached();
}

/** Java's `toString` look, which AWS quotes: `[a, b]` for lists, `{Key=k, Value=v}` for structures. */
function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(render).join(", ")}]`;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${k}=${render(v)}`).join(", ")}}`;
  }
  return String(value);
}
