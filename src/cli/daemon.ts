/**
 * `warden daemon`: the user's warm hook decider. A hook call is a process start per agent tool
 * call; most of its cost is loading the policy engine, the bash grammar and SQLite. The hook
 * client (hook-client.ts) started this process in the background on an earlier call; it keeps
 * those loaded, listens on $WARDEN_HOME/run/hook.sock (a 0700 directory, so only this user can
 * connect), and answers each payload through the same decideHook the in-process hook uses: the
 * policy file is read on every call and recompiled when its text changes, and the audit event is
 * appended and committed (AuditLog open, append, close, as in process) before the answer is sent.
 *
 * It serves only callers with this build and the same HOME / WARDEN_HOME / WARDEN_POLICY (the
 * client decides in process otherwise), answers one call at a time, and exits after an idle
 * period (WARDEN_DAEMON_IDLE seconds, default 300), when another build asks, or when its socket
 * is gone (its WARDEN_HOME was removed or another daemon took over).
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { isAbsolute, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";
import { loadAdapter } from "../exec/hooks/index.js";
import type { AgentId } from "../exec/hooks/types.js";
import {
  type CompiledPolicy,
  compilePolicy,
  forgetRealRoots,
  loadPolicy,
} from "../policy/index.js";
import { loadShellAnalyzer, type ShellAnalyzer } from "../shell/index.js";
import {
  buildToken,
  currentEnv,
  type DaemonReply,
  type DaemonRequest,
  ENV_KEYS,
  homeDir,
  privateDir,
  socketDir,
  socketPath,
} from "./hook-client.js";
import { decideHook, MAX_PAYLOAD } from "./hook-command.js";

const AGENTS: readonly string[] = ["claude-code", "cursor", "gemini-cli", "codex"];
const CHECK_MS = 2000;

export async function daemon(): Promise<number> {
  const home = homeDir();
  if (!isAbsolute(home)) throw new WardenError("DAEMON", "WARDEN_HOME must be an absolute path");
  const dir = socketDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!privateDir(home, dir))
    throw new WardenError("DAEMON", `${dir} must be a directory only this user can use`);
  const build = buildToken();
  const env = currentEnv();
  const idleSeconds = Number(process.env.WARDEN_DAEMON_IDLE);
  const idleMs = (Number.isFinite(idleSeconds) && idleSeconds > 0 ? idleSeconds : 300) * 1000;

  // Warm up what a call needs, so the first one is answered at full speed.
  await loadShellAnalyzer();
  await import("./enforce.js");
  for (const agent of AGENTS) await loadAdapter(agent as AgentId);

  const path = socketPath(home);
  let queue: Promise<void> = Promise.resolve();
  let lastUse = Date.now();
  let stopping = false;
  /** Calls accepted and not yet answered. */
  let waiting = 0;
  // The client half-closes after its request; the reply goes back on the same connection.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    lastUse = Date.now();
    // A client that gives up resets the connection: not a crash.
    socket.on("error", () => {});
    // Requests are read side by side (a slow client holds up only itself) and decided one at
    // a time, in the order they arrived complete.
    readRequest(socket).then(
      (request) => {
        waiting++;
        queue = queue
          .then(() => serve(socket, request))
          .catch(() => {
            socket.destroy(); // one bad call never stops the queue
          })
          .finally(() => waiting--);
      },
      () => socket.destroy(),
    );
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(check);
    // Closing the server unlinks the socket path: only while that is still this daemon's socket
    // (a successor may have replaced it; exiting without closing leaves the path alone).
    if (lstatSync(path, { throwIfNoEntry: false })?.ino === inode) server.close();
    void queue.then(() => {
      dropLog();
      process.exit(0);
    });
  };

  async function serve(socket: Socket, request: DaemonRequest): Promise<void> {
    let reply: DaemonReply;
    try {
      reply = socket.destroyed ? { ok: false, why: "the client went away" } : await answer(request);
    } catch (error) {
      reply = { ok: false, why: error instanceof Error ? error.message : String(error) };
    }
    lastUse = Date.now();
    await new Promise<void>((done) => {
      socket.once("close", () => done()); // the client went away (it decides in process)
      socket.end(`${JSON.stringify(reply)}\n`, () => done());
    });
    // As the in-process hook's AuditLog.close() does: sign the head the new event is under
    // (after the answer, which waited only for the event's own durable commit). In a burst of
    // calls, the last one signs for all.
    if (unsigned && held !== undefined && waiting <= 1) {
      unsigned = false;
      try {
        held.log.checkpoint();
      } catch {
        dropLog();
      }
    }
    if (request.build !== build) stop();
  }

  async function answer(request: DaemonRequest): Promise<DaemonReply> {
    if (request.build !== build) return { ok: false, why: "another build" };
    if (ENV_KEYS.some((key) => request.env[key] !== env[key]))
      return { ok: false, why: "another environment" };
    if (!AGENTS.includes(request.agent)) return { ok: false, why: "unknown agent" };
    forgetRealRoots();
    const started = performance.now();
    const agent = request.agent as AgentId;
    const adapter = await loadAdapter(agent);
    const result = await decideHook(
      agent,
      adapter,
      request.text,
      request.policy === undefined ? {} : { policy: request.policy },
      {
        cwd: request.cwd,
        sandbox: request.sandbox,
        invocation: request.invocation,
        started,
        loadPolicy: compiled,
        audit: { open: openLog, release: releaseLog },
      },
    );
    return { ok: true, answer: result };
  }

  await listen(server, path);
  const inode = lstatSync(path).ino;
  const check = setInterval(() => {
    const now = lstatSync(path, { throwIfNoEntry: false });
    if (now === undefined || now.ino !== inode || Date.now() - lastUse > idleMs) stop();
  }, CHECK_MS);
  await new Promise(() => {});
  return 0;
}

/**
 * The audit log, kept open between calls (AuditLog supports other processes appending to the
 * same log meanwhile). Reopened when audit.db or the signing key is not the file it opened, as a
 * fresh process would, and after any failed append.
 */
let held: { log: AuditLog; files: string } | undefined;
let unsigned = false;

/** Which files the log is: audit.db by device and inode (its mtime moves with every commit). */
function fileIds(): string {
  const home = resolve(homeDir());
  const id = (name: string, withMtime: boolean) => {
    const s = statSync(join(home, name), { throwIfNoEntry: false });
    return s === undefined ? "-" : `${s.dev}:${s.ino}${withMtime ? `:${s.mtimeMs}` : ""}`;
  };
  return `${id("audit.db", false)} ${id("audit.key", true)}`;
}

function openLog(): AuditLog {
  if (held !== undefined) {
    if (fileIds() === held.files) return held.log;
    dropLog();
  }
  const log = AuditLog.open();
  held = { log, files: fileIds() };
  return log;
}

function releaseLog(_log: AuditLog, failed: boolean): void {
  if (failed) dropLog();
  else unsigned = true;
}

function dropLog(): void {
  const h = held;
  held = undefined;
  unsigned = false;
  try {
    h?.log.close();
  } catch {
    // the next call reopens
  }
}

/** The last compile of each policy file, reused while the file's text is unchanged. */
const compiledPolicies = new Map<
  string,
  { text: string; shell: ShellAnalyzer | undefined; policy: CompiledPolicy }
>();

/** loadPolicy, remembering the result: the same text always compiles to the same policy. */
function compiled(path: string, shell: ShellAnalyzer | undefined): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return loadPolicy(path, { shell }); // throws loadPolicy's own error for an unreadable file
  }
  const key = `${shell === undefined ? "-" : "+"}${path}`;
  const hit = compiledPolicies.get(key);
  if (hit !== undefined && hit.text === text && hit.shell === shell) return hit.policy;
  const policy = compilePolicy(text, { shell, file: path });
  if (compiledPolicies.size >= 16) compiledPolicies.clear();
  compiledPolicies.set(key, { text, shell, policy });
  return policy;
}

function readRequest(socket: Socket): Promise<DaemonRequest> {
  return new Promise((resolve, reject) => {
    socket.once("close", () => reject(new Error("the client went away")));
    // A client that never finishes its request is cut off.
    socket.setTimeout(5000, () => socket.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // JSON escaping can grow a payload up to 6×; a bigger request is refused.
      if (size > 6 * MAX_PAYLOAD + 65536) {
        socket.destroy();
        reject(new Error("request too large"));
      } else chunks.push(chunk);
    });
    socket.on("end", () => {
      socket.setTimeout(0);
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as DaemonRequest;
        const r = request as Partial<DaemonRequest> | null;
        const fields = [r?.build, r?.agent, r?.cwd, r?.text, r?.invocation];
        if (
          fields.some((f) => typeof f !== "string") ||
          typeof r?.sandbox !== "boolean" ||
          typeof r.env !== "object" ||
          r.env === null ||
          (r.policy !== undefined && typeof r.policy !== "string")
        )
          throw new Error("malformed request");
        resolve(request);
      } catch (error) {
        reject(error);
      }
    });
    socket.on("error", reject);
  });
}

/** Listens on `path`; a live daemon there means this one is not needed (exit 0). */
async function listen(server: Server, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, () => {
          server.off("error", reject);
          resolve();
        });
      });
      chmodSync(path, 0o600);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 0) throw error;
      if (await alive(path)) process.exit(0);
      unlinkSync(path); // a stale socket left by a daemon that died
    }
  }
}

function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
