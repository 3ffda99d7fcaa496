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

/** Whether a value matches any of `patterns`: a set lookup for plain values, a glob match for wildcards. */
function matcher(patterns: readonly string[]): (value: string) => boolean {
  const plain = new Set<string>();
  const wild: WildcardPattern[] = [];
  for (const p of patterns) {
    if (hasWildcard(p)) wild.push(compileWildcard(p));
    else plain.add(literalValue(p));
  }
  return (value) => plain.has(value) || wild.some((w) => matchesWildcard(w, value));
}

/** `*` (any run), `?` (one character) or a literal character of a wildcard pattern. */
type WildcardToken = "*" | "?" | { readonly literal: string };

/** A compiled wildcard pattern, one token per character (code point), escapes resolved. */
export type WildcardPattern = readonly WildcardToken[];

/** Compiles an EC2 filter value: `*` and `?` are wildcards, `\*`, `\?` and `\\` themselves. */
export function compileWildcard(pattern: string): WildcardPattern {
  const chars = Array.from(pattern);
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "\\" && i + 1 < chars.length && "\\*?".includes(chars[i + 1]!)) tokens.push({ literal: chars[++i]! });
    else if (c === "*" || c === "?") tokens.push(c);
    else tokens.push({ literal: c });
  }
  return tokens;
}

/**
 * Whether `value` matches `pattern`, greedily with two pointers: a mismatch goes back only to
 * the last `*` seen, which then takes one more character. A regular expression would retry
 * every earlier `*` too, exponential in their number (14 stars took seconds); this takes at
 * most (value length + 1) × (pattern length + 1) steps. `meter.steps` counts them (tests).
 */
export function matchesWildcard(pattern: WildcardPattern, value: string, meter?: { steps: number }): boolean {
  const chars = Array.from(value);
  let p = 0;
  let v = 0;
  // The position after the last `*` seen, and where in the value that `*`'s run now ends.
  let star = -1;
  let starEnd = 0;
  while (v < chars.length) {
    if (meter !== undefined) meter.steps++;
    const token = pattern[p];
    if (token === "*") {
      star = ++p;
      starEnd = v;
    } else if (token !== undefined && (token === "?" || token.literal === chars[v])) {
      p++;
      v++;
    } else if (star !== -1) {
      p = star;
      v = ++starEnd;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
