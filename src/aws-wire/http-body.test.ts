// The body limit as a client sees it: one that writes its whole body before reading (as
// Python's urllib does) still reads the 413, and a body past the drain bound is cut off.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { listen, readBody } from "./http-body.js";

const LIMIT = 1024;
const DRAIN = 64 * 1024 * 1024;
const MIB = 1024 * 1024;

/**
 * Writes the head and the whole body, and only once the last byte is handed to the kernel starts
 * reading: a server that answers and closes early makes this client fail (EPIPE, ECONNRESET).
 */
function writeThenRead(port: number, declared: number, bodyBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", reject);
    const startReading = (): void => {
      const received: Buffer[] = [];
      socket.on("data", (c: Buffer) => received.push(c));
      socket.on("end", () => resolve(Buffer.concat(received).toString("latin1")));
    };
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\nConnection: close\r\n\r\n`);
    const piece = Buffer.alloc(MIB, "a");
    let left = bodyBytes;
    const more = (): void => {
      while (left > 0) {
        const n = Math.min(left, piece.length);
        left -= n;
        const last = left === 0;
        const flushed = socket.write(piece.subarray(0, n), (e) => {
          if (last && e == null) startReading();
        });
        if (!flushed && !last) {
          socket.once("drain", more);
          return;
        }
      }
    };
    more();
  });
}

describe("readBody", () => {
  let server: Server;
  let port = 0;
  let drainLimit = DRAIN;
  before(async () => {
    server = createServer((req, res) => {
      void readBody(req, LIMIT, drainLimit).then((body) => {
        const text = body === null ? "too large" : `read ${body.length}`;
        res.writeHead(body === null ? 413 : 200, { "content-length": text.length, ...(body === null && { connection: "close" }) });
        res.end(text);
      });
    });
    port = (await listen(server, "127.0.0.1", 0)).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("a body within the limit is read whole", async () => {
    const answer = await writeThenRead(port, LIMIT, LIMIT);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /read 1024$/);
  });

  test("a client that writes 8 MiB before reading reads the 413", async () => {
    const answer = await writeThenRead(port, 8 * MIB, 8 * MIB);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /too large$/);
  });

  test("a declared length past the drain bound is answered at once and not read", async () => {
    drainLimit = 2 * MIB;
    try {
      // Only the head and a little body are sent: the answer comes without waiting for the rest.
      const answer = await writeThenRead(port, 1024 * MIB, 4096);
      assert.match(answer, /^HTTP\/1\.1 413 /);
    } finally {
      drainLimit = DRAIN;
    }
  });
});
