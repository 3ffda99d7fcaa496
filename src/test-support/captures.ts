/**
 * The repository's root, and the requests captured from real AWS clients in
 * `test-fixtures/captures/` (see its README): the test vectors of the Query decoder and of
 * signature verification.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this module holding a package.json (tests run from dist/). */
export function repoRoot(): string {
  const from = dirname(fileURLToPath(import.meta.url));
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** One captured request, split into its parts, with the parameters its file lists. */
export interface Capture {
  /** The file's name, e.g. `boto2-CreateLaunchConfiguration.txt`. */
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  /** Name, value, name, value…: header bytes as Node delivers them (latin1). */
  readonly rawHeaders: readonly string[];
  /** The same headers by lower-case name. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** The "decoded parameters" list after the request, in order (UTF-8). */
  readonly listedParams: [string, string][];
}

const MARKER = "\n\n---- decoded parameters";

function parseCapture(name: string, bytes: Buffer): Capture {
  const text = bytes.toString("latin1");
  const headEnd = text.indexOf("\n\n");
  if (headEnd < 0) throw new Error(`${name}: no blank line after the headers`);
  const [requestLine = "", ...headerLines] = text.slice(0, headEnd).split("\n");
  const [method = "", target = ""] = requestLine.split(" ");
  const rawHeaders: string[] = [];
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    const header = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    rawHeaders.push(header, value);
    headers.set(header.toLowerCase(), value);
  }
  const bodyStart = headEnd + 2;
  const body = Buffer.from(bytes.subarray(bodyStart, bodyStart + Number(headers.get("content-length") ?? "0")));
  const rest = bytes.subarray(bodyStart + body.length).toString("utf8");
  if (!rest.startsWith(MARKER)) throw new Error(`${name}: the body is not followed by the parameter list`);
  const listedParams = rest
    .slice(rest.indexOf("\n", MARKER.length) + 1)
    .split("\n")
    .filter((line) => line !== "")
    .map((line): [string, string] => {
      const eq = line.indexOf(" =");
      return [line.slice(0, eq), line.slice(eq + 2).replace(/^ /, "")];
    });
  const q = target.indexOf("?");
  return {
    name,
    method,
    path: q < 0 ? target : target.slice(0, q),
    rawQuery: q < 0 ? "" : target.slice(q + 1),
    rawHeaders,
    headers,
    body,
    listedParams,
  };
}

/** Every capture in `test-fixtures/captures/` and its `retries/`, by name. */
export function loadCaptures(): Capture[] {
  const base = join(repoRoot(), "test-fixtures", "captures");
  const out: Capture[] = [];
  for (const dir of [base, join(base, "retries")]) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".txt")).sort()) {
      out.push(parseCapture(name, readFileSync(join(dir, name))));
    }
  }
  return out;
}
