/**
 * The AWS endpoint: one request in, one response out. The pipeline is
 * parameters → signature → service and action → model-validated input → handler → model-ordered
 * XML (Query protocol), JSON (JSON 1.0, CloudWatch through the AWS SDK for JS) or CBOR (RPC v2
 * CBOR, CloudWatch through recent botocore).
 * Every failure becomes an AWS error in the request's protocol (`<ErrorResponse>`, or `__type`
 * with `x-amzn-query-error`); an unexpected one is logged with its stack and answered as
 * `InternalFailure` without details.
 */
import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { Logger } from "../observability/logger.js";
import type { Store } from "../store/store.js";
import { AWS_ERRORS, PhantomError, type AwsErrorCode } from "../core/errors.js";
import type { ApiSettings } from "./actions/action.js";
import { authenticate, AUTH_PARAMETERS } from "../aws-wire/auth/authenticate.js";
import { findHeader } from "../aws-wire/auth/request.js";
import { cborRoute, cborToParams, CBOR_CONTENT_TYPE, CBOR_PROTOCOL, encodeCborError, encodeCborResponse } from "../aws-wire/query/cbor-protocol.js";
import { encodeJsonError, encodeJsonResponse, jsonToParams, JSON_CONTENT_TYPE } from "../aws-wire/query/json-protocol.js";
import { decodeInput } from "../aws-wire/query/decode-input.js";
import { encodeError, encodeResponse } from "../aws-wire/query/encode-xml.js";
import { parseParams } from "../aws-wire/query/params.js";
import type { UserDirectory } from "./user-directory.js";
import { ResponseCache } from "./response-cache.js";
import { AUTOSCALING, serviceBySigningName, serviceByTarget, serviceByVersion, type Service } from "./services.js";

/** An HTTP request as the endpoint needs it: raw enough to verify signatures. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly rawHeaders: readonly string[];
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** The body went over the size limit and was not read. */
  readonly bodyTooLarge: boolean;
}

/** The answer: its status, body and content type. */
export interface ApiResponse {
  readonly status: number;
  /** The body, whole or in pieces to send one after the other. */
  readonly body: string | readonly Buffer[];
  /** `text/xml` for the Query protocol, the JSON or CBOR type for the RPC protocols. */
  readonly contentType: string;
  /** Further headers: the RPC protocols' `x-amzn-query-error` and `smithy-protocol`. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly requestId: string;
}

/** What the endpoint works with. */
export interface QueryEndpointDeps {
  readonly store: Store;
  readonly users: UserDirectory;
  readonly settings: ApiSettings;
  readonly clock: () => Date;
  readonly groupChanged: (groupId: string) => void;
  readonly logger: Logger;
  /** Caches answers of cacheable actions by user generation; null disables it. */
  readonly responseCache: ResponseCache | null;
}

/** Which service and protocol a request turned out to use: its errors are answered in kind. */
interface Dialect {
  service: Service;
  protocol: "query" | "json" | "cbor";
}

const CONTENT_TYPES = { query: "text/xml", json: JSON_CONTENT_TYPE, cbor: CBOR_CONTENT_TYPE } as const;

/** Largest body once decompressed (CloudWatch's clients gzip large `PutMetricData` bodies). */
const MAX_DECODED_BYTES = 4 * 1024 * 1024;

/** The body, gunzipped when its `Content-Encoding` says gzip. */
function decodedBody(raw: RawRequest): Buffer {
  const encoding = findHeader(raw.rawHeaders, "content-encoding")?.trim().toLowerCase();
  if (encoding === undefined || encoding === "" || encoding === "identity" || raw.body.length === 0) return raw.body;
  if (encoding !== "gzip") {
    throw new PhantomError("UnsupportedMediaType", `Content-Encoding '${encoding}' is not supported: send the body as is, or gzip.`);
  }
  try {
    return gunzipSync(raw.body, { maxOutputLength: MAX_DECODED_BYTES });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new PhantomError("RequestEntityTooLarge", `The request body is larger than ${MAX_DECODED_BYTES / 1024 / 1024} MiB once decompressed.`, { cause });
    }
    throw new PhantomError("MalformedQueryString", "The request body is not valid gzip.", { cause });
  }
}

/** The AWS APIs Phantom serves (see `services.ts`) over one store. */
export class QueryEndpoint {
  readonly #ignored = new Map<string, ReadonlySet<string>>();

  constructor(private readonly deps: QueryEndpointDeps) {}

  /** Answers one request; never throws. */
  async handle(raw: RawRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const dialect: Dialect = { service: AUTOSCALING, protocol: "query" };
    try {
      const body = await this.#dispatch(raw, requestId, dialect);
      const headers = dialect.protocol === "cbor" ? { "smithy-protocol": CBOR_PROTOCOL } : undefined;
      return { status: 200, body, contentType: CONTENT_TYPES[dialect.protocol], ...(headers ? { headers } : {}), requestId };
    } catch (e) {
      return this.#failure(e, requestId, dialect);
    }
  }

  async #dispatch(raw: RawRequest, requestId: string, dialect: Dialect): Promise<string | readonly Buffer[]> {
    // The RPC protocols name the operation outside the parameters: JSON 1.0 in X-Amz-Target
    // (`<target>.<Operation>`), RPC v2 CBOR in the path.
    let rpc: { target: string; operation: string } | null = null;
    const amzTarget = findHeader(raw.rawHeaders, "x-amz-target");
    if (findHeader(raw.rawHeaders, "smithy-protocol") === CBOR_PROTOCOL) {
      dialect.protocol = "cbor";
      rpc = cborRoute(raw.path) ?? { target: "", operation: "" };
    } else if (amzTarget !== undefined) {
      dialect.protocol = "json";
      const dot = amzTarget.lastIndexOf(".");
      rpc = { target: amzTarget.slice(0, Math.max(0, dot)), operation: amzTarget.slice(dot + 1) };
    }
    if (rpc !== null) dialect.service = serviceByTarget(rpc.target) ?? dialect.service;
    if (raw.bodyTooLarge) throw new PhantomError("RequestEntityTooLarge", "The request body is larger than 1 MiB.");
    if (raw.method !== "GET" && raw.method !== "POST") {
      throw new PhantomError("MethodNotAllowed", `The ${raw.method} method is not allowed; use GET or POST.`);
    }
    if (raw.path !== "/" && dialect.protocol !== "cbor") throw new PhantomError("NotFound", `Nothing is served at ${raw.path}; the API is at /.`);
    // Signatures cover the body as sent; the parameters are read from it decompressed.
    const decoded = decodedBody(raw);
    // An RPC request's parameters are its body; only its query string can carry signature parts.
    const params = rpc !== null
      ? parseParams(raw.rawQuery, Buffer.alloc(0), undefined, raw.method)
      : parseParams(raw.rawQuery, decoded, raw.contentType, raw.method);
    const now = this.deps.clock();
    const { users } = this.deps;
    const auth = await authenticate(
      { method: raw.method, path: raw.path, rawQuery: raw.rawQuery, rawHeaders: raw.rawHeaders, body: raw.body, params },
      now,
      async (accessKeyId) => (await users.lookup(accessKeyId, now.getTime()))?.secretAccessKey ?? null,
    );
    const user = await users.lookup(auth.accessKeyId, now.getTime());
    if (user === null) throw new PhantomError("InvalidClientTokenId", "The security token included in the request is invalid.");

    let actionName: string;
    let map: Map<string, string>;
    if (rpc !== null) {
      actionName = rpc.operation;
      if (serviceByTarget(rpc.target) === undefined || !Object.hasOwn(dialect.service.actions, actionName)) {
        throw new PhantomError("InvalidAction", `Could not find operation ${rpc.target}.${rpc.operation} for the ${dialect.protocol.toUpperCase()} protocol`);
      }
      map =
        dialect.protocol === "cbor"
          ? cborToParams(dialect.service.model, actionName, decoded)
          : jsonToParams(dialect.service.model, actionName, decoded);
    } else {
      map = new Map(params);
      const name = map.get("Action");
      if (name === undefined || name === "") throw new PhantomError("MissingAction", "The request must contain the parameter Action.");
      actionName = name;
      const version = map.get("Version");
      const service = version === undefined ? serviceBySigningName(auth.service) : serviceByVersion(version);
      if (service !== undefined) dialect.service = service;
      if (service === undefined || !Object.hasOwn(service.actions, actionName)) {
        throw new PhantomError("InvalidAction", `Could not find operation ${actionName} for version ${version ?? dialect.service.model.apiVersion}`);
      }
    }
    const { service } = dialect;
    const action = service.actions[actionName]!;
    const ignored = this.#ignoredFor(service, actionName);
    const input = decodeInput(service.model, actionName, map, ignored);
    const cache = action.cacheable && dialect.protocol === "query" ? this.deps.responseCache : null;
    let cacheKey = "";
    let generation = 0;
    if (cache !== null) {
      cacheKey = ResponseCache.key(user.id, params, ignored);
      // Read before the data: a write in between makes the entry look older than it is (a
      // later miss), never newer.
      generation = await this.deps.store.generation(user.id);
      const hit = cache.get(cacheKey, generation, requestId);
      if (hit !== undefined) return hit;
    }
    const result = await action.handle(input, {
      user,
      store: this.deps.store,
      settings: this.deps.settings,
      now,
      groupChanged: this.deps.groupChanged,
    });
    this.deps.logger.debug({ requestId, action: actionName, user: user.name }, "request");
    if (dialect.protocol === "json") return encodeJsonResponse(result);
    if (dialect.protocol === "cbor") return [encodeCborResponse(result)];
    const body = encodeResponse(service.model, actionName, result, requestId);
    cache?.set(cacheKey, generation, body, requestId);
    return body;
  }

  #ignoredFor(service: Service, action: string): ReadonlySet<string> {
    const key = `${service.signingName}:${action}`;
    let set = this.#ignored.get(key);
    if (set === undefined) {
      set = new Set([...AUTH_PARAMETERS, ...(service.quirks[action] ?? [])]);
      this.#ignored.set(key, set);
    }
    return set;
  }

  #failure(e: unknown, requestId: string, dialect: Dialect): ApiResponse {
    let code: AwsErrorCode = "InternalFailure";
    let message = `An internal error occurred. Request id: ${requestId}`;
    if (e instanceof PhantomError) {
      code = dialect.service.errorCode(e);
      message = e.message;
      if (AWS_ERRORS[code].status >= 500) this.deps.logger.error({ err: e, requestId }, "request failed");
      else this.deps.logger.debug({ requestId, code, message }, "request refused");
    } else {
      this.deps.logger.error({ err: e, requestId }, "internal error");
    }
    const { status, sender } = AWS_ERRORS[code];
    if (dialect.protocol !== "query") {
      const { body, headers } = encodeJsonError(code, message, sender);
      if (dialect.protocol === "json") return { status, body, headers, contentType: JSON_CONTENT_TYPE, requestId };
      return {
        status,
        body: [encodeCborError(code, message)],
        headers: { ...headers, "smithy-protocol": CBOR_PROTOCOL },
        contentType: CBOR_CONTENT_TYPE,
        requestId,
      };
    }
    return {
      status,
      body: encodeError(code, message, requestId, sender, dialect.service.model.xmlNamespace),
      contentType: "text/xml",
      requestId,
    };
  }
}
