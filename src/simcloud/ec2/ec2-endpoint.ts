/**
 * The simcloud's EC2 endpoint: one HTTP request in, one XML response out, in EC2's protocol.
 * The pipeline is parameters → caller → action → model-validated input → action → XML, with
 * the codec of `src/api/query/` in its `ec2` dialect and the model `ec2-2016-11-15.json`.
 *
 * By default signatures are not checked: any credentials work, and the access key of the SigV4
 * credential scope (or of a presigned URL, or SigV2's `AWSAccessKeyId`) names the caller's
 * account, so each key sees only its own VMs. A request without one is refused with
 * `AuthFailure`, as EC2 refuses an unsigned request. Given `credentials`, the endpoint verifies
 * signatures as Phantom's API does (`aws-wire/auth/`) against those keys and answers as EC2
 * does: `AuthFailure` (401) for an unknown key or a wrong signature.
 */
import { randomUUID } from "node:crypto";
import { AuthError, AWS_ERRORS, PhantomError, ValidationError } from "../../core/errors.js";
import { AUTH_PARAMETERS, authenticate } from "../../aws-wire/auth/authenticate.js";
import { findHeader } from "../../aws-wire/auth/request.js";
import { decodeInput, UnknownParameterError } from "../../aws-wire/query/decode-input.js";
import { encodeEc2Error, encodeResponse } from "../../aws-wire/query/encode-xml.js";
import { loadModel, type Model } from "../../aws-wire/query/model.js";
import { parseParams } from "../../aws-wire/query/params.js";
import ec2Model from "../../aws-wire/models/ec2-2016-11-15.json" with { type: "json" };
import type { Logger } from "../../observability/logger.js";
import { CloudError } from "../../clouds/driver.js";
import { EC2_DEFAULT_CODES, EC2_ERROR_CODES } from "../../clouds/ec2/ec2-error-codes.js";
import type { SimulatedCloud } from "../../clouds/simulated/simulated-cloud.js";
import { EC2_ACTIONS, type CallContext } from "./ec2-actions.js";
import { Ec2ApiError } from "./ec2-api-error.js";

/** An HTTP request as the endpoint needs it. */
export interface Ec2Request {
  readonly method: string;
  /** The path of the request target, raw, e.g. "/" (signed by SigV4). */
  readonly path: string;
  /** The query string as received, without `?`. */
  readonly rawQuery: string;
  /** Node's `rawHeaders`: names and values alternating. */
  readonly rawHeaders: readonly string[];
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** The body went over the size limit and was not read. */
  readonly bodyTooLarge: boolean;
}

/** The XML answer and its status. */
export interface Ec2Response {
  readonly status: number;
  readonly body: string;
  readonly requestId: string;
}

/** The region when the request does not name one (SigV2). */
const DEFAULT_REGION = "us-east-1";
/** `Credential=AKID/20261126/us-east-1/ec2/aws4_request` in a SigV4 `Authorization` header. */
const CREDENTIAL = /Credential=([^/,\s]+)\/[^/,\s]*\/([^/,\s]*)\//;

/** How the endpoint checks its callers. */
export interface Ec2EndpointOptions {
  readonly logger?: Logger | undefined;
  /** Access key → secret: signatures are verified against these. Absent: any credentials work. */
  readonly credentials?: ReadonlyMap<string, string> | undefined;
  /** The time signatures are checked against (the wall clock unless given). */
  readonly now?: (() => Date) | undefined;
}

/** The codes of authentication failures EC2 answers in its own words (others are `AuthFailure`). */
const EC2_AUTH_CODES: ReadonlySet<string> = new Set(["RequestExpired", "MissingAuthenticationToken"]);

/** EC2's API, over a simulated cloud. */
export class Ec2Endpoint {
  readonly #model: Model = loadModel(ec2Model);
  readonly #logger: Logger | undefined;
  readonly #credentials: ReadonlyMap<string, string> | undefined;
  readonly #now: () => Date;

  constructor(
    private readonly cloud: SimulatedCloud,
    options: Ec2EndpointOptions = {},
  ) {
    this.#logger = options.logger;
    this.#credentials = options.credentials;
    this.#now = options.now ?? (() => new Date());
  }

  /** Answers one request; never throws. */
  async handle(request: Ec2Request): Promise<Ec2Response> {
    const requestId = randomUUID();
    try {
      return { status: 200, body: await this.#dispatch(request, requestId), requestId };
    } catch (e) {
      const { code, message, status } = this.#error(e, requestId);
      return { status, body: encodeEc2Error(code, message, requestId), requestId };
    }
  }

  async #dispatch(request: Ec2Request, requestId: string): Promise<string> {
    if (request.bodyTooLarge) throw new Ec2ApiError("RequestEntityTooLarge", "The request body is too large.");
    if (request.method !== "GET" && request.method !== "POST") {
      throw new Ec2ApiError("MethodNotAllowed", `The ${request.method} method is not allowed; use GET or POST.`);
    }
    const ordered = parseParams(request.rawQuery, request.body, request.contentType, request.method);
    if (this.#credentials !== undefined) await this.#verify(request, ordered, this.#credentials);
    const params = new Map(ordered);
    const context = caller(request.rawHeaders, params);
    const action = params.get("Action");
    if (action === undefined || action === "") throw new Ec2ApiError("MissingAction", "The request must contain the parameter Action");
    if (!Object.hasOwn(EC2_ACTIONS, action)) throw new Ec2ApiError("InvalidAction", `The action ${action} is not valid for this web service.`);
    const input = decodeInput(this.#model, action, params, AUTH_PARAMETERS);
    if (input.DryRun === true) throw new Ec2ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
    const result = await EC2_ACTIONS[action]!(this.cloud, input, context);
    this.#logger?.debug({ requestId, action, account: context.account }, "request");
    return encodeResponse(this.#model, action, result, requestId);
  }

  /**
   * Verifies the request's signature against `credentials`.
   * @throws Ec2ApiError `AuthFailure` for an unknown key or a signature that does not match;
   *   EC2's own code for an expired or missing one
   */
  async #verify(request: Ec2Request, params: readonly (readonly [string, string])[], credentials: ReadonlyMap<string, string>): Promise<void> {
    const signed = { method: request.method, path: request.path, rawQuery: request.rawQuery, rawHeaders: request.rawHeaders, body: request.body, params };
    try {
      await authenticate(signed, this.#now(), async (accessKeyId) => credentials.get(accessKeyId) ?? null);
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      if (EC2_AUTH_CODES.has(e.code)) throw new Ec2ApiError(e.code, e.message);
      throw new Ec2ApiError("AuthFailure", "AWS was not able to validate the provided access credentials");
    }
  }

  /** The EC2 code, message and status for whatever a request failed with. */
  #error(e: unknown, requestId: string): { code: string; message: string; status: number } {
    if (e instanceof Ec2ApiError) return { code: e.code, message: e.message, status: e.status };
    if (e instanceof CloudError) {
      // The simulated cloud speaks EC2 already; a code of its own becomes its kind's EC2 code.
      const code = Object.hasOwn(EC2_ERROR_CODES, e.code) ? e.code : EC2_DEFAULT_CODES[e.kind];
      const message = e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message;
      return { code, message, status: EC2_ERROR_CODES[code]!.status };
    }
    if (e instanceof UnknownParameterError) return { code: "UnknownParameter", message: e.message, status: 400 };
    if (e instanceof ValidationError) return { code: "InvalidParameterValue", message: e.message, status: 400 };
    if (e instanceof PhantomError) return { code: e.code, message: e.message, status: AWS_ERRORS[e.code].status };
    this.#logger?.error({ err: e, requestId }, "internal error");
    return { code: "InternalError", message: "An internal error has occurred.", status: 500 };
  }
}

/**
 * The caller's account (its access key) and region, from the SigV4 `Authorization` header, a
 * presigned URL's `X-Amz-Credential`, or SigV2's `AWSAccessKeyId`.
 * @throws Ec2ApiError `AuthFailure` when the request names no access key
 */
function caller(rawHeaders: readonly string[], params: ReadonlyMap<string, string>): CallContext {
  const authorization = findHeader(rawHeaders, "authorization");
  const scope = authorization ?? (params.has("X-Amz-Credential") ? `Credential=${params.get("X-Amz-Credential")}` : undefined);
  const m = scope === undefined ? null : CREDENTIAL.exec(scope);
  if (m !== null) return { account: m[1]!, region: m[2] !== "" ? m[2]! : DEFAULT_REGION };
  const v2 = params.get("AWSAccessKeyId");
  if (authorization === undefined && v2 !== undefined && v2 !== "") return { account: v2, region: DEFAULT_REGION };
  throw new Ec2ApiError("AuthFailure", "AWS was not able to validate the provided access credentials");
}
