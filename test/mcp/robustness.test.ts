/**
 * The gateway keeps serving through bad input from either side: malformed JSON-RPC and oversized
 * messages from the agent (raw lines on the built gateway's stdin), and from an upstream a
 * malformed result, junk on stdout, a result over the size limit and a call that never answers
 * (the odd fixture server), and an HTTP upstream's oversized result, as JSON and as an event
 * stream. Also: an upstream's elicitation relayed or declined, and its
 * notifications/tools/list_changed forwarded.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { allEvents, CLI, type Connected, connect, events, ODD, sandbox, text } from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: robust, version: "1" }
defaults: { mcp.call: deny }
rules:
  - { id: odd, kind: mcp.call, allow: ["odd/*"] }
`;
const LIMIT = 64 * 1024;

function oddBox() {
  return sandbox(
    POLICY,
    { odd: { command: process.execPath, args: [ODD] } },
    { maxMessageSize: "64KiB", callTimeout: "1500ms" },
  );
}

/** The built gateway with raw pipes: lines in, parsed lines out. */
class RawGateway {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = "";
  private readonly lines: unknown[] = [];
  private waiting: (() => void) | null = null;

  constructor(box: ReturnType<typeof sandbox>) {
    this.child = spawn(
      process.execPath,
      [CLI, "mcp", "serve", "--config", box.config, "--policy", box.policy],
      {
        cwd: box.dir,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WARDEN_HOME: box.home },
      },
    );
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffered += chunk.toString("utf8");
      let at = this.buffered.indexOf("\n");
      while (at !== -1) {
        this.lines.push(JSON.parse(this.buffered.slice(0, at)));
        this.buffered = this.buffered.slice(at + 1);
        at = this.buffered.indexOf("\n");
      }
      this.waiting?.();
    });
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** The next message the gateway writes. */
  async next(): Promise<{
    id?: unknown;
    result?: unknown;
    error?: { code: number; message: string };
  }> {
    while (this.lines.length === 0) {
      await new Promise<void>((done) => {
        this.waiting = done;
      });
    }
    return this.lines.shift() as never;
  }

  async stop(): Promise<void> {
    const exited = new Promise((done) => this.child.once("exit", done));
    this.child.stdin.end();
    await exited;
  }
}

describe("malformed and oversized input from the agent (stdio)", () => {
  it("answers each with a JSON-RPC error and keeps serving", async () => {
    const gw = new RawGateway(oddBox());
    try {
      gw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "raw", version: "1" },
          },
        }),
      );
      expect((await gw.next()).id).toBe(1);
      gw.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));

      gw.send("this is not json");
      expect(await gw.next()).toMatchObject({ id: null, error: { code: -32700 } });

      gw.send(JSON.stringify({ hello: "world", id: 5 }));
      expect(await gw.next()).toMatchObject({ id: 5, error: { code: -32600 } });

      gw.send(JSON.stringify({ jsonrpc: "2.0", id: 6, method: "no/such/method" }));
      expect(await gw.next()).toMatchObject({ id: 6, error: { code: -32601 } });

      // A tools/call of an odd shape is left to the SDK, which refuses it as before.
      gw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 61,
          method: "tools/call",
          params: { name: "odd__echo", arguments: ["not", "an", "object"] },
        }),
      );
      const odd = await gw.next();
      expect(odd).toMatchObject({ id: 61, error: { code: -32603 } });
      expect(odd.error?.message).toContain("expected record");

      // Over the limit: refused with the request's own id, without the gateway buffering it.
      const big = JSON.stringify({
        jsonrpc: "2.0",
        method: "tools/call",
        params: { name: "odd__echo", arguments: { text: "x".repeat(LIMIT * 2) } },
        id: 7,
      });
      gw.send(big);
      const refused = await gw.next();
      expect(refused).toMatchObject({ id: 7, error: { code: -32600 } });
      expect(refused.error?.message).toContain(`limit of ${LIMIT} bytes`);

      gw.send(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 8,
          method: "tools/call",
          params: { name: "odd__echo", arguments: { text: "still serving" } },
        }),
      );
      expect(await gw.next()).toMatchObject({
        id: 8,
        result: { content: [{ type: "text", text: "odd: still serving" }] },
      });
    } finally {
      await gw.stop();
    }
  });
});

describe("a misbehaving upstream", () => {
  let box: ReturnType<typeof sandbox>;
  let gw: Connected;
  let asked: string[];

  beforeAll(async () => {
    box = oddBox();
    asked = [];
    gw = await connect(box, {
      elicit: (message) => {
        asked.push(message);
        return "accept";
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("a malformed result fails that call with an MCP error; the gateway keeps serving", async () => {
    const bad = await gw.call("odd__bad_result");
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('upstream "odd" failed');
    expect(text(bad)).toContain("malformed tools/call result");
    expect(text(await gw.call("odd__echo", { text: "next" }))).toBe("odd: next");
  });

  it("junk on the upstream's stdout is skipped, and the call still answers", async () => {
    expect(text(await gw.call("odd__junk"))).toBe("answered after the junk");
  });

  it("a result over the size limit is refused; the upstream is reopened", async () => {
    const huge = await gw.call("odd__huge", { bytes: LIMIT * 2 });
    expect(huge.isError).toBe(true);
    expect(text(huge)).toContain(`over the ${LIMIT} byte limit`);
    expect(text(huge)).not.toContain("xxxxxxxx");
    await expect
      .poll(async () => text(await gw.call("odd__echo", { text: "back" })), { timeout: 10_000 })
      .toBe("odd: back");
  });

  it("a call that never answers times out with an MCP error", async () => {
    const started = Date.now();
    const hung = await gw.call("odd__hang");
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(hung.isError).toBe(true);
    expect(text(hung)).toMatch(/timed out/i);
    expect((await events(box)).at(-1)?.context).toMatchObject({ outcome: "error" });
  });

  it("relays an upstream's question to a client that can answer, and audits it", async () => {
    const result = await gw.call("odd__ask_user");
    expect(text(result)).toBe("user said: accept {}");
    expect(asked).toEqual(["Deploy to production?"]);
    const elicit = (await allEvents(box)).find((e) => e.kind === "mcp.elicit");
    expect(elicit?.target).toEqual({ server: "odd", message: "Deploy to production?" });
    expect(elicit?.context).toMatchObject({ relayed: true, action: "accept" });
  });

  it("forwards notifications/tools/list_changed, and the new tool is listed", async () => {
    const changed = new Promise<void>((done) =>
      gw.client.setNotificationHandler(ToolListChangedNotificationSchema, () => done()),
    );
    expect(text(await gw.call("odd__add_tool"))).toBe("added");
    await changed;
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("odd__extra");
  });
});

describe("an upstream's question when the agent cannot be asked", () => {
  it("is declined, and audited as not relayed", async () => {
    const box = oddBox();
    const gw = await connect(box);
    try {
      expect(text(await gw.call("odd__ask_user"))).toBe("user said: decline {}");
      const elicit = (await allEvents(box)).find((e) => e.kind === "mcp.elicit");
      expect(elicit?.context).toMatchObject({ relayed: false, action: "decline" });
    } finally {
      await gw.close();
    }
  });
});

/**
 * A streamable-HTTP MCP server on loopback (SDK, stateless) whose `huge` tool returns that many
 * bytes, answering as JSON or as an event stream.
 */
async function httpUpstream(json: boolean) {
  const http = createServer(async (req, res) => {
    const mcp = new McpServer({ name: "remote", version: "1.0.0" });
    mcp.registerTool(
      "huge",
      { description: "Returns that many bytes.", inputSchema: { bytes: z.number() } },
      async ({ bytes }) => ({ content: [{ type: "text", text: "x".repeat(bytes) }] }),
    );
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: json,
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, close: () => http.close() };
}

describe("an HTTP upstream over the size limit", () => {
  it.each([
    ["as JSON", true],
    ["as an event stream", false],
  ])("is refused %s, and the next call works again", async (_how, json) => {
    const upstream = await httpUpstream(json);
    const box = sandbox(
      `apiVersion: warden/v1
kind: Policy
metadata: { name: robust-http, version: "1" }
defaults: { mcp.call: deny }
rules:
  - { id: remote, kind: mcp.call, allow: ["remote/*"] }
`,
      { remote: { url: upstream.url } },
      { maxMessageSize: "64KiB", callTimeout: "20s" },
    );
    const gw = await connect(box);
    try {
      const huge = await gw.call("remote__huge", { bytes: LIMIT * 2 });
      expect(huge.isError).toBe(true);
      expect(text(huge)).toContain(`over the ${LIMIT} byte limit`);
      expect(text(huge)).not.toContain("xxxxxxxx");
      await expect
        .poll(async () => text(await gw.call("remote__huge", { bytes: 3 })), { timeout: 10_000 })
        .toBe("xxx");
    } finally {
      await gw.close();
      upstream.close();
    }
  });
});
