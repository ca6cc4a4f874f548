import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import { type CompiledPolicy, compilePolicy } from "../compile.js";
import { type RequestFlags, requestFromFlags } from "../request.js";
import type { Effect } from "../types.js";
import { bashPattern, claudePath, importClaudeCode } from "./claude-code.js";
import { ImportSyntaxError } from "./common.js";

const FIXTURE = new URL("./fixtures/claude-settings.json", import.meta.url);
const WS = "/work/project";

function decide(policy: CompiledPolicy, flags: RequestFlags): Effect {
  return policy.decide(requestFromFlags({ workspace: WS, cwd: WS, ...flags })).effect;
}

describe("importClaudeCode: the fixture settings", () => {
  let result: ReturnType<typeof importClaudeCode>;
  let policy: CompiledPolicy;
  beforeAll(() => {
    result = importClaudeCode(readFileSync(FIXTURE, "utf8"), { file: "settings.json" });
    policy = compilePolicy(result.policy, { file: "imported.yaml" });
  });

  it("compiles, and every rule names the settings entry it came from", () => {
    expect(policy.ruleCount).toBeGreaterThan(20);
    expect(result.policy).toContain('# settings.json:6 permissions.allow "Bash(npm run test:*)"');
    expect(result.policy).toContain('# settings.json:28 permissions.deny "Bash(curl:*)"');
  });

  // What Claude Code answers for each request under the fixture (deny > ask > allow, then its
  // mode: acceptEdits), and what the imported policy must answer.
  const cases: [string, RequestFlags, Effect][] = [
    ["exact Bash rule", { exec: "npm run lint" }, "allow"],
    ["exact rule does not allow more arguments", { exec: "npm run lint --fix" }, "ask"],
    ["legacy :* prefix, no arguments", { exec: "npm run test" }, "allow"],
    ["legacy :* prefix, with arguments", { exec: "npm run test -- --watch" }, "allow"],
    ["word boundary of :*", { exec: "npm run testing" }, "ask"],
    ["trailing ` *`", { exec: "git diff --stat HEAD" }, "allow"],
    ["trailing ` *` matches the bare command", { exec: "git diff" }, "allow"],
    ["git log:*", { exec: "git log --oneline" }, "allow"],
    ["ls* without a word boundary", { exec: "lsof -i" }, "allow"],
    ["ls* plain", { exec: "ls -la" }, "allow"],
    ["ask beats allow (git push)", { exec: "git push origin main" }, "ask"],
    ["deny Bash(curl:*)", { exec: "curl https://example.com" }, "deny"],
    ["deny Bash(rm -rf *)", { exec: "rm -rf build" }, "deny"],
    ["unlisted command asks", { exec: "make" }, "ask"],
    ["Read(./.env) denies the project .env", { read: `${WS}/.env` }, "deny"],
    ["Read(./.env) matches at any depth (gitignore)", { read: `${WS}/packages/api/.env` }, "deny"],
    ["Read(./.env.*)", { read: `${WS}/.env.production` }, "deny"],
    ["Read(secrets/**) deny at any depth", { read: `${WS}/config/secrets/key.json` }, "deny"],
    ["Read(//etc/shadow)", { read: "/etc/shadow" }, "deny"],
    ["Read(~/.ssh/**)", { read: `${homedir()}/.ssh/id_rsa` }, "deny"],
    ["other reads are allowed", { read: `${WS}/src/main.ts` }, "allow"],
    ["Edit(src/**) allows", { write: `${WS}/src/main.ts` }, "allow"],
    ["Edit(/docs/**/*.md) relative to the project root", { write: `${WS}/docs/a/b.md` }, "allow"],
    ["Edit(package.json) asks", { write: `${WS}/package.json` }, "ask"],
    ["Edit(.git/**) denied", { write: `${WS}/.git/config` }, "deny"],
    ["acceptEdits allows other workspace edits", { write: `${WS}/README.md` }, "allow"],
    ["acceptEdits covers additionalDirectories", { write: "/opt/company/docs/a.md" }, "allow"],
    ["edits outside the workspace ask", { write: "/etc/hosts" }, "ask"],
    ["WebFetch(domain:docs.anthropic.com) https", { connect: "docs.anthropic.com:443" }, "allow"],
    ["WebFetch(domain:docs.anthropic.com) http", { connect: "docs.anthropic.com:80" }, "allow"],
    ["WebFetch(domain:*.github.com)", { connect: "api.github.com:443" }, "allow"],
    ["other hosts", { connect: "example.com:443" }, "deny"],
    ["mcp__github__get_issue", { mcp: "github/get_issue" }, "allow"],
    ["mcp__linear: the whole server", { mcp: "linear/create_issue" }, "allow"],
    ["mcp ask", { mcp: "github/create_pull_request" }, "ask"],
    ["mcp deny", { mcp: "github/delete_repository" }, "deny"],
    ["other MCP tools ask", { mcp: "github/merge_pull_request" }, "ask"],
  ];
  for (const [name, flags, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      expect(decide(policy, flags)).toBe(expected);
    });
  }

  it("Warden's own default before import: the same requests without the rules", () => {
    const bare = compilePolicy("apiVersion: warden/v1\nkind: Policy\nmetadata: { name: bare }\n");
    expect(decide(bare, { exec: "npm run lint" })).toBe("ask");
    expect(decide(bare, { connect: "docs.anthropic.com:443" })).toBe("deny");
    expect(decide(bare, { read: `${WS}/.env` })).toBe("allow");
  });

  it("reports what did not map, with lines", () => {
    const unmapped = result.report
      .filter((n) => n.level === "unmapped")
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    expect(unmapped.map((n) => [n.line, n.source])).toEqual([
      [18, "Write(build/**)"],
      [37, "Bash(npm test && npm run build)"],
      [38, "Agent(model:opus)"],
      [41, "../shared-docs"],
    ]);
    expect(unmapped[0]!.message).toMatch(/does not consult path-scoped Write/);
    expect(unmapped[1]!.message).toMatch(/compound command/);
  });

  it("reports approximations: mid-pattern *, WebFetch ports, acceptEdits", () => {
    const approx = result.report.filter((n) => n.level === "approximated");
    expect(approx.map((n) => n.source)).toEqual([
      "Bash(git * main)",
      "WebFetch(domain:docs.anthropic.com)",
      "WebFetch(domain:*.github.com)",
      "defaultMode: acceptEdits",
    ]);
    expect(approx[1]!.message).toMatch(/ports 443 and 80/);
    expect(result.policy).toContain("~ a `*` between words matches exactly one argument");
  });
});

describe("importClaudeCode: modes and edge cases", () => {
  const run = (permissions: unknown) =>
    importClaudeCode(JSON.stringify({ permissions }, null, 2), { file: "s.json" });

  it("dontAsk refuses what no rule allows", () => {
    const r = run({ allow: ["Bash(git status)"], defaultMode: "dontAsk" });
    const p = compilePolicy(r.policy);
    expect(decide(p, { exec: "git status" })).toBe("allow");
    expect(decide(p, { exec: "git commit" })).toBe("deny");
    expect(decide(p, { write: `${WS}/a` })).toBe("deny");
    expect(decide(p, { mcp: "x/y" })).toBe("deny");
  });

  it("bypassPermissions is not imported: the defaults stay ask", () => {
    const r = run({ defaultMode: "bypassPermissions" });
    expect(decide(compilePolicy(r.policy), { exec: "rm -rf /" })).toBe("ask");
    expect(r.report).toEqual([
      expect.objectContaining({ level: "unmapped", source: "defaultMode: bypassPermissions" }),
    ]);
  });

  it("bare tools: Bash, Read, Edit, WebFetch, mcp server", () => {
    const r = run({ deny: ["WebFetch", "Edit"], allow: ["Bash", "Bash(*)"], ask: ["Read"] });
    const p = compilePolicy(r.policy);
    expect(decide(p, { exec: "anything --at all" })).toBe("allow");
    expect(decide(p, { read: "/etc/passwd" })).toBe("ask");
    expect(decide(p, { write: `${WS}/x` })).toBe("deny");
    expect(decide(p, { connect: "example.com:443" })).toBe("deny");
    expect(r.report.filter((n) => n.level === "unmapped")).toEqual([]);
  });

  it("no permissions at all: defaults only, and a note", () => {
    const r = importClaudeCode('{ "model": "opus" }', { file: "s.json" });
    expect(compilePolicy(r.policy).ruleCount).toBe(0);
    expect(r.report[0]!.message).toMatch(/no `permissions`/);
  });

  it("Bash specifiers", () => {
    expect(bashPattern("npm run test:*")).toEqual({
      pattern: "npm run test *",
      approximations: [],
    });
    expect(bashPattern("git commit *")).toEqual({ pattern: "git commit *", approximations: [] });
    expect(bashPattern("ls*")).toEqual({ pattern: "ls* *", approximations: [] });
    expect(bashPattern("*")).toEqual({ pattern: "*", approximations: [] });
    expect(bashPattern(`git commit -m "fix *"`)).toEqual({
      pattern: "git commit -m 'fix *'",
      approximations: [],
    });
    expect(bashPattern("a | b")).toEqual({ unmapped: expect.stringMatching(/compound/) });
    expect(bashPattern("echo 'x")).toEqual({ unmapped: expect.stringMatching(/split/) });
  });

  it("Read/Edit paths", () => {
    expect(claudePath("//etc/passwd", "deny")).toEqual({
      patterns: ["/etc/passwd", "/etc/passwd/**"],
      infos: [],
    });
    expect(claudePath("~/Documents/*.pdf", "allow")).toEqual({
      patterns: ["~/Documents/*.pdf"],
      infos: [],
    });
    expect(claudePath("./src/**", "allow")).toEqual({
      patterns: ["${workspace}/src/**"],
      infos: [],
    });
    expect(claudePath("*.env", "deny")).toEqual({
      patterns: ["${workspace}/*.env", "${workspace}/**/*.env"],
      infos: [],
    });
    expect(claudePath("build/", "deny")).toEqual({
      patterns: ["${workspace}/build/**", "${workspace}/**/build/**"],
      infos: [],
    });
    // allow keeps single-segment dir/** anchored; deny/ask match it at any depth.
    expect(claudePath("dist/**", "allow")).toEqual({
      patterns: ["${workspace}/dist/**"],
      infos: [],
    });
    expect(claudePath("dist/**", "ask")).toEqual({
      patterns: ["${workspace}/dist/**", "${workspace}/**/dist/**"],
      infos: [],
    });
    expect(claudePath("../x", "deny")).toEqual({ unmapped: expect.stringMatching(/above/) });
  });
});

describe("importClaudeCode: bad input", () => {
  const error = (text: string): ImportSyntaxError => {
    try {
      importClaudeCode(text, { file: "settings.json" });
    } catch (e) {
      return e as ImportSyntaxError;
    }
    throw new Error("no error");
  };

  it("a JSON syntax error names line and column", () => {
    const e = error('{\n  "permissions": {\n    "allow": ["Bash(ls)",]\n  }\n}');
    expect(e).toBeInstanceOf(ImportSyntaxError);
    expect(e.code).toBe("IMPORT_PARSE");
    expect(e.message).toBe("settings.json:3:26: trailing comma before `]`");
  });

  it("an unterminated string, and garbage", () => {
    expect(error('{"permissions": {"allow": ["Bash(ls)').message).toMatch(
      /^settings\.json:1:28: unterminated string/,
    );
    expect(error("not json").message).toBe(
      "settings.json:1:1: unexpected `n`: expected a JSON value",
    );
  });

  it("wrong shapes", () => {
    expect(error("[]").message).toMatch(/must be a JSON object/);
    expect(error('{"permissions": []}').message).toMatch(/`permissions` must be an object/);
    expect(error('{\n"permissions": {\n"deny": "Bash"}}').message).toBe(
      "settings.json:3: `permissions.deny` must be an array of rule strings",
    );
  });
});
