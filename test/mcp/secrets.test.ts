/**
 * Secrets through `warden mcp serve`: a value from Warden's encrypted store is injected into the
 * real `@modelcontextprotocol/server-everything` (whose get-env tool prints its environment), and
 * reaches neither the client, nor the gateway's stderr, nor the audit log. Credentials in call
 * arguments are decided as `cred.use`; credentials in results are redacted.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretStore } from "../../src/creds/index.js";
import {
  allEvents,
  type Connected,
  connect,
  EVERYTHING,
  events,
  type Sandbox,
  sandbox,
  text,
  tinyServer,
  warden,
} from "./harness.js";

const TOKEN = "api-4c1d9e7f3b2a";
// Credential-shaped, assembled so that no scanner mistakes this file for a leak.
const GITHUB = ["ghp_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"].join("");

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-secrets, version: "1" }
defaults: { mcp.call: deny }
rules:
  - id: tools
    kind: mcp.call
    allow: ["everything/echo", "everything/get-env", "tiny/echo", "broken/echo", "noisy/echo", "remote/whoami"]
  - id: echo-may-carry-the-api-token
    kind: cred.use
    allow: ["api-token:everything/echo"]
`;

/**
 * A streamable-HTTP MCP server on loopback (SDK, stateless) whose `whoami` tool reports the
 * Authorization header its last request carried; `seen` keeps every one.
 */
async function remoteServer(): Promise<{ url: string; seen: string[]; http: Server }> {
  const seen: string[] = [];
  const http = createServer(async (req, res) => {
    seen.push(req.headers.authorization ?? "");
    const mcp = new McpServer({ name: "remote", version: "1.0.0" });
    mcp.registerTool("whoami", { description: "Reports the caller's credentials." }, async () => ({
      content: [{ type: "text", text: `you sent: ${seen.at(-1)}` }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, seen, http };
}

describe("warden mcp serve: secrets and data-loss checks", () => {
  let box: Sandbox;
  let gw: Connected;
  let stderr = "";
  let remote: Awaited<ReturnType<typeof remoteServer>>;

  beforeAll(async () => {
    remote = await remoteServer();
    box = sandbox(POLICY, {});
    SecretStore.open(box.home).set("api-token", TOKEN);
    const tiny = tinyServer(box);
    const config = {
      mcpServers: {
        everything: {
          command: process.execPath,
          args: [EVERYTHING, "stdio"],
          env: { API_TOKEN: "${secret:api-token}" },
        },
        tiny,
        broken: { ...tiny, env: { ...tiny.env, T: "${secret:missing}" } },
        // An upstream that prints its token on stderr, which the gateway passes on to its own.
        noisy: {
          command: "/bin/sh",
          args: ["-c", `echo "starting with $T" >&2; exec '${process.execPath}' '${tiny.args[0]}'`],
          env: { T: "${secret:api-token}" },
        },
        remote: {
          type: "http",
          url: remote.url,
          headers: { Authorization: "Bearer ${secret:api-token}" },
        },
      },
    };
    writeFileSync(box.config, JSON.stringify(config));
    gw = await connect(box);
    (gw.client.transport as StdioClientTransport).stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
  });
  afterAll(async () => {
    await gw?.close();
    remote?.http.closeAllConnections();
    remote?.http.close();
  });

  it("injects the secret into the upstream, and the client sees it redacted", async () => {
    const result = await gw.call("everything__get-env");
    expect(result.isError).not.toBe(true);
    const env = JSON.parse(text(result)) as Record<string, string>;
    expect(env.API_TOKEN).toBe("[REDACTED:secret]"); // it was there, with the value
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    const event = (await events(box)).find(
      (e) => (e.target as { tool: string }).tool === "get-env",
    )!;
    expect(event.context).toMatchObject({
      outcome: "ok",
      resultDetected: [{ detector: "held", name: "api-token" }],
    });
  });

  it("puts the secret into a remote upstream's headers, on every request", async () => {
    const result = await gw.call("remote__whoami");
    expect(text(result)).toBe("you sent: Bearer [REDACTED:secret]");
    expect(remote.seen.length).toBeGreaterThan(1);
    expect(new Set(remote.seen)).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  it("redacts a held secret an allowed call echoes back", async () => {
    const result = await gw.call("everything__echo", { message: `say ${TOKEN}` });
    expect(text(result)).toBe("Echo: say [REDACTED:secret]");
    const event = (await events(box)).find(
      (e) => (e.target as { tool: string }).tool === "echo" && e.context?.outcome === "ok",
    )!;
    expect(event.decision?.effect).toBe("allow");
    expect(event.context?.detected).toEqual([{ detector: "held", name: "api-token" }]);
    expect(event.target).toMatchObject({ args: { message: "say [REDACTED:secret]" } });
  });

  it("denies a credential in the arguments that no cred.use rule lets go to that tool", async () => {
    const held = await gw.call("tiny__echo", { text: TOKEN });
    expect(held.isError).toBe(true);
    expect(text(held)).toContain(
      "the arguments carry Warden's secret api-token (cred.use api-token:tiny/echo): no cred.use rule lets it go there",
    );
    const shaped = await gw.call("tiny__echo", { text: `push with ${GITHUB}` });
    expect(shaped.isError).toBe(true);
    expect(text(shaped)).toContain("a github credential (cred.use github:tiny/echo)");
    expect(text(shaped)).not.toContain(GITHUB);
    let arrived = "";
    try {
      arrived = readFileSync(box.tinyLog, "utf8");
    } catch {}
    expect(arrived).not.toContain(TOKEN);
    expect(arrived).not.toContain(GITHUB);
    const denied = (await events(box)).filter((e) => e.context?.outcome === "not-forwarded");
    expect(denied.map((e) => e.context?.detected)).toEqual([
      [{ detector: "held", name: "api-token" }],
      [{ detector: "github" }],
    ]);
    expect(denied.every((e) => e.decision?.effect === "deny")).toBe(true);
  });

  it("keeps an upstream whose secret is missing down, naming the secret", async () => {
    const result = await gw.call("broken__echo", { text: "hi" });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain(`secret "missing" (in env T) is not in Warden's secret store`);
    expect(stderr).toContain(`[broken] upstream "broken" is unavailable: secret "missing"`);
  });

  it("never lets the value into the gateway's stderr or the audit log", async () => {
    // The noisy upstream printed its token when it started; the gateway logged it redacted.
    expect(stderr).toContain("[noisy] starting with [REDACTED:secret]");
    expect(stderr).not.toContain(TOKEN);
    const audit = JSON.stringify(await allEvents(box));
    expect(audit).not.toContain(TOKEN);
    expect(audit).not.toContain(GITHUB);
  });
});

it("does not start when the secret store cannot be read, and says why", () => {
  const box = sandbox(POLICY, { tiny: { command: process.execPath, args: ["-e", "0"] } });
  SecretStore.open(box.home).set("api-token", TOKEN);
  const file = join(box.home, "secrets.enc");
  const bytes = readFileSync(file);
  bytes[bytes.length - 1]! ^= 1;
  writeFileSync(file, bytes);
  const out = warden(box, ["mcp", "serve", "--config", box.config, "--policy", box.policy]);
  expect(out.status).toBe(1);
  expect(out.stderr).toContain("CREDS_STORE_TAMPERED");
  expect(out.stderr).not.toContain(TOKEN);
});
