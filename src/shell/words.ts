import type { SyntaxNode as Node } from "./syntax.js";

/** A shell word after quote removal, or its source text when it is only known at run time. */
export interface Word {
  /** The static value, or the source text when `dynamic`. */
  value: string;
  dynamic: boolean;
  /** Why the word is dynamic. */
  reason?: string;
  /** Where the word starts in the text it was parsed from. */
  offset?: number;
}

export function staticWord(value: string): Word {
  return { value, dynamic: false };
}

const GLOB_CHARS = /[*?]|\[[^\]]+\]/;
// Brace expansion `{a,b}` or `{1..3}` in the unquoted part of a word.
const BRACE = /\{[^{}]*(,|\.\.)[^{}]*\}/;
const EXTGLOB = /[?*+@!]\(/;

interface Folder {
  value: string;
  /** The value with quoted characters replaced by a placeholder, to look for globs and braces. */
  unquoted: string;
  reason: string | undefined;
}

/** Folds a word node to its static value (`r''m`, `\rm`, `"rm"`, `$'\x72m'` → `rm`). */
export function foldWord(node: Node): Word {
  const f: Folder = { value: "", unquoted: "", reason: undefined };
  foldInto(node, f);
  if (f.reason === undefined && mayExpand(f.unquoted)) {
    if (BRACE.test(f.unquoted)) f.reason = "brace expansion";
    else if (EXTGLOB.test(f.unquoted)) f.reason = "extended glob pattern";
    else if (GLOB_CHARS.test(f.unquoted)) f.reason = "glob pattern";
  }
  if (f.reason !== undefined) {
    return { value: node.text, dynamic: true, reason: f.reason, offset: node.startIndex };
  }
  return { value: f.value, dynamic: false, offset: node.startIndex };
}

/** Whether `unquoted` has a character that a brace, glob or extended glob pattern needs. */
function mayExpand(unquoted: string): boolean {
  for (let i = 0; i < unquoted.length; i++) {
    const c = unquoted.charCodeAt(i);
    // { ( * ? [
    if (c === 123 || c === 40 || c === 42 || c === 63 || c === 91) return true;
  }
  return false;
}

function dynamicPart(f: Folder, reason: string): void {
  if (f.reason === undefined) f.reason = reason;
}

function foldInto(node: Node, f: Folder): void {
  switch (node.type) {
    case "word":
    case "number":
    case "variable_name":
    case "file_descriptor": {
      foldUnquoted(node.text, f);
      return;
    }
    case "raw_string": {
      const inner = node.text.slice(1, -1);
      f.value += inner;
      f.unquoted += quotedMask(inner);
      return;
    }
    case "ansi_c_string": {
      const decoded = decodeAnsiC(node.text.slice(2, -1));
      f.value += decoded;
      f.unquoted += quotedMask(decoded);
      return;
    }
    case "string":
      foldDoubleQuoted(node, f);
      return;
    case "translated_string": {
      // $"…": locale translation of a double-quoted string; its value is the string in practice.
      for (const child of node.namedChildren) if (child) foldInto(child, f);
      return;
    }
    case "concatenation": {
      let pos = node.startIndex;
      const text = node.text;
      for (const child of node.children) {
        if (!child) continue;
        if (child.startIndex > pos)
          foldUnquoted(text.slice(pos - node.startIndex, child.startIndex - node.startIndex), f);
        foldInto(child, f);
        pos = child.endIndex;
      }
      if (node.endIndex > pos) foldUnquoted(text.slice(pos - node.startIndex), f);
      return;
    }
    case "simple_expansion":
    case "expansion":
      dynamicPart(f, `variable expansion ${node.text}`);
      return;
    case "command_substitution":
      dynamicPart(f, "command substitution");
      return;
    case "process_substitution":
      dynamicPart(f, "process substitution");
      return;
    case "arithmetic_expansion":
      dynamicPart(f, "arithmetic expansion");
      return;
    case "brace_expression":
      dynamicPart(f, "brace expansion");
      return;
    case "$":
      // A lone `$` before a string ($"…") or at the end of a word is literal or translation.
      if (node.nextSibling?.type === "string") return;
      f.value += "$";
      f.unquoted += "$";
      return;
    default:
      if (!node.isNamed) {
        foldUnquoted(node.text, f);
        return;
      }
      dynamicPart(f, `${node.type.replace(/_/g, " ")}`);
  }
}

function quotedMask(text: string): string {
  return "_".repeat(text.length);
}

/** Unquoted text: backslash escapes the next character, backslash-newline disappears. */
function foldUnquoted(text: string, f: Folder): void {
  if (!text.includes("\\")) {
    f.value += text;
    f.unquoted += text;
    return;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      const next = text[i + 1];
      i++;
      if (next === undefined || next === "\n") continue;
      f.value += next;
      f.unquoted += "_";
      continue;
    }
    f.value += c;
    f.unquoted += c;
  }
}

function foldDoubleQuoted(node: Node, f: Folder): void {
  const children = node.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (!child) continue;
    if (child.type === '"' && (i === 0 || i === children.length - 1)) continue;
    if (child.type === "string_content" || !child.isNamed) {
      const text = unescapeDoubleQuoted(child.text);
      f.value += text;
      f.unquoted += quotedMask(text);
      continue;
    }
    foldInto(child, f);
  }
}

/** Inside double quotes a backslash only escapes `$`, backquote, `"`, `\` and newline. */
export function unescapeDoubleQuoted(text: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "\\" && next !== undefined && '$`"\\\n'.includes(next)) {
      if (next !== "\n") out += next;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  e: "\x1b",
  E: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "?": "?",
};

/** Decodes the body of a `$'…'` string as bash does. */
export function decodeAnsiC(body: string): string {
  let out = "";
  let i = 0;
  const takeWhile = (re: RegExp, max: number): string => {
    let s = "";
    while (s.length < max && i < body.length && re.test(body[i]!)) s += body[i++];
    return s;
  };
  while (i < body.length) {
    const c = body[i++]!;
    if (c !== "\\" || i >= body.length) {
      out += c;
      continue;
    }
    const e = body[i++]!;
    const simple = Object.hasOwn(SIMPLE_ESCAPES, e) ? SIMPLE_ESCAPES[e] : undefined;
    if (simple !== undefined) {
      out += simple;
    } else if (e >= "0" && e <= "7") {
      i--;
      out += String.fromCharCode(Number.parseInt(takeWhile(/[0-7]/, 3), 8) & 0xff);
    } else if (e === "x") {
      const hex = takeWhile(/[0-9a-fA-F]/, 2);
      out += hex ? String.fromCharCode(Number.parseInt(hex, 16)) : "\\x";
    } else if (e === "u" || e === "U") {
      const hex = takeWhile(/[0-9a-fA-F]/, e === "u" ? 4 : 8);
      out += hex ? String.fromCodePoint(Number.parseInt(hex, 16)) : `\\${e}`;
    } else if (e === "c" && i < body.length) {
      out += String.fromCharCode(body[i++]!.charCodeAt(0) & 0x1f);
    } else {
      out += `\\${e}`;
    }
  }
  return out;
}

/** Quotes a word for display so that it reads back as the same word. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

export function displayArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
