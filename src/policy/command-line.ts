import type { CommandAnalysis, SimpleCommand } from "../shell/index.js";
import {
  type Decision,
  EFFECT_STRENGTH,
  type Kind,
  type Request,
  type RequestOf,
} from "./types.js";

/**
 * A shell command line becomes parts: each command that will run and each file it reads or
 * writes, decided on its own. The line's decision is its strongest part's (deny > ask > allow).
 */
export interface CommandPart {
  /** What the part is, for reasons and explanations: `` `rm -rf /` (in bash -c) ``, `` write `~/.bashrc` ``. */
  subject: string;
  kind: Extract<Kind, "exec" | "fs.read" | "fs.write">;
  decision: Decision;
}

/**
 * Wrappers that only hand control to the command they run (which is a part of its own). When no
 * rule names one of them, its kind's default does not apply: `timeout 30 npm test` is decided as
 * `npm test`. Wrappers that add power of their own — `sudo`, `su`, `ssh`, `chroot`, `unshare`… —
 * are not here, so they take the default unless a rule allows them.
 */
const TRANSPARENT_WRAPPERS = new Set([
  "env",
  "nice",
  "ionice",
  "time",
  "timeout",
  "nohup",
  "stdbuf",
  "command",
  "builtin",
  "exec",
  "xargs",
  "parallel",
  "watch",
  "setsid",
  "flock",
  "find",
  "eval",
  "bash",
  "sh",
  "dash",
  "zsh",
  "ksh",
]);

/** Stands for an argument only known at run time: no literal pattern token can match it. */
const RUN_TIME_WORD = "\u0000(only known at run time)";

export interface PartDecider {
  decide(request: Request, subject: string): Decision;
  dynamic(reason: string): Decision;
  note(text: string): void;
}

export function commandParts(
  analysis: CommandAnalysis,
  line: RequestOf<"exec">,
  decider: PartDecider,
): CommandPart[] {
  const { principal } = line;
  const cwd = line.target.cwd;
  const context = cwd === undefined ? line.context : { ...line.context, cwd };
  const parts: CommandPart[] = [];

  for (const command of analysis.commands) {
    const subject = describeCommand(command);
    if (command.dynamic) {
      const reason = `${subject}: ${command.reason ?? "only known at run time"}`;
      parts.push({ subject, kind: "exec", decision: decider.dynamic(reason) });
      continue;
    }
    const argv = command.dynamicArgs
      ? command.argv.map((w, i) => (command.dynamicArgIndexes.includes(i) ? RUN_TIME_WORD : w))
      : command.argv;
    const request: RequestOf<"exec"> = {
      kind: "exec",
      principal,
      target: { command: command.text, argv, ...(cwd === undefined ? {} : { cwd }) },
      ...(context === undefined ? {} : { context }),
    };
    const decision = decider.decide(request, subject);
    if (command.wrapper && decision.rule === null && TRANSPARENT_WRAPPERS.has(base(argv[0]))) {
      decider.note(`${subject}: a wrapper no rule names; the command it runs decides`);
      continue;
    }
    parts.push({ subject, kind: "exec", decision });
  }

  for (const file of analysis.files) {
    const verb = file.kind === "fs.read" ? "read" : "write";
    const subject = `${verb} \`${file.path}\` (via ${file.via})`;
    if (file.dynamic) {
      const reason = `${subject}: the path is only known at run time`;
      parts.push({ subject, kind: file.kind, decision: decider.dynamic(reason) });
      continue;
    }
    const request: Request = {
      kind: file.kind,
      principal,
      target: { path: file.path },
      ...(context === undefined ? {} : { context }),
    };
    parts.push({ subject, kind: file.kind, decision: decider.decide(request, subject) });
  }
  return parts;
}

/** The first part with the strongest effect, or null for a line that runs nothing. */
export function strongestPart(parts: readonly CommandPart[]): CommandPart | null {
  let winner: CommandPart | null = null;
  for (const part of parts) {
    if (
      winner === null ||
      EFFECT_STRENGTH[part.decision.effect] > EFFECT_STRENGTH[winner.decision.effect]
    ) {
      winner = part;
    }
  }
  return winner;
}

function describeCommand(command: SimpleCommand): string {
  const where = command.path.length === 0 ? "" : ` (in ${command.path.join(" › ")})`;
  return `\`${command.text}\`${where}`;
}

function base(name: string | undefined): string {
  if (name === undefined) return "";
  return name.slice(name.lastIndexOf("/") + 1);
}
