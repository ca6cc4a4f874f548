import { describe, expect, it } from "vitest";
import type { Decision } from "../../policy/index.js";
import { codex } from "./codex.js";
import { cursor } from "./cursor.js";
import { geminiCli } from "./gemini-cli.js";

const decision = (effect: Decision["effect"]): Decision => ({
  effect,
  rule: "r",
  matched: ["r"],
  reason: "Because.",
  policy: { name: "p", version: "1", digest: "sha256:x" },
});
const ALLOW = "Warden allowed this call: Because. [rule r, policy p]";
const ASK = "Warden needs your approval for this call: Because. [rule r, policy p]";
const DENY = "Warden denied this call: Because. [rule r, policy p]";

describe("gemini-cli adapter", () => {
  const base = { session_id: "s", cwd: "/w", hook_event_name: "BeforeTool" };
  const parse = (tool_name: string, tool_input: object, extra = {}) =>
    geminiCli.parse({ ...base, tool_name, tool_input, ...extra });

  it("maps its tools to requests", () => {
    const targets = (tool: string, input: object) =>
      parse(tool, input).requests.map((r) => [r.kind, r.target]);
    expect(targets("run_shell_command", { command: "ls", dir_path: "sub" })).toEqual([
      ["exec", { command: "ls", cwd: "/w/sub" }],
    ]);
    expect(targets("read_file", { file_path: "a.txt" })).toEqual([
      ["fs.read", { path: "/w/a.txt" }],
    ]);
    expect(targets("replace", { file_path: "/w/b", old_string: "a", new_string: "b" })).toEqual([
      ["fs.write", { path: "/w/b" }],
    ]);
    expect(targets("glob", { pattern: "src/**/*.ts" })).toEqual([["fs.read", { path: "/w/src" }]]);
    expect(targets("search_file_content", { pattern: "x" })).toEqual([["fs.read", { path: "/w" }]]);
    expect(targets("read_many_files", { include: ["docs/*.md", "/etc/hosts"] })).toEqual([
      ["fs.read", { path: "/w/docs" }],
      ["fs.read", { path: "/etc/hosts" }],
    ]);
    expect(
      targets("web_fetch", { prompt: "Summarise https://a.example/x and http://b.example:81" }),
    ).toEqual([
      ["net.connect", { host: "a.example", port: 443 }],
      ["net.connect", { host: "b.example", port: 81 }],
    ]);
    const mcp = parse(
      "mcp_gh_list",
      { q: 1 },
      { mcp_context: { server_name: "gh", tool_name: "list" } },
    );
    expect(mcp.requests[0]!.target).toEqual({ server: "gh", tool: "list", args: { q: 1 } });
    expect(() => parse("web_fetch", { prompt: "no url here" })).toThrow("names no http(s) URL");
    expect(() =>
      geminiCli.parse({ ...base, hook_event_name: "AfterTool", tool_name: "x", tool_input: {} }),
    ).toThrow("is not BeforeTool");
  });

  it("answers allow / ask / deny in Gemini's format", () => {
    const call = parse("run_shell_command", { command: "ls" });
    expect(geminiCli.answer(decision("allow"), call)).toEqual({
      stdout: '{"decision":"allow"}\n',
      stderr: "",
      exitCode: 0,
    });
    expect(geminiCli.answer(decision("ask"), call)).toEqual({
      stdout: `${JSON.stringify({ decision: "ask", reason: ASK, systemMessage: ASK })}\n`,
      stderr: "",
      exitCode: 0,
    });
    expect(geminiCli.answer(decision("deny"), call)).toEqual({
      stdout: `${JSON.stringify({ decision: "deny", reason: DENY })}\n`,
      stderr: `${DENY}\n`,
      exitCode: 2,
    });
  });
});

describe("cursor adapter", () => {
  const base = { conversation_id: "c", workspace_roots: ["/w"], user_email: "u@x" };
  it("maps shell, MCP and file-read hooks", () => {
    const shell = cursor.parse({
      ...base,
      hook_event_name: "beforeShellExecution",
      command: "ls",
      cwd: "/w/s",
    });
    expect(shell.requests[0]).toEqual({
      kind: "exec",
      principal: { agent: "cursor", user: "u@x", session: "c" },
      target: { command: "ls", cwd: "/w/s" },
      context: { workspace: "/w", cwd: "/w/s", tool: "shell" },
    });
    const mcp = cursor.parse({
      ...base,
      hook_event_name: "beforeMCPExecution",
      tool_name: "query",
      tool_input: { sql: "select 1" },
      url: "https://mcp.db.example/sse",
    });
    expect(mcp.requests[0]!.target).toEqual({
      server: "mcp.db.example",
      tool: "query",
      args: { sql: "select 1" },
    });
    const read = cursor.parse({
      ...base,
      hook_event_name: "beforeReadFile",
      file_path: ".env",
      content: "",
    });
    expect(read.requests[0]!.target).toEqual({ path: "/w/.env" });
    expect(() =>
      cursor.parse({ ...base, hook_event_name: "beforeMCPExecution", tool_name: "q" }),
    ).toThrow("names no MCP server");
  });

  it("answers with permission / user_message / agent_message; ask on reads is deny", () => {
    const shell = cursor.parse({ ...base, hook_event_name: "beforeShellExecution", command: "ls" });
    const out = (permission: string, m: string) =>
      `${JSON.stringify({ permission, user_message: m, agent_message: m })}\n`;
    expect(cursor.answer(decision("allow"), shell)).toEqual({
      stdout: out("allow", ALLOW),
      stderr: "",
      exitCode: 0,
    });
    expect(cursor.answer(decision("ask"), shell)).toEqual({
      stdout: out("ask", ASK),
      stderr: "",
      exitCode: 0,
    });
    expect(cursor.answer(decision("deny"), shell).exitCode).toBe(2);
    const read = cursor.parse({ ...base, hook_event_name: "beforeReadFile", file_path: "/w/a" });
    const askRead = cursor.answer(decision("ask"), read);
    expect(askRead.exitCode).toBe(2);
    expect(JSON.parse(askRead.stdout).permission).toBe("deny");
    expect(askRead.stderr).toContain("a human must approve it, and Cursor cannot ask");
    expect(cursor.answer(decision("allow"), shell, { rewrite: "x" }).stdout).toBe(
      out("allow", ALLOW),
    );
  });
});

describe("codex adapter", () => {
  const base = { session_id: "s", cwd: "/w", hook_event_name: "PreToolUse" };
  it("maps Bash, apply_patch and MCP tools", () => {
    const patch =
      "*** Begin Patch\n*** Update File: a.ts\n*** Move to: b.ts\n*** Delete File: /w/c\n*** End Patch";
    const files = codex.parse({
      ...base,
      tool_name: "apply_patch",
      tool_input: { command: patch },
    });
    expect(files.requests.map((r) => [r.kind, r.target])).toEqual([
      ["fs.write", { path: "/w/a.ts" }],
      ["fs.write", { path: "/w/b.ts" }],
      ["fs.write", { path: "/w/c" }],
    ]);
    const mcp = codex.parse({
      ...base,
      tool_name: "mcp__memory__create_entities",
      tool_input: { e: [] },
    });
    expect(mcp.requests[0]!.target).toEqual({
      server: "memory",
      tool: "create_entities",
      args: { e: [] },
    });
  });

  it("is silent on allow, rewrites with allow + updatedInput, and turns ask into deny", () => {
    const call = codex.parse({ ...base, tool_name: "Bash", tool_input: { command: "ls" } });
    expect(codex.answer(decision("allow"), call)).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(
      JSON.parse(
        codex.answer(decision("allow"), call, { rewrite: "w run -- bash -c 'ls'" }).stdout,
      ),
    ).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        updatedInput: { command: "w run -- bash -c 'ls'" },
      },
    });
    const ask = codex.answer(decision("ask"), call);
    expect(ask.exitCode).toBe(2);
    expect(JSON.parse(ask.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
    expect(ask.stderr).toContain("a human must approve it, and Codex cannot ask");
  });
});
