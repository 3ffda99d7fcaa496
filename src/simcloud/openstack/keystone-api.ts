/**
 * The face's Keystone v3: version discovery and `POST /v3/auth/tokens` with the password or
 * application-credential method, answered with a project-scoped token whose catalog points
 * at the face itself (compute, image, network and identity, public, internal and admin, in
 * the face's region). Like the EC2 face, it accepts any user and password (or application
 * credential): a project is named by its name and domain (or, for an application
 * credential, by the credential), and each project's servers are its own.
 *
 * Tokens are opaque random strings kept in memory until they expire (a bounded number: the
 * oldest go first); the other services ask {@link KeystoneApi.authenticate} who a token is.
 */
import { createHash, randomBytes } from "node:crypto";
import { isoMicros, json, jsonBody, objectAt, OpenStackApiError, serve, type FaceRequest, type FaceResponse } from "./openstack-http.js";

/** Who a token speaks for, and until when. */
export interface TokenInfo {
  readonly id: string;
  readonly methods: readonly string[];
  readonly user: Identified & { readonly domain: Identified };
  readonly project: Identified & { readonly domain: Identified };
  readonly applicationCredential: Identified | null;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly auditId: string;
}

interface Identified {
  readonly id: string;
  readonly name: string;
}

/** How the face's Keystone behaves. */
export interface KeystoneOptions {
  /** The catalog's region. */
  readonly region: string;
  /** How long a token is good for. */
  readonly tokenLifetimeMs: number;
  readonly clock: () => Date;
  /** Most tokens kept; beyond it the oldest are forgotten. */
  readonly maxTokens?: number | undefined;
}

/** The services of the catalog: type, name, and path below the face's URL. */
const SERVICES = [
  { type: "identity", name: "keystone", path: "/identity" },
  { type: "compute", name: "nova", path: "/compute/v2.1" },
  { type: "image", name: "glance", path: "/image" },
  { type: "network", name: "neutron", path: "/network" },
] as const;
const INTERFACES = ["public", "internal", "admin"] as const;
const DEFAULT_MAX_TOKENS = 10_000;
/** Keystone's limit on names, ids and secrets it reads. */
const MAX_FIELD = 255;
const UNAUTHORIZED = "The request you have made requires authentication.";

/** Keystone v3 for the face. */
export class KeystoneApi {
  readonly #tokens = new Map<string, TokenInfo>();
  readonly #maxTokens: number;

  constructor(private readonly options: KeystoneOptions) {
    this.#maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  }

  /** Answers a request below `/identity`; never throws. */
  handle(request: FaceRequest): Promise<FaceResponse> {
    return serve("identity", request.base, () => this.#route(request));
  }

  /**
   * The token a request shows in `X-Auth-Token`.
   * @throws OpenStackApiError 401 when it has none, or one that is unknown or expired
   */
  authenticate(headers: ReadonlyMap<string, string>): TokenInfo {
    const token = this.#find(headers.get("x-auth-token"));
    if (token === undefined) throw new OpenStackApiError(401, UNAUTHORIZED);
    return token;
  }

  /** Operator and test helper: every token issued so far stops working (as after a key rotation). */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  #route(request: FaceRequest): FaceResponse {
    const path = request.path.replace(/\/+$/, "");
    const method = request.method === "HEAD" ? "GET" : request.method;
    if (path === "" && method === "GET") return json(300, { versions: { values: [this.#version(request.base)] } });
    if (path === "/v3" && method === "GET") return json(200, { version: this.#version(request.base) });
    if (path === "/v3/auth/tokens") {
      if (method === "POST") return this.#issue(request);
      if (method === "GET") {
        this.authenticate(request.headers);
        const subject = this.#find(request.headers.get("x-subject-token"));
        if (subject === undefined) throw new OpenStackApiError(404, "Could not find token.");
        return json(200, this.#body(subject, request.base), { "x-subject-token": subject.id });
      }
      throw new OpenStackApiError(405, `The method ${request.method} is not allowed on /v3/auth/tokens.`);
    }
    throw new OpenStackApiError(404, `Could not find ${request.path}.`);
  }

  #version(base: string) {
    return {
      id: "v3.14",
      status: "stable",
      updated: "2020-04-07T00:00:00Z",
      links: [{ rel: "self", href: `${base}/identity/v3/` }],
      "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
    };
  }

  /** `POST /v3/auth/tokens`: a new project-scoped token. */
  #issue(request: FaceRequest): FaceResponse {
    const auth = objectAt(jsonBody(request), "auth", "auth");
    const identity = objectAt(auth, "identity", "auth.identity");
    const methods = identity.methods;
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === "string")) {
      throw new OpenStackApiError(400, "Invalid input for field 'identity': 'methods' is a required list of strings");
    }
    const now = this.options.clock();
    let who: Pick<TokenInfo, "user" | "project" | "applicationCredential">;
    if (methods.includes("application_credential")) {
      if (auth.scope !== undefined) throw new OpenStackApiError(401, "Application credentials cannot request a scope.");
      who = applicationCredential(objectAt(identity, "application_credential", "identity.application_credential"));
    } else if (methods.includes("password")) {
      const password = objectAt(identity, "password", "identity.password");
      const user = passwordUser(objectAt(password, "user", "password.user"));
      if (auth.scope === undefined) throw new OpenStackApiError(401, "The face of phantom simcloud issues project-scoped tokens only: give a project.");
      who = { user, project: byIdOrName("project", objectAt(objectAt(auth, "scope", "auth.scope"), "project", "scope.project"), "scope.project"), applicationCredential: null };
    } else {
      throw new OpenStackApiError(401, `Unsupported authentication method: ${methods.join(", ")}`);
    }
    const token: TokenInfo = {
      id: `gAAAAA${randomBytes(48).toString("base64url")}`,
      methods: methods as string[],
      ...who,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + this.options.tokenLifetimeMs),
      auditId: randomBytes(16).toString("base64url").slice(0, 22),
    };
    this.#tokens.set(token.id, token);
    if (this.#tokens.size > this.#maxTokens) this.#tokens.delete(this.#tokens.keys().next().value!);
    return json(201, this.#body(token, request.base), { "x-subject-token": token.id });
  }

  #find(id: string | undefined): TokenInfo | undefined {
    if (id === undefined) return undefined;
    const token = this.#tokens.get(id);
    if (token === undefined) return undefined;
    if (token.expiresAt.getTime() <= this.options.clock().getTime()) {
      this.#tokens.delete(id);
      return undefined;
    }
    return token;
  }

  /** The token's body, as Keystone shapes it. */
  #body(token: TokenInfo, base: string) {
    const region = this.options.region;
    return {
      token: {
        methods: token.methods,
        user: { ...token.user, password_expires_at: null },
        audit_ids: [token.auditId],
        expires_at: isoMicros(token.expiresAt, "Z"),
        issued_at: isoMicros(token.issuedAt, "Z"),
        project: token.project,
        is_domain: false,
        roles: [
          { id: hashId("role", "member"), name: "member" },
          { id: hashId("role", "reader"), name: "reader" },
        ],
        ...(token.applicationCredential !== null && { application_credential: { ...token.applicationCredential, restricted: true } }),
        catalog: SERVICES.map((s) => ({
          id: hashId("service", s.type),
          type: s.type,
          name: s.name,
          endpoints: INTERFACES.map((i) => ({
            id: hashId("endpoint", `${s.type}/${i}`),
            interface: i,
            region,
            region_id: region,
            url: `${base}${s.path}`,
          })),
        })),
      },
    };
  }
}

/** A stable 32-hex id for `name` of `kind`: the same project name always names the same project. */
export function hashId(kind: string, name: string): string {
  return createHash("sha256").update(`${kind}\0${name}`).digest("hex").slice(0, 32);
}

function field(value: Record<string, unknown>, key: string, where: string): string {
  const member = value[key];
  if (typeof member !== "string" || member === "" || member.length > MAX_FIELD) {
    throw new OpenStackApiError(400, `Invalid input for field '${where}': '${key}' must be a string of 1 to ${MAX_FIELD} characters`);
  }
  return member;
}

/** A domain given by name or id; Keystone's default domain is `default`, named `Default`. */
function domainOf(value: Record<string, unknown>, where: string): Identified {
  const domain = objectAt(value, "domain", where);
  if (typeof domain.id === "string") {
    const id = field(domain, "id", `${where}.domain`);
    return { id, name: id === "default" ? "Default" : id };
  }
  const name = field(domain, "name", `${where}.domain`);
  return { id: name === "Default" ? "default" : hashId("domain", name), name };
}

/**
 * A password or secret: any will do, but there must be one (Keystone refuses an empty one as
 * it refuses a wrong one).
 */
function secret(value: Record<string, unknown>, key: string, where: string): void {
  const member = value[key];
  if (typeof member !== "string" || member.length > 4096) throw new OpenStackApiError(400, `Invalid input for field '${where}': '${key}' must be a string`);
  if (member === "") throw new OpenStackApiError(401, UNAUTHORIZED);
}

function passwordUser(user: Record<string, unknown>): TokenInfo["user"] {
  secret(user, "password", "password.user");
  return byIdOrName("user", user, "password.user");
}

/**
 * A user or project given by id, or by name and domain: the same name in the same domain is
 * always the same one.
 */
function byIdOrName(kind: "user" | "project", value: Record<string, unknown>, where: string): Identified & { readonly domain: Identified } {
  if (typeof value.id === "string") {
    const id = field(value, "id", where);
    return { id, name: id, domain: { id: "default", name: "Default" } };
  }
  const name = field(value, "name", where);
  const domain = domainOf(value, where);
  return { id: hashId(kind, `${domain.id}/${name}`), name, domain };
}

/** An application credential by id names its own project and user (one per credential). */
function applicationCredential(credential: Record<string, unknown>): Pick<TokenInfo, "user" | "project" | "applicationCredential"> {
  secret(credential, "secret", "application_credential");
  const id = typeof credential.id === "string" ? field(credential, "id", "application_credential") : hashId("credential", field(credential, "name", "application_credential"));
  const domain = { id: "default", name: "Default" };
  return {
    user: { id: hashId("credential-user", id), name: `user-of-${id}`, domain },
    project: { id: hashId("credential-project", id), name: `project-of-${id}`, domain },
    applicationCredential: { id, name: typeof credential.name === "string" ? credential.name : id },
  };
}
