/**
 * The raw parameters of an AWS Query request: the query string, then (for a POST) the
 * `application/x-www-form-urlencoded` body, decoded and in order.
 */
import { PhantomError, ValidationError } from "../../core/errors.js";
import { MAX_PARAMS } from "../limits.js";

const FORM = "application/x-www-form-urlencoded";
/** What botocore sends, checked first: the general parse below splits and lower-cases. */
const COMMON = "application/x-www-form-urlencoded; charset=utf-8";
/** Fatal, so that invalid UTF-8 is refused instead of turning into U+FFFD. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** How much of a broken piece to quote back. */
const QUOTE_LIMIT = 100;

/**
 * Decodes the parameters of a request, query string first, then the form body of a POST.
 *
 * @param rawQuery the query string as received, without the leading `?` (empty when none)
 * @param body the raw request body; read only for `POST`
 * @param contentType the `Content-Type` header, if any
 * @param method the HTTP method
 * @returns `[name, value]` pairs in the order sent; a name appears at most once
 * @throws PhantomError `MalformedQueryString` for bad percent-encoding, invalid UTF-8 or an
 *   empty name; `UnsupportedMediaType` for a non-empty POST body that is not a UTF-8 form
 * @throws ValidationError when a parameter is given twice (even once in each part), or when
 *   there are more than {@link MAX_PARAMS} (counted before any is decoded)
 */
export function parseParams(
  rawQuery: string,
  body: Buffer,
  contentType: string | undefined,
  method: string,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  if (rawQuery.length > 0) parseInto(rawQuery, out, seen);
  if (method === "POST" && body.length > 0) {
    if (!isUtf8Form(contentType)) {
      throw new PhantomError(
        "UnsupportedMediaType",
        `Content-Type ${contentType === undefined ? "(none)" : `'${contentType}'`} is not supported: send ${FORM}; charset=utf-8`,
      );
    }
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch (cause) {
      throw new PhantomError("MalformedQueryString", "The request body is not valid UTF-8", { cause });
    }
    parseInto(text, out, seen);
  }
  return out;
}

/** `application/x-www-form-urlencoded`, optionally with a UTF-8 charset, any case. */
function isUtf8Form(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === FORM || contentType === COMMON) return true;
  const [type, ...parameters] = contentType.split(";");
  if (type!.trim().toLowerCase() !== FORM) return false;
  for (const p of parameters) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    const charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase();
    if (charset !== "utf-8" && charset !== "utf8") return false;
  }
  return true;
}

/** How many `&`-separated pieces `s` has: a cheap upper bound of its parameters. */
function countPieces(s: string): number {
  let pieces = 1;
  for (let amp = s.indexOf("&"); amp >= 0; amp = s.indexOf("&", amp + 1)) pieces++;
  return pieces;
}

function parseInto(s: string, out: Array<[string, string]>, seen: Set<string>): void {
  if (out.length + countPieces(s) > MAX_PARAMS) {
    throw new ValidationError(`The request has more than ${MAX_PARAMS} parameters.`);
  }
  const n = s.length;
  // The next '=' at or after `start`, kept across pieces so that a run of pieces without one
  // does not rescan the rest of the input each time.
  let eq = -1;
  for (let start = 0; start <= n; ) {
    let amp = s.indexOf("&", start);
    if (amp < 0) amp = n;
    if (amp > start) {
      if (eq < start) {
        eq = s.indexOf("=", start);
        if (eq < 0) eq = n;
      }
      const nameEnd = eq < amp ? eq : amp;
      if (nameEnd === start) throw malformed(`A parameter has an empty name: '${quote(s.slice(start, amp))}'`);
      const name = decode(s.slice(start, nameEnd));
      const value = nameEnd < amp ? decode(s.slice(nameEnd + 1, amp)) : "";
      if (seen.has(name)) throw new ValidationError(`Parameter ${name} is given more than once`);
      seen.add(name);
      out.push([name, value]);
    }
    start = amp + 1;
  }
}

function decode(raw: string): string {
  const plus = raw.indexOf("+") >= 0;
  if (!plus && raw.indexOf("%") < 0) return raw;
  try {
    return decodeURIComponent(plus ? raw.replaceAll("+", " ") : raw);
  } catch (cause) {
    throw malformed(`'${quote(raw)}' is not valid percent-encoded UTF-8`, cause);
  }
}

function quote(s: string): string {
  return s.length > QUOTE_LIMIT ? s.slice(0, QUOTE_LIMIT) + "…" : s;
}

function malformed(message: string, cause?: unknown): PhantomError {
  return new PhantomError("MalformedQueryString", message, cause === undefined ? undefined : { cause });
}
