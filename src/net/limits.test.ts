/**
 * A slow or hostile client cannot exhaust the proxy: header size (431), header read timeout
 * (slowloris, for HTTP and the SOCKS handshake), silent connections, per-principal connection
 * limits and idle tunnels — while a well-behaved client keeps being served.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, rawExchange, run, startOrigin, startProxy } from "./testkit.js";

let h: Harness;
let origin: Awaited<ReturnType<typeof startOrigin>>;

beforeAll(async () => {
  origin = await startOrigin();
  h = await startProxy({
    limits: {
      headerTimeoutMs: 1000,
      idleTimeoutMs: 1500,
      maxHeaderBytes: 8 * 1024,
      maxConnectionsPerPrincipal: 3,
    },
  });
});
afterAll(async () => {
  await h.close();
  origin.server.close();
});

function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.on("error", reject);
    s.resume(); // read (and drop) what the proxy sends, so that its FIN is seen
  });
}

function closedWithin(s: net.Socket, ms: number): Promise<boolean> {
  if (s.destroyed || s.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const hello = () =>
  run("curl", [
    "-sS",
    "--max-time",
    "3",
    "-x",
    `http://127.0.0.1:${h.port}`,
    `http://127.0.0.1:${origin.port}/hello`,
  ]);

describe("limits", () => {
  it("headers larger than the limit get 431", async () => {
    const big = "x".repeat(10 * 1024);
    const { reply } = await rawExchange(
      h.port,
      `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nX-Big: ${big}\r\n\r\n`,
    );
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 431/);
  });

  it("slowloris: 200 slow clients are cut off at the header timeout, a good client is served meanwhile", async () => {
    const slow: net.Socket[] = [];
    for (let i = 0; i < 150; i++) {
      const s = await openSocket(h.port);
      s.on("error", () => {});
      s.write(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n`);
      slow.push(s);
    }
    for (let i = 0; i < 50; i++) {
      const s = await openSocket(h.port);
      s.on("error", () => {});
      s.write(Buffer.from([0x05])); // SOCKS5 greeting, never finished
      slow.push(s);
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(slow.indexOf(s) < 150 ? "X" : "");
    }, 200);
    try {
      const started = Date.now();
      const served = await hello();
      expect(served).toMatchObject({ code: 0, stdout: "hello from origin\n" });
      expect(Date.now() - started).toBeLessThan(1000);
      const closed = await Promise.all(slow.map((s) => closedWithin(s, 3000)));
      expect(closed.every(Boolean)).toBe(true);
      expect(h.proxy.clientCount).toBeLessThan(5);
      expect((await hello()).stdout).toBe("hello from origin\n");
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
  });

  it("a connection that never sends a byte is closed at the header timeout", async () => {
    const s = await openSocket(h.port);
    expect(await closedWithin(s, 2500)).toBe(true);
  });

  it("per-principal limit: the 4th tunnel of one agent gets 429, another agent still connects", async () => {
    const tunnels: net.Socket[] = [];
    const open = async (agent: string): Promise<string> => {
      const s = await openSocket(h.port);
      tunnels.push(s);
      const auth = Buffer.from(`${agent}:s1`).toString("base64");
      s.write(
        `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`,
      );
      return new Promise((resolve) =>
        s.prependOnceListener("data", (c: Buffer) => resolve(c.toString())),
      );
    };
    try {
      for (let i = 0; i < 3; i++) expect(await open("busy-agent")).toMatch(/^HTTP\/1\.1 200/);
      const fourth = await open("busy-agent");
      expect(fourth).toMatch(/^HTTP\/1\.1 429/);
      expect(fourth).toContain("X-Warden-Rule: warden:limit");
      expect(await open("other-agent")).toMatch(/^HTTP\/1\.1 200/);
      const rec = await h.record((r) => r.decision.rule === "warden:limit");
      expect(rec.principal).toEqual({ agent: "busy-agent", session: "s1" });
    } finally {
      for (const s of tunnels) s.destroy();
    }
  });

  it("an idle tunnel is closed after the idle timeout and recorded as such", async () => {
    const s = await openSocket(h.port);
    s.write(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n`);
    await new Promise((resolve) => s.once("data", resolve));
    expect(await closedWithin(s, 3000)).toBe(true);
    const rec = await h.record((r) => r.outcome === "idle-timeout");
    expect(rec.protocol).toBe("connect");
  });
});
