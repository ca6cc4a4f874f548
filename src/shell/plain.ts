/**
 * The syntax tree of a plain line, built without the bash grammar: a command name of letters,
 * digits and `_ . / , : + -` (not first: the grammar reads `- a=b` as an assignment), then
 * arguments that may also hold `@ % =`, separated by blanks — no quotes, metacharacters,
 * expansions, globs, keywords or assignments. It is the tree tree-sitter-bash gives such a line,
 * as far as the analysis reads it (program → command → command_name → word, then a word per
 * argument; the grammar may call a digit run a `number`, which folds to the same value), so the
 * analysis is the same: plain.test.ts compares both on a corpus and on random lines. So
 * `warden run -- CMD` decides a plain CMD without loading the grammar (~50 ms).
 */
import { SyntaxNode } from "./syntax.js";

const PLAIN_LINE = /^[ \t]*[\w./][\w./,:+-]*(?:[ \t]+[\w./,:@%+=-]+)*[ \t]*$/;
const WORD = /[^ \t]+/g;
/**
 * What the grammar reads otherwise, found by parsing every word of up to four of these characters
 * in both places: `a+:` and `a+=` starting a command (an assignment), a lone `==` argument.
 */
const ODD_NAME = /\+[:=]/;
const ODD_ARGUMENT = "==";

/** Words the grammar reads as syntax (or as a declaration) at the start of a command. */
const KEYWORDS = new Set([
  "case",
  "declare",
  "do",
  "done",
  "elif",
  "else",
  "esac",
  "export",
  "fi",
  "for",
  "function",
  "if",
  "in",
  "local",
  "readonly",
  "select",
  "then",
  "typeset",
  "unset",
  "unsetenv",
  "until",
  "while",
]);

/** The tree of `source` when it is a plain line; undefined when it needs the grammar. */
export function plainTree(source: string): SyntaxNode | undefined {
  if (!PLAIN_LINE.test(source)) return undefined;
  const words = [...source.matchAll(WORD)];
  const first = words[0];
  const last = words[words.length - 1];
  if (first === undefined || last === undefined) return undefined;
  if (KEYWORDS.has(first[0]) || ODD_NAME.test(first[0])) return undefined;
  if (words.some((w, i) => i > 0 && w[0] === ODD_ARGUMENT)) return undefined;
  const program = node(source, "program", 0, source.length, null);
  const command = node(source, "command", first.index, last.index + last[0].length, program);
  const name = node(source, "command_name", first.index, first.index + first[0].length, command);
  node(source, "word", first.index, first.index + first[0].length, name);
  for (const w of words.slice(1)) node(source, "word", w.index, w.index + w[0].length, command);
  return program;
}

function node(
  source: string,
  type: string,
  start: number,
  end: number,
  parent: SyntaxNode | null,
): SyntaxNode {
  const n = new SyntaxNode(source, type, true, start, parent);
  n.endIndex = end;
  parent?.children.push(n);
  return n;
}
