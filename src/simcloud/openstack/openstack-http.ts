/**
 * What the OpenStack face's services share: a request and a response as plain values, the
 * error each service answers in its own shape (Nova's `{"badRequest": {…}}`, Keystone's
 * `{"error": {…}}`, Neutron's `{"NeutronError": {…}}`, Glance's plain text), and reading a
 * JSON body.
 */
import { randomUUID } from "node:crypto";

/** One HTTP request to the face. */
export interface FaceRequest {
  readonly method: string;
  /** The path below the service's prefix, e.g. `/v2.1/servers/detail` for `/compute/v2.1/servers/detail`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header values by lower-case name (the first of repeated ones). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** The body went over the size limit and was not read. */
  readonly bodyTooLarge: boolean;
  /** `http://HOST:PORT` as the client reached the face: where the catalog and links point. */
  readonly base: string;
}

/** One HTTP answer. */
export interface FaceResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON (or, for Glance's errors, text); empty for 204. */
  readonly body: string;
}

/** Which service answers: each words its errors its own way. */
export type ServiceStyle = "identity" | "compute" | "image" | "network";

/** An error answered as the service answers it. */
export class OpenStackApiError extends Error {
  override readonly name = "OpenStackApiError";
  constructor(
    readonly status: number,
    message: string,
    /** Neutron's error type (`NetworkNotFound`); Nova and Keystone name errors by status. */
    readonly type?: string,
  ) {
    super(message);
  }
}

/** Nova's names of the errors it answers, by status (`notAceptable` is Nova's own spelling). */
const NOVA_ERROR_NAMES: Readonly<Record<number, string>> = {
  400: "badRequest",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  406: "notAceptable",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** Keystone's titles. */
const KEYSTONE_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** The HTTP reason phrases Glance's plain-text errors start with. */
const REASONS: Readonly<Record<number, string>> = { ...KEYSTONE_TITLES, 409: "Conflict" };

/**
 * Runs a service's routing and answers what it throws as an {@link OpenStackApiError} in the
 * service's own shape — but a 401 as Keystone's middleware in front of every service answers
 * it, with `WWW-Authenticate` — every answer with a request id as OpenStack's services give one.
 */
export async function serve(style: ServiceStyle, base: string, route: () => FaceResponse | Promise<FaceResponse>): Promise<FaceResponse> {
  let response: FaceResponse;
  try {
    response = await route();
  } catch (e) {
    if (!(e instanceof OpenStackApiError)) throw e;
    if (e.status === 401) {
      const refused = errorResponse(e, "identity");
      response = { ...refused, headers: { ...refused.headers, "www-authenticate": `Keystone uri="${base}/identity"` } };
    } else {
      response = errorResponse(e, style);
    }
  }
  const requestId = `req-${randomUUID()}`;
  const ids: Record<string, string> = { "x-openstack-request-id": requestId, ...(style === "compute" && { "x-compute-request-id": requestId }) };
  return { ...response, headers: { ...response.headers, ...ids } };
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): FaceResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** An empty answer (204, 202). */
export function empty(status: number, headers: Readonly<Record<string, string>> = {}): FaceResponse {
  return { status, headers, body: "" };
}

/** `error` as `style`'s service answers it. */
function errorResponse(error: OpenStackApiError, style: ServiceStyle): FaceResponse {
  const { status, message } = error;
  switch (style) {
    case "compute":
      return json(status, { [NOVA_ERROR_NAMES[status] ?? "computeFault"]: { code: status, message } });
    case "identity":
      return json(status, { error: { code: status, title: KEYSTONE_TITLES[status] ?? "Error", message } });
    case "network":
      return json(status, { NeutronError: { type: error.type ?? "HTTPError", message, detail: "" } });
    case "image": {
      const reason = REASONS[status] ?? "Error";
      return { status, headers: { "content-type": "text/plain; charset=UTF-8" }, body: `${status} ${reason}\n\n${message}\n\n   ` };
    }
  }
}

/** The request's JSON body as an object. @throws OpenStackApiError 400 (413 when too large) */
export function jsonBody(request: FaceRequest): Record<string, unknown> {
  if (request.bodyTooLarge) throw new OpenStackApiError(413, "Request is too large.");
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString("utf8"));
  } catch {
    throw new OpenStackApiError(400, "Malformed request body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OpenStackApiError(400, "Malformed request body");
  return value as Record<string, unknown>;
}

/** A member that must be an object. @throws OpenStackApiError 400 */
export function objectAt(value: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const member = value[key];
  if (typeof member !== "object" || member === null || Array.isArray(member)) {
    throw new OpenStackApiError(400, `Invalid input for field/attribute ${where}: '${key}' is a required object`);
  }
  return member as Record<string, unknown>;
}

/** Dates written before: a launch's servers share one Date, and listings write it again and again. */
const written = new WeakMap<Date, string>();

/** An ISO time as OpenStack writes it: seconds, `Z`. */
export function isoSeconds(date: Date): string {
  let text = written.get(date);
  if (text === undefined) written.set(date, (text = `${date.toISOString().slice(0, 19)}Z`));
  return text;
}

/** An ISO time with microseconds and no zone, as Nova's `launched_at` and Keystone's `expires_at` (with `Z`). */
export function isoMicros(date: Date, zone = ""): string {
  return `${date.toISOString().slice(0, 23)}000${zone}`;
}
