/**
 * The AWS endpoint: one request in, one response out. The pipeline is
 * route → envelope → signature (before the body is parsed, where the scheme allows) → service
 * and action → model-validated input → handler → model-ordered XML (Query protocol), JSON (JSON 1.0, CloudWatch through the AWS SDK for JS) or CBOR (RPC v2
 * CBOR, CloudWatch through recent botocore).
 * Every failure becomes an AWS error in the request's protocol (`<ErrorResponse>`, or `__type`
 * with `x-amzn-query-error`); an unexpected one is logged with its stack and answered as
 * `InternalFailure` without details.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../observability/logger.js";
import type { Store } from "../store/store.js";
import { AWS_ERRORS, PhantomError, UnknownUserError, type AwsErrorCode } from "../core/errors.js";
import type { ApiSettings } from "./actions/action.js";
import {
  authenticate,
  AUTH_PARAMETERS,
  checkNoSecondScheme,
  signedOutsideParameters,
  type AuthResult,
} from "../aws-wire/auth/authenticate.js";
import { decodeContent } from "../aws-wire/content-encoding.js";
import { findHeader } from "../aws-wire/auth/request.js";
import { cborRoute, cborToParams, CBOR_CONTENT_TYPE, CBOR_PROTOCOL, encodeCborError, encodeCborResponse } from "../aws-wire/query/cbor-protocol.js";
import { encodeJsonError, encodeJsonResponse, jsonToParams, JSON_CONTENT_TYPE } from "../aws-wire/query/json-protocol.js";
import { decodeInput } from "../aws-wire/query/decode-input.js";
import { encodeError, encodeResponse } from "../aws-wire/query/encode-xml.js";
import { parseParams } from "../aws-wire/query/params.js";
import type { UserDirectory } from "./user-directory.js";
import { ResponseCache } from "./response-cache.js";
import { writeAudit, type AuditFacts } from "./audit.js";
import { AUTOSCALING, isKnownAction, serviceBySigningName, serviceByTarget, serviceByVersion, type Service } from "./services.js";

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

/** The operation an RPC request names outside its parameters. */
interface RpcRoute {
  readonly target: string;
  readonly operation: string;
}

/** A request whose signature checked out: who sent it and its parameters. */
interface Authenticated {
  readonly auth: AuthResult;
  /** Query string and form body (for an RPC request, the query string only). */
  readonly params: Array<[string, string]>;
}

const NO_BODY = Buffer.alloc(0);

/**
 * Step 1, routing: the RPC protocols name the operation outside the parameters — JSON 1.0 in
 * `X-Amz-Target` (`<target>.<Operation>`), RPC v2 CBOR in the path. Sets the dialect errors are
 * answered in; null for a Query request. Nothing here is trusted before step 3 has checked
 * that the signature covers these headers.
 */
function routeOf(raw: RawRequest, dialect: Dialect): RpcRoute | null {
  let rpc: RpcRoute | null = null;
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
  return rpc;
}

/** Step 2, the envelope: size, method and path, all known before anything is parsed. */
function checkEnvelope(raw: RawRequest, dialect: Dialect): void {
  if (raw.bodyTooLarge) throw new PhantomError("RequestEntityTooLarge", "The request body is larger than 1 MiB.");
  if (raw.method !== "GET" && raw.method !== "POST") {
    throw new PhantomError("MethodNotAllowed", `The ${raw.method} method is not allowed; use GET or POST.`);
  }
  if (raw.path !== "/" && dialect.protocol !== "cbor") throw new PhantomError("NotFound", `Nothing is served at ${raw.path}; the API is at /.`);
}

/**
 * Names the action for the audit trail from what is known so far (the RPC route, or the
 * parameters), so that a refused attempt to change something is audited too.
 */
function nameForAudit(facts: AuditFacts, rpc: RpcRoute | null, params: readonly [string, string][]): void {
  const queryParams = rpc === null ? new Map(params) : null;
  const named = rpc?.operation ?? queryParams?.get("Action");
  if (named !== undefined && isKnownAction(named)) {
    facts.action = named;
    if (queryParams !== null) facts.params = queryParams;
  }
}

/** Audits a refused SigV4 Query request by what its body names, when the body parses at all. */
function nameRefusedForAudit(raw: RawRequest, facts: AuditFacts): void {
  let params: Array<[string, string]>;
  try {
    params = queryParameters(raw);
  } catch {
    return;
  }
  nameForAudit(facts, null, params);
}

/** The parameters of a Query request: its query string and its form body, decompressed. */
function queryParameters(raw: RawRequest): Array<[string, string]> {
  return parseParams(raw.rawQuery, decodeContent(raw.rawHeaders, raw.body), raw.contentType, raw.method);
}

/** The AWS APIs Phantom serves (see `services.ts`) over one store. */
export class QueryEndpoint {
  readonly #ignored = new Map<string, ReadonlySet<string>>();

  constructor(private readonly deps: QueryEndpointDeps) {}

  /** Answers one request; never throws. */
  async handle(raw: RawRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const dialect: Dialect = { service: AUTOSCALING, protocol: "query" };
    const facts: AuditFacts = {};
    try {
      const body = await this.#dispatch(raw, requestId, dialect, facts);
      writeAudit(this.deps.logger, facts, requestId, "ok");
      const headers = dialect.protocol === "cbor" ? { "smithy-protocol": CBOR_PROTOCOL } : undefined;
      return { status: 200, body, contentType: CONTENT_TYPES[dialect.protocol], ...(headers ? { headers } : {}), requestId };
    } catch (e) {
      return this.#failure(this.#removedUser(e), requestId, dialect, facts);
    }
  }

  /**
   * A user removed while this replica still held their key (the store no longer knows them) is
   * refused as an unknown key from now on; any other failure is returned as it is.
   */
  #removedUser(e: unknown): unknown {
    if (!(e instanceof UnknownUserError)) return e;
    this.deps.users.forgetUser(e.userId);
    return unknownAccessKey();
  }

  /** The pipeline: route, envelope, authenticate, select the action, decode, answer. */
  async #dispatch(raw: RawRequest, requestId: string, dialect: Dialect, facts: AuditFacts): Promise<string | readonly Buffer[]> {
    const rpc = routeOf(raw, dialect);
    checkEnvelope(raw, dialect);
    const now = this.deps.clock();
    const { auth, params } = await this.#authenticate(raw, rpc, now, facts);
    const user = await this.deps.users.lookup(auth.accessKeyId, now.getTime());
    if (user === null) throw unknownAccessKey();
    facts.user = user.name;
    const { actionName, map } = this.#selectAction(raw, rpc, params, auth, dialect);
    const { service } = dialect;
    const action = service.actions[actionName]!;
    facts.action = actionName;
    facts.params = map;
    const ignored = this.#ignoredFor(service, actionName);
    const input = action.decodeCommon?.(map) ?? decodeInput(service.model, actionName, map, ignored);
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

  /**
   * Step 3, the signature, checked before the body costs anything: SigV4 (header or presigned)
   * needs only the raw body's hash, so the body is decompressed and parsed only once the request
   * is known to be genuine. SigV2 is carried in the parameters themselves, so a request without a
   * SigV4 claim has its (bounded) parameters parsed first. An RPC request's parameters are its
   * body; only its query string can carry signature parts. A refused SigV4 request has its
   * (bounded) body parsed after all, only to audit what it tried.
   */
  async #authenticate(raw: RawRequest, rpc: RpcRoute | null, now: Date, facts: AuditFacts): Promise<Authenticated> {
    const query = parseParams(raw.rawQuery, NO_BODY, undefined, raw.method);
    const parseBodyLater = rpc !== null || signedOutsideParameters(raw.rawHeaders, query);
    let params = parseBodyLater ? query : queryParameters(raw);
    nameForAudit(facts, rpc, params);
    const { users } = this.deps;
    let auth: AuthResult;
    try {
      auth = await authenticate(
        { method: raw.method, path: raw.path, rawQuery: raw.rawQuery, rawHeaders: raw.rawHeaders, body: raw.body, params },
        now,
        async (accessKeyId) => (await users.lookup(accessKeyId, now.getTime()))?.secretAccessKey ?? null,
      );
    } catch (e) {
      if (parseBodyLater && rpc === null) nameRefusedForAudit(raw, facts);
      throw e;
    }
    if (parseBodyLater && rpc === null) {
      params = queryParameters(raw);
      checkNoSecondScheme(params);
    }
    return { auth, params };
  }

  /**
   * Step 4, the service and action: an RPC request's route (its JSON or CBOR body, decompressed,
   * turned into Query parameters), else `Action` with `Version` or the SigV4 scope's service.
   */
  #selectAction(
    raw: RawRequest,
    rpc: RpcRoute | null,
    params: Array<[string, string]>,
    auth: AuthResult,
    dialect: Dialect,
  ): { actionName: string; map: Map<string, string> } {
    if (rpc !== null) {
      if (serviceByTarget(rpc.target) === undefined || !Object.hasOwn(dialect.service.actions, rpc.operation)) {
        throw new PhantomError("InvalidAction", `Could not find operation ${rpc.target}.${rpc.operation} for the ${dialect.protocol.toUpperCase()} protocol`);
      }
      const body = decodeContent(raw.rawHeaders, raw.body);
      const { model } = dialect.service;
      const map = dialect.protocol === "cbor" ? cborToParams(model, rpc.operation, body) : jsonToParams(model, rpc.operation, body);
      return { actionName: rpc.operation, map };
    }
    const map = new Map(params);
    const actionName = map.get("Action");
    if (actionName === undefined || actionName === "") throw new PhantomError("MissingAction", "The request must contain the parameter Action.");
    const version = map.get("Version");
    const service = version === undefined ? serviceBySigningName(auth.service) : serviceByVersion(version);
    if (service !== undefined) dialect.service = service;
    if (service === undefined || !Object.hasOwn(service.actions, actionName)) {
      throw new PhantomError("InvalidAction", `Could not find operation ${actionName} for version ${version ?? dialect.service.model.apiVersion}`);
    }
    return { actionName, map };
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

  #failure(e: unknown, requestId: string, dialect: Dialect, facts: AuditFacts): ApiResponse {
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
    writeAudit(this.deps.logger, facts, requestId, code);
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

/** A signature by an access key nobody has (now). */
function unknownAccessKey(): PhantomError {
  return new PhantomError("InvalidClientTokenId", "The security token included in the request is invalid.");
}
