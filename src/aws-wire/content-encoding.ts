/**
 * A request body's `Content-Encoding`: identity, or gzip (CloudWatch's clients gzip large
 * `PutMetricData` bodies). Inflation stops as soon as the output passes
 * {@link MAX_DECODED_BODY_BYTES}, so a few kilobytes of gzip can never become gigabytes.
 */
import { gunzipSync } from "node:zlib";
import { PhantomError } from "../core/errors.js";
import { findHeader } from "./auth/request.js";
import { MAX_DECODED_BODY_BYTES } from "./limits.js";

/**
 * The body as its sender meant it: gunzipped when its `Content-Encoding` says gzip.
 * @throws PhantomError `RequestEntityTooLarge` past {@link MAX_DECODED_BODY_BYTES} decoded,
 *   `MalformedQueryString` for broken gzip, `UnsupportedMediaType` for another encoding
 */
export function decodeContent(rawHeaders: readonly string[], body: Buffer): Buffer {
  const encoding = findHeader(rawHeaders, "content-encoding")?.trim().toLowerCase();
  if (encoding === undefined || encoding === "" || encoding === "identity" || body.length === 0) return body;
  if (encoding !== "gzip") {
    throw new PhantomError("UnsupportedMediaType", `Content-Encoding '${encoding}' is not supported: send the body as is, or gzip.`);
  }
  try {
    // maxOutputLength makes zlib stop inflating there, holding no more than that.
    return gunzipSync(body, { maxOutputLength: MAX_DECODED_BODY_BYTES });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new PhantomError(
        "RequestEntityTooLarge",
        `The request body is larger than ${MAX_DECODED_BODY_BYTES / 1024 / 1024} MiB once decompressed.`,
        { cause },
      );
    }
    throw new PhantomError("MalformedQueryString", "The request body is not valid gzip.", { cause });
  }
}
