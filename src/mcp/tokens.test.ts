import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSize } from "./config.js";
import { TokenStore } from "./tokens.js";

const store = () => new TokenStore(join(mkdtempSync(join(tmpdir(), "warden-tokens-")), "t.json"));

describe("TokenStore", () => {
  it("verifies a token it made, keeps only its hash, and forgets it on revoke", () => {
    const tokens = store();
    const { token, entry } = tokens.add("laptop", "claude-code");
    expect(entry).toMatchObject({ name: "laptop", agent: "claude-code" });
    expect(readFileSync(tokens.path, "utf8")).not.toContain(token);
    expect(statSync(tokens.path).mode & 0o777).toBe(0o600);
    expect(tokens.verify(token)?.agent).toBe("claude-code");
    expect(tokens.verify(`${token}x`)).toBeNull();
    expect(tokens.verify("")).toBeNull();
    tokens.revoke("laptop");
    expect(tokens.verify(token)).toBeNull();
    // The name is free again, with a new token; the old one stays dead.
    const again = tokens.add("laptop", "claude-code");
    expect(tokens.verify(again.token)?.name).toBe("laptop");
    expect(tokens.verify(token)).toBeNull();
  });

  it("sees changes another process made to the file", () => {
    const a = store();
    const b = new TokenStore(a.path);
    const { token } = a.add("ci", "release-bot");
    expect(b.verify(token)?.name).toBe("ci");
    a.revoke("ci");
    expect(b.verify(token)).toBeNull();
  });

  it("refuses bad names, a name in use and revoking an unknown token", () => {
    const tokens = store();
    expect(() => tokens.add("no spaces")).toThrow(/not valid/);
    expect(() => tokens.add("ok", "bad/agent")).toThrow(/agent "bad\/agent" is not valid/);
    tokens.add("ok");
    expect(() => tokens.add("ok")).toThrow(expect.objectContaining({ code: "MCP_TOKEN_EXISTS" }));
    expect(() => tokens.revoke("nobody")).toThrow(
      expect.objectContaining({ code: "MCP_TOKEN_UNKNOWN" }),
    );
  });

  it("fails closed on a corrupt file: no token verifies, and the problem is reported", () => {
    const tokens = store();
    const { token } = tokens.add("ok");
    writeFileSync(tokens.path, "{ not json");
    expect(tokens.verify(token)).toBeNull();
    expect(tokens.check()).toMatch(/is not a token file/);
    expect(() => tokens.list()).toThrow(expect.objectContaining({ code: "MCP_TOKENS_UNREADABLE" }));
    writeFileSync(tokens.path, JSON.stringify({ version: 1, tokens: [{ name: "x" }] }));
    expect(tokens.check()).toMatch(/is not a token file/);
  });

  it("holds no tokens when the file does not exist", () => {
    const tokens = store();
    expect(tokens.check()).toBeNull();
    expect(tokens.list()).toEqual([]);
    expect(tokens.verify("wdn_anything")).toBeNull();
  });
});

describe("parseSize", () => {
  it("reads bytes and binary and decimal units", () => {
    expect(parseSize(65536)).toBe(65536);
    expect(parseSize("64KiB")).toBe(65536);
    expect(parseSize("4MiB")).toBe(4 * 1024 * 1024);
    expect(parseSize("1MB")).toBe(1_000_000);
  });
  it("refuses what it cannot read, and sizes too small to hold a request", () => {
    for (const bad of ["", "lots", "4 parsecs", "-1", "100", 0, "1e9"]) {
      expect(() => parseSize(bad, "warden.maxMessageSize")).toThrow(
        expect.objectContaining({ code: "MCP_CONFIG_INVALID" }),
      );
    }
  });
});
