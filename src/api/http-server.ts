/**
 * The HTTP front: `node:http`, raw body bytes (signatures cover them), a 1 MiB body limit, and
 * the few paths Phantom serves. The Query API itself lives in `query-endpoint.ts`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../observability/logger.js";
import type { QueryEndpoint, RawRequest } from "./query-endpoint.js";

/** Largest request body accepted; AWS Query requests are far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Extra plain-text routes (e.g. `/metrics`), keyed by path, GET only. */
export type TextRoutes = Readonly<Record<string, () => Promise<{ contentType: string; body: string }>>>;

function send(res: ServerResponse, status: number, contentType: string, body: string, requestId?: string): void {
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
  };
  if (requestId !== undefined) headers["x-amzn-requestid"] = requestId;
  res.writeHead(status, headers);
  res.end(body);
}

/** Reads the whole body, or resolves null once it exceeds the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

/** Creates the HTTP server for the Query endpoint (on `/`) and the text routes. */
export function createApiServer(endpoint: QueryEndpoint, routes: TextRoutes, logger: Logger): Server {
  const server = createServer((req, res) => {
    void serve(req, res).catch((e: unknown) => {
      logger.error({ err: e }, "request failed outside the endpoint");
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
      else res.destroy();
    });
  });
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const path = q < 0 ? target : target.slice(0, q);
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
    send(res, response.status, "text/xml", response.body, response.requestId);
  }
  return server;
}

/** Starts listening; resolves with the bound address (port 0 picks a free port). */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
