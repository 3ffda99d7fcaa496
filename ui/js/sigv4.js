// AWS Signature Version 4 for the dashboard's Query requests, computed in the browser with
// WebCrypto: the secret never leaves the tab, and Phantom verifies these requests exactly as it
// verifies the AWS CLI's.

const encoder = new TextEncoder();

/** Lower-case hex of bytes. */
function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

async function hmac(key, text) {
  const raw = typeof key === "string" ? encoder.encode(key) : key;
  const cryptoKey = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(text));
}

/** RFC 3986 percent-encoding, as SigV4 and the Query protocol want it. */
export function rfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The form body of `[name, value]` pairs. */
export function formBody(pairs) {
  return pairs.map(([name, value]) => `${rfc3986(name)}=${rfc3986(String(value))}`).join("&");
}

/** The form content type Phantom's Query endpoint reads. */
export const FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8";

/**
 * The headers that sign a POST of `body` to `/` on `host`: `content-type`, `x-amz-date` and
 * `authorization` (the browser adds `host` itself, with the value signed here).
 */
export async function signPost(credentials, { host, body, service, region = "us-east-1", now = new Date() }) {
  const amzDate = now.toISOString().replace(/\.\d{3}/, "").replace(/[-:]/g, "");
  const day = amzDate.slice(0, 8);
  const signedHeaders = "content-type;host;x-amz-date";
  const canonicalHeaders = `content-type:${FORM_TYPE}\nhost:${host}\nx-amz-date:${amzDate}\n`;
  const canonicalRequest = ["POST", "/", "", canonicalHeaders, signedHeaders, await sha256Hex(body)].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonicalRequest)].join("\n");
  let key = await hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [region, service, "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, stringToSign));
  return {
    "content-type": FORM_TYPE,
    "x-amz-date": amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
