/**
 * Tunnels relay the upstream's bytes through one read buffer (relay.ts): the bytes must arrive
 * intact and in order even when the client reads slower than the upstream sends, and a
 * server-first upstream's greeting must come after the proxy's own reply.
 */
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, socks5Request, startProxy } from "./testkit.js";

const CONNECTED = "HTTP/1.1 200 Connection Established\r\n\r\n";
let h: Harness;

beforeAll(async () => {
  h = await startProxy();
});

afterAll(async () => {
  await h.close();
});

async function listen(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConnection);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

const portOf = (server: net.Server) => (server.address() as AddressInfo).port;
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Reads everything until the peer ends, pausing a turn of the event loop after each chunk. */
function slowRead(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    socket.pause();
    setImmediate(() => socket.resume());
  });
  return once(socket, "end").then(() => Buffer.concat(chunks));
}

describe("tunnel relay", () => {
  it("carries 24 MiB down and 4 MiB up intact to a slow reader, and records both byte counts", async () => {
    const down = randomBytes(24 * 1024 * 1024);
    const up = randomBytes(4 * 1024 * 1024);
    let received: Promise<Buffer> | undefined;
    const server = await listen((socket) => {
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      received = once(socket, "end").then(() => Buffer.concat(chunks));
      socket.end(down);
    });
    try {
      const port = portOf(server);
      const client = net.connect({ host: "127.0.0.1", port: h.port });
      client.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      const all = slowRead(client);
      client.end(up);
      const got = await all;
      expect(got.subarray(0, CONNECTED.length).toString("latin1")).toBe(CONNECTED);
      expect(sha(got.subarray(CONNECTED.length))).toBe(sha(down));
      expect(sha(await received!)).toBe(sha(up));
      const rec = await h.record((r) => r.protocol === "connect" && r.port === port);
      expect(rec).toMatchObject({ outcome: "closed", bytesDown: down.length, bytesUp: up.length });
    } finally {
      server.close();
    }
  });

  it("a server-first upstream's greeting reaches the client after the proxy's reply (CONNECT, SOCKS5)", async () => {
    const server = await listen((socket) => {
      socket.on("error", () => {});
      socket.end("220 greetings from a server-first protocol\r\n");
    });
    try {
      const port = portOf(server);
      const viaConnect = net.connect({ host: "127.0.0.1", port: h.port });
      viaConnect.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      expect((await slowRead(viaConnect)).toString("latin1")).toBe(
        `${CONNECTED}220 greetings from a server-first protocol\r\n`,
      );

      const viaSocks = net.connect({ host: "127.0.0.1", port: h.port });
      viaSocks.write(socks5Request("127.0.0.1", port, { type: 1 }));
      const reply = await slowRead(viaSocks);
      // Method selection (2 bytes), then the CONNECT reply (10 bytes for IPv4), then the server.
      expect([...reply.subarray(0, 4)]).toEqual([0x05, 0x00, 0x05, 0x00]);
      expect(reply.subarray(12).toString("latin1")).toBe(
        "220 greetings from a server-first protocol\r\n",
      );
    } finally {
      server.close();
    }
  });
});
