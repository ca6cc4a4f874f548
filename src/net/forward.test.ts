/**
 * The HTTP forward path on raw sockets: what reaches the origin, what comes back, and what a
 * broken or hostile upstream gets the client (a 502, never its bytes as a response).
 */
import { once } from "node:events";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, rawExchange, run, startOrigin, startProxy } from "./testkit.js";

let h: Harness;
let origin: Awaited<ReturnType<typeof startOrigin>>;
const servers: net.Server[] = [];

beforeAll(async () => {
  [h, origin] = await Promise.all([startProxy(), startOrigin()]);
});

afterAll(async () => {
  await h.close();
  origin.server.close();
  for (const s of servers) s.close();
});

/** A loopback server that answers every connection with `reply` (after the request head). */
async function rawOrigin(reply: string | null): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = net.createServer((socket) => {
    let text = "";
    socket.on("error", () => {});
    socket.on("data", (c: Buffer) => {
      text += c.toString("latin1");
      if (!text.includes("\r\n\r\n")) return;
      seen.push(text);
      if (reply === null) socket.end();
      else socket.end(reply);
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, seen };
}

const get = (port: number, extra = "") =>
  `GET http://127.0.0.1:${port}/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`;

describe("HTTP forward", () => {
  it("the origin gets an origin-form request with Connection: close and no proxy credentials", async () => {
    const o = await rawOrigin("HTTP/1.1 204 No Content\r\n\r\n");
    const { reply } = await rawExchange(
      h.port,
      get(o.port, "Proxy-Authorization: Basic YWdlbnQ6czE=\r\nX-Kept: 1\r\n"),
    );
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
    const head = o.seen.at(-1)!;
    expect(head).toMatch(/^GET \/x HTTP\/1\.1\r\n/);
    expect(head).toContain("X-Kept: 1\r\n");
    expect(head).toContain("Connection: close\r\n");
    expect(head.toLowerCase()).not.toContain("proxy-authorization");
  });

  it("response hop-by-hop headers are removed, the body and its framing kept", async () => {
    const o = await rawOrigin(
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\n" +
        "Transfer-Encoding: chunked\r\nX-End: 1\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    const { reply, closed } = await rawExchange(h.port, get(o.port));
    const text = reply.toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain("X-End: 1\r\n");
    expect(text).toContain("Transfer-Encoding: chunked\r\n");
    expect(text).toContain("Connection: close\r\n");
    expect(text).not.toContain("X-Hop");
    expect(text).not.toContain("Keep-Alive");
    expect(text.endsWith("\r\n\r\n5\r\nhello\r\n0\r\n\r\n")).toBe(true);
    expect(closed).toBe(true);
  });

  it("a chunked request body reaches the origin intact", async () => {
    const r = await run("curl", [
      "-sS",
      "-x",
      `http://127.0.0.1:${h.port}`,
      "-H",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "chunked=yes",
      `http://127.0.0.1:${origin.port}/echo`,
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({ method: "POST", body: "chunked=yes" });
  });

  it("an upstream that is not HTTP gets the client a 502, not its bytes", async () => {
    const o = await rawOrigin("SSH-2.0-OpenSSH_9.6\r\n\r\n");
    const { reply } = await rawExchange(h.port, get(o.port));
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 502 /);
    expect(reply.toString()).not.toContain("SSH-2.0");
    const rec = await h.record((r) => r.port === o.port);
    expect(rec).toMatchObject({ outcome: "error", error: "not an HTTP/1.x response" });
  });

  it("a response header line with a bare LF is refused (502)", async () => {
    const o = await rawOrigin("HTTP/1.1 200 OK\r\nX-A: 1\nX-Injected: 2\r\n\r\nbody");
    const { reply } = await rawExchange(h.port, get(o.port));
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 502 /);
    expect(reply.toString()).not.toContain("X-Injected");
  });

  it("an upstream that closes without answering: 502, recorded as an error", async () => {
    const o = await rawOrigin(null);
    const { reply } = await rawExchange(h.port, get(o.port));
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 502 /);
    const rec = await h.record((r) => r.port === o.port);
    expect(rec).toMatchObject({ outcome: "error", error: "no response" });
  });

  it("a request pipelined behind a forwarded one is not sent anywhere", async () => {
    const o = await rawOrigin("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const { reply } = await rawExchange(h.port, get(o.port) + get(o.port));
    expect(reply.toString().match(/HTTP\/1\.1 200/g)).toHaveLength(1);
    expect(o.seen).toHaveLength(1);
    expect(o.seen[0]!.match(/GET /g)).toHaveLength(1);
  });

  it("control characters in the request path: 400, the origin is not reached", async () => {
    const o = await rawOrigin("HTTP/1.1 204 No Content\r\n\r\n");
    const { reply } = await rawExchange(
      h.port,
      `GET http://127.0.0.1:${o.port}/a\x01b HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\n\r\n`,
    );
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 400 /);
    expect(o.seen).toHaveLength(0);
  });
});
