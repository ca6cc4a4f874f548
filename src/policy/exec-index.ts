import { compileFlatGlob, type FlatGlob } from "./flat-glob.js";
import type { DecisionEnv, KindIndex, OnMatch, PatternEntry, Refusal } from "./rule.js";
import { ShellSyntaxError, type ShellWord, splitShellWords } from "./shell-words.js";
import type { ExecTarget, Request } from "./types.js";

/**
 * exec patterns: a command pattern split into tokens like a command line, matched against argv
 * token by token. A `*` token matches exactly one argument, except as the LAST token, where it
 * matches any remaining arguments, none included (`git diff *` matches `git diff` and
 * `git diff a b`). Other tokens may hold globs (`--format=*`); quoted tokens are literal.
 *
 * Indexed by the literal first token; patterns whose first token is a glob sit in a fallback list.
 */
interface ExecPattern {
  readonly entry: PatternEntry;
  readonly tokens: readonly FlatGlob[];
  /** The last token is a bare `*`: any remaining arguments. */
  readonly rest: boolean;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function matchesArgv(p: ExecPattern, argv: readonly string[], first: string): boolean {
  const fixed = p.tokens.length;
  if (p.rest ? argv.length < fixed : argv.length !== fixed) return false;
  if (fixed === 0) return true; // the pattern `*`: any command
  if (!p.tokens[0]!.test(first)) return false;
  for (let i = 1; i < fixed; i++) {
    if (!p.tokens[i]!.test(argv[i]!)) return false;
  }
  return true;
}

function basename(token: string): string {
  const slash = token.lastIndexOf("/");
  return slash < 0 ? token : token.slice(slash + 1);
}

export interface ExecSubject {
  /** Each simple command's argv. One element for a simple command. */
  readonly commands: readonly (readonly string[])[];
  /** Unquoted operators seen; non-empty means allow patterns do not apply. */
  readonly operators: readonly string[];
}

/** argv if given (exec'd directly, no shell), else the split command string. */
export function execSubject(target: ExecTarget): ExecSubject {
  if (Array.isArray(target.argv) && target.argv.length > 0) {
    return { commands: [target.argv], operators: [] };
  }
  const split = splitShellWords(target.command);
  const words = (segment: ShellWord[]): string[] => segment.map((w) => w.text);
  return { commands: split.segments.map(words), operators: split.operators };
}

export class ExecIndex implements KindIndex {
  private readonly byFirst = new Map<string, ExecPattern[]>();
  private readonly fallback: ExecPattern[] = [];

  add(entry: PatternEntry): string | null {
    let words: ShellWord[];
    try {
      const split = splitShellWords(entry.pattern);
      if (split.operators.length > 0 || split.segments.length !== 1) {
        return `exec pattern \`${entry.pattern}\` must be one simple command (found ${split.operators[0] ?? "no command"})`;
      }
      words = split.segments[0]!;
    } catch (error) {
      return `exec pattern \`${entry.pattern}\`: ${(error as Error).message}`;
    }
    const last = words[words.length - 1]!;
    const rest = !last.quoted && last.text === "*";
    const tokenWords = rest ? words.slice(0, -1) : words;
    let tokens: FlatGlob[];
    try {
      tokens = tokenWords.map((w) => (w.quoted ? literalGlob(w.text) : compileFlatGlob(w.text)));
    } catch (error) {
      return `exec pattern \`${entry.pattern}\`: ${(error as Error).message}`;
    }
    const compiled: ExecPattern = { entry, tokens, rest };
    const literal = tokens[0]?.literal ?? null;
    if (literal === null) this.fallback.push(compiled);
    else {
      const list = this.byFirst.get(literal);
      if (list === undefined) this.byFirst.set(literal, [compiled]);
      else list.push(compiled);
    }
    return null;
  }

  match(request: Request, onMatch: OnMatch, env: DecisionEnv): Refusal | undefined {
    const target = request.target as ExecTarget;
    let subject: ExecSubject;
    try {
      subject = execSubject(target);
    } catch (error) {
      if (error instanceof ShellSyntaxError) {
        return { refused: `could not parse command: ${error.message}` };
      }
      throw error;
    }
    if (subject.commands.length === 0) return { refused: "empty command" };
    const simple = subject.operators.length === 0 && subject.commands.length === 1;
    if (simple) {
      const argv = subject.commands[0]!;
      this.matchCommand(argv, argv[0]!, true, "", onMatch);
      // Deny and ask also see through a path (`/usr/bin/rm`) and leading `VAR=value` words;
      // allow does not, so `./git` or `GIT_SSH_COMMAND=x git fetch` is not mistaken for git.
      this.matchLoosely(argv, onMatch);
      return undefined;
    }
    const ops = subject.operators.map((o) => `\`${o}\``).join(", ");
    const note = `command contains shell operators or substitutions (${ops}); allow rules do not apply to it until full shell analysis, so it needs at least approval`;
    env.reasonNote = note;
    env.floorAsk = true;
    env.notes?.push(note);
    for (let i = 0; i < subject.commands.length; i++) {
      const argv = subject.commands[i]!;
      const via = i === 0 ? " (first simple command)" : ` (simple command ${i + 1})`;
      this.matchCommand(argv, argv[0]!, false, via, onMatch);
      this.matchLoosely(argv, onMatch);
    }
    return undefined;
  }

  describe(request: Request): string {
    const target = request.target as ExecTarget;
    if (Array.isArray(target.argv) && target.argv.length > 0) {
      return `argv [${target.argv.join(" ")}]`;
    }
    try {
      const subject = execSubject(target);
      return subject.commands.map((c) => `argv [${c.join(" ")}]`).join(", ");
    } catch {
      return `command ${JSON.stringify(target.command)}`;
    }
  }

  private matchLoosely(argv: readonly string[], onMatch: OnMatch): void {
    let start = 0;
    while (start < argv.length - 1 && ASSIGNMENT.test(argv[start]!)) start++;
    const args = start === 0 ? argv : argv.slice(start);
    const first = args[0]!;
    const base = basename(first);
    if (start > 0) this.matchCommand(args, first, false, " (after variable assignments)", onMatch);
    if (base !== first && base !== "") {
      this.matchCommand(args, base, false, ` (as \`${base}\`)`, onMatch);
    }
  }

  private matchCommand(
    argv: readonly string[],
    first: string,
    allowAllowed: boolean,
    via: string,
    onMatch: OnMatch,
  ): void {
    const list = this.byFirst.get(first);
    if (list !== undefined) {
      for (const p of list) {
        if ((allowAllowed || p.entry.effect !== "allow") && matchesArgv(p, argv, first)) {
          onMatch(p.entry, via);
        }
      }
    }
    for (const p of this.fallback) {
      if ((allowAllowed || p.entry.effect !== "allow") && matchesArgv(p, argv, first)) {
        onMatch(p.entry, via);
      }
    }
  }
}

function literalGlob(text: string): FlatGlob {
  return { source: text, literal: text, prefix: text, test: (v) => v === text };
}
