/**
 * The HTTP front: `node:http`, raw body bytes (signatures cover them) under a 1 MiB limit
 * (`aws-wire/http-body.ts`), and the few paths Phantom serves. The Query API itself lives in `query-endpoint.ts`.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { randomUUID } from "node:crypto";
import { AWS_ERRORS, type AwsErrorCode } from "../core/errors.js";
import { encodeError } from "../aws-wire/query/encode-xml.js";
import { ClientGone, readBody } from "../aws-wire/http-body.js";
import { MAX_BODY_BYTES } from "../aws-wire/limits.js";
import { MAX_HEADER_BYTES } from "./limits.js";
import type { Logger } from "../observability/logger.js";
import type { QueryEndpoint, RawRequest } from "./query-endpoint.js";
import { StaticFiles } from "./static-files.js";

/** Extra plain-text routes (e.g. `/metrics`), keyed by path, GET only. */
export type TextRoutes = Readonly<Record<string, () => Promise<{ contentType: string; body: string }>>>;

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | readonly Buffer[],
  requestId?: string,
  extraHeaders?: Readonly<Record<string, string>>,
): void {
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.reduce((n, b) => n + b.length, 0);
  const headers: Record<string, string | number> = { "content-type": contentType, "content-length": length };
  if (requestId !== undefined) headers["x-amzn-requestid"] = requestId;
  if (extraHeaders !== undefined) Object.assign(headers, extraHeaders);
  res.writeHead(status, headers);
  if (typeof body === "string") {
    res.end(body);
    return;
  }
  // Corked pieces leave in one writev, without copying them into one buffer first.
  res.cork();
  for (const piece of body) res.write(piece);
  res.end();
}


/**
 * The answer to a request that node:http could not parse (broken framing, a head over
 * {@link MAX_HEADER_BYTES}): still an AWS error document, then the connection closes.
 */
function clientErrorResponse(e: NodeJS.ErrnoException): string {
  const tooLarge = e.code === "HPE_HEADER_OVERFLOW";
  const code: AwsErrorCode = tooLarge ? "RequestHeaderSectionTooLarge" : "MalformedQueryString";
  const message = tooLarge
    ? `The request line and headers exceed ${MAX_HEADER_BYTES} bytes; send the parameters in a POST body.`
    : "The HTTP request could not be parsed.";
  const requestId = randomUUID();
  const body = encodeError(code, message, requestId, true);
  const status = AWS_ERRORS[code].status;
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `x-amzn-RequestId: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** A certificate (chain) and its private key, PEM. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** What the server serves beside the API. */
export interface ApiServerOptions {
  /** The dashboard's files, under `/ui/`. */
  readonly ui?: StaticFiles | null;
  /** Serve HTTPS (everything: API, `/ui/`, text routes) instead of plain HTTP. */
  readonly tls?: TlsCredentials | null;
}

/**
 * Creates the HTTP (or HTTPS) server for the Query endpoint (on `/`), the text routes and, when
 * given, the dashboard's files (under `/ui/`).
 * @throws Error when the TLS certificate or key cannot be used (node's message).
 */
export function createApiServer(endpoint: QueryEndpoint, routes: TextRoutes, logger: Logger, options: ApiServerOptions = {}): Server {
  const ui = options.ui ?? null;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res).catch((e: unknown) => {
      if (e instanceof ClientGone) {
        // Not a fault of ours, and nobody is left to answer.
        logger.debug({ err: e.cause }, "client broke off the request");
        res.destroy();
        return;
      }
      logger.error({ err: e }, "request failed outside the endpoint");
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
      else res.destroy();
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ maxHeaderSize: MAX_HEADER_BYTES, cert: options.tls.cert, key: options.tls.key }, handler)
    : createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler);
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const path = q < 0 ? target : target.slice(0, q);
    if (ui !== null && StaticFiles.handles(path)) {
      const answer = await ui.answer(req.method ?? "GET", path);
      res.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
      res.end(req.method === "HEAD" ? undefined : answer.body);
      return;
    }
    const route = routes[path];
    if (route !== undefined && req.method === "GET") {
      const { contentType, body } = await route();
      send(res, 200, contentType, body);
      return;
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    const raw: RawRequest = {
      method: req.method ?? "GET",
      path,
      rawQuery: q < 0 ? "" : target.slice(q + 1),
      rawHeaders: req.rawHeaders,
      contentType: req.headers["content-type"],
      body: body ?? Buffer.alloc(0),
      bodyTooLarge: body === null,
    };
    const response = await endpoint.handle(raw);
    if (body === null) res.setHeader("connection", "close");
    send(res, response.status, response.contentType, response.body, response.requestId, response.headers);
  }
  server.on("clientError", (e: NodeJS.ErrnoException, socket) => {
    logger.debug({ err: e }, "unparsable request");
    if (socket.writable && e.code !== "ECONNRESET") socket.end(clientErrorResponse(e));
    else socket.destroy();
  });
  return server;
}
