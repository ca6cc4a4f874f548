import { describe, expect, it } from "vitest";
import { parseDuration, parseGatewayConfig } from "./config.js";

describe("parseGatewayConfig", () => {
  it("reads stdio and remote servers as Claude Code, Claude Desktop and Cursor write them", () => {
    const config = parseGatewayConfig(
      {
        mcpServers: {
          files: { command: "npx", args: ["-y", "server", "${HOME}"], env: { A: "${MISSING:-d}" } },
          crm: {
            type: "http",
            url: "https://crm.example/mcp",
            headers: { Authorization: "Bearer ${TOKEN}" },
          },
          legacy: { type: "sse", url: "https://old.example/sse" },
          cursor: { url: "https://cursor.example/mcp" },
          off: { command: "x", disabled: true },
        },
        globalShortcut: "kept aside",
        warden: { approvalTimeout: "2m" },
      },
      "mcp.json",
      { HOME: "/home/u", TOKEN: "t0k" },
    );
    expect(config.upstreams.map((u) => [u.name, u.transport])).toEqual([
      ["files", "stdio"],
      ["crm", "http"],
      ["legacy", "sse"],
      ["cursor", "http"],
    ]);
    expect(config.upstreams[0]).toMatchObject({
      args: ["-y", "server", "/home/u"],
      env: { A: "d" },
    });
    expect(config.upstreams[1]).toMatchObject({ headers: { Authorization: "Bearer t0k" } });
    expect(config.options.approvalTimeoutMs).toBe(120_000);
  });

  it("refuses names that would make server__tool ambiguous, and servers with nothing to run", () => {
    expect(() => parseGatewayConfig({ mcpServers: { a__b: { command: "x" } } })).toThrow(/names/);
    expect(() => parseGatewayConfig({ mcpServers: { a_: { command: "x" } } })).toThrow(/names/);
    expect(() => parseGatewayConfig({ mcpServers: { a: {} } })).toThrow(/command .* or a url/);
    expect(() => parseGatewayConfig({ servers: {} })).toThrow(/mcpServers/);
  });

  it("reads durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(() => parseDuration("soon")).toThrow(/duration/);
  });
});
