/**
 * The dashboard's files under `/ui/`: plain files from one directory (`dist/ui`, built by
 * `scripts/build-ui.mjs`), read-only. They hold no data: the page is one more client of the API
 * and signs its own requests, so nothing here needs or checks credentials.
 */
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

/** The URL prefix of the dashboard. */
export const UI_PREFIX = "/ui/";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

/**
 * Headers of every dashboard answer: its scripts, styles and API calls come from this origin
 * only (no CDN, nothing inline), and no other site may frame it.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** One answer of the file server. */
export interface StaticAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
}

function plain(status: number, text: string, extra: Readonly<Record<string, string>> = {}): StaticAnswer {
  return { status, headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS, ...extra }, body: `${text}\n` };
}

/**
 * Serves the files of `root` under {@link UI_PREFIX}: `GET`/`HEAD` only, `/ui` redirected to
 * `/ui/`, a directory's `index.html`, nothing outside `root` (`..` and encoded slashes refused).
 */
export class StaticFiles {
  constructor(private readonly root: string) {}

  /** Whether the path is the dashboard's. */
  static handles(path: string): boolean {
    return path === "/ui" || path.startsWith(UI_PREFIX);
  }

  /** The answer to `method path` (the path without its query). */
  async answer(method: string, path: string): Promise<StaticAnswer> {
    if (method !== "GET" && method !== "HEAD") return plain(405, "The dashboard's files are read with GET.", { allow: "GET, HEAD" });
    if (path === "/ui") return plain(308, "Moved to /ui/", { location: UI_PREFIX });
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(UI_PREFIX.length));
    } catch {
      return plain(400, "Bad percent-encoding in the path.");
    }
    if (relative === "" || relative.endsWith("/")) relative += "index.html";
    const file = normalize(join(this.root, relative));
    if (relative.includes("\0") || relative.includes("\\") || !file.startsWith(this.root + sep)) return plain(404, "Not found.");
    const type = CONTENT_TYPES[extname(file)];
    if (type === undefined) return plain(404, "Not found.");
    try {
      const body = await readFile(file);
      return { status: 200, headers: { "content-type": type, ...SECURITY_HEADERS }, body };
    } catch {
      return plain(404, "Not found.");
    }
  }
}
