/**
 * What both ways of running CMD (bubblewrap in run-command.ts, Landlock or none in
 * run-fallback.ts) share once it has started: passing signals on, reading its exit, and the
 * run's exit event.
 */
import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { AuditLog } from "../audit/index.js";
import type { Principal } from "../policy/index.js";
import { EXIT } from "./output.js";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

/**
 * Catches the signals `warden run` passes on from the start of a run, so that one arriving before
 * CMD's sandbox takes them over does not kill warden run and orphan what it started: the first is
 * kept, and the run ends before CMD starts, as that signal would have ended it (`exitCode`).
 */
export function signalLatch(): { readonly exitCode: number | undefined; release(): void } {
  let first: NodeJS.Signals | undefined;
  const keep = (signal: NodeJS.Signals) => {
    first ??= signal;
  };
  for (const s of SIGNALS) process.on(s, keep);
  return {
    get exitCode() {
      return first === undefined ? undefined : 128 + (constants.signals[first] ?? 0);
    },
    release: () => {
      for (const s of SIGNALS) process.off(s, keep);
    },
  };
}

/**
 * Waits for `child` to end, passing the signals warden run receives to `forward` meanwhile.
 * Resolves to its exit code (128+N when signal N ended it; 127 when it could not be started).
 */
export async function waitForExit(
  child: ChildProcess,
  forward: (signal: NodeJS.Signals) => void,
): Promise<[number, NodeJS.Signals | null]> {
  for (const s of SIGNALS) process.on(s, forward);
  try {
    return await new Promise((done) => {
      child.once("error", (e: NodeJS.ErrnoException) => {
        process.stderr.write(`warden: cannot run ${child.spawnfile}: ${e.code ?? e.message}\n`);
        done([e.code === "ENOENT" ? 127 : EXIT.failure, null]);
      });
      child.once("exit", (code, signal) =>
        done([
          code ?? (signal === null ? EXIT.failure : 128 + (constants.signals[signal] ?? 0)),
          signal,
        ]),
      );
    });
  } finally {
    for (const s of SIGNALS) process.off(s, forward);
  }
}

export function recordExit(
  audit: AuditLog,
  run: {
    principal: Principal & { session: string };
    target: Record<string, unknown>;
    workspace: string;
    startedMs: number;
  },
  [exit, signal]: [number, NodeJS.Signals | null],
): Promise<unknown> {
  return audit.append({
    kind: "exec",
    pep: "exec.sandbox",
    principal: run.principal,
    target: run.target,
    context: {
      phase: "exit",
      workspace: run.workspace,
      exitCode: exit,
      signal,
      durationMs: Date.now() - run.startedMs,
    },
  });
}
