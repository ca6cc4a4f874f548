/**
 * Claude Code `PreToolUse` adapter.
 *
 * Built against Claude Code 2.1.240 (anthropics/claude-code CHANGELOG.md, snapshot 2026-08-22)
 * and the hooks reference at https://code.claude.com/docs/en/hooks (PreToolUse input and
 * `hookSpecificOutput`), plus examples/settings/*.json for the managed keys.
 *
 * Input (stdin): { session_id, transcript_path, cwd, permission_mode, hook_event_name:
 * "PreToolUse", tool_name, tool_input, tool_use_id }. File paths in tool_input are absolute.
 *
 * Output: exit 0 with { hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision:
 * "allow" | "ask" | "deny", permissionDecisionReason, updatedInput? } }. A deny also exits 2 with
 * the reason on stderr: exit 2 is Claude Code's documented "block, show stderr to Claude" path
 * and does not depend on our JSON being parsed (any other non-zero code lets the call proceed).
 * Claude Code ignores stdout on exit 2; the JSON is there for readers of the transcript and
 * tests. `ask` is Claude Code's own permission prompt, with the reason shown in it.
 *
 * Tools: Bash → exec; Read/Glob/Grep/LS → fs.read; Write/Edit/MultiEdit/NotebookEdit →
 * fs.write; WebFetch → net.connect to the URL's host:port; WebSearch (run by Anthropic's servers,
 * not from this machine, so there is no host to decide) → mcp.call `claude-code/WebSearch` with
 * the query as args; `mcp__server__tool` → mcp.call server/tool with tool_input as args.
 */
import type { Decision, Request } from "../../policy/index.js";
import {
  type AnswerOptions,
  effectFor,
  globBase,
  type HookAdapter,
  type HookAnswer,
  type HookCall,
  HookPayloadError,
  json,
  optionalString,
  readToolPayload,
  reasonText,
  requireString,
  resolvePath,
  splitMcpName,
  urlTarget,
} from "./types.js";

export interface ClaudePreToolUseInput {
  session_id: string;
  transcript_path?: string;
  cwd: string;
  permission_mode?: string;
  hook_event_name: "PreToolUse";
  tool_name: string;
  tool_input: Record<string, unknown>;
  tool_use_id?: string;
}

export interface ClaudePreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: "PreToolUse";
    permissionDecision: "allow" | "ask" | "deny";
    permissionDecisionReason: string;
    updatedInput?: Record<string, unknown>;
  };
}

/** The tools `warden install claude-code` routes through the hook (its matcher). */
export const CLAUDE_TOOLS = [
  "Bash",
  "Read",
  "Write",
  "Edit",
  "MultiEdit",
  "NotebookEdit",
  "Glob",
  "Grep",
  "LS",
  "WebFetch",
  "WebSearch",
  "mcp__.*",
] as const;

const AGENT = "claude-code";

function parse(payload: unknown): HookCall {
  const { tool, input, cwd, principal, context, call } = readToolPayload(
    payload,
    AGENT,
    "PreToolUse",
  );
  const fs = (kind: "fs.read" | "fs.write", path: string): Request => ({
    kind,
    principal,
    target: { path: resolvePath(path, cwd, `tool_input path`) },
    context,
  });
  const where = "tool_input";

  switch (tool) {
    case "Bash": {
      const command = requireString(input, "command", where);
      return call(
        [{ kind: "exec", principal, target: { command, ...(cwd ? { cwd } : {}) }, context }],
        command,
      );
    }
    case "Read":
      return call([fs("fs.read", requireString(input, "file_path", where))]);
    case "Write":
    case "Edit":
    case "MultiEdit":
      return call([fs("fs.write", requireString(input, "file_path", where))]);
    case "NotebookEdit":
      return call([fs("fs.write", requireString(input, "notebook_path", where))]);
    case "Glob":
    case "Grep":
    case "LS": {
      const dir = optionalString(input, "path") ?? cwd;
      if (dir === undefined) throw new HookPayloadError(`${tool} has no path and no cwd`);
      const pattern = tool === "Glob" ? requireString(input, "pattern", where) : undefined;
      const base = resolvePath(dir, cwd, `${tool} path`);
      return call([fs("fs.read", pattern ? resolvePath(globBase(pattern), base, "Glob") : base)]);
    }
    case "WebFetch": {
      const target = urlTarget(requireString(input, "url", where), "WebFetch url");
      return call([{ kind: "net.connect", principal, target, context }]);
    }
    case "WebSearch":
      requireString(input, "query", where);
      return call([
        {
          kind: "mcp.call",
          principal,
          target: { server: "claude-code", tool: "WebSearch", args: input },
          context,
        },
      ]);
    default: {
      const mcp = splitMcpName(tool);
      if (mcp === null) {
        throw new HookPayloadError(`Warden does not know Claude Code's tool "${tool}"`);
      }
      return call([{ kind: "mcp.call", principal, target: { ...mcp, args: input }, context }]);
    }
  }
}

function answer(
  decision: Decision,
  call: HookCall | undefined,
  options?: AnswerOptions,
): HookAnswer {
  const effect = effectFor(decision, true);
  const reason = reasonText(decision, AGENT, true);
  const out: ClaudePreToolUseOutput = {
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: effect,
      permissionDecisionReason: reason,
    },
  };
  if (effect !== "deny" && options?.rewrite !== undefined && call?.tool === "Bash") {
    out.hookSpecificOutput.updatedInput = { ...call.input, command: options.rewrite };
  }
  return effect === "deny"
    ? { stdout: json(out), stderr: `${reason}\n`, exitCode: 2 }
    : { stdout: json(out), stderr: "", exitCode: 0 };
}

export const claudeCode: HookAdapter = {
  agent: AGENT,
  tools: CLAUDE_TOOLS,
  parse,
  canAsk: () => true,
  canRewrite: (call) => call?.tool === "Bash",
  answer,
};
