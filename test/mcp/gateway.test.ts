/**
 * `warden mcp serve` end to end: the SDK's real Client talks to the built gateway over stdio, the
 * gateway talks to the real `@modelcontextprotocol/server-everything` and
 * `@modelcontextprotocol/server-filesystem` from npm and to the tiny fixture server.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Connected,
  connect,
  EVERYTHING,
  events,
  gatewayEvents,
  projectFiles,
  type Sandbox,
  sandbox,
  text,
  tinyServer,
} from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-e2e, version: "1" }
defaults: { mcp.call: deny }
rules:
  - id: everyday-tools
    kind: mcp.call
    allow: ["everything/echo", "everything/get-sum", "tiny/echo", "tiny/crash", "files/read_text_file", "files/list_allowed_directories"]
  - id: tiny-echo-takes-tokens
    kind: cred.use
    allow: ["github:tiny/echo"]
  - id: no-env
    kind: mcp.call
    deny: ["everything/get-env"]
    reason: The environment holds secrets.
  - id: no-writes
    kind: mcp.call
    deny: ["files/write_file"]
    reason: The agent reads files, it does not write them.
  - id: reads-in-project
    kind: mcp.call
    deny: ["files/read_text_file"]
    when: '!isWithin(args.path, context.workspace + "/project")'
    reason: Reads stay in the project.
`;

describe("warden mcp serve: policy in front of real MCP servers", () => {
  let box: Sandbox;
  let gw: Connected;

  beforeAll(async () => {
    box = sandbox(POLICY, {});
    const files = projectFiles(box);
    writeFileSync(
      box.config,
      JSON.stringify({
        mcpServers: {
          everything: { command: process.execPath, args: [EVERYTHING, "stdio"] },
          files,
          tiny: tinyServer(box),
        },
      }),
    );
    gw = await connect(box);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("lists only the tools that are not denied whatever their arguments", async () => {
    const { tools } = await gw.client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        "everything__echo",
        "everything__get-sum",
        "files__list_allowed_directories",
        "files__read_text_file", // denied only for some arguments: shown, decided per call
        "tiny__crash",
        "tiny__echo",
      ]),
    );
    expect(names).not.toContain("everything__get-env"); // deny rule
    expect(names).not.toContain("files__write_file"); // deny rule
    expect(names).not.toContain("everything__get-tiny-image"); // default deny
    expect(names).toHaveLength(6);
    const echo = tools.find((t) => t.name === "everything__echo");
    expect(echo?.inputSchema.properties).toHaveProperty("message");
  });

  it("forwards an allowed call and returns the upstream's real result", async () => {
    const result = await gw.call("everything__echo", { message: "through warden" });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toBe("Echo: through warden");
    const sum = await gw.call("everything__get-sum", { a: 2, b: 40 });
    expect(text(sum)).toContain("42");
  });

  it("refuses a denied call with the rule and reason, and it never reaches the upstream", async () => {
    const target = join(box.dir, "project", "pwned.txt");
    const result = await gw.call("files__write_file", { path: target, content: "x" });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("rule no-writes");
    expect(text(result)).toContain("The agent reads files, it does not write them.");
    expect(existsSync(target)).toBe(false);

    const env = await gw.call("everything__get-env");
    expect(env.isError).toBe(true);
    expect(text(env)).toContain("The environment holds secrets.");
  });

  it("decides a call on its arguments (when: over args)", async () => {
    const inside = await gw.call("files__read_text_file", {
      path: join(box.dir, "project", "readme.txt"),
    });
    expect(inside.isError).toBeFalsy();
    expect(text(inside)).toBe("hello from the project");

    const outside = await gw.call("files__read_text_file", {
      path: join(box.dir, "private", "secret.txt"),
    });
    expect(outside.isError).toBe(true);
    expect(text(outside)).toContain("rule reads-in-project");
    expect(text(outside)).not.toContain("the secret");

    // when: sees the arguments as sent, not normalised paths: the rule has to refuse `..` itself.
    const sneaky = await gw.call("files__read_text_file", {
      path: `${join(box.dir, "project")}/../private/secret.txt`,
    });
    expect(text(sneaky)).not.toContain("the secret");
  });

  it("records every call as one audit event with args, decision, latency and outcome", async () => {
    await gw.call("tiny__echo", {
      text: "audited",
      token: "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
    });
    const all = await events(box);
    const echo = all.find(
      (e) =>
        (e.target as { tool: string }).tool === "echo" && JSON.stringify(e).includes("audited"),
    );
    expect(echo).toBeDefined();
    expect(echo?.kind).toBe("mcp.call");
    expect(echo?.principal.agent).toBe("test-agent");
    expect(echo?.target).toMatchObject({ server: "tiny", tool: "echo", args: { text: "audited" } });
    expect(JSON.stringify(echo)).not.toContain("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB");
    expect(echo?.decision).toMatchObject({ effect: "allow", rule: "everyday-tools" });
    expect(echo?.latencyUs).toBeGreaterThan(0);
    expect(echo?.context).toMatchObject({ outcome: "ok" });
    expect((echo?.context as { upstreamUs?: number } | undefined)?.upstreamUs).toBeGreaterThan(0);

    // It was on disk before the upstream acted: an mcp.forward event comes first.
    const trail = (await gatewayEvents(box)).filter((e) => JSON.stringify(e).includes("audited"));
    expect(trail.map((e) => e.kind)).toEqual(["mcp.forward", "mcp.call"]);

    const denied = all.find((e) => (e.target as { tool: string }).tool === "write_file");
    expect(denied?.decision).toMatchObject({ effect: "deny", rule: "no-writes" });
    expect(denied?.context).toMatchObject({ outcome: "not-forwarded" });

    const log = readFileSync(box.tinyLog, "utf8");
    expect(log).toContain("audited");
  });

  it("survives an upstream that crashes mid-call: a clear error, no hang, others unaffected", async () => {
    const started = Date.now();
    const crashed = await gw.call("tiny__crash");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(crashed.isError).toBe(true);
    expect(text(crashed)).toMatch(/upstream "tiny" (failed|is unavailable)/);
    const crashEvent = (await events(box)).find(
      (e) => (e.target as { tool: string }).tool === "crash",
    );
    expect(crashEvent?.context).toMatchObject({ outcome: "error" });

    // The other upstreams still answer.
    expect(text(await gw.call("everything__echo", { message: "still here" }))).toBe(
      "Echo: still here",
    );
    // The crashed one is reconnected after its backoff.
    await expect
      .poll(async () => text(await gw.call("tiny__echo", { text: "back" })), { timeout: 10_000 })
      .toBe("tiny: back");
  });
});

describe("warden mcp serve: fail closed", () => {
  it("denies every call, and lists nothing, when the policy is broken", async () => {
    const box = sandbox("apiVersion: warden/v1\nkind: Policy\nrules: [oops\n", {});
    writeFileSync(box.config, JSON.stringify({ mcpServers: { tiny: tinyServer(box) } }));
    const gw = await connect(box);
    try {
      expect((await gw.client.listTools()).tools).toEqual([]);
      const result = await gw.call("tiny__echo", { text: "hi" });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain("policy unavailable");
      expect(existsSync(box.tinyLog)).toBe(false);
      const [event] = await events(box);
      expect(event?.decision?.effect).toBe("deny");
    } finally {
      await gw.close();
    }
  });

  it("answers a call to an unknown server with a tool error naming the servers", async () => {
    const box = sandbox(POLICY, { tiny: tinyServer(sandbox(POLICY, {})) });
    const gw = await connect(box);
    try {
      const result = await gw.call("nosuch__tool");
      expect(result.isError).toBe(true);
      expect(text(result)).toContain("servers: tiny");
    } finally {
      await gw.close();
    }
  });
});
