/**
 * What both of Phantom's HTTP servers (the API and simcloud) need from `node:http`: the request
 * body as raw bytes (signatures cover them) under a size limit, and a listen that resolves with
 * the bound address.
 */
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_DRAIN_BYTES } from "./limits.js";

/** The client broke off its request (closed the connection, broke the chunked framing). */
export class ClientGone extends Error {
  override readonly name = "ClientGone";
}

/**
 * Reads the whole body, or resolves null once it exceeds `limit`. A body over the limit is
 * drained (read and dropped) up to {@link MAX_DRAIN_BYTES} in all before null is resolved, so
 * the answer reaches a client still writing; a longer one resolves null at once and the caller
 * closes the connection. Rejects with {@link ClientGone} when the request stream fails: that is
 * always the client's doing.
 */
export function readBody(req: IncomingMessage, limit: number, drainLimit = MAX_DRAIN_BYTES): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const giveUp = (): void => {
      req.removeAllListeners("data");
      req.removeAllListeners("end");
      req.pause();
      resolve(null);
    };
    if (declared > drainLimit) {
      giveUp();
      return;
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainLimit) giveUp();
      else if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge || declared > limit ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on("error", (e) => reject(new ClientGone("the client broke off the request", { cause: e })));
  });
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
