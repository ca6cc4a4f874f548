/**
 * Cursor hooks adapter: `beforeShellExecution`, `beforeMCPExecution`, `beforeReadFile`.
 *
 * Built against Cursor's hooks documentation (https://cursor.com/docs/agent/hooks, as summarised
 * in third-party references of 2026: cupcake.eqtylab.io/reference/harnesses/cursor for Cursor
 * 2.0.77 payloads, and a survey of agent hook formats checked against the Cursor docs page). The
 * Cursor client is closed source, so these formats could not be checked in its source.
 *
 * Input: common { hook_event_name, conversation_id, generation_id, workspace_roots[],
 * cursor_version?, user_email? } plus beforeShellExecution { command, cwd };
 * beforeMCPExecution { tool_name, tool_input (object, or a JSON string in older builds), url? |
 * command? } (the MCP server is identified by its url host or its command, as Cursor sends no
 * server name); beforeReadFile { file_path, content, attachments }.
 *
 * Output: { permission: "allow" | "deny" | "ask", user_message?, agent_message? } (snake_case in
 * the docs, not userMessage/agentMessage). beforeReadFile has no "ask": ask becomes deny, saying a
 * human must approve. A deny also exits 2 with the reason on stderr; Warden's hooks.json entries
 * carry `failClosed: true`, so a crash or timeout blocks too instead of Cursor's default allow.
 */
import { basename } from "node:path";
import type { Decision, Request } from "../../policy/index.js";
import {
  asObject,
  effectFor,
  type HookAdapter,
  type HookAnswer,
  type HookCall,
  HookPayloadError,
  json,
  optionalString,
  reasonText,
  requireString,
  resolvePath,
} from "./types.js";

export interface CursorHookInput {
  hook_event_name: "beforeShellExecution" | "beforeMCPExecution" | "beforeReadFile";
  conversation_id?: string;
  generation_id?: string;
  workspace_roots?: string[];
  user_email?: string;
  cursor_version?: string;
  command?: string;
  cwd?: string;
  tool_name?: string;
  tool_input?: Record<string, unknown> | string;
  url?: string;
  file_path?: string;
}

export interface CursorHookOutput {
  permission: "allow" | "deny" | "ask";
  user_message?: string;
  agent_message?: string;
}

export const CURSOR_EVENTS = [
  "beforeShellExecution",
  "beforeMCPExecution",
  "beforeReadFile",
] as const;

const AGENT = "cursor";

function parse(payload: unknown): HookCall {
  const p = asObject(payload, "the hook payload");
  const event = requireString(p, "hook_event_name", "payload");
  const session = optionalString(p, "conversation_id");
  const user = optionalString(p, "user_email");
  const roots = Array.isArray(p.workspace_roots) ? p.workspace_roots : [];
  const root = typeof roots[0] === "string" ? roots[0] : undefined;
  const cwd = optionalString(p, "cwd") ?? root;
  const principal = { agent: AGENT, ...(user ? { user } : {}), ...(session ? { session } : {}) };
  const context = {
    ...(root ? { workspace: root } : cwd ? { workspace: cwd } : {}),
    ...(cwd ? { cwd } : {}),
  };
  const base = { event, ...(session ? { session } : {}), ...(user ? { user } : {}) };
  const where = "payload";

  switch (event) {
    case "beforeShellExecution": {
      const command = requireString(p, "command", where);
      const request: Request = {
        kind: "exec",
        principal,
        target: { command, ...(cwd ? { cwd } : {}) },
        context: { ...context, tool: "shell" },
      };
      return {
        ...base,
        tool: "shell",
        ...(cwd ? { cwd } : {}),
        requests: [request],
        shellCommand: command,
        input: { command },
      };
    }
    case "beforeMCPExecution": {
      const tool = requireString(p, "tool_name", where);
      let args: unknown = p.tool_input ?? {};
      if (typeof args === "string") {
        try {
          args = JSON.parse(args);
        } catch {
          throw new HookPayloadError("payload.tool_input is a string that is not JSON");
        }
      }
      const input = asObject(args, "payload.tool_input");
      const server = serverOf(p);
      return {
        ...base,
        tool,
        ...(cwd ? { cwd } : {}),
        requests: [
          {
            kind: "mcp.call",
            principal,
            target: { server, tool, args: input },
            context: { ...context, tool },
          },
        ],
        input,
      };
    }
    case "beforeReadFile": {
      const path = resolvePath(requireString(p, "file_path", where), cwd, "file_path");
      return {
        ...base,
        tool: "read",
        ...(cwd ? { cwd } : {}),
        requests: [
          { kind: "fs.read", principal, target: { path }, context: { ...context, tool: "read" } },
        ],
        input: { file_path: path },
      };
    }
    default:
      throw new HookPayloadError(`Warden does not handle Cursor's "${event}" hook`);
  }
}

/** Cursor names no MCP server: the host of its url, else the program its command runs. */
function serverOf(p: Record<string, unknown>): string {
  const named = optionalString(p, "server_name") ?? optionalString(p, "server");
  if (named) return named;
  const url = optionalString(p, "url");
  if (url) {
    try {
      return new URL(url).hostname;
    } catch {
      throw new HookPayloadError(`payload.url "${url}" is not a URL`);
    }
  }
  const command = optionalString(p, "command");
  const program = command
    ?.trim()
    .split(/\s+/)
    .find((word) => !/^(npx|uvx|node|python3?|-y)$/.test(word));
  if (program) return basename(program);
  throw new HookPayloadError("the payload names no MCP server (no url or command)");
}

const canAsk = (call: HookCall | undefined) =>
  call !== undefined && call.event !== "beforeReadFile";

function answer(decision: Decision, call: HookCall | undefined): HookAnswer {
  const ask = canAsk(call);
  const effect = effectFor(decision, ask);
  const reason = reasonText(decision, AGENT, ask);
  const out: CursorHookOutput = { permission: effect, user_message: reason, agent_message: reason };
  return effect === "deny"
    ? { stdout: json(out), stderr: `${reason}\n`, exitCode: 2 }
    : { stdout: json(out), stderr: "", exitCode: 0 };
}

export const cursor: HookAdapter = {
  agent: AGENT,
  tools: CURSOR_EVENTS,
  parse,
  canAsk,
  canRewrite: () => false,
  answer,
};
