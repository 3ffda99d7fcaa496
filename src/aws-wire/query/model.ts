/**
 * A botocore service model (`{metadata, operations, shapes}`, as in `src/aws-wire/models/*.json`)
 * compiled once into linked shape objects that the decoder and encoder walk without further
 * lookups: wire names resolved, patterns compiled, enums in sets, members in model order.
 *
 * Names differ by protocol; they are resolved here, in one place, by a {@link Dialect}: `query`
 * (Auto Scaling, CloudWatch) and `ec2` (`Name.N` lists, `queryName`/capitalised `locationName`
 * parameters). The encoder adds each protocol's response envelope.
 */
import { MAX_LIST_MEMBERS } from "../limits.js";
import { javaPatternToRegExp } from "./java-pattern.js";

/** A reference to a shape, as botocore writes it in members, list members and map keys/values. */
export interface BotocoreShapeRef {
  readonly shape: string;
  readonly locationName?: string;
  readonly queryName?: string;
  readonly flattened?: boolean;
}

/** One entry of botocore's `shapes` (only the fields Phantom reads). */
export interface BotocoreShape {
  readonly type: string;
  readonly members?: Readonly<Record<string, BotocoreShapeRef>>;
  readonly required?: readonly string[];
  readonly member?: BotocoreShapeRef;
  readonly key?: BotocoreShapeRef;
  readonly value?: BotocoreShapeRef;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly flattened?: boolean;
  readonly locationName?: string;
  readonly queryName?: string;
  readonly sensitive?: boolean;
  readonly xmlOrder?: readonly string[];
}

/** One entry of botocore's `operations`. */
export interface BotocoreOperation {
  readonly name: string;
  readonly input?: { readonly shape: string };
  readonly output?: { readonly shape: string; readonly resultWrapper?: string };
}

/** A botocore `service-2.json` document (or a trimmed copy of one). */
export interface BotocoreModel {
  readonly metadata: { readonly apiVersion: string; readonly protocol: string; readonly xmlNamespace?: string };
  readonly operations: Readonly<Record<string, BotocoreOperation>>;
  readonly shapes: Readonly<Record<string, BotocoreShape>>;
}

/** The scalar types of botocore models. */
export type ScalarKind = "string" | "integer" | "long" | "boolean" | "double" | "float" | "timestamp" | "blob";

/** A compiled shape. Shapes are shared and may be recursive: compare by identity. */
export type Shape = StructureShape | ListShape | MapShape | ScalarShape;

/** One member of a structure, with every name it goes by. */
export interface Member {
  /** The model's member name: the key in decoded input and in results. */
  readonly name: string;
  /** The name in validation messages: the member name with its first letter lower-cased. */
  readonly pathName: string;
  /** The first segment of the member's request parameters (`Tags` in `Tags.member.1.Key`). */
  readonly paramName: string;
  /** The element name of the member in responses. */
  readonly xmlName: string;
  readonly required: boolean;
  /** A flattened list or map: no wrapping element or `.member` segment. */
  readonly flattened: boolean;
  readonly shape: Shape;
}

/** A compiled `structure` shape. */
export interface StructureShape {
  readonly kind: "structure";
  readonly name: string;
  /** Members in the model's order. */
  readonly members: readonly Member[];
  /** Members in response element order: the model's `xmlOrder` when it has one, else model order. */
  readonly xmlMembers: readonly Member[];
  /** Member by {@link Member.paramName}. */
  readonly byParam: ReadonlyMap<string, Member>;
  /** Member by {@link Member.name}. */
  readonly byName: ReadonlyMap<string, Member>;
}

/** A compiled `list` shape. */
export interface ListShape {
  readonly kind: "list";
  readonly name: string;
  readonly member: Shape;
  /** The segment before the index in non-flattened request lists (`member`). */
  readonly paramItem: string;
  /** The element name of one item in responses (`member`). */
  readonly xmlItem: string;
  readonly min?: number;
  readonly max?: number;
}

/** A compiled `map` shape (keys are strings). */
export interface MapShape {
  readonly kind: "map";
  readonly name: string;
  readonly key: ScalarShape;
  readonly value: Shape;
  /** The names of the key and value parts, in requests and responses (`key`, `value`). */
  readonly keyName: string;
  readonly valueName: string;
  readonly min?: number;
  readonly max?: number;
}

/**
 * The most members a list (or entries a map) may have: the model's maximum, else
 * {@link MAX_LIST_MEMBERS}.
 */
export function maxMembers(shape: ListShape | MapShape): number {
  return shape.max ?? MAX_LIST_MEMBERS;
}

/** A compiled scalar shape with its constraints. */
export interface ScalarShape {
  readonly kind: ScalarKind;
  readonly name: string;
  readonly min?: number;
  readonly max?: number;
  /** The Java source (quoted in messages, as AWS does) and its whole-string JavaScript form. */
  readonly pattern?: { readonly source: string; readonly regex: RegExp };
  readonly enum?: ReadonlySet<string>;
  /** Validation messages leave the value out, as AWS does for sensitive members. */
  readonly sensitive: boolean;
}

/** A compiled operation. */
export interface Operation {
  readonly name: string;
  readonly input?: StructureShape;
  readonly output?: StructureShape;
  /** The element wrapping the output members (`DescribeAutoScalingGroupsResult`). */
  readonly resultWrapper?: string;
}

/** The protocols {@link loadModel} compiles: botocore's `metadata.protocol`. */
export type QueryProtocol = "query" | "ec2";

/** A compiled service model; build it once with {@link loadModel}. */
export interface Model {
  readonly protocol: QueryProtocol;
  readonly apiVersion: string;
  readonly xmlNamespace: string;
  readonly operations: ReadonlyMap<string, Operation>;
  /** Every shape by its model name, compiled. */
  readonly shapes: ReadonlyMap<string, Shape>;
  /**
   * List parameters never carry an item segment: `Name.N`, not `Name.member.N` (the `ec2`
   * protocol, whatever the model says about flattening).
   */
  readonly flatListParams: boolean;
}

/** The protocol-specific naming rules. */
interface Dialect {
  /** See {@link Model.flatListParams}. */
  readonly flatListParams: boolean;
  /** The first parameter segment of a structure member. */
  paramName(memberName: string, ref: BotocoreShapeRef, target: BotocoreShape, flattened: boolean): string;
  /** The element name of a structure member. */
  xmlName(memberName: string, ref: BotocoreShapeRef, target: BotocoreShape, flattened: boolean): string;
  /** The segment before the index of a list's parameters, and the element name of its items. */
  listItem(list: BotocoreShape): string;
  /** The names of a map entry's key and value. */
  mapParts(map: BotocoreShape): { keyName: string; valueName: string };
}

/**
 * AWS Query, as botocore's `QuerySerializer` and `QueryParser` name things. A name comes from the
 * reference's `locationName`, else from the target shape's own `locationName` (botocore merges
 * the two into `serialization['name']`), else the default.
 */
function queryDialect(shapes: BotocoreModel["shapes"]): Dialect {
  const named = locationName(shapes);
  // A flattened list's parameters and elements take its member's name when it has one.
  const memberName = (memberName: string, ref: BotocoreShapeRef, target: BotocoreShape, flattened: boolean) =>
    flattened && target.type === "list" ? named(target.member, named(ref, memberName)) : named(ref, memberName);
  return {
    flatListParams: false,
    paramName: memberName,
    xmlName: memberName,
    listItem: (list) => named(list.member, "member"),
    mapParts: (map) => ({ keyName: named(map.key, "key"), valueName: named(map.value, "value") }),
  };
}

/**
 * EC2's protocol, as botocore's `EC2Serializer` and `EC2QueryParser` name things. Responses are
 * named as in `query` (EC2's models give every output list member `locationName: "item"`).
 * Parameters differ: a member is sent under its `queryName`, else its `locationName` with the
 * first letter capitalised, else its member name, looked up on the reference and then on the
 * target shape (botocore merges both); every list is `Name.N`, flattened or not.
 */
function ec2Dialect(shapes: BotocoreModel["shapes"]): Dialect {
  const query = queryDialect(shapes);
  const named = locationName(shapes);
  return {
    ...query,
    flatListParams: true,
    paramName: (memberName, ref, target) => {
      const queryName = ref.queryName ?? target.queryName;
      if (queryName !== undefined) return queryName;
      const name = named(ref, memberName);
      return name.charAt(0).toUpperCase() + name.slice(1);
    },
  };
}

/** A reference's `locationName`, else its target shape's, else `fallback`. */
function locationName(shapes: BotocoreModel["shapes"]) {
  return (ref: BotocoreShapeRef | undefined, fallback: string): string =>
    ref?.locationName ?? (ref && shapes[ref.shape]?.locationName) ?? fallback;
}

const SCALARS = new Set<string>(["string", "integer", "long", "boolean", "double", "float", "timestamp", "blob"]);

/**
 * Compiles a botocore model. Throws on anything it cannot serve faithfully: a protocol other
 * than `query` or `ec2`, an unknown shape or type, a pattern that cannot be translated, a
 * result wrapper in an `ec2` model (EC2's responses have none, so its clients would not look
 * for one).
 */
export function loadModel(json: BotocoreModel): Model {
  const { protocol, apiVersion, xmlNamespace } = json.metadata;
  if (protocol !== "query" && protocol !== "ec2") throw new Error(`protocol ${protocol} is not supported (only query and ec2)`);
  if (!xmlNamespace) throw new Error("the model has no metadata.xmlNamespace");
  if (protocol === "ec2") {
    for (const op of Object.values(json.operations)) {
      if (op.output?.resultWrapper !== undefined) {
        throw new Error(`protocol ec2 has no result wrappers, but ${op.name} declares ${op.output.resultWrapper}`);
      }
    }
  }
  const dialect = protocol === "ec2" ? ec2Dialect(json.shapes) : queryDialect(json.shapes);
  const compiled = new Map<string, Shape>();

  const shape = (name: string): Shape => {
    const done = compiled.get(name);
    if (done) return done;
    const src = json.shapes[name];
    if (!src) throw new Error(`unknown shape ${name}`);
    const base = { name, ...(src.min !== undefined && { min: src.min }), ...(src.max !== undefined && { max: src.max }) };
    switch (src.type) {
      case "structure": {
        const members: Member[] = [];
        const byParam = new Map<string, Member>();
        const byName = new Map<string, Member>();
        const out: Mutable<StructureShape> = { kind: "structure", name, members, xmlMembers: members, byParam, byName };
        compiled.set(name, out); // before the members: shapes may be recursive
        const required = new Set(src.required ?? []);
        for (const [memberName, ref] of Object.entries(src.members ?? {})) {
          const target = json.shapes[ref.shape];
          if (!target) throw new Error(`unknown shape ${ref.shape} in ${name}.${memberName}`);
          const flattened = ref.flattened ?? target.flattened ?? false;
          const member: Member = {
            name: memberName,
            pathName: memberName.charAt(0).toLowerCase() + memberName.slice(1),
            paramName: dialect.paramName(memberName, ref, target, flattened),
            xmlName: dialect.xmlName(memberName, ref, target, flattened),
            required: required.has(memberName),
            flattened,
            shape: shape(ref.shape),
          };
          members.push(member);
          byParam.set(member.paramName, member);
          byName.set(memberName, member);
        }
        for (const r of required) if (!byName.has(r)) throw new Error(`${name} requires unknown member ${r}`);
        if (src.xmlOrder) {
          const ordered = src.xmlOrder.map((n) => byName.get(n) ?? fail(`${name}.xmlOrder names unknown member ${n}`));
          if (ordered.length !== members.length) throw new Error(`${name}.xmlOrder does not list every member`);
          out.xmlMembers = ordered;
        }
        return out;
      }
      case "list": {
        if (!src.member) throw new Error(`list ${name} has no member`);
        // The member is filled in after registering the list: shapes may be recursive.
        const item = dialect.listItem(src);
        const out = { kind: "list", ...base, paramItem: item, xmlItem: item } as Mutable<ListShape>;
        compiled.set(name, out);
        out.member = shape(src.member.shape);
        return out;
      }
      case "map": {
        if (!src.key || !src.value) throw new Error(`map ${name} has no key or value`);
        const out = { kind: "map", ...base, ...dialect.mapParts(src) } as Mutable<MapShape>;
        compiled.set(name, out);
        const key = shape(src.key.shape);
        if (key.kind !== "string") throw new Error(`map ${name} has a non-string key`);
        out.key = key;
        out.value = shape(src.value.shape);
        return out;
      }
      default: {
        if (!SCALARS.has(src.type)) throw new Error(`shape ${name} has unsupported type ${src.type}`);
        const out: ScalarShape = {
          kind: src.type as ScalarKind,
          ...base,
          ...(src.pattern !== undefined && { pattern: { source: src.pattern, regex: javaPatternToRegExp(src.pattern) } }),
          ...(src.enum !== undefined && { enum: new Set(src.enum) }),
          sensitive: src.sensitive ?? false,
        };
        compiled.set(name, out);
        return out;
      }
    }
  };

  const operations = new Map<string, Operation>();
  for (const [name, op] of Object.entries(json.operations)) {
    const input = op.input && structure(shape(op.input.shape), name);
    const output = op.output && structure(shape(op.output.shape), name);
    operations.set(name, {
      name,
      ...(input && { input }),
      ...(output && { output }),
      ...(op.output?.resultWrapper !== undefined && { resultWrapper: op.output.resultWrapper }),
    });
  }
  for (const name of Object.keys(json.shapes)) shape(name);
  return { protocol, apiVersion, xmlNamespace, operations, shapes: compiled, flatListParams: dialect.flatListParams };
}

function structure(s: Shape, operation: string): StructureShape {
  if (s.kind !== "structure") throw new Error(`${operation}: input and output must be structures, not ${s.name}`);
  return s;
}

function fail(message: string): never {
  throw new Error(message);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * `base` with the operations and shapes of `extension` added: how a server describes actions
 * of its own (Phantom's `DescribePhantomSites`) in a small model file of their own, leaving the
 * model copied from botocore as it is. The extension may use the base's shapes.
 * @throws Error when the versions differ or the extension redefines an operation or shape.
 */
export function extendModel(base: BotocoreModel, extension: BotocoreModel): BotocoreModel {
  if (extension.metadata.apiVersion !== base.metadata.apiVersion) {
    throw new Error(`the extension is for version ${extension.metadata.apiVersion}, the model is ${base.metadata.apiVersion}`);
  }
  const taken = [
    ...Object.keys(extension.operations).filter((name) => Object.hasOwn(base.operations, name)),
    ...Object.keys(extension.shapes).filter((name) => Object.hasOwn(base.shapes, name)),
  ];
  if (taken.length > 0) throw new Error(`the extension redefines ${taken.join(", ")}`);
  return {
    metadata: base.metadata,
    operations: { ...base.operations, ...extension.operations },
    shapes: { ...base.shapes, ...extension.shapes },
  };
}
