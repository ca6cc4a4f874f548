/**
 * The fast path of `warden hook <agent>`: a hook call is a process start per agent tool call, so
 * this module loads nothing but Node built-ins (and hook-command's small module). It reads the
 * payload, asks the user's warm decision daemon (`warden daemon`, src/cli/daemon.ts) over a unix
 * socket in $WARDEN_HOME/run, and prints its answer. Whenever the daemon cannot answer — not
 * running, another build, another environment, slow, a malformed reply — the call is decided in
 * this process exactly as before (hook-command.ts), and a daemon is started for the next call.
 * It never fails open: every path that does not print a daemon answer ends in the in-process
 * hook, which fails closed.
 *
 * The daemon is trusted only in a directory that this user owns and nobody else can enter
 * (0700), inside a $WARDEN_HOME that nobody else can write.
 */
import { lstatSync, statSync, writeSync } from "node:fs";
import { connect } from "node:net";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { HookAnswer } from "../exec/hooks/types.js";
import {
  type HookOptions,
  hook,
  parseTimeout,
  readStdin,
  wardenInvocation,
} from "./hook-command.js";

/** What the client sends: everything the in-process answer depends on besides files. */
export interface DaemonRequest {
  /** The build answering must be this one (see buildToken). */
  build: string;
  /** Environment the decision reads; the daemon serves only callers whose values equal its own. */
  env: DaemonEnv;
  agent: string;
  policy?: string;
  cwd: string;
  sandbox: boolean;
  invocation: string;
  text: string;
}

export type DaemonEnv = Record<(typeof ENV_KEYS)[number], string | null>;
export const ENV_KEYS = ["HOME", "WARDEN_HOME", "WARDEN_POLICY"] as const;

export type DaemonReply = { ok: true; answer: HookAnswer } | { ok: false; why: string };

/** $WARDEN_HOME as the CLI resolves it (locate.ts's wardenHome, without importing it). */
export function homeDir(): string {
  return process.env.WARDEN_HOME ?? join(homedir(), ".warden");
}

export function socketDir(home: string): string {
  return join(home, "run");
}

export function socketPath(home: string): string {
  return join(socketDir(home), "hook.sock");
}

export function currentEnv(): DaemonEnv {
  const env = {} as DaemonEnv;
  for (const key of ENV_KEYS) env[key] = process.env[key] ?? null;
  return env;
}

/** Identifies the built CLI on disk: its path and when its entry files were last written. */
export function buildToken(): string {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const parts = [dir];
  for (const file of ["main.js", "hook-command.js", "daemon.js", "enforce.js"]) {
    parts.push(String(statSync(join(dir, file), { throwIfNoEntry: false })?.mtimeMs ?? 0));
  }
  return parts.join(":");
}

/**
 * Whether `dir` is safe to hold the daemon's socket: a real directory owned by this user that
 * nobody else can enter, in a home nobody else can write. Anything else: decide in process.
 */
export function privateDir(home: string, dir: string): boolean {
  const d = lstatSync(dir, { throwIfNoEntry: false });
  return (
    ownHome(home) &&
    d?.isDirectory() === true &&
    d.uid === process.getuid?.() &&
    (d.mode & 0o077) === 0
  );
}

/** $WARDEN_HOME is a directory of this user's that nobody else can write. */
function ownHome(home: string): boolean {
  const h = lstatSync(home, { throwIfNoEntry: false });
  const uid = process.getuid?.();
  return uid !== undefined && h?.isDirectory() === true && h.uid === uid && (h.mode & 0o022) === 0;
}

/** The arguments the fast path understands; anything else goes to commander (null). */
export function parseHookArgs(
  args: readonly string[],
): { agent: string; options: HookOptions } | null {
  const options: HookOptions = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = name === arg ? undefined : arg.slice(eq + 1);
    if (name === "--policy" || name === "--timeout") {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith("-"))) return null;
      if (name === "--policy") options.policy = value;
      else options.timeout = value;
    } else if (arg === "--sandbox-commands") options.sandboxCommands = true;
    else if (arg === "--no-daemon") options.daemon = false;
    else if (arg.startsWith("-")) return null;
    else positional.push(arg);
  }
  if (positional.length !== 1) return null;
  return { agent: positional[0]!, options };
}

const AGENTS = ["claude-code", "cursor", "gemini-cli", "codex"];
/** How long the daemon may take before the call is decided in process instead (ms). */
const DAEMON_WAIT_MS = 2000;

/**
 * Answers the hook call and ends the process. Returns false (having done nothing) when the
 * arguments are not a plain hook call, so that commander reports usage and help as before.
 */
export async function runHook(args: readonly string[]): Promise<boolean> {
  const parsed = parseHookArgs(args);
  if (parsed === null) return false;
  const { agent, options } = parsed;

  // Until the in-process hook takes over (with its own handlers), a crash here is a deny.
  const crash = (error: unknown) =>
    write({
      stdout: "",
      stderr: `Warden denied this call: Warden crashed: ${error instanceof Error ? error.message : String(error)}\n`,
      exitCode: 2,
    });
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  let handedOver = false;
  const inProcess = (start?: Parameters<typeof hook>[2]) => {
    handedOver = true;
    process.off("uncaughtException", crash);
    process.off("unhandledRejection", crash);
    return hook(agent, options, start);
  };

  const mode = process.env.WARDEN_DAEMON;
  const timeoutMs = parseTimeout(options.timeout);
  const home = homeDir();
  if (
    mode === "0" ||
    options.daemon === false ||
    process.env.WARDEN_TEST_HOOK_FAULT !== undefined ||
    timeoutMs === null ||
    !AGENTS.includes(agent) ||
    // Relative paths would be resolved against the daemon's directory, not this one.
    !isAbsolute(home) ||
    (process.env.WARDEN_POLICY !== undefined && !isAbsolute(process.env.WARDEN_POLICY)) ||
    (options.policy !== undefined && !isAbsolute(options.policy))
  ) {
    await inProcess();
    return true;
  }

  const deadlineAt = performance.now() + timeoutMs;
  const text = readStdin();
  const inProcessNow = () => inProcess({ text, deadlineAt });
  // The payload never arrives: the in-process hook answers its deadline deny, in format.
  const stdinDeadline = setTimeout(inProcessNow, timeoutMs);
  let payload: string | null;
  try {
    payload = await text;
  } catch {
    payload = null; // the in-process hook meets the same error and answers it
  }
  clearTimeout(stdinDeadline);
  if (handedOver) return true;
  if (payload === null) {
    await inProcessNow();
    return true;
  }

  let why: string;
  try {
    why = await viaDaemon(home, agent, options, payload, deadlineAt);
  } catch (error) {
    why = error instanceof Error ? error.message : String(error);
  }
  if (mode === "required") {
    // Test seam: shows that the daemon answered, by failing closed when it did not.
    write({ stdout: "", stderr: `Warden denied this call: daemon: ${why}\n`, exitCode: 2 });
  }
  // Not running (or never started here): start one for the next calls. A socket directory that
  // is not private is left alone; calls are decided in process until someone fixes it.
  if (why === "no daemon") await startDaemon();
  await inProcessNow();
  return true;
}

/** Prints the daemon's answer and exits, or returns why it could not answer. */
async function viaDaemon(
  home: string,
  agent: string,
  options: HookOptions,
  text: string,
  deadlineAt: number,
): Promise<string> {
  const dir = socketDir(home);
  if (!privateDir(home, dir)) {
    const missing = lstatSync(dir, { throwIfNoEntry: false }) === undefined;
    return missing && ownHome(home) ? "no daemon" : "no private socket directory";
  }
  const request: DaemonRequest = {
    build: buildToken(),
    env: currentEnv(),
    agent,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    cwd: process.cwd(),
    sandbox: options.sandboxCommands === true || process.env.WARDEN_SANDBOX_COMMANDS === "1",
    invocation: wardenInvocation(),
    text,
  };
  const wait = Math.min(DAEMON_WAIT_MS, (deadlineAt - performance.now()) / 2);
  const reply = await ask(socketPath(home), request, wait);
  if (reply.ok) write(reply.answer);
  return reply.why;
}

function write(answer: HookAnswer): never {
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

/** One request, one reply; anything unexpected is a reason to decide in process. */
function ask(path: string, request: DaemonRequest, waitMs: number): Promise<DaemonReply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const end = (reply: DaemonReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => end({ ok: false, why: "daemon too slow" }), waitMs);
    const socket = connect(path);
    socket.on("connect", () => socket.end(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      end({
        ok: false,
        why: error.code === "ENOENT" || error.code === "ECONNREFUSED" ? "no daemon" : error.message,
      }),
    );
    socket.on("close", () => {
      try {
        end(checkReply(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      } catch {
        end({ ok: false, why: "no reply" });
      }
    });
  });
}

function checkReply(reply: unknown): DaemonReply {
  const r = reply as { ok?: unknown; why?: unknown; answer?: Partial<HookAnswer> };
  if (r.ok === true && r.answer !== undefined) {
    const { stdout, stderr, exitCode } = r.answer;
    if (typeof stdout === "string" && typeof stderr === "string" && Number.isInteger(exitCode))
      return { ok: true, answer: { stdout, stderr, exitCode: exitCode as number } };
  }
  return { ok: false, why: typeof r.why === "string" ? r.why : "malformed reply" };
}

/** Starts `warden daemon` in the background for the next calls; never waits for it. */
async function startDaemon(): Promise<void> {
  try {
    const { spawn } = await import("node:child_process");
    const main = fileURLToPath(new URL("./main.js", import.meta.url));
    const child = spawn(process.execPath, [main, "daemon"], {
      detached: true,
      stdio: "ignore",
      cwd: "/",
      env: process.env,
    });
    child.on("error", () => {});
    child.unref();
  } catch {
    // the call is decided in process anyway
  }
}
