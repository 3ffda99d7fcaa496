/**
 * PutMetricData's common input decoded without the model walk: the flat shape agents send
 * (`Namespace`, and per datum `MetricName`, `Value`, `Unit` and `Dimensions.member.N.Name/Value`),
 * every value within the model's constraints. It returns exactly what `decodeInput` returns for
 * such parameters, and null for anything else — another member, a gap in a list, a value the
 * model refuses — which the model-driven decoder then decodes, or refuses in AWS's words.
 * PutMetricData is the one call a fleet makes every few seconds per VM, so its decoding is
 * worth a path of its own; `put-metric-data-input.test.ts` checks it against `decodeInput`.
 */
import { DECIMAL } from "../../aws-wire/query/decode-input.js";

/** The model's constraints on these members (cloudwatch-2010-08-01.json). */
const MAX_NAMESPACE = 255;
const MAX_METRIC_NAME = 255;
const MAX_DIMENSION_NAME = 255;
const MAX_DIMENSION_VALUE = 1024;
const MAX_DIMENSIONS = 30;
/** `MAX_LIST_MEMBERS`, MetricData having no maximum of its own in the model. */
const MAX_DATA = 1000;
const STANDARD_UNITS: ReadonlySet<string> = new Set([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
  "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
  "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
  "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);
/** A namespace surely matching the model's pattern `[^:].*`: printable ASCII, not starting with a colon. */
const PLAIN_NAMESPACE = /^[\x20-\x39\x3b-\x7e][\x20-\x7e]*$/;

const DATUM_PREFIX = "MetricData.member.";
const DIMENSION_PREFIX = "Dimensions.member.";

interface RawDatum {
  MetricName?: string;
  Value?: string;
  Unit?: string;
  Dimensions?: { Name?: string; Value?: string }[];
}

/**
 * The 1-based index at `name[pos…]` up to the next dot (or the end), without a leading zero;
 * -1 when there is none. Returns the index and where it ends.
 */
function indexAt(name: string, pos: number): [index: number, end: number] {
  let n = 0;
  let i = pos;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) break;
    const d = c - 48;
    if (d < 0 || d > 9 || (i === pos && d === 0) || i - pos >= 4) return [-1, i];
    n = n * 10 + d;
  }
  return i === pos ? [-1, i] : [n, i];
}

function within(value: string | undefined, max: number): value is string {
  return value !== undefined && value.length >= 1 && value.length <= max;
}

/** Places one `MetricData.member.…` parameter; false when it is not of the flat shape. */
function placeDatum(data: RawDatum[], name: string, value: string): boolean {
  const [index, end] = indexAt(name, DATUM_PREFIX.length);
  if (index < 1 || index > MAX_DATA || name.charCodeAt(end) !== 46) return false;
  const datum = (data[index - 1] ??= {});
  const member = name.slice(end + 1);
  if (member === "MetricName" || member === "Value" || member === "Unit") {
    datum[member] = value;
    return true;
  }
  if (!member.startsWith(DIMENSION_PREFIX)) return false;
  const [d, dEnd] = indexAt(member, DIMENSION_PREFIX.length);
  if (d < 1 || d > MAX_DIMENSIONS) return false;
  const part = member.slice(dEnd + 1);
  if (member.charCodeAt(dEnd) !== 46 || (part !== "Name" && part !== "Value")) return false;
  const dimension = ((datum.Dimensions ??= [])[d - 1] ??= {});
  dimension[part] = value;
  return true;
}

/** One datum as `decodeInput` builds it, or null when a value is outside the model's constraints. */
function finishDatum(raw: RawDatum | undefined): Record<string, unknown> | null {
  if (raw === undefined || !within(raw.MetricName, MAX_METRIC_NAME) || raw.Value === undefined || !DECIMAL.test(raw.Value)) return null;
  const value = Number(raw.Value);
  if (!Number.isFinite(value)) return null;
  if (raw.Unit !== undefined && !STANDARD_UNITS.has(raw.Unit)) return null;
  const out: Record<string, unknown> = { MetricName: raw.MetricName };
  if (raw.Dimensions !== undefined) {
    const dimensions = new Array<{ Name: string; Value: string }>(raw.Dimensions.length);
    for (let i = 0; i < raw.Dimensions.length; i++) {
      const d = raw.Dimensions[i];
      if (d === undefined || !within(d.Name, MAX_DIMENSION_NAME) || !within(d.Value, MAX_DIMENSION_VALUE)) return null;
      dimensions[i] = { Name: d.Name, Value: d.Value };
    }
    out.Dimensions = dimensions;
  }
  out.Value = value;
  if (raw.Unit !== undefined) out.Unit = raw.Unit;
  return out;
}

/**
 * PutMetricData's input from its parameters when they have the flat shape (see the file's
 * comment), exactly as `decodeInput` would decode them; null otherwise.
 */
export function flatPutMetricDataInput(params: ReadonlyMap<string, string>): Record<string, unknown> | null {
  let namespace: string | undefined;
  const data: RawDatum[] = [];
  for (const [name, value] of params) {
    if (name.startsWith(DATUM_PREFIX)) {
      if (!placeDatum(data, name, value)) return null;
    } else if (name === "Namespace") {
      namespace = value;
    } else if (name !== "Action" && name !== "Version") {
      return null;
    }
  }
  if (!within(namespace, MAX_NAMESPACE) || !PLAIN_NAMESPACE.test(namespace) || data.length === 0) return null;
  const metricData = new Array<Record<string, unknown>>(data.length);
  for (let i = 0; i < data.length; i++) {
    const datum = finishDatum(data[i]);
    if (datum === null) return null;
    metricData[i] = datum;
  }
  return { Namespace: namespace, MetricData: metricData };
}
