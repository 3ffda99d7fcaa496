// The dashboard's client of Phantom's public API: signed Query requests (see sigv4.js), XML
// answers turned into plain objects, AWS errors thrown with their code and message.
import { formBody, signPost } from "./sigv4.js";

/** An AWS error answer: its code (`SignatureDoesNotMatch`, `ValidationError`, …) and message. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * An XML element as a plain value: text for a leaf, an array for a list (`member` children),
 * else an object of its children by name.
 */
function toValue(element) {
  const children = [...element.children];
  if (children.length === 0) return element.textContent ?? "";
  if (children.every((c) => c.localName === "member")) return children.map(toValue);
  const out = {};
  for (const child of children) out[child.localName] = toValue(child);
  return out;
}

/** A list field: an empty list renders as an empty element, which reads as "". */
export function list(value) {
  return Array.isArray(value) ? value : [];
}

const SERVICES = {
  autoscaling: { version: "2011-01-01" },
  monitoring: { version: "2010-08-01" },
};

/** A client signing with one access key. */
export class Api {
  constructor(credentials) {
    this.credentials = credentials;
  }

  /**
   * Calls `action` with parameters given as `[name, value]` pairs (Query names:
   * `Tags.member.1.Key`) and resolves with its `<Action>Result` as a plain object.
   */
  async call(action, params = [], service = "autoscaling") {
    const body = formBody([["Action", action], ["Version", SERVICES[service].version], ...params]);
    const headers = await signPost(this.credentials, { host: location.host, body, service });
    const response = await fetch("/", { method: "POST", headers, body, cache: "no-store", credentials: "omit" });
    const text = await response.text();
    const doc = new DOMParser().parseFromString(text, "text/xml");
    if (!response.ok) {
      const code = doc.querySelector("Error > Code")?.textContent ?? `HTTP ${response.status}`;
      const message = doc.querySelector("Error > Message")?.textContent ?? text;
      throw new ApiError(code, message, response.status);
    }
    const result = doc.documentElement.querySelector(`:scope > ${action}Result`);
    return result === null ? {} : toValue(result);
  }

  /** Every item of a paged Describe action: `key` names the list in its result. */
  async all(action, key, params = []) {
    const items = [];
    let token;
    do {
      const page = await this.call(action, [...params, ["MaxRecords", "100"], ...(token ? [["NextToken", token]] : [])]);
      items.push(...list(page[key]));
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return items;
  }
}
