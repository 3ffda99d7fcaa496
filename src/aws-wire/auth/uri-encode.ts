/** RFC 3986 percent-encoding, the one SigV4 and SigV2 both sign with. */

const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;
/** Characters `encodeURIComponent` keeps that RFC 3986 wants encoded. */
const SUB_DELIMS_KEPT = /[!'()*]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function hexEscape(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * Percent-encodes the UTF-8 bytes of `s`, keeping only the unreserved `A-Za-z0-9-_.~`
 * (upper-case hex, space as `%20`, never `+`).
 */
export function uriEncode(s: string): string {
  // Most names and values are plain tokens: skip the allocation.
  if (UNRESERVED_ONLY.test(s)) return s;
  let encoded: string;
  try {
    encoded = encodeURIComponent(s);
  } catch {
    // A lone surrogate cannot be UTF-8 encoded; Buffer and URLSearchParams turn it into U+FFFD.
    encoded = encodeURIComponent(s.replace(LONE_SURROGATE, "\uFFFD"));
  }
  return encoded.replace(SUB_DELIMS_KEPT, hexEscape);
}
