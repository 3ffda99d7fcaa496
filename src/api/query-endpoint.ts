/**
 * The AWS Query endpoint: one request in, one XML response out. The pipeline is
 * parameters → signature → action → model-validated input → handler → model-ordered XML.
 * Every failure becomes an AWS `<ErrorResponse>`; an unexpected one is logged with its stack and
 * answered as `InternalFailure` without details.
 */
import { randomUUID } from "node:crypto";
import { AWS_ERRORS, PhantomError } from "../core/errors.js";
import type { Logger } from "../observability/logger.js";
import type { Store } from "../store/store.js";
import { AUTOSCALING_ACTIONS } from "./actions/index.js";
import type { Action, ApiSettings } from "./actions/action.js";
import { authenticate, AUTH_PARAMETERS } from "./auth/authenticate.js";
import { loadModel, type Model } from "./query/model.js";
import { decodeInput } from "./query/decode-input.js";
import { encodeError, encodeResponse } from "./query/encode-xml.js";
import { parseParams } from "./query/params.js";
import type { UserDirectory } from "./user-directory.js";
import { ResponseCache } from "./response-cache.js";
import autoscalingModel from "./model/autoscaling-2011-01-01.json" with { type: "json" };

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

/** The XML answer and its status. */
export interface ApiResponse {
  readonly status: number;
  /** The XML, whole or in pieces to send one after the other. */
  readonly body: string | readonly Buffer[];
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
  /** Caches answers of read-only actions by user generation; null disables it. */
  readonly responseCache: ResponseCache | null;
}

const API_VERSION = "2011-01-01";

/**
 * Parameters real clients send that the model does not list, accepted and ignored:
 * boto 2 adds a top-level `DeleteOnTermination` to CreateLaunchConfiguration.
 */
const CLIENT_QUIRKS: Readonly<Record<string, readonly string[]>> = {
  CreateLaunchConfiguration: ["DeleteOnTermination"],
};

/** The Auto Scaling Query API over one store. */
export class QueryEndpoint {
  readonly #model: Model = loadModel(autoscalingModel);
  readonly #ignored = new Map<string, ReadonlySet<string>>();

  constructor(private readonly deps: QueryEndpointDeps) {}

  /** Answers one request; never throws. */
  async handle(raw: RawRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    try {
      return { status: 200, body: await this.#dispatch(raw, requestId), requestId };
    } catch (e) {
      return this.#failure(e, requestId);
    }
  }

  async #dispatch(raw: RawRequest, requestId: string): Promise<string | readonly Buffer[]> {
    if (raw.bodyTooLarge) throw new PhantomError("RequestEntityTooLarge", "The request body is larger than 1 MiB.");
    if (raw.method !== "GET" && raw.method !== "POST") {
      throw new PhantomError("MethodNotAllowed", `The ${raw.method} method is not allowed; use GET or POST.`);
    }
    if (raw.path !== "/") throw new PhantomError("NotFound", `Nothing is served at ${raw.path}; the API is at /.`);
    const params = parseParams(raw.rawQuery, raw.body, raw.contentType, raw.method);
    const now = this.deps.clock();
    const { users } = this.deps;
    const auth = await authenticate(
      { method: raw.method, path: raw.path, rawQuery: raw.rawQuery, rawHeaders: raw.rawHeaders, body: raw.body, params },
      now,
      async (accessKeyId) => (await users.lookup(accessKeyId, now.getTime()))?.secretAccessKey ?? null,
    );
    const user = await users.lookup(auth.accessKeyId, now.getTime());
    if (user === null) throw new PhantomError("InvalidClientTokenId", "The security token included in the request is invalid.");
    const map = new Map(params);
    const actionName = map.get("Action");
    if (actionName === undefined || actionName === "") {
      throw new PhantomError("MissingAction", "The request must contain the parameter Action.");
    }
    const version = map.get("Version");
    const action: Action | undefined = Object.hasOwn(AUTOSCALING_ACTIONS, actionName) ? AUTOSCALING_ACTIONS[actionName] : undefined;
    if (action === undefined || (version !== undefined && version !== API_VERSION)) {
      throw new PhantomError("InvalidAction", `Could not find operation ${actionName} for version ${version ?? API_VERSION}`);
    }
    const ignored = this.#ignoredFor(actionName);
    const input = decodeInput(this.#model, actionName, map, ignored);
    const cache = action.readOnly ? this.deps.responseCache : null;
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
    const body = encodeResponse(this.#model, actionName, result, requestId);
    cache?.set(cacheKey, generation, body, requestId);
    return body;
  }

  #ignoredFor(action: string): ReadonlySet<string> {
    let set = this.#ignored.get(action);
    if (set === undefined) {
      set = new Set([...AUTH_PARAMETERS, ...(CLIENT_QUIRKS[action] ?? [])]);
      this.#ignored.set(action, set);
    }
    return set;
  }

  #failure(e: unknown, requestId: string): ApiResponse {
    if (e instanceof PhantomError) {
      const { status, sender } = AWS_ERRORS[e.code];
      if (status >= 500) this.deps.logger.error({ err: e, requestId }, "request failed");
      else this.deps.logger.debug({ requestId, code: e.code, message: e.message }, "request refused");
      return { status, body: encodeError(e.code, e.message, requestId, sender), requestId };
    }
    this.deps.logger.error({ err: e, requestId }, "internal error");
    return {
      status: 500,
      body: encodeError("InternalFailure", `An internal error occurred. Request id: ${requestId}`, requestId, false),
      requestId,
    };
  }
}
