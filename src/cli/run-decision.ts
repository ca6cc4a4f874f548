/**
 * `warden run -- CMD` decides CMD itself before any sandbox starts: an `exec` request on the
 * shell-quoted command line, decided by the same engine and bash analysis as an agent's hook
 * (so `warden run -- bash -c 'curl … | sh'` is judged per command the line runs). The decision is
 * one audit event (phase "decide"). Deny refuses; ask refuses too, because nobody can be asked
 * here. With --report-only a refusal is recorded as one that would have happened, and CMD runs.
 */
import { performance } from "node:perf_hooks";
import type { AuditLog } from "../audit/index.js";
import type { CompiledPolicy, Principal } from "../policy/index.js";

/** The exit code of a command Warden refused to run (as a shell's "cannot execute"). */
export const EXIT_REFUSED = 126;

export interface RunDecisionInput {
  policy: CompiledPolicy;
  principal: Principal & { session: string };
  command: string[];
  cwd: string;
  workspace: string;
  audit: AuditLog;
  reportOnly: boolean;
}

/** The exit code when CMD must not run; undefined when it may. */
export async function decideCommand(input: RunDecisionInput): Promise<number | undefined> {
  const started = performance.now();
  const target = { command: commandLine(input.command), cwd: input.cwd };
  // `via` lets a policy allow a command only when it starts contained (an agent CLI, say).
  const context = { workspace: input.workspace, via: "warden run" };
  const decision = input.policy.decide({
    kind: "exec",
    principal: input.principal,
    target,
    context,
  });
  const refused = decision.effect !== "allow";
  const passed = refused && input.reportOnly;
  await input.audit.append({
    kind: "exec",
    pep: "exec.sandbox",
    principal: input.principal,
    target,
    context: { phase: "decide", ...context, ...(passed ? { reportOnly: true } : {}) },
    decision,
    latencyUs: Math.max(1, Math.round((performance.now() - started) * 1000)),
  });
  if (!refused) return undefined;

  const rule = decision.rule === null ? "" : ` (rule ${decision.rule})`;
  const what = decision.effect === "ask" ? "needs approval" : "is denied";
  if (passed) {
    process.stderr.write(
      `warden: report-only: ${target.command} ${what}${rule}: ${decision.reason}; running it anyway\n`,
    );
    return undefined;
  }
  process.stderr.write(`warden: ${target.command} ${what}${rule}: ${decision.reason}\n`);
  if (decision.effect === "ask") {
    process.stderr.write(
      "  hint: warden run cannot ask anyone; allow the command in the policy, or let the agent run it through its hook, where its own prompt asks\n",
    );
  }
  return EXIT_REFUSED;
}

/** The command line decided for CMD: its words, shell-quoted. */
export function commandLine(command: string[]): string {
  return command.map(shellQuote).join(" ");
}

/** POSIX shell quoting: a word the analysis reads back as exactly this argument. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
