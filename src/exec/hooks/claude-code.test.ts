import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../policy/index.js";
import { claudeCode } from "./claude-code.js";
import { HookPayloadError, sandboxRewrite } from "./types.js";

const POLICY = { name: "p", version: "1", digest: "sha256:x" };
const decision = (effect: Decision["effect"], rule: string | null = "r"): Decision => ({
  effect,
  rule,
  matched: rule ? [rule] : [],
  reason: "Because.",
  policy: POLICY,
});
const payload = (tool_name: string, tool_input: unknown, extra: object = {}) => ({
  session_id: "sess-1",
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/proj",
  permission_mode: "default",
  hook_event_name: "PreToolUse",
  tool_name,
  tool_input,
  tool_use_id: "toolu_1",
  ...extra,
});
const principal = { agent: "claude-code", session: "sess-1" };
const context = (tool: string) => ({ workspace: "/work/proj", cwd: "/work/proj", tool });

describe("claude-code adapter: payloads", () => {
  it("maps Bash to an exec request with the payload's cwd", () => {
    const call = claudeCode.parse(payload("Bash", { command: "git status", description: "d" }));
    expect(call.requests).toEqual([
      {
        kind: "exec",
        principal,
        target: { command: "git status", cwd: "/work/proj" },
        context: context("Bash"),
      },
    ]);
    expect(call.shellCommand).toBe("git status");
    expect(call.session).toBe("sess-1");
  });

  it("maps file tools to fs.read / fs.write, resolving relative paths against cwd", () => {
    const kinds = (tool: string, input: object) =>
      claudeCode.parse(payload(tool, input)).requests.map((r) => [r.kind, r.target]);
    expect(kinds("Read", { file_path: "/etc/passwd" })).toEqual([
      ["fs.read", { path: "/etc/passwd" }],
    ]);
    expect(kinds("Write", { file_path: "src/a.ts", content: "x" })).toEqual([
      ["fs.write", { path: "/work/proj/src/a.ts" }],
    ]);
    expect(kinds("Edit", { file_path: "/w/a", old_string: "a", new_string: "b" })[0]![0]).toBe(
      "fs.write",
    );
    expect(kinds("MultiEdit", { file_path: "/w/a", edits: [] })[0]![0]).toBe("fs.write");
    expect(kinds("NotebookEdit", { notebook_path: "/w/n.ipynb", new_source: "" })).toEqual([
      ["fs.write", { path: "/w/n.ipynb" }],
    ]);
    expect(kinds("Glob", { pattern: "**/*.ts" })).toEqual([["fs.read", { path: "/work/proj" }]]);
    expect(kinds("Glob", { pattern: "/root/.ssh/*" })).toEqual([
      ["fs.read", { path: "/root/.ssh" }],
    ]);
    expect(kinds("Glob", { pattern: "../other/**", path: "/work/proj/sub" })).toEqual([
      ["fs.read", { path: "/work/proj/other" }],
    ]);
    expect(kinds("Grep", { pattern: "TODO" })).toEqual([["fs.read", { path: "/work/proj" }]]);
    expect(kinds("Grep", { pattern: "k", path: "/home/u/.aws" })).toEqual([
      ["fs.read", { path: "/home/u/.aws" }],
    ]);
  });

  it("maps WebFetch to net.connect on the URL's host and port", () => {
    const target = (url: string) =>
      claudeCode.parse(payload("WebFetch", { url, prompt: "p" })).requests[0]!.target;
    expect(target("https://docs.example.com/a?b")).toEqual({ host: "docs.example.com", port: 443 });
    expect(target("http://example.com:8080/")).toEqual({ host: "example.com", port: 8080 });
    expect(target("http://[::1]/")).toEqual({ host: "::1", port: 80 });
  });

  it("maps MCP tools and WebSearch to mcp.call with the tool input as args", () => {
    const mcp = claudeCode.parse(payload("mcp__github_enterprise__create_issue", { title: "t" }));
    expect(mcp.requests[0]).toMatchObject({
      kind: "mcp.call",
      target: { server: "github_enterprise", tool: "create_issue", args: { title: "t" } },
    });
    const search = claudeCode.parse(payload("WebSearch", { query: "warden" }));
    expect(search.requests[0]!.target).toEqual({
      server: "claude-code",
      tool: "WebSearch",
      args: { query: "warden" },
    });
  });

  it("refuses payloads it does not understand, saying why", () => {
    const bad = (p: unknown) => () => claudeCode.parse(p);
    expect(bad(null)).toThrow(new HookPayloadError("the hook payload is not a JSON object"));
    expect(bad(payload("Bash", {}))).toThrow("tool_input.command is missing");
    expect(bad(payload("Task", { prompt: "x" }))).toThrow(
      `does not know Claude Code's tool "Task"`,
    );
    expect(bad(payload("Bash", { command: "ls" }, { hook_event_name: "PostToolUse" }))).toThrow(
      `"PostToolUse" is not PreToolUse`,
    );
    expect(bad(payload("Bash", "ls"))).toThrow("payload.tool_input is not a JSON object");
    expect(bad(payload("Read", { file_path: "a" }, { cwd: undefined }))).toThrow("relative");
    expect(bad(payload("WebFetch", { url: "file:///etc/passwd" }))).toThrow("not an http(s) URL");
  });
});

describe("claude-code adapter: answers", () => {
  const call = claudeCode.parse(payload("Bash", { command: "ls", timeout: 5 }));
  const out = (reason: string, permissionDecision: string, extra: object = {}) =>
    `${JSON.stringify({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision,
        permissionDecisionReason: reason,
        ...extra,
      },
    })}\n`;

  it("answers allow and ask with exit 0 and JSON", () => {
    expect(claudeCode.answer(decision("allow"), call)).toEqual({
      stdout: out("Warden allowed this call: Because. [rule r, policy p]", "allow"),
      stderr: "",
      exitCode: 0,
    });
    expect(claudeCode.answer(decision("ask"), call)).toEqual({
      stdout: out("Warden needs your approval for this call: Because. [rule r, policy p]", "ask"),
      stderr: "",
      exitCode: 0,
    });
  });

  it("answers deny with exit 2 and the reason on stderr, plus the deny JSON", () => {
    const reason = "Warden denied this call: Because. [default, policy p]";
    expect(claudeCode.answer(decision("deny", null), call)).toEqual({
      stdout: out(reason, "deny"),
      stderr: `${reason}\n`,
      exitCode: 2,
    });
  });

  it("rewrites allowed Bash commands through warden run, keeping the other inputs", () => {
    const rewrite = sandboxRewrite("ls", "/w/warden");
    expect(claudeCode.answer(decision("allow"), call, { rewrite }).stdout).toBe(
      out("Warden allowed this call: Because. [rule r, policy p]", "allow", {
        updatedInput: { command: "/w/warden run -- bash -c 'ls'", timeout: 5 },
      }),
    );
    expect(claudeCode.answer(decision("deny"), call, { rewrite }).stdout).not.toContain(
      "updatedInput",
    );
  });
});

describe("sandboxRewrite", () => {
  it("quotes any command so that bash -c runs exactly it", () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-rewrite-"));
    // A stand-in for `warden run --`: drop "run --" and exec the rest.
    const stub = join(dir, "warden stub");
    writeFileSync(stub, '#!/bin/sh\nshift 2\nexec "$@"\n');
    chmodSync(stub, 0o755);
    const warden = `'${stub}'`;
    for (const command of [
      "echo 'single' \"double\" $((1+2))",
      "printf '%s\\n' \"it's\" 'a'\\''b'",
      'X=1; echo "$X" `echo tick` $(echo sub)',
      "echo one\necho two",
    ]) {
      const direct = execFileSync("bash", ["-c", command], { encoding: "utf8" });
      const routed = execFileSync("bash", ["-c", sandboxRewrite(command, warden)], {
        encoding: "utf8",
      });
      expect(routed).toBe(direct);
    }
    expect(sandboxRewrite("it's", "warden")).toBe("warden run -- bash -c 'it'\\''s'");
    // warden run decides the command again: as the same agent.
    expect(sandboxRewrite("ls", "warden", "claude-code")).toBe(
      "warden run --agent 'claude-code' -- bash -c 'ls'",
    );
  });
});
