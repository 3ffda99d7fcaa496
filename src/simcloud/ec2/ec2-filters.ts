/**
 * EC2's `Filter.N.Name` / `Filter.N.Value.M` for instances, as EC2 applies them: the values of
 * one filter are alternatives (OR), the filters all apply (AND), and `*` and `?` in a value are
 * wildcards (`\*`, `\?` and `\\` stand for themselves).
 */
import type { SimulatedVm } from "../../clouds/simulated/simulated-cloud.js";
import { Ec2ApiError } from "./ec2-api-error.js";

/** EC2's `Filter` shape, as decoded. */
export interface Ec2Filter {
  readonly Name?: string;
  readonly Values?: readonly string[];
}

/** The values of a VM that a filter name looks at. */
type Attribute = (vm: SimulatedVm) => readonly string[];

/** EC2's numeric state codes. */
export const STATE_CODES = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;

/** The filter names of `DescribeInstances` the simcloud serves (besides `tag:<key>`). */
export const INSTANCE_FILTERS: Readonly<Record<string, Attribute>> = {
  "instance-id": (vm) => [vm.id],
  "instance-state-name": (vm) => [vm.state],
  "instance-state-code": (vm) => [String(STATE_CODES[vm.state])],
  "instance-type": (vm) => [vm.instanceType],
  "image-id": (vm) => [vm.imageId],
  "key-name": (vm) => (vm.keyName === null ? [] : [vm.keyName]),
  "reservation-id": (vm) => [vm.reservationId],
  "client-token": (vm) => (vm.clientToken === null ? [] : [vm.clientToken]),
  "tag-key": (vm) => Object.keys(vm.tags),
  "tag-value": (vm) => Object.values(vm.tags),
};

/** The filter names of `DescribeInstanceStatus` the simcloud serves. */
export const STATUS_FILTERS: Readonly<Record<string, Attribute>> = {
  "instance-id": INSTANCE_FILTERS["instance-id"]!,
  "instance-state-name": INSTANCE_FILTERS["instance-state-name"]!,
  "instance-state-code": INSTANCE_FILTERS["instance-state-code"]!,
};

/** Whether `value` holds an unescaped wildcard. */
export function hasWildcard(value: string): boolean {
  return /(?<!\\)(?:\\\\)*[*?]/.test(value);
}

/** A value without wildcards, its escapes resolved: the literal text it matches. */
export function literalValue(value: string): string {
  return value.replace(/\\([\\*?])/g, "$1");
}

/**
 * One predicate for all `filters`, with the names in `names` (and `tag:<key>` when `tags`).
 * @throws Ec2ApiError `InvalidParameterValue` for a filter name EC2 would not take, or a filter
 *   without a name or values
 */
export function compileFilters(
  filters: readonly Ec2Filter[] | undefined,
  names: Readonly<Record<string, Attribute>>,
  tags: boolean,
): (vm: SimulatedVm) => boolean {
  const tests = (filters ?? []).map((filter) => {
    const name = filter.Name;
    if (name === undefined || name === "") throw new Ec2ApiError("InvalidParameterValue", "A filter must have a name.");
    const values = filter.Values ?? [];
    if (values.length === 0) throw new Ec2ApiError("InvalidParameterValue", `The filter '${name}' must have at least one value.`);
    let attribute: Attribute;
    if (tags && name.startsWith("tag:")) {
      const key = name.slice(4);
      attribute = (vm) => (Object.hasOwn(vm.tags, key) ? [vm.tags[key]!] : []);
    } else if (Object.hasOwn(names, name)) {
      attribute = names[name]!;
    } else {
      throw new Ec2ApiError("InvalidParameterValue", `The filter '${name}' is invalid`);
    }
    const matches = matcher(values);
    return (vm: SimulatedVm) => attribute(vm).some(matches);
  });
  return (vm) => tests.every((test) => test(vm));
}

/** Whether a value matches any of `patterns`: a set lookup for plain values, a regex for wildcards. */
function matcher(patterns: readonly string[]): (value: string) => boolean {
  const plain = new Set<string>();
  const wild: RegExp[] = [];
  for (const p of patterns) {
    if (hasWildcard(p)) wild.push(wildcardRegExp(p));
    else plain.add(literalValue(p));
  }
  return (value) => plain.has(value) || wild.some((r) => r.test(value));
}

function wildcardRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length && "\\*?".includes(pattern[i + 1]!)) {
      source += escapeRegExp(pattern[++i]!);
    } else if (c === "*") {
      source += "[\\s\\S]*";
    } else if (c === "?") {
      source += "[\\s\\S]";
    } else {
      source += escapeRegExp(c);
    }
  }
  return new RegExp(`^${source}$`, "u");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
