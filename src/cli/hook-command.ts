/**
 * `warden hook <agent>`: the agent's hook program. Reads the hook payload on stdin, decides it
 * through the policy, writes one audit event, and answers in the agent's format.
 *
 * It fails closed even when Warden itself breaks. Claude Code, Gemini CLI and Codex treat any exit
 * code other than 2 as "proceed", so every way this process can end — a payload it does not
 * understand, a missing or broken policy, an audit log it cannot write, an exception nobody
 * caught, a stdin that never closes — ends in the agent's deny: exit 2, the reason on stderr, and
 * the deny JSON on stdout where the agent reads one. Output is written with writeSync so that it
 * is complete before the process exits.
 */
import { writeSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import type { AgentId, HookAdapter, HookAnswer, HookCall } from "../exec/hooks/types.js";
import type { EnforceInput } from "./enforce.js";

const AGENT_IDS: readonly string[] = ["claude-code", "cursor", "gemini-cli", "codex"];
export const MAX_PAYLOAD = 16 * 1024 * 1024;

export interface HookOptions {
  policy?: string;
  timeout?: string;
  sandboxCommands?: boolean;
  /** false (`--no-daemon`): always decide in this process (hook-client.ts). */
  daemon?: boolean;
}

let answered = false;

/** Writes the answer once and ends the process with its exit code. */
function finish(answer: HookAnswer): never {
  if (!answered) {
    answered = true;
    try {
      if (answer.stdout) writeSync(1, answer.stdout);
    } catch {
      // stdout closed: the exit code still carries the decision
    }
    try {
      if (answer.stderr) writeSync(2, answer.stderr);
    } catch {
      // ignore
    }
    process.exit(answer.exitCode);
  }
  process.exit(2);
}

/** A deny when even the adapter is unavailable: exit 2 + stderr blocks in all four agents. */
function bareDeny(reason: string): HookAnswer {
  return { stdout: "", stderr: `Warden denied this call: ${reason}\n`, exitCode: 2 };
}

/** What the in-process hook may be handed by the fast client (hook-client.ts). */
export interface HookStart {
  /** The payload being read (or already read) from stdin by the client; null if too large. */
  text: Promise<string | null>;
  /** performance.now() by which the answer is due (the client's --timeout deadline). */
  deadlineAt: number;
}

export async function hook(
  agentArg: string,
  options: HookOptions,
  start?: HookStart,
): Promise<number> {
  try {
    return await answerHook(agentArg, options, start);
  } catch (error) {
    // Any failure before an answer was written is a deny, never the CLI's generic exit 1.
    finish(bareDeny(`Warden failed: ${messageOf(error)}`));
  }
}

/** Where a hook answer is computed: this process, or the warm daemon on a client's behalf. */
export interface HookSetting {
  /** The hook process's working directory (where a payload without cwd finds its policy). */
  cwd: string;
  /** --sandbox-commands or WARDEN_SANDBOX_COMMANDS=1. */
  sandbox: boolean;
  /** The command line that runs the hook process's CLI (for sandbox rewrites). */
  invocation: string;
  /** performance.now() when the call started, for the event's latencyUs. */
  started: number;
  /** Compiles the policy file (default loadPolicy; the daemon keeps the last one compiled). */
  loadPolicy?: EnforceInput["loadPolicy"];
  /** Where the event goes (default: the audit log opened for this call). */
  audit?: EnforceInput["audit"];
  beforeAudit?: () => void;
  /** Told the parsed call as soon as there is one (for crash answers in its format). */
  onCall?: (call: HookCall) => void;
}

/**
 * The answer to one hook payload: parse it, decide it, append its audit event, format the
 * answer. Shared by the in-process hook and the daemon, so that both answer the same bytes.
 */
export async function decideHook(
  agent: AgentId,
  adapter: HookAdapter,
  text: string | null,
  options: HookOptions,
  setting: HookSetting,
): Promise<HookAnswer> {
  const { enforce, messageOf: describe } = await import("./enforce.js");
  let call: HookCall | undefined;
  let invalid: string | undefined;
  if (text === null) invalid = `the hook payload is larger than ${MAX_PAYLOAD} bytes`;
  else {
    try {
      call = adapter.parse(JSON.parse(text));
      setting.onCall?.(call);
    } catch (error) {
      invalid = `Warden could not understand the ${agent} hook payload: ${describe(error)}`;
    }
  }

  const result = await enforce({
    requests: call?.requests ?? null,
    ...(invalid === undefined ? {} : { invalid }),
    pep: `hook.${agent}`,
    principal: {
      agent,
      ...(call?.session ? { session: call.session } : {}),
      ...(call?.user ? { user: call.user } : {}),
    },
    fallbackTarget: { payload: text === null ? "(too large)" : text.slice(0, 4096) },
    context: call ? { tool: call.tool, event: call.event } : {},
    ...(options.policy === undefined ? {} : { policyFile: options.policy }),
    // A relative payload cwd is taken from the hook process's directory (the daemon's is `/`).
    cwd: call?.cwd === undefined ? setting.cwd : resolve(setting.cwd, call.cwd),
    started: setting.started,
    ...(setting.loadPolicy === undefined ? {} : { loadPolicy: setting.loadPolicy }),
    ...(setting.audit === undefined ? {} : { audit: setting.audit }),
    ...(setting.beforeAudit === undefined ? {} : { beforeAudit: setting.beforeAudit }),
  });
  const problems = result.problems.map((problem) => `warden: ${describe(problem)}\n`).join("");

  let rewrite: string | undefined;
  if (setting.sandbox && call?.shellCommand !== undefined && adapter.canRewrite(call)) {
    const { sandboxRewrite } = await import("../exec/hooks/types.js");
    rewrite = sandboxRewrite(call.shellCommand, setting.invocation, agent);
  }
  const answer = adapter.answer(result.decision, call, rewrite === undefined ? {} : { rewrite });
  return { ...answer, stderr: problems + answer.stderr };
}

async function answerHook(
  agentArg: string,
  options: HookOptions,
  start?: HookStart,
): Promise<never> {
  const started = performance.now();
  // This process answers one call and exits: compile the bash grammar (1.3 MB of WebAssembly)
  // with V8's baseline compiler only. Otherwise V8 also optimises all of it in the background
  // and the process waits for that before it can exit: about 0.5 s per call, for nothing.
  setFlagsFromString("--liftoff-only");
  let adapter: HookAdapter | undefined;
  let call: HookCall | undefined;

  const failClosed = (why: string): never => {
    if (adapter === undefined) finish(bareDeny(why));
    const { denial } = denialModule ?? { denial: fallbackDenial };
    finish(adapter.answer(denial(why), call));
  };
  process.on("uncaughtException", (error) => failClosed(`Warden crashed: ${messageOf(error)}`));
  process.on("unhandledRejection", (error) => failClosed(`Warden crashed: ${messageOf(error)}`));

  const timeoutMs = parseTimeout(options.timeout);
  if (timeoutMs === null)
    failClosed(`--timeout must be a number of seconds, got "${options.timeout}"`);
  const deadline = setTimeout(
    () => failClosed(`Warden did not decide within ${timeoutMs! / 1000} s`),
    start === undefined ? timeoutMs! : Math.max(0, start.deadlineAt - performance.now()),
  );

  if (!AGENT_IDS.includes(agentArg)) {
    failClosed(`unknown agent "${agentArg}" (expected one of ${AGENT_IDS.join(", ")})`);
  }
  const agent = agentArg as AgentId;
  const { loadAdapter } = await import("../exec/hooks/index.js");
  adapter = await loadAdapter(agent);
  denialModule = await import("./enforce.js");

  testFault("crash", () =>
    setImmediate(() => {
      throw new Error("injected crash (WARDEN_TEST_HOOK_FAULT=crash)");
    }),
  );
  if (process.env.WARDEN_TEST_HOOK_FAULT === "stall") {
    // Keep the event loop alive without ever answering: only the deadline can end this.
    setInterval(() => {}, 1 << 30);
    await new Promise(() => {});
  }

  const text = await (start?.text ?? readStdin());
  const answer = await decideHook(agent, adapter, text, options, {
    cwd: process.cwd(),
    sandbox: options.sandboxCommands === true || process.env.WARDEN_SANDBOX_COMMANDS === "1",
    invocation: wardenInvocation(),
    started,
    beforeAudit: () =>
      testFault("throw", () => {
        throw new Error("injected fault (WARDEN_TEST_HOOK_FAULT=throw)");
      }),
    onCall: (parsed) => {
      call = parsed;
    },
  });
  clearTimeout(deadline);
  finish(answer);
}

let denialModule: typeof import("./enforce.js") | undefined;

function fallbackDenial(reason: string) {
  return {
    effect: "deny" as const,
    rule: null,
    matched: [],
    reason,
    policy: { name: "(none)", version: "", digest: "" },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Test seam: `WARDEN_TEST_HOOK_FAULT=throw|crash|stall` breaks the hook on purpose so that tests
 * can show the call is still refused. Every fault can only turn an answer into a deny.
 */
function testFault(name: string, act: () => void): void {
  if (process.env.WARDEN_TEST_HOOK_FAULT === name) act();
}

export function parseTimeout(text: string | undefined): number | null {
  if (text === undefined) return 5000;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null;
}

/** The absolute command line that runs this CLI, shell-quoted: node + dist/cli/main.js. */
export function wardenInvocation(): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `${quote(process.execPath)} ${quote(process.argv[1] ?? "warden")}`;
}

export function readStdin(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdin.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD) {
        process.stdin.destroy();
        resolve(null);
      } else chunks.push(chunk);
    });
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}
