/**
 * Prompts and resources through the built gateway, under the same mcp.call policy as tools: the
 * real `@modelcontextprotocol/server-everything` (prompts, resources, templates) beside the real
 * `@modelcontextprotocol/server-filesystem` (tools only, so it must add nothing to those lists).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Connected,
  connect,
  EVERYTHING,
  events,
  FILESYSTEM,
  type Sandbox,
  sandbox,
} from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: passthrough, version: "1" }
defaults: { mcp.call: deny }
rules:
  - id: prompts
    kind: mcp.call
    allow: ["everything/prompts/get"]
  - id: no-args-prompt
    kind: mcp.call
    deny: ["everything/prompts/get"]
    when: 'args.name == "args-prompt"'
    reason: That prompt is not for agents.
  - id: reads
    kind: mcp.call
    allow: ["everything/resources/read"]
  - id: no-features
    kind: mcp.call
    deny: ["everything/resources/read"]
    when: 'args.uri.endsWith("/features.md") || args.uri.endsWith("/blob/7")'
    reason: Not that document.
  - id: files
    kind: mcp.call
    allow: ["files/list_allowed_directories"]
`;

const STATIC = "demo://resource/static/document";

describe("prompts and resources through warden mcp serve", () => {
  let box: Sandbox;
  let gw: Connected;

  beforeAll(async () => {
    box = sandbox(POLICY, {});
    mkdirSync(join(box.dir, "project"));
    const servers = {
      everything: { command: process.execPath, args: [EVERYTHING, "stdio"] },
      files: { command: process.execPath, args: [FILESYSTEM, join(box.dir, "project")] },
    };
    writeFileSync(box.config, JSON.stringify({ mcpServers: servers }));
    gw = await connect(box);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("lists prompts as server__prompt, leaving out the ones denied by name", async () => {
    const { prompts } = await gw.client.listPrompts();
    const names = prompts.map((p) => p.name);
    expect(names).toContain("everything__simple-prompt");
    expect(names).toContain("everything__resource-prompt");
    expect(names).not.toContain("everything__args-prompt");
    expect(names.every((n) => n.startsWith("everything__"))).toBe(true);
  });

  it("gets an allowed prompt from its upstream and refuses a denied one with the rule", async () => {
    const got = await gw.client.getPrompt({ name: "everything__simple-prompt" });
    expect(got.messages.length).toBeGreaterThan(0);

    const refused = await gw.client
      .getPrompt({ name: "everything__args-prompt", arguments: { city: "Paris" } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain("rule no-args-prompt");
    expect((refused as McpError).message).toContain("That prompt is not for agents.");

    const audited = (await events(box)).filter(
      (e) => (e.target as { tool: string }).tool === "prompts/get",
    );
    expect(
      audited.map((e) => [(e.target as { args: { name: string } }).args.name, e.decision?.effect]),
    ).toEqual([
      ["simple-prompt", "allow"],
      ["args-prompt", "deny"],
    ]);
  });

  it("lists resources with their URIs, leaving out the ones the policy denies reading", async () => {
    const { resources } = await gw.client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain(`${STATIC}/architecture.md`);
    expect(uris).not.toContain(`${STATIC}/features.md`);
    const { resourceTemplates } = await gw.client.listResourceTemplates();
    // The deny depends on the URI, which a template does not fix: templates stay listed.
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining(["demo://resource/dynamic/text/{resourceId}"]),
    );
  });

  it("reads a resource from the upstream that listed it, decided as resources/read with the URI", async () => {
    const read = await gw.client.readResource({ uri: `${STATIC}/architecture.md` });
    expect(read.contents[0]?.uri).toBe(`${STATIC}/architecture.md`);
    expect(JSON.stringify(read.contents[0])).toMatch(/architecture/i);

    const refused = await gw.client
      .readResource({ uri: `${STATIC}/features.md` })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain("rule no-features");

    const event = (await events(box)).find((e) =>
      JSON.stringify(e.target).includes("architecture.md"),
    );
    expect(event?.target).toEqual({
      server: "everything",
      tool: "resources/read",
      args: { uri: `${STATIC}/architecture.md` },
    });
    expect(event?.decision?.effect).toBe("allow");
  });

  it("routes a URI that only a template matches, and decides it on the URI", async () => {
    const text = await gw.client.readResource({ uri: "demo://resource/dynamic/text/3" });
    expect(text.contents[0]?.uri).toBe("demo://resource/dynamic/text/3");
    const blob = await gw.client
      .readResource({ uri: "demo://resource/dynamic/blob/7" })
      .catch((e: unknown) => e);
    expect((blob as McpError).message).toContain("rule no-features");
  });

  it("answers an unknown URI with resource not found (-32002)", async () => {
    const missing = await gw.client
      .readResource({ uri: "demo://nowhere/at-all" })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(McpError);
    expect((missing as McpError).code).toBe(-32002);
  });
});
