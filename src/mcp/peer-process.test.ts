import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackRequester } from "./peer-process.js";

/** A real client in another process, holding its connection to `port` open. */
function client(host: string, port: number, argv0?: string): ChildProcess {
  const code = `require("node:net").connect(${port}, ${JSON.stringify(host)}); setInterval(() => {}, 1e6)`;
  return spawn(process.execPath, ["-e", code], { stdio: "ignore", ...(argv0 ? { argv0 } : {}) });
}

async function accepted(host: string, argv0?: string) {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const child = client(host, port, argv0);
  const [socket] = (await once(server, "connection")) as [net.Socket];
  return { server, child, socket };
}

const open: { server: net.Server; child: ChildProcess; socket: net.Socket }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.child.kill();
    o.socket.destroy();
    o.server.close();
  }
});

describe("loopbackRequester", () => {
  it.each(["127.0.0.1", "::1"])(
    "finds the process at the other end of a %s connection",
    async (host) => {
      const o = await accepted(host);
      open.push(o);
      const requester = loopbackRequester(o.socket);
      expect(requester?.pid).toBe(o.child.pid);
      expect(requester?.started).toMatch(/^\d+$/);
    },
  );

  it("looks through a relay (npx mcp-remote) to the agent that started it", async () => {
    const o = await accepted("127.0.0.1", "npx");
    open.push(o);
    // The relay's parent is this test process: it is the agent.
    expect(loopbackRequester(o.socket)?.pid).toBe(process.pid);
  });

  it("names no process for a connection that is not on loopback or has no ends", () => {
    expect(
      loopbackRequester({
        localAddress: "10.0.0.1",
        localPort: 80,
        remoteAddress: "10.0.0.2",
        remotePort: 5000,
      }),
    ).toBeNull();
    expect(loopbackRequester({})).toBeNull();
    // Loopback, but no such connection.
    expect(
      loopbackRequester({
        localAddress: "127.0.0.1",
        localPort: 1,
        remoteAddress: "127.0.0.1",
        remotePort: 2,
      }),
    ).toBeNull();
  });
});
