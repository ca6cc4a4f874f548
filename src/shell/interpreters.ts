import type { Word } from "./words.js";

/**
 * Interpreters that run code given on the command line. Each entry returns true when the arguments
 * carry inline code. The command is then matched as itself (`python -c *`), never waved through.
 */
type InlineTest = (args: readonly Word[]) => boolean;

/** Any argument equal to one of `flags`, or a short cluster ending in one of `letters`. */
function hasFlag(flags: readonly string[], clusterLetters = ""): InlineTest {
  return (args) =>
    args.some((w) => {
      if (w.dynamic) return false;
      const v = w.value;
      if (flags.includes(v)) return true;
      if (flags.some((f) => f.startsWith("--") && v.startsWith(`${f}=`))) return true;
      if (clusterLetters && /^-[A-Za-z]+$/.test(v))
        return [...v.slice(1)].some((c) => clusterLetters.includes(c));
      return false;
    });
}

/** awk: the program (first operand unless -f) runs commands or writes files. */
const awkInline: InlineTest = (args) => {
  let i = 0;
  while (i < args.length) {
    const v = args[i]!.value;
    if (v === "-f" || v === "--file") return false;
    if (v === "-v" || v === "-F" || v === "--assign" || v === "--field-separator") {
      i += 2;
      continue;
    }
    if (v.startsWith("-") && v.length > 1 && v !== "--") {
      i++;
      continue;
    }
    if (v === "--") i++;
    break;
  }
  const program = args[i];
  if (!program) return false;
  if (program.dynamic) return true;
  return /\bsystem\s*\(|\||>|\bgetline\b|\bclose\s*\(/.test(program.value);
};

const PYTHON = hasFlag(["-c"], "c");

export const INTERPRETERS: Record<string, InlineTest> = {
  python: PYTHON,
  python2: PYTHON,
  python3: PYTHON,
  pypy: PYTHON,
  pypy3: PYTHON,
  node: hasFlag(["-e", "--eval", "-p", "--print"], "ep"),
  nodejs: hasFlag(["-e", "--eval", "-p", "--print"], "ep"),
  bun: hasFlag(["-e", "--eval", "-p", "--print"]),
  deno: (args) => args[0]?.value === "eval",
  perl: hasFlag(["-e", "-E"], "eE"),
  ruby: hasFlag(["-e"], "e"),
  php: hasFlag(["-r", "--run", "-B", "-R", "-E"]),
  osascript: hasFlag(["-e"]),
  lua: hasFlag(["-e"]),
  luajit: hasFlag(["-e"]),
  Rscript: hasFlag(["-e"]),
  julia: hasFlag(["-e", "--eval", "-E", "--print"]),
  pwsh: hasFlag(["-c", "-Command", "-command", "-EncodedCommand", "-e", "-ec"]),
  powershell: hasFlag(["-c", "-Command", "-command", "-EncodedCommand", "-e", "-ec"]),
  tclsh: () => false,
  awk: awkInline,
  gawk: awkInline,
  mawk: awkInline,
  nawk: awkInline,
  jshell: () => false,
};

/** Interpreter name for argv[0], folding versions (`python3.12` → `python3`). */
const INTERPRETER_NAMES = new Set(Object.keys(INTERPRETERS));

export function interpreterName(base: string): string | undefined {
  if (INTERPRETER_NAMES.has(base)) return base;
  const last = base.charCodeAt(base.length - 1);
  if (!(last === 46 || (last >= 48 && last <= 57))) return undefined; // no version suffix
  const m = /^(python[23]?|pypy3?|perl|ruby|php|lua|node)[0-9.]+$/.exec(base);
  if (m && Object.hasOwn(INTERPRETERS, m[1]!)) return m[1];
  return undefined;
}

/** Reads its program from standard input when given no program or script argument. */
export function readsProgramFromStdin(args: readonly Word[]): boolean {
  return (
    args.every((w) => !w.dynamic && w.value.startsWith("-")) || args.some((w) => w.value === "-")
  );
}
