/**
 * A small POSIX-quoting-aware splitter for command strings. It is not a shell parser: it splits
 * words (single quotes, double quotes with backslash escapes, backslash escapes) and notices
 * unquoted control operators, redirections and substitutions, so that callers can refuse to treat
 * a compound command as simple. Full bash analysis belongs to the exec part.
 */

export interface ShellWord {
  text: string;
  /** True when any character of the word was quoted or escaped (so it is not a glob). */
  quoted: boolean;
}

export interface ShellSplit {
  /** Words of every simple command, in order; a redirection's target is not a word. */
  segments: ShellWord[][];
  /** Unquoted operators and substitutions seen, e.g. `&&`, `|`, `$(`; empty for a simple command. */
  operators: string[];
}

export class ShellSyntaxError extends Error {
  override readonly name = "ShellSyntaxError";
}

const BLANK = new Set([" ", "\t"]);
// Longest first, so `&&` wins over `&`.
const OPERATORS = [
  "&&",
  "||",
  "|&",
  ";;",
  ">>",
  "<<",
  ">&",
  "<&",
  "<(",
  ">(",
  ";",
  "&",
  "|",
  "(",
  ")",
  "<",
  ">",
  "\n",
];
const OPERATOR_START = new Set([";", "&", "|", "(", ")", "<", ">", "\n"]);
const REDIRECTIONS = new Set([">", ">>", "<", "<<", ">&", "<&"]);
const NAME_START = /[A-Za-z_{(0-9@*#?$!-]/;

/** Splits `command`; throws ShellSyntaxError on unbalanced quotes or a dangling backslash. */
export function splitShellWords(command: string): ShellSplit {
  const segments: ShellWord[][] = [];
  const operators: string[] = [];
  let current: ShellWord[] = [];
  let text = "";
  let quoted = false;
  let inWord = false;
  let skipNextWord = false;

  const endWord = (): void => {
    if (!inWord) return;
    if (skipNextWord) skipNextWord = false;
    else current.push({ text, quoted });
    text = "";
    quoted = false;
    inWord = false;
  };
  const endSegment = (): void => {
    endWord();
    if (current.length > 0) segments.push(current);
    current = [];
  };
  const noteOperator = (op: string): void => {
    if (!operators.includes(op)) operators.push(op);
  };

  let i = 0;
  const n = command.length;
  while (i < n) {
    const c = command[i]!;
    if (BLANK.has(c)) {
      endWord();
      i++;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= n) throw new ShellSyntaxError("dangling backslash at end of command");
      if (command[i + 1] === "\n") {
        i += 2; // line continuation
        continue;
      }
      text += command[i + 1];
      quoted = true;
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) throw new ShellSyntaxError(`unterminated single quote at offset ${i}`);
      text += command.slice(i + 1, close);
      quoted = true;
      inWord = true;
      i = close + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= n) throw new ShellSyntaxError(`unterminated double quote at offset ${start}`);
        const d = command[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < n && '$`"\\\n'.includes(command[i + 1]!)) {
          if (command[i + 1] !== "\n") text += command[i + 1];
          i += 2;
          continue;
        }
        if (d === "`") noteOperator("`");
        if (d === "$" && i + 1 < n && NAME_START.test(command[i + 1]!)) {
          noteOperator(command[i + 1] === "(" ? "$(" : "$");
        }
        text += d;
        i++;
      }
      quoted = true;
      inWord = true;
      i++;
      continue;
    }
    if (c === "#" && !inWord) {
      noteOperator("#"); // a comment hides the rest of the line from a naive reader
      const eol = command.indexOf("\n", i);
      i = eol < 0 ? n : eol;
      continue;
    }
    if (c === "`") {
      noteOperator("`");
      endSegment();
      i++;
      continue;
    }
    if (c === "$" && i + 1 < n && NAME_START.test(command[i + 1]!)) {
      if (command[i + 1] === "(") {
        noteOperator("$(");
        endSegment();
        i += 2;
        continue;
      }
      noteOperator("$");
      text += c;
      inWord = true;
      i++;
      continue;
    }
    const op = OPERATOR_START.has(c) ? OPERATORS.find((o) => command.startsWith(o, i)) : undefined;
    if (op !== undefined) {
      noteOperator(op === "\n" ? "newline" : op);
      if (REDIRECTIONS.has(op)) {
        // The redirection target is a file, not an argument of the command.
        endWord();
        skipNextWord = true;
      } else {
        endSegment();
      }
      i += op.length;
      continue;
    }
    text += c;
    inWord = true;
    i++;
  }
  endSegment();
  return { segments, operators };
}
