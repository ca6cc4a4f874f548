/**
 * `warden mcp serve --http`: the built gateway serving streamable HTTP to the SDK's real
 * `StreamableHTTPClientTransport` + `Client`, one token per client, in front of the tiny fixture
 * server. Raw `node:http` requests for what a well-behaved client never sends (a foreign Host or
 * Origin, a body over the limit).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addToken,
  allEvents,
  CLI,
  type Connected,
  connectHttp,
  events,
  ODD,
  pending,
  type Sandbox,
  type Served,
  sandbox,
  serveHttp,
  text,
  tinyServer,
  warden,
} from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-http, version: "1" }
defaults: { mcp.call: deny }
roles:
  writers: { agents: [release-bot] }
rules:
  - id: echo-for-all
    kind: mcp.call
    allow: ["tiny/echo"]
  - id: writers-write
    kind: mcp.call
    allow: ["tiny/write_note"]
    roles: [writers]
`;

/** A raw POST, for the requests the SDK client would never make. */
function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString("utf8");
        });
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
});

describe("warden mcp serve --http: per-client tokens", () => {
  let box: Sandbox;
  let served: Served;
  let reader: string;
  let writer: string;
  const open: Connected[] = [];

  beforeAll(async () => {
    box = sandbox(POLICY, {});
    writeFileSync(
      box.config,
      JSON.stringify({
        mcpServers: { tiny: tinyServer(box) },
        warden: { maxMessageSize: "64KiB" },
      }),
    );
    reader = addToken(box, "laptop", "claude-code");
    writer = addToken(box, "ci", "release-bot");
    served = await serveHttp(box);
  });
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => {});
    await served?.stop();
  });

  it("keeps only a hash of each token, in a 0600 file, and lists clients without it", async () => {
    const file = join(box.home, "mcp-tokens.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, "utf8");
    expect(stored).not.toContain(reader);
    expect(stored).not.toContain(writer);
    expect(reader).toMatch(/^wdn_[A-Za-z0-9_-]{43}$/);

    const listed = warden(box, ["mcp", "tokens", "list", "--json"]);
    const rows = listed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.name, r.agent])).toEqual([
      ["laptop", "claude-code"],
      ["ci", "release-bot"],
    ]);
    expect(listed.stdout).not.toContain("sha256");
    expect(warden(box, ["mcp", "tokens", "add", "ci"]).stderr).toContain("MCP_TOKEN_EXISTS");
    const made = (await allEvents(box)).filter((e) => e.kind === "mcp.token");
    expect(made.map((e) => e.target)).toEqual([
      { name: "laptop", agent: "claude-code" },
      { name: "ci", agent: "release-bot" },
    ]);
  });

  it("decides each client's calls as its token's agent, and audits them so", async () => {
    const a = await connectHttp(served.url, reader);
    const b = await connectHttp(served.url, writer);
    open.push(a, b);

    const aTools = (await a.client.listTools()).tools.map((t) => t.name);
    const bTools = (await b.client.listTools()).tools.map((t) => t.name);
    expect(aTools).toContain("tiny__echo");
    expect(aTools).not.toContain("tiny__write_note");
    expect(bTools).toContain("tiny__write_note");

    const note = join(box.dir, "note.txt");
    const refused = await a.call("tiny__write_note", { path: note, text: "from a" });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("Warden denied tiny/write_note");
    const written = await b.call("tiny__write_note", { path: note, text: "from b" });
    expect(written.isError).toBeFalsy();
    expect(readFileSync(note, "utf8")).toBe("from b");

    const notes = (await events(box)).filter(
      (e) => (e.target as { tool: string }).tool === "write_note",
    );
    // The tokens themselves are nowhere: not in the audit log, not in the gateway's output.
    for (const token of [reader, writer]) {
      expect(JSON.stringify(await allEvents(box))).not.toContain(token);
      expect(served.stderr()).not.toContain(token);
    }
    expect(notes.map((e) => [e.principal.agent, e.context?.client, e.decision?.effect])).toEqual([
      ["claude-code", "laptop", "deny"],
      ["release-bot", "ci", "allow"],
    ]);
  });

  it("answers 401 with WWW-Authenticate to no token and to a wrong one", async () => {
    const none = await post(served.url, {}, INITIALIZE);
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="warden"');

    const wrong = await post(served.url, { authorization: `Bearer ${reader}x` }, INITIALIZE);
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toContain('error="invalid_token"');
    expect(wrong.body).not.toContain(reader);

    const error = await connectHttp(served.url, "wdn_not-a-token").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(401);
  });

  it("honours a session id only with the token that opened it", async () => {
    const opened = await post(served.url, { authorization: `Bearer ${reader}` }, INITIALIZE);
    expect(opened.status).toBe(200);
    const session = String(opened.headers["mcp-session-id"]);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const hijack = await post(
      served.url,
      {
        authorization: `Bearer ${writer}`,
        "mcp-session-id": session,
        "mcp-protocol-version": "2025-06-18",
      },
      list,
    );
    expect(hijack.status).toBe(404);
  });

  it("answers requests it cannot serve with an HTTP error and a JSON-RPC body", async () => {
    const auth = { authorization: `Bearer ${reader}` };
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const noSession = await post(served.url, auth, list);
    expect(noSession.status).toBe(400);
    const notJson = await post(served.url, auth, "{ this is not json");
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.code).toBe(-32700);
    const elsewhere = await post(new URL("/other", served.url), auth, INITIALIZE);
    expect(elsewhere.status).toBe(404);
    expect(served.stderr()).not.toMatch(/internal error|HTTP request failed/);
  });

  it("refuses a Host or Origin that is not this server (DNS rebinding)", async () => {
    const auth = { authorization: `Bearer ${reader}` };
    const rebound = await post(
      served.url,
      { ...auth, host: `evil.example:${served.url.port}` },
      INITIALIZE,
    );
    expect(rebound.status).toBe(403);
    const origin = await post(served.url, { ...auth, origin: "https://evil.example" }, INITIALIZE);
    expect(origin.status).toBe(403);
    const local = await post(
      served.url,
      { ...auth, origin: `http://localhost:${served.url.port}` },
      INITIALIZE,
    );
    expect(local.status).toBe(200);
  });

  it("answers 413 to a body over the size limit, and keeps serving", async () => {
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { padding: "x".repeat(80 * 1024) },
    });
    const refused = await post(served.url, { authorization: `Bearer ${reader}` }, big);
    expect(refused.status).toBe(413);
    const c = await connectHttp(served.url, reader);
    open.push(c);
    expect(text(await c.call("tiny__echo", { text: "still up" }))).toBe("tiny: still up");
  });

  it("stops a revoked token on its next request, in an open session too", async () => {
    const token = addToken(box, "temp", "claude-code");
    const c = await connectHttp(served.url, token);
    expect(text(await c.call("tiny__echo", { text: "before" }))).toBe("tiny: before");
    const revoked = warden(box, ["mcp", "tokens", "revoke", "temp"]);
    expect(revoked.status).toBe(0);
    const error = await c.call("tiny__echo", { text: "after" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(401);
    await c.client.close();
    const all = warden(box, ["mcp", "tokens", "list", "--all", "--json"]).stdout;
    const temp = all.split("\n").find((l) => l.includes('"temp"'));
    expect(JSON.parse(temp ?? "{}").revoked).toMatch(/^20\d\d-/);
  });
});

describe("warden mcp serve --http: where it listens", () => {
  it("refuses a non-loopback address without --allow-remote", () => {
    const box = sandbox(POLICY, {});
    const out = warden(box, [
      "mcp",
      "serve",
      "--config",
      box.config,
      "--policy",
      box.policy,
      "--http",
      "0.0.0.0:0",
    ]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("--allow-remote");
  });

  it("refuses an address it cannot read, and a token file it cannot read", () => {
    const box = sandbox(POLICY, {});
    const serve = (http: string) =>
      warden(box, ["mcp", "serve", "--config", box.config, "--policy", box.policy, "--http", http]);
    const bad = serve("localhost");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("expected HOST:PORT");
    writeFileSync(join(box.home, "mcp-tokens.json"), "{ not json");
    const corrupt = serve("127.0.0.1:0");
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr).toContain("MCP_TOKENS_UNREADABLE");
  });
});

describe("warden mcp serve --http: asking the user", () => {
  it("refuses an approval from inside the agent behind a loopback connection, takes one from outside", async () => {
    const box = sandbox(
      `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-http-queue, version: "1" }
defaults: { mcp.call: deny }
rules:
  - { id: notes-ask, kind: mcp.call, ask: ["tiny/write_note"], reason: Notes need a human. }
`,
      {},
    );
    writeFileSync(box.config, JSON.stringify({ mcpServers: { tiny: tinyServer(box) } }));
    const token = addToken(box, "laptop", "claude-code");
    const served = await serveHttp(box);
    // This test process is the agent: it holds the client's socket, and cannot elicit.
    const c = await connectHttp(served.url, token);
    try {
      const note = join(box.dir, "queued.txt");
      const call = c.call("tiny__write_note", { path: note, text: "approved" });
      await expect.poll(() => pending(box).length, { timeout: 10_000 }).toBe(1);
      const id = pending(box)[0]!.id;

      // From the agent's own tree (its shell tool, say): refused.
      const self = warden(box, ["approvals", "approve", id]);
      expect(self.status).toBe(1);
      expect(self.stderr).toContain("APPROVAL_SELF");
      expect(self.stderr).toContain(`pid ${process.pid}`);

      // From a process outside it (setsid -f leaves it to init): approved, and the call goes on.
      const out = join(box.dir, "approve.out");
      spawnSync(
        "setsid",
        [
          "-f",
          "sh",
          "-c",
          `"$0" "$@" > "${out}" 2>&1`,
          process.execPath,
          CLI,
          "approvals",
          "approve",
          id,
        ],
        {
          cwd: box.dir,
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            WARDEN_HOME: box.home,
          },
        },
      );
      expect((await call).isError).toBeFalsy();
      expect(readFileSync(note, "utf8")).toBe("approved");
    } finally {
      await c.close();
      await served.stop();
    }
  });

  it("asks through the client's elicitation, and relays an upstream's question to it", async () => {
    const box = sandbox(
      `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-http-ask, version: "1" }
defaults: { mcp.call: deny }
rules:
  - { id: questions, kind: mcp.call, allow: ["odd/ask_user"] }
  - { id: echo-asks, kind: mcp.call, ask: ["odd/echo"], reason: Echoes need a human. }
`,
      { odd: { command: process.execPath, args: [ODD] } },
    );
    const token = addToken(box, "laptop", "claude-code");
    const served = await serveHttp(box);
    const asked: string[] = [];
    const c = await connectHttp(served.url, token, {
      elicit: (message) => {
        asked.push(message);
        return "accept";
      },
    });
    try {
      expect(text(await c.call("odd__echo", { text: "approved" }))).toBe("odd: approved");
      expect(asked[0]).toContain("Echoes need a human.");
      expect(text(await c.call("odd__ask_user"))).toBe("user said: accept {}");
      expect(asked[1]).toBe("Deploy to production?");
      const elicit = (await allEvents(box)).find((e) => e.kind === "mcp.elicit");
      expect(elicit?.principal.agent).toBe("claude-code");
      expect(elicit?.context).toMatchObject({ relayed: true, action: "accept" });
    } finally {
      await c.close();
      await served.stop();
    }
  });
});
