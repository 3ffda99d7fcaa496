/**
 * `phantom simcloud`'s HTTP server: a {@link SimulatedCloud} served as an EC2-compatible
 * endpoint on `node:http`, with the body limit of Phantom's own API.
 */
import { createServer, type Server } from "node:http";
import { listen, MAX_BODY_BYTES, readBody } from "../aws-wire/http-body.js";
import type { Logger } from "../observability/logger.js";
import type { SimulatedCloud } from "../clouds/simulated/simulated-cloud.js";
import { Ec2Endpoint } from "./ec2/ec2-endpoint.js";

/** A running simcloud. */
export interface Simcloud {
  /** `http://HOST:PORT`, the endpoint URL to give EC2 clients. */
  readonly url: string;
  readonly port: number;
  readonly cloud: SimulatedCloud;
  /** Stops listening, drops open connections and resolves once the server is closed. */
  close(): Promise<void>;
}

/** Where to listen; port 0 picks a free one. */
export interface SimcloudAddress {
  readonly host: string;
  readonly port: number;
}

/** Serves `cloud` as an EC2 endpoint at `address`. */
export async function startSimcloud(cloud: SimulatedCloud, address: SimcloudAddress, logger?: Logger): Promise<Simcloud> {
  const endpoint = new Ec2Endpoint(cloud, logger);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const target = req.url ?? "/";
      const q = target.indexOf("?");
      const body = await readBody(req, MAX_BODY_BYTES);
      const response = await endpoint.handle({
        method: req.method ?? "GET",
        rawQuery: q < 0 ? "" : target.slice(q + 1),
        rawHeaders: req.rawHeaders,
        contentType: req.headers["content-type"],
        body: body ?? Buffer.alloc(0),
        bodyTooLarge: body === null,
      });
      res.writeHead(response.status, {
        "content-type": "text/xml;charset=UTF-8",
        "content-length": Buffer.byteLength(response.body),
        "x-amzn-requestid": response.requestId,
        ...(body === null && { connection: "close" }),
      });
      res.end(response.body);
    })().catch((e: unknown) => {
      // Only the client breaking off its request gets here: nobody is left to answer.
      logger?.debug({ err: e }, "request broken off");
      res.destroy();
    });
  });
  const bound = await listen(server, address.host, address.port);
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    port: bound.port,
    cloud,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive connections of SDK clients would hold close() open.
        server.closeAllConnections();
      }),
  };
}

