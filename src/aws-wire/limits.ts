/**
 * Every bound the AWS wire codec puts on one request, in one place: what a request may cost
 * the server in bytes, parameters, list members, nesting and reported errors. Each limit is far
 * above what a real client sends and far below what would let one request stall or bloat the
 * process.
 */

/** Largest request body accepted as sent; AWS Query requests are far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * How much of a body over the limit is read and thrown away so that the client, which may write
 * its whole body before it reads (Python's urllib does), gets to read the 413. Past this the
 * connection is closed without reading on.
 */
export const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Largest body once decompressed (CloudWatch's clients gzip large `PutMetricData` bodies): the
 * same as a raw one, and inflation stops as soon as it is passed.
 */
export const MAX_DECODED_BODY_BYTES = MAX_BODY_BYTES;

/** Most parameters one request may carry (query string and form body together). */
export const MAX_PARAMS = 20_000;

/** Most members of a list or entries of a map whose model sets no maximum of its own. */
export const MAX_LIST_MEMBERS = 1000;

/** Deepest nesting of arrays and objects (maps) a JSON or CBOR body may have. */
export const MAX_NESTING_DEPTH = 32;

/** Most validation errors collected for one request; the decoder stops at this many. */
export const MAX_REPORTED_ERRORS = 10;
