/**
 * Gemini CLI `BeforeTool` adapter.
 *
 * Built against google-gemini/gemini-cli 0.56.0-nightly.20260806 (snapshot 2026-08-21):
 * docs/hooks/reference.md, packages/core/src/hooks/types.ts (HookDecision includes "ask";
 * BeforeToolInput/BeforeToolOutput, McpToolContext), packages/core/src/scheduler/hook-utils.ts
 * and scheduler.ts (an "ask" decision forces the user confirmation, with systemMessage shown),
 * packages/core/src/hooks/hookRunner.ts (exit 0: JSON parsed; 1: warning, proceed; other non-zero
 * including 2: block with stderr as reason) and tools/definitions/base-declarations.ts (tool and
 * parameter names).
 *
 * Input: { session_id, transcript_path, cwd, hook_event_name: "BeforeTool", timestamp, tool_name,
 * tool_input, mcp_context?: { server_name, tool_name, … }, original_request_name? }.
 * Output: { decision: "allow" | "ask" | "deny", reason?, systemMessage?, hookSpecificOutput?: {
 * hookEventName: "BeforeTool", tool_input } } — tool_input is merged over the model's arguments,
 * which is how --sandbox-commands rewrites run_shell_command. A deny also exits 2 with the
 * reason on stderr (Gemini's "System Block"), which blocks without parsing the JSON.
 *
 * Tools: run_shell_command → exec (cwd = dir_path against the payload cwd); read_file, glob,
 * grep_search (and its old name search_file_content), list_directory, read_many_files → fs.read;
 * write_file, replace → fs.write; web_fetch → net.connect for every URL in its prompt;
 * google_web_search (run by Google, not from this machine) → mcp.call `gemini-cli/
 * google_web_search`; MCP tools (mcp_context present) → mcp.call server/tool.
 */
import type { Decision, Request } from "../../policy/index.js";
import {
  type AnswerOptions,
  asObject,
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
  urlTarget,
} from "./types.js";

export interface GeminiBeforeToolInput {
  session_id: string;
  transcript_path?: string;
  cwd: string;
  hook_event_name: "BeforeTool";
  timestamp?: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
  mcp_context?: { server_name: string; tool_name: string; [k: string]: unknown };
  original_request_name?: string;
}

export interface GeminiBeforeToolOutput {
  decision: "allow" | "ask" | "deny";
  reason?: string;
  systemMessage?: string;
  hookSpecificOutput?: { hookEventName: "BeforeTool"; tool_input: Record<string, unknown> };
}

export const GEMINI_TOOLS = [
  "run_shell_command",
  "read_file",
  "write_file",
  "replace",
  "glob",
  "grep_search",
  "search_file_content",
  "list_directory",
  "read_many_files",
  "web_fetch",
  "google_web_search",
  "mcp_.*",
] as const;

const AGENT = "gemini-cli";
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`)\]]+/g;

function parse(payload: unknown): HookCall {
  const {
    payload: p,
    tool,
    input,
    cwd,
    principal,
    context,
    call,
  } = readToolPayload(payload, AGENT, "BeforeTool");
  const where = "tool_input";
  const fs = (kind: "fs.read" | "fs.write", path: string, base = cwd): Request => ({
    kind,
    principal,
    target: { path: resolvePath(path, base, `${tool} path`) },
    context,
  });
  const dirOf = (): string => {
    const dir = optionalString(input, "dir_path") ?? optionalString(input, "path") ?? cwd;
    if (dir === undefined) throw new HookPayloadError(`${tool} has no dir_path and no cwd`);
    return resolvePath(dir, cwd, `${tool} dir_path`);
  };

  if (p.mcp_context !== undefined) {
    const mcp = asObject(p.mcp_context, "payload.mcp_context");
    const server = requireString(mcp, "server_name", "mcp_context");
    const name = requireString(mcp, "tool_name", "mcp_context");
    return call([
      { kind: "mcp.call", principal, target: { server, tool: name, args: input }, context },
    ]);
  }
  switch (tool) {
    case "run_shell_command": {
      const command = requireString(input, "command", where);
      const dir = optionalString(input, "dir_path");
      const runIn = dir === undefined ? cwd : resolvePath(dir, cwd, "run_shell_command dir_path");
      return call(
        [
          {
            kind: "exec",
            principal,
            target: { command, ...(runIn ? { cwd: runIn } : {}) },
            context,
          },
        ],
        command,
      );
    }
    case "read_file": {
      const path = optionalString(input, "file_path") ?? optionalString(input, "absolute_path");
      if (path === undefined) throw new HookPayloadError("tool_input.file_path is missing");
      return call([fs("fs.read", path)]);
    }
    case "write_file":
    case "replace":
      return call([fs("fs.write", requireString(input, "file_path", where))]);
    case "glob":
      return call([fs("fs.read", globBase(requireString(input, "pattern", where)), dirOf())]);
    case "grep_search":
    case "search_file_content":
    case "list_directory":
      return call([fs("fs.read", dirOf())]);
    case "read_many_files": {
      const include = input.include ?? input.paths;
      if (!Array.isArray(include) || include.length === 0) {
        throw new HookPayloadError("tool_input.include is missing or empty");
      }
      return call(
        include.map((entry) => {
          if (typeof entry !== "string") throw new HookPayloadError("include holds a non-string");
          return fs("fs.read", globBase(entry));
        }),
      );
    }
    case "web_fetch": {
      const text = optionalString(input, "url") ?? requireString(input, "prompt", where);
      const urls = text.match(URL_IN_TEXT) ?? [];
      if (urls.length === 0) throw new HookPayloadError("web_fetch names no http(s) URL");
      return call(
        urls.map((u) => ({
          kind: "net.connect",
          principal,
          target: urlTarget(u, "web_fetch URL"),
          context,
        })),
      );
    }
    case "google_web_search":
      return call([
        {
          kind: "mcp.call",
          principal,
          target: { server: "gemini-cli", tool: "google_web_search", args: input },
          context,
        },
      ]);
    default:
      throw new HookPayloadError(`Warden does not know Gemini CLI's tool "${tool}"`);
  }
}

function answer(
  decision: Decision,
  call: HookCall | undefined,
  options?: AnswerOptions,
): HookAnswer {
  const effect = effectFor(decision, true);
  const reason = reasonText(decision, AGENT, true);
  if (effect === "deny") {
    const out: GeminiBeforeToolOutput = { decision: "deny", reason };
    return { stdout: json(out), stderr: `${reason}\n`, exitCode: 2 };
  }
  const out: GeminiBeforeToolOutput =
    effect === "ask" ? { decision: "ask", reason, systemMessage: reason } : { decision: "allow" };
  if (options?.rewrite !== undefined && call?.tool === "run_shell_command") {
    out.hookSpecificOutput = {
      hookEventName: "BeforeTool",
      tool_input: { ...call.input, command: options.rewrite },
    };
  }
  return { stdout: json(out), stderr: "", exitCode: 0 };
}

export const geminiCli: HookAdapter = {
  agent: AGENT,
  tools: GEMINI_TOOLS,
  parse,
  canAsk: () => true,
  canRewrite: (call) => call?.tool === "run_shell_command",
  answer,
};
