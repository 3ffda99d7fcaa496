/**
 * The pieces of a SigV4 canonical request that come from the HTTP request: path, query and
 * headers, each normalised as AWS does for every service but S3.
 */
import { incompleteSignature } from "./auth-errors.js";
import { uriEncode } from "./uri-encode.js";

/** One decoded query-string or form parameter: name and value. */
export type Param = readonly [string, string];

/**
 * Decodes a raw query string the way `URLSearchParams` does (`+` is a space, a malformed
 * escape stays as sent), which is how the action's parameters are decoded too: the signature
 * then covers exactly the values the action will read.
 */
export function decodeQuery(rawQuery: string): Param[] {
  if (rawQuery === "") return [];
  // URLSearchParams drops one leading '?'; the leading '&' makes it an empty, skipped pair instead.
  return [...new URLSearchParams(`&${rawQuery}`)];
}

/** Orders parameters by name, then by value (UTF-16 code units, which is byte order for ASCII). */
export function compareParams(a: Param, b: Param): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/**
 * The canonical query string: every pair except those named `omit`, name and value
 * RFC 3986-encoded, sorted by encoded name then encoded value (byte order: the encoded
 * strings are ASCII), joined with `&`.
 */
export function canonicalQuery(params: readonly Param[], omit?: string): string {
  const encoded: Param[] = [];
  for (const [name, value] of params) {
    if (name !== omit) encoded.push([uriEncode(name), uriEncode(value)]);
  }
  encoded.sort(compareParams);
  let out = "";
  for (const [name, value] of encoded) out += out === "" ? `${name}=${value}` : `&${name}=${value}`;
  return out;
}

/**
 * The canonical URI of a raw (percent-encoded) path: empty and `.` segments dropped, `..`
 * applied, then each segment encoded once more, as botocore and @smithy/signature-v4 do for
 * every service except S3. Node refuses non-ASCII request targets, so the path is ASCII.
 */
export function canonicalUri(path: string): string {
  if (path === "/" || path === "") return "/";
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(uriEncode(segment));
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  return `/${segments.join("/")}${trailing}`;
}

const NEEDS_TRIM = /\t| {2}|^ | $/;

/**
 * Trims a header value and collapses inner runs of spaces and tabs to one space. Only those
 * two bytes are touched: `String.prototype.trim` would also strip U+00A0, which in Node's
 * latin1-decoded headers is the last byte of a UTF-8 character such as "à".
 */
function trimAll(value: string): string {
  return NEEDS_TRIM.test(value) ? value.replace(/[ \t]+/g, " ").replace(/^ | $/g, "") : value;
}

/**
 * The canonical headers block (`name:value\n` for each signed header, in the order given) built
 * from Node's raw headers, so a repeated header keeps all its values (joined with `,`).
 * Throws `IncompleteSignature` when a signed header is absent from the request.
 */
export function canonicalHeaders(rawHeaders: readonly string[], signedHeaders: readonly string[]): string {
  const values = new Map<string, string | undefined>();
  for (const name of signedHeaders) values.set(name, undefined);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (!values.has(name)) continue;
    const value = trimAll(rawHeaders[i + 1] as string);
    const previous = values.get(name);
    values.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  let block = "";
  for (const name of signedHeaders) {
    const value = values.get(name);
    if (value === undefined) throw incompleteSignature(`Signed header '${name}' is not present in the request.`);
    block += `${name}:${value}\n`;
  }
  return block;
}
