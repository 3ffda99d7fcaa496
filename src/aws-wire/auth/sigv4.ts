/**
 * Signature Version 4, signed in the `Authorization` header or presigned in the query string.
 * The canonical request is rebuilt from what arrived (raw headers, raw query, raw body), never
 * from what the client claims about it: the body is hashed here, whatever
 * `x-amz-content-sha256` says.
 */
import { createHash, createHmac } from "node:crypto";
import type { AuthResult, SecretLookup } from "./authenticate.js";
import {
  incompleteSignature,
  invalidClientTokenId,
  requestExpired,
  signatureDoesNotMatch,
  unsignedHeader,
} from "./auth-errors.js";
import { canonicalHeaders, canonicalQuery, canonicalUri, type Param } from "./canonical.js";
import { checkClockSkew, checkNotInFuture, formatAmzDate, MAX_SIGNATURE_LIFETIME_S, parseAmzDate, parseHttpDate } from "./clock.js";
import { signaturesEqual } from "./constant-time.js";
import { findAuthParam, findHeader, isFormContentType, ROUTING_HEADERS, type SignedRequest } from "./request.js";
import { SigningKeyCache } from "./signing-key.js";

const ALGORITHM = "AWS4-HMAC-SHA256";
/**
 * Headers that, when sent, must be signed: the routing headers choose the service and action,
 * `content-encoding` and `content-type` how the body is read. Every AWS SDK signs them.
 */
const MUST_SIGN_HEADERS: readonly string[] = [...ROUTING_HEADERS, "content-encoding", "content-type"];
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** Printable ASCII: any region or service name a client may sign for, and nothing that is not. */
const SCOPE_PART = /^[\x21-\x7E]+$/;
const SCOPE_DATE = /^\d{8}$/;

const signingKeys = new SigningKeyCache();

/** The credential a SigV4 signature names: `AKID/20261126/us-east-1/autoscaling/aws4_request`. */
interface Credential {
  readonly accessKeyId: string;
  /** Everything after the access key, exactly as sent: the string-to-sign uses it verbatim. */
  readonly scope: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

/** What both SigV4 forms carry, once parsed. */
interface SigV4Claim {
  readonly credential: Credential;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** The signing time as `20261126T113724Z`. */
  readonly amzDate: string;
}

function parseCredential(value: string): Credential {
  const parts = value.split("/");
  if (parts.length !== 5) {
    throw incompleteSignature(
      `Credential should have 5 slash-separated parts (AccessKeyId/YYYYMMDD/region/service/aws4_request), not ${parts.length}.`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === "") throw incompleteSignature("Credential should name an access key id.");
  if (!SCOPE_DATE.test(date)) throw incompleteSignature(`Credential should be scoped to a valid date (YYYYMMDD), not '${date}'.`);
  if (!SCOPE_PART.test(region)) throw incompleteSignature(`Credential should be scoped to a valid region, not '${region}'.`);
  if (!SCOPE_PART.test(service)) throw incompleteSignature(`Credential should be scoped to a valid service, not '${service}'.`);
  if (terminator !== "aws4_request") {
    throw incompleteSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  }
  return { accessKeyId, scope: value.slice(accessKeyId.length + 1), date, region, service };
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(";");
  if (names.some((name) => name === "")) throw incompleteSignature(`SignedHeaders '${value}' has an empty header name.`);
  // Without the host, a signature made for one endpoint would be valid at any other.
  if (!names.includes("host")) throw incompleteSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  return names;
}

/**
 * Refuses a request that carries one of {@link MUST_SIGN_HEADERS} unsigned. One exception: an
 * unsigned form `Content-Type`, which boto 2 sends on its POSTs (it signs only `host` and
 * `x-amz-date`); a form is how a Query body is read anyway, so it can steer nothing.
 */
function checkDecisiveHeadersSigned(rawHeaders: readonly string[], signedHeaders: readonly string[]): void {
  for (const name of MUST_SIGN_HEADERS) {
    const value = findHeader(rawHeaders, name);
    if (value === undefined || signedHeaders.includes(name)) continue;
    if (name === "content-type" && isFormContentType(value)) continue;
    throw unsignedHeader(name);
  }
}

function checkScopeDate(credential: Credential, amzDate: string): void {
  if (credential.date !== amzDate.slice(0, 8)) {
    throw incompleteSignature(
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
        `'${credential.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
}

function parseAmzDateOrThrow(value: string): Date {
  const date = parseAmzDate(value);
  if (date === undefined) {
    throw incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  return date;
}

/** Splits `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (boto 2 omits the spaces). */
function parseAuthorization(header: string): { credential: string; signedHeaders: string; signature: string } {
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw incompleteSignature(`Authorization header algorithm '${algorithm}' is not supported; sign with ${ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  const rest = space < 0 ? "" : header.slice(space + 1).trim();
  for (const raw of rest === "" ? [] : rest.split(",")) {
    const part = raw.trim();
    const eq = part.indexOf("=");
    if (eq <= 0) throw incompleteSignature(`'${part}' not a valid key=value pair (missing equal-sign) in Authorization header.`);
    const key = part.slice(0, eq);
    if (key !== "Credential" && key !== "SignedHeaders" && key !== "Signature") {
      throw incompleteSignature(`Authorization header has an unknown parameter '${key}'.`);
    }
    if (fields.has(key)) throw incompleteSignature(`Authorization header has more than one '${key}' parameter.`);
    fields.set(key, part.slice(eq + 1));
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    const missing = ["Credential", "Signature", "SignedHeaders"].filter((k) => !fields.has(k));
    throw incompleteSignature(missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" "));
  }
  return { credential, signedHeaders, signature };
}

/** The signing time of a header-signed request: `X-Amz-Date`, else the HTTP `Date` header. */
function headerSigningTime(rawHeaders: readonly string[]): { amzDate: string; date: Date } {
  const amzDate = findHeader(rawHeaders, "x-amz-date");
  if (amzDate !== undefined) return { amzDate, date: parseAmzDateOrThrow(amzDate) };
  const httpDate = findHeader(rawHeaders, "date");
  if (httpDate === undefined) {
    throw incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const date = parseHttpDate(httpDate);
  if (date === undefined) throw incompleteSignature(`Date header '${httpDate}' is not an RFC 7231 date.`);
  // The string to sign always carries the ISO 8601 basic form, whichever header gave the time.
  return { amzDate: formatAmzDate(date), date };
}

async function lookupOrThrow(lookupSecret: SecretLookup, accessKeyId: string): Promise<string> {
  const secret = await lookupSecret(accessKeyId);
  if (secret === null) throw invalidClientTokenId();
  return secret;
}

/** Recomputes the signature over what arrived and compares it with the claimed one. */
function checkSignature(req: SignedRequest, query: readonly Param[], claim: SigV4Claim, secret: string): void {
  const payloadHash = req.body.length === 0 ? EMPTY_SHA256 : createHash("sha256").update(req.body).digest("hex");
  const claimedHash = findHeader(req.rawHeaders, "x-amz-content-sha256");
  // A signed x-amz-content-sha256 only proves what the client hashed, not what arrived.
  if (claimedHash !== undefined && claimedHash !== payloadHash) throw signatureDoesNotMatch();

  const canonicalRequest =
    `${req.method}\n${canonicalUri(req.path)}\n${canonicalQuery(query, "X-Amz-Signature")}\n` +
    `${canonicalHeaders(req.rawHeaders, claim.signedHeaders)}\n${claim.signedHeaders.join(";")}\n${payloadHash}`;
  // Header values are latin1 byte strings (Node's decoding) and the rest is ASCII, so hashing
  // as latin1 hashes exactly the bytes the client signed.
  const hashedRequest = createHash("sha256").update(canonicalRequest, "latin1").digest("hex");
  const { credential } = claim;
  const key = signingKeys.get(secret, credential.date, credential.region, credential.service);
  const expected = createHmac("sha256", key)
    .update(`${ALGORITHM}\n${claim.amzDate}\n${credential.scope}\n${hashedRequest}`, "latin1")
    .digest("hex");
  if (!signaturesEqual(expected, claim.signature)) throw signatureDoesNotMatch();
}

function result(method: AuthResult["method"], credential: Credential): AuthResult {
  return { accessKeyId: credential.accessKeyId, method, region: credential.region, service: credential.service };
}

/**
 * Verifies a request signed in its `Authorization` header. `authorization` is that header's
 * value; `query` is the decoded query string.
 */
export async function verifySigV4Header(
  req: SignedRequest,
  authorization: string,
  query: readonly Param[],
  now: Date,
  lookupSecret: SecretLookup,
): Promise<AuthResult> {
  const fields = parseAuthorization(authorization);
  const credential = parseCredential(fields.credential);
  const signedHeaders = parseSignedHeaders(fields.signedHeaders);
  checkDecisiveHeadersSigned(req.rawHeaders, signedHeaders);
  const { amzDate, date } = headerSigningTime(req.rawHeaders);
  checkScopeDate(credential, amzDate);
  // Cheap checks first: a stale request never costs a secret lookup.
  checkClockSkew(date, now);
  const secret = await lookupOrThrow(lookupSecret, credential.accessKeyId);
  checkSignature(req, query, { credential, signedHeaders, signature: fields.signature, amzDate }, secret);
  return result("sigv4", credential);
}

const PRESIGNED_PARAMETERS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Signature",
  "X-Amz-Date",
  "X-Amz-SignedHeaders",
  "X-Amz-Expires",
] as const;

/** Verifies a presigned request: the `X-Amz-*` parameters of the decoded `query`. */
export async function verifySigV4Presigned(
  req: SignedRequest,
  query: readonly Param[],
  now: Date,
  lookupSecret: SecretLookup,
): Promise<AuthResult> {
  const [algorithm, credentialParam, signature, amzDate, signedHeadersParam, expiresParam] = PRESIGNED_PARAMETERS.map(
    (name) => findAuthParam(query, name),
  );
  if (
    algorithm === undefined ||
    credentialParam === undefined ||
    signature === undefined ||
    amzDate === undefined ||
    signedHeadersParam === undefined ||
    expiresParam === undefined
  ) {
    throw incompleteSignature(
      "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', " +
        "'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.",
    );
  }
  if (algorithm !== ALGORITHM) throw incompleteSignature(`X-Amz-Algorithm only supports "${ALGORITHM}".`);
  const credential = parseCredential(credentialParam);
  const signedHeaders = parseSignedHeaders(signedHeadersParam);
  checkDecisiveHeadersSigned(req.rawHeaders, signedHeaders);
  const date = parseAmzDateOrThrow(amzDate);
  checkScopeDate(credential, amzDate);
  if (!/^\d{1,6}$/.test(expiresParam) || Number(expiresParam) < 1 || Number(expiresParam) > MAX_SIGNATURE_LIFETIME_S) {
    throw incompleteSignature(
      `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_SIGNATURE_LIFETIME_S} (one week), not '${expiresParam}'.`,
    );
  }
  // A presigned URL is meant to be used later, so only its own lifetime bounds it in the past;
  // the skew window still stops one signed for a time far ahead.
  checkNotInFuture(date, now);
  if (now.getTime() > date.getTime() + Number(expiresParam) * 1000) throw requestExpired();
  const secret = await lookupOrThrow(lookupSecret, credential.accessKeyId);
  checkSignature(req, query, { credential, signedHeaders, signature, amzDate }, secret);
  return result("sigv4-presigned", credential);
}
