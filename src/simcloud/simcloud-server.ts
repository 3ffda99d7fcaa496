/**
 * `phantom simcloud`'s HTTP server: a {@link SimulatedCloud} served as an EC2-compatible
 * endpoint on `node:http`, with the body limit of Phantom's own API; with the OpenStack face
 * on, the same cloud is also served through Keystone, Nova, Glance and Neutron below their
 * paths (`openstack/openstack-face.ts`).
 */
import { createServer, type Server } from "node:http";
import { listen, readBody } from "../aws-wire/http-body.js";
import { MAX_BODY_BYTES } from "../aws-wire/limits.js";
import type { Logger } from "../observability/logger.js";
import type { SimulatedCloud } from "../clouds/simulated/simulated-cloud.js";
import { Ec2Endpoint } from "./ec2/ec2-endpoint.js";
import { OpenStackFace, type OpenStackFaceOptions } from "./openstack/openstack-face.js";

/** A running simcloud. */
export interface Simcloud {
  /** `http://HOST:PORT`, the endpoint URL to give EC2 clients. */
  readonly url: string;
  readonly port: number;
  readonly cloud: SimulatedCloud;
  /** The OpenStack face, when served. */
  readonly openstack: OpenStackFace | null;
  /** Stops listening, drops open connections and resolves once the server is closed. */
  close(): Promise<void>;
}

/** Where to listen; port 0 picks a free one. */
export interface SimcloudAddress {
  readonly host: string;
  readonly port: number;
}

/** What else a simcloud serves. */
export interface SimcloudOptions {
  readonly logger?: Logger | undefined;
  /** Serves the OpenStack face too, so configured. */
  readonly openstack?: OpenStackFaceOptions | undefined;
  /** Access key → secret: the EC2 face verifies SigV4/SigV2 signatures. Absent: any credentials. */
  readonly credentials?: ReadonlyMap<string, string> | undefined;
}

/** Serves `cloud` as an EC2 endpoint at `address` (and as OpenStack, when asked). */
export async function startSimcloud(cloud: SimulatedCloud, address: SimcloudAddress, options: SimcloudOptions = {}): Promise<Simcloud> {
  const { logger } = options;
  const endpoint = new Ec2Endpoint(cloud, { logger, credentials: options.credentials });
  const openstack = options.openstack === undefined ? null : new OpenStackFace(cloud, options.openstack);
  let url = "";
  const server: Server = createServer((req, res) => {
    void (async () => {
      const target = req.url ?? "/";
      const q = target.indexOf("?");
      const body = await readBody(req, MAX_BODY_BYTES);
      if (openstack !== null && OpenStackFace.owns(target)) {
        const answer = await openstack.handle({
          method: req.method ?? "GET",
          url: target,
          rawHeaders: req.rawHeaders,
          body: body ?? Buffer.alloc(0),
          bodyTooLarge: body === null,
          serverUrl: url,
        });
        res.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(answer.body), ...(body === null && { connection: "close" }) });
        res.end(req.method === "HEAD" ? undefined : answer.body);
        return;
      }
      const response = await endpoint.handle({
        method: req.method ?? "GET",
        path: q < 0 ? target : target.slice(0, q),
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
  url = `http://${host}:${bound.port}`;
  return {
    url,
    port: bound.port,
    cloud,
    openstack,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive connections of SDK clients would hold close() open.
        server.closeAllConnections();
      }),
  };
}

