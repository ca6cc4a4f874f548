import { describe, expect, it } from "vitest";
import { parseGatewayConfig } from "./config.js";
import { resolveSecretRefs } from "./secret-refs.js";

const source = { values: () => new Map([["crm-token", "v4lue"]]) };

describe("${secret:NAME} references", () => {
  const config = parseGatewayConfig(
    {
      mcpServers: {
        crm: { command: "crm", env: { CRM_TOKEN: "${secret:crm-token}", HOME: "${HOME}" } },
        api: {
          url: "https://api.example/mcp",
          headers: { Authorization: "Bearer ${secret:crm-token}" },
        },
      },
    },
    "mcp.json",
    { HOME: "/home/u" },
  );

  it("stay unresolved in the parsed specs, and are resolved when an upstream starts", () => {
    expect(config.upstreams[0]).toMatchObject({
      env: { CRM_TOKEN: "${secret:crm-token}", HOME: "/home/u" },
    });
    expect(JSON.stringify(config)).not.toContain("v4lue");
    expect(resolveSecretRefs(config.upstreams[0]!, source)).toMatchObject({
      env: { CRM_TOKEN: "v4lue", HOME: "/home/u" },
    });
    expect(resolveSecretRefs(config.upstreams[1]!, source)).toMatchObject({
      headers: { Authorization: "Bearer v4lue" },
    });
    expect(config.upstreams[0]).toMatchObject({ env: { CRM_TOKEN: "${secret:crm-token}" } });
  });

  it("name a missing secret, never a value, when the store lacks it", () => {
    const empty = { values: () => new Map<string, string>() };
    expect(() => resolveSecretRefs(config.upstreams[0]!, empty)).toThrow(
      /secret "crm-token" \(in env CRM_TOKEN\) is not in Warden's secret store/,
    );
    expect(() => resolveSecretRefs(config.upstreams[1]!, undefined)).toThrow(
      /in headers Authorization/,
    );
  });

  it("are refused outside env and headers, and when malformed", () => {
    const parse = (server: object) => () => parseGatewayConfig({ mcpServers: { s: server } });
    expect(parse({ command: "x", args: ["--token", "${secret:t}"] })).toThrow(
      /only in env values and headers/,
    );
    expect(parse({ command: "${secret:t}" })).toThrow(/only in env/);
    expect(parse({ url: "https://h/mcp?key=${secret:t}" })).toThrow(/only in env/);
    expect(parse({ command: "x", env: { T: "${secret:a b}" } })).toThrow(/does not name a secret/);
    expect(parse({ url: "https://h/", headers: { A: "${secret:}" } })).toThrow(
      /does not name a secret/,
    );
  });
});
