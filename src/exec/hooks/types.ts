/**
 * Hook adapters (issue 3, "Hook adapters"): what every agent adapter shares.
 *
 * An adapter is pure: `parse` turns the agent's hook payload into Warden requests (or throws
 * HookPayloadError, which the caller turns into a deny), and `answer` turns a decision into the
 * bytes and exit code the agent reads. Reading stdin, deciding, auditing and failing closed live
 * in `warden hook` (src/cli/hook-command.ts), so that the adapters can be tested without a process.
 *
 * Every deny answer exits 2 with the reason on stderr, in addition to any JSON on stdout: exit 2
 * is the one "block" signal that Claude Code, Gemini CLI, Codex and Cursor (with failClosed) all
 * honour without parsing anything, so a deny stays a deny even if the agent cannot read our JSON.
 */
import { isAbsolute, resolve } from "node:path";
import type { Decision, Effect, Request } from "../../policy/index.js";

export const AGENTS = ["claude-code", "cursor", "gemini-cli", "codex"] as const;
export type AgentId = (typeof AGENTS)[number];

/** One tool call as Warden understands it. */
export interface HookCall {
  /** The hook event the agent fired (PreToolUse, beforeShellExecution, BeforeTool, …). */
  event: string;
  /** The agent's own tool name (Bash, run_shell_command, mcp__github__create_issue, …). */
  tool: string;
  session?: string;
  user?: string;
  /** The agent's working directory: context.workspace and context.cwd of every request. */
  cwd?: string;
  /** At least one; the strongest decision among them answers the call. */
  requests: Request[];
  /** The shell command line, when the call runs one (what `--sandbox-commands` rewrites). */
  shellCommand?: string;
  /** The tool's raw arguments, kept for answers that rewrite them. */
  input: Record<string, unknown>;
}

/** What the agent reads back: stdout, stderr and the exit code. */
export interface HookAnswer {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface AnswerOptions {
  /** Replacement shell command (sandbox routing), for agents that let a hook rewrite the call. */
  rewrite?: string;
}

export interface HookAdapter {
  readonly agent: AgentId;
  /** The matcher / events `warden install` registers, for --help and the install report. */
  readonly tools: readonly string[];
  /** Throws HookPayloadError for anything it does not understand. */
  parse(payload: unknown): HookCall;
  /** Whether the agent can ask its user for this call (else ask is answered as deny). */
  canAsk(call: HookCall | undefined): boolean;
  /** Whether the agent lets the hook rewrite this call's shell command. */
  canRewrite(call: HookCall | undefined): boolean;
  answer(decision: Decision, call: HookCall | undefined, options?: AnswerOptions): HookAnswer;
}

/** A payload the adapter does not understand: the call is denied with this message. */
export class HookPayloadError extends Error {
  override readonly name = "HookPayloadError";
}

// --- payload reading -------------------------------------------------------------------------

export type Json = Record<string, unknown>;

export function asObject(value: unknown, what: string): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HookPayloadError(`${what} is not a JSON object`);
  }
  return value as Json;
}

export function requireString(o: Json, key: string, where: string): string {
  const value = o[key];
  if (typeof value !== "string" || value.length === 0) {
    throw new HookPayloadError(`${where}.${key} is missing or not a non-empty string`);
  }
  return value;
}

export function optionalString(o: Json, key: string): string | undefined {
  const value = o[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** A path from the payload, made absolute against the agent's cwd. */
/**
 * The fields Claude Code, Codex and Gemini CLI share in a tool hook payload: the event (which
 * must be the one the adapter answers), the tool, its input, the session and the working
 * directory — and a builder for the HookCall that carries them.
 */
export interface ToolPayload {
  payload: Json;
  event: string;
  tool: string;
  input: Json;
  cwd: string | undefined;
  principal: { agent: AgentId; session?: string };
  context: { workspace?: string; cwd?: string; tool: string };
  call(requests: Request[], shellCommand?: string): HookCall;
}

export function readToolPayload(payload: unknown, agent: AgentId, expected: string): ToolPayload {
  const p = asObject(payload, "the hook payload");
  const event = requireString(p, "hook_event_name", "payload");
  if (event !== expected) throw new HookPayloadError(`hook event "${event}" is not ${expected}`);
  const tool = requireString(p, "tool_name", "payload");
  const input = asObject(p.tool_input, "payload.tool_input");
  const cwd = optionalString(p, "cwd");
  const session = optionalString(p, "session_id");
  return {
    payload: p,
    event,
    tool,
    input,
    cwd,
    principal: { agent, ...(session ? { session } : {}) },
    context: cwd ? { workspace: cwd, cwd, tool } : { tool },
    call: (requests, shellCommand) => ({
      event,
      tool,
      ...(session ? { session } : {}),
      ...(cwd ? { cwd } : {}),
      requests,
      ...(shellCommand === undefined ? {} : { shellCommand }),
      input,
    }),
  };
}

export function resolvePath(path: string, cwd: string | undefined, what: string): string {
  if (isAbsolute(path) || path === "~" || path.startsWith("~/")) return path;
  if (cwd === undefined || !isAbsolute(cwd)) {
    throw new HookPayloadError(`${what} "${path}" is relative and the payload has no absolute cwd`);
  }
  return resolve(cwd, path);
}

/** The directory a glob pattern can reach: its leading segments without glob characters. */
export function globBase(pattern: string): string {
  const segments = pattern.split("/");
  const fixed: string[] = [];
  for (const segment of segments) {
    if (/[*?[\]{}!]/.test(segment)) break;
    fixed.push(segment);
  }
  if (fixed.length === segments.length) return pattern;
  const base = fixed.join("/");
  return base === "" ? (pattern.startsWith("/") ? "/" : ".") : base;
}

/** `host` and `port` of an http(s) URL; throws for anything else. */
export function urlTarget(text: string, what: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HookPayloadError(`${what} "${text}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new HookPayloadError(`${what} "${text}" is not an http(s) URL`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  return { host, port };
}

/** Splits `mcp__server__tool` (Claude Code, Codex); null if the name has another shape. */
export function splitMcpName(name: string): { server: string; tool: string } | null {
  const m = /^mcp__(.+?)__(.+)$/.exec(name);
  return m ? { server: m[1]!, tool: m[2]! } : null;
}

// --- answers ---------------------------------------------------------------------------------

const AGENT_NAMES: Record<AgentId, string> = {
  "claude-code": "Claude Code",
  cursor: "Cursor",
  "gemini-cli": "Gemini CLI",
  codex: "Codex",
};

/**
 * The effect the agent is told: the decision's, except that `ask` becomes `deny` where the agent
 * cannot ask its user (DESIGN.md: a PEP that cannot ask anyone treats ask as deny).
 */
export function effectFor(decision: Decision, canAsk: boolean): Effect {
  return decision.effect === "ask" && !canAsk ? "deny" : decision.effect;
}

/** The sentence shown to the user and the model. */
export function reasonText(decision: Decision, agent: AgentId, canAsk: boolean): string {
  const rule = decision.rule === null ? "default" : `rule ${decision.rule}`;
  const where =
    decision.policy.name === "(none)" ? "" : ` [${rule}, policy ${decision.policy.name}]`;
  switch (decision.effect) {
    case "allow":
      return `Warden allowed this call: ${decision.reason}${where}`;
    case "deny":
      return `Warden denied this call: ${decision.reason}${where}`;
    case "ask":
      return canAsk
        ? `Warden needs your approval for this call: ${decision.reason}${where}`
        : `Warden denied this call: a human must approve it, and ${AGENT_NAMES[agent]} cannot ` +
            `ask for approval from this hook. ${decision.reason}${where}`;
  }
}

export function json(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** POSIX shell single-quoting: safe for any byte string except NUL. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * `<warden> run [--agent AGENT] -- bash -c '<command>'`: how an allowed command is routed into the
 * sandbox. `warden run` decides the command again, so it must be the same agent (roles).
 */
export function sandboxRewrite(command: string, warden: string, agent?: string): string {
  const named = agent === undefined ? "" : ` --agent ${shellQuote(agent)}`;
  return `${warden} run${named} -- bash -c ${shellQuote(command)}`;
}
