/**
 * Codex CLI `PreToolUse` adapter.
 *
 * Built against openai/codex `codex-rs/hooks` (as stored in mid-2026): events/pre_tool_use.rs,
 * engine/output_parser.rs, engine/discovery.rs, events/common.rs and
 * schema/generated/pre-tool-use.command.{input,output}.schema.json; hooks are on by default since
 * Codex 0.124.0 (per NVIDIA NeMo Guardrails' Codex hook guide).
 *
 * Input: { session_id, turn_id, transcript_path, cwd, hook_event_name: "PreToolUse", model,
 * permission_mode, tool_name, tool_input, tool_use_id }. Shell-like tools (Bash, apply_patch)
 * pass { command }; MCP tools (mcp__server__tool) pass their JSON arguments.
 *
 * Output: Codex accepts permissionDecision "deny" (with a non-empty reason) and "allow" only
 * together with updatedInput; "ask" and a bare "allow" are rejected as unsupported and the call
 * PROCEEDS. So: allow → no output, exit 0 (or allow + updatedInput for --sandbox-commands);
 * deny → the deny JSON, the reason on stderr and exit 2 (Codex blocks on exit 2 with a stderr
 * reason); ask → deny, with a reason saying a human must approve.
 *
 * Tools: Bash → exec; apply_patch → fs.write for every file the patch adds, updates, deletes or
 * moves to; mcp__server__tool → mcp.call server/tool with tool_input as args.
 */
import type { Decision } from "../../policy/index.js";
import {
  type AnswerOptions,
  effectFor,
  type HookAdapter,
  type HookAnswer,
  type HookCall,
  HookPayloadError,
  json,
  readToolPayload,
  reasonText,
  requireString,
  resolvePath,
  splitMcpName,
} from "./types.js";

export interface CodexPreToolUseInput {
  session_id: string;
  turn_id?: string;
  transcript_path?: string | null;
  cwd: string;
  hook_event_name: "PreToolUse";
  model?: string;
  permission_mode?: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
  tool_use_id?: string;
}

export interface CodexPreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: "PreToolUse";
    permissionDecision: "allow" | "deny";
    permissionDecisionReason?: string;
    updatedInput?: Record<string, unknown>;
  };
}

export const CODEX_TOOLS = ["Bash", "apply_patch", "mcp__.*"] as const;

const AGENT = "codex";
const PATCH_FILE = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm;

function parse(payload: unknown): HookCall {
  const { tool, input, cwd, principal, context, call } = readToolPayload(
    payload,
    AGENT,
    "PreToolUse",
  );

  if (tool === "Bash") {
    const command = requireString(input, "command", "tool_input");
    return call(
      [{ kind: "exec", principal, target: { command, ...(cwd ? { cwd } : {}) }, context }],
      command,
    );
  }
  if (tool === "apply_patch") {
    const patch = requireString(input, "command", "tool_input");
    const paths = [...patch.matchAll(PATCH_FILE)].map((m) => m[1]!.trim());
    if (paths.length === 0) throw new HookPayloadError("apply_patch names no file");
    return call(
      paths.map((path) => ({
        kind: "fs.write",
        principal,
        target: { path: resolvePath(path, cwd, "apply_patch path") },
        context,
      })),
    );
  }
  const mcp = splitMcpName(tool);
  if (mcp === null) throw new HookPayloadError(`Warden does not know Codex's tool "${tool}"`);
  return call([{ kind: "mcp.call", principal, target: { ...mcp, args: input }, context }]);
}

function answer(
  decision: Decision,
  call: HookCall | undefined,
  options?: AnswerOptions,
): HookAnswer {
  const effect = effectFor(decision, false);
  const reason = reasonText(decision, AGENT, false);
  if (effect === "deny") {
    const out: CodexPreToolUseOutput = {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: reason,
      },
    };
    return { stdout: json(out), stderr: `${reason}\n`, exitCode: 2 };
  }
  if (options?.rewrite !== undefined && call?.tool === "Bash") {
    const out: CodexPreToolUseOutput = {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        updatedInput: { ...call.input, command: options.rewrite },
      },
    };
    return { stdout: json(out), stderr: "", exitCode: 0 };
  }
  return { stdout: "", stderr: "", exitCode: 0 };
}

export const codex: HookAdapter = {
  agent: AGENT,
  tools: CODEX_TOOLS,
  parse,
  canAsk: () => false,
  canRewrite: (call) => call?.tool === "Bash",
  answer,
};
