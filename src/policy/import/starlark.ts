/**
 * A reader for the subset of Starlark that Codex `.rules` files are written in: top-level calls
 * with positional and keyword arguments, string / number / bool / None literals, lists (and
 * tuples, read as lists), `+` between lists or strings, simple `NAME = value` assignments and
 * references to them, comments. Anything else (def, if, for, load, f-strings, comprehensions) is
 * an error with its line and column: the importer must never guess what a program computes.
 *
 * A tokenizer and a recursive-descent parser; no regular expression looks at more than one token.
 */
import { ImportSyntaxError } from "./common.js";

export type StarlarkValue =
  | { type: "string"; value: string }
  | { type: "number"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "none" }
  | { type: "list"; items: StarlarkNode[] };

export interface StarlarkNode {
  value: StarlarkValue;
  line: number;
  column: number;
}

export interface StarlarkArg {
  /** null for a positional argument. */
  name: string | null;
  node: StarlarkNode;
  line: number;
  column: number;
}

export interface StarlarkCall {
  name: string;
  args: StarlarkArg[];
  line: number;
  column: number;
  /** The call's source text. */
  text: string;
}

type TokenType = "name" | "string" | "number" | "op" | "newline" | "eof";
interface Token {
  type: TokenType;
  text: string;
  /** The decoded value of a string token. */
  value?: string;
  offset: number;
  line: number;
  column: number;
}

const KEYWORDS = new Set([
  "and",
  "break",
  "continue",
  "def",
  "elif",
  "else",
  "for",
  "if",
  "in",
  "lambda",
  "load",
  "not",
  "or",
  "pass",
  "return",
  "while",
]);

const OPERATORS = ["**", "==", "!=", "<=", ">=", "+=", "-=", "//", "->"];
const SINGLE_OPS = new Set([..."()[]{},=:+-*/%<>.;|&^~@!"]);

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  const fail = (message: string, at = i): never => {
    // Work out the line of `at` (it may be before the current position inside a string).
    let l = 1;
    let s = 0;
    for (let k = 0; k < at; k++) {
      if (text.charCodeAt(k) === 10) {
        l++;
        s = k + 1;
      }
    }
    throw new ImportSyntaxError(file, l, at - s + 1, message);
  };
  const push = (type: TokenType, start: number, value?: string) => {
    const tok: Token = {
      type,
      text: text.slice(start, i),
      offset: start,
      line,
      column: start - lineStart + 1,
    };
    if (value !== undefined) tok.value = value;
    tokens.push(tok);
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      if (depth === 0 && tokens.length > 0 && tokens[tokens.length - 1]!.type !== "newline") {
        push("newline", i);
      }
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "\\" && text[i + 1] === "\n") {
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    const startLine = line;
    const startCol = i - lineStart + 1;
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      const word = text.slice(start, i);
      const next = text[i];
      if ((next === '"' || next === "'") && /^[rRbBfF]{1,2}$/.test(word)) {
        const prefix = word.toLowerCase();
        if (prefix.includes("f")) fail("f-strings are not supported in rules files", start);
        if (prefix.includes("b")) fail("byte strings are not supported in rules files", start);
        const value = readString(true);
        tokens.push({
          type: "string",
          text: text.slice(start, i),
          value,
          offset: start,
          line: startLine,
          column: startCol,
        });
        continue;
      }
      push("name", start);
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < text.length && /[0-9A-Za-z_.]/.test(text[i]!)) i++;
      push("number", start);
      continue;
    }
    if (c === '"' || c === "'") {
      const value = readString(false);
      tokens.push({
        type: "string",
        text: text.slice(start, i),
        value,
        offset: start,
        line: startLine,
        column: startCol,
      });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (OPERATORS.includes(two)) {
      i += 2;
      push("op", start);
      continue;
    }
    if (SINGLE_OPS.has(c)) {
      if (c === "(" || c === "[" || c === "{") depth++;
      if (c === ")" || c === "]" || c === "}") depth = Math.max(0, depth - 1);
      i++;
      push("op", start);
      continue;
    }
    fail(`unexpected character \`${c}\``);
  }
  if (depth === 0 && tokens.length > 0 && tokens[tokens.length - 1]!.type !== "newline") {
    push("newline", i);
  }
  push("eof", i);
  return tokens;

  /** Reads a string literal at `i` (after any prefix); returns its value. */
  function readString(raw: boolean): string {
    const start = i;
    const quote = text[i]!;
    const triple = text.startsWith(quote.repeat(3), i);
    const close = triple ? quote.repeat(3) : quote;
    i += close.length;
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string", start);
      if (text.startsWith(close, i)) {
        i += close.length;
        return out;
      }
      const ch = text[i]!;
      if (ch === "\n") {
        if (!triple) fail("unterminated string (a newline inside a quoted string)", start);
        out += ch;
        i++;
        line++;
        lineStart = i;
        continue;
      }
      if (ch === "\\") {
        const e = text[i + 1];
        if (e === undefined) fail("unterminated string", start);
        if (raw) {
          out += ch + e;
          i += 2;
          continue;
        }
        const simple: Record<string, string> = {
          n: "\n",
          t: "\t",
          r: "\r",
          "\\": "\\",
          "'": "'",
          '"': '"',
          a: "\x07",
          b: "\b",
          f: "\f",
          v: "\v",
          "\n": "",
        };
        if (e! in simple) {
          out += simple[e!];
          if (e === "\n") {
            line++;
            lineStart = i + 2;
          }
          i += 2;
          continue;
        }
        const hex =
          e === "x"
            ? /^[0-9a-fA-F]{2}/.exec(text.slice(i + 2))
            : e === "u"
              ? /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2))
              : e === "U"
                ? /^[0-9a-fA-F]{8}/.exec(text.slice(i + 2))
                : null;
        if (hex !== null) {
          out += String.fromCodePoint(Number.parseInt(hex[0], 16));
          i += 2 + hex[0].length;
          continue;
        }
        const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1));
        if (octal !== null) {
          out += String.fromCharCode(Number.parseInt(octal[0], 8));
          i += 1 + octal[0].length;
          continue;
        }
        fail(`invalid escape sequence \`\\${e}\``, i);
      }
      out += ch;
      i++;
    }
  }
}

/** Reads a rules file into its top-level calls, in order. */
export function readStarlark(text: string, file: string): StarlarkCall[] {
  const tokens = tokenize(text, file);
  const vars = new Map<string, StarlarkNode>();
  const calls: StarlarkCall[] = [];
  let p = 0;
  const peek = (): Token => tokens[p]!;
  const fail = (message: string, tok: Token = peek()): never => {
    throw new ImportSyntaxError(file, tok.line, tok.column, message);
  };
  const describe = (tok: Token): string =>
    tok.type === "eof" ? "end of file" : tok.type === "newline" ? "end of line" : `\`${tok.text}\``;
  const expectOp = (op: string): Token => {
    const tok = peek();
    if (tok.type !== "op" || tok.text !== op) fail(`expected \`${op}\`, found ${describe(tok)}`);
    p++;
    return tok;
  };
  const isOp = (op: string): boolean => peek().type === "op" && peek().text === op;

  while (peek().type !== "eof") {
    const tok = peek();
    if (tok.type === "newline") {
      p++;
      continue;
    }
    if (tok.type !== "name")
      fail(`expected a call such as prefix_rule(...), found ${describe(tok)}`);
    if (KEYWORDS.has(tok.text)) {
      fail(
        `\`${tok.text}\` is not supported: a rules file may hold only calls and simple assignments`,
      );
    }
    p++;
    if (isOp("=")) {
      p++;
      vars.set(tok.text, expression());
    } else if (isOp("(")) {
      calls.push(call(tok));
    } else {
      fail(`expected \`(\` or \`=\` after \`${tok.text}\`, found ${describe(peek())}`);
    }
    const end = peek();
    if (end.type !== "newline" && end.type !== "eof") {
      fail(`expected the end of the statement, found ${describe(end)}`);
    }
  }
  return calls;

  function call(nameTok: Token): StarlarkCall {
    expectOp("(");
    const args: StarlarkArg[] = [];
    let sawKeyword = false;
    while (!isOp(")")) {
      const at = peek();
      if (at.type === "name" && tokens[p + 1]?.type === "op" && tokens[p + 1]!.text === "=") {
        p += 2;
        if (args.some((a) => a.name === at.text)) fail(`argument \`${at.text}\` given twice`, at);
        args.push({ name: at.text, node: expression(), line: at.line, column: at.column });
        sawKeyword = true;
      } else {
        if (isOp("*") || isOp("**")) fail("`*args` and `**kwargs` are not supported");
        if (sawKeyword) fail("a positional argument cannot follow a keyword argument", at);
        args.push({ name: null, node: expression(), line: at.line, column: at.column });
      }
      if (isOp(",")) p++;
      else if (!isOp(")")) fail(`expected \`,\` or \`)\`, found ${describe(peek())}`);
    }
    const close = expectOp(")");
    return {
      name: nameTok.text,
      args,
      line: nameTok.line,
      column: nameTok.column,
      text: text.slice(nameTok.offset, close.offset + 1),
    };
  }

  function expression(): StarlarkNode {
    let left = primary();
    while (isOp("+")) {
      const plus = peek();
      p++;
      const right = primary();
      const l = left.value;
      const r = right.value;
      if (l.type === "list" && r.type === "list") {
        left = { ...left, value: { type: "list", items: [...l.items, ...r.items] } };
      } else if (l.type === "string" && r.type === "string") {
        left = { ...left, value: { type: "string", value: l.value + r.value } };
      } else if (l.type === "number" && r.type === "number") {
        left = { ...left, value: { type: "number", value: l.value + r.value } };
      } else fail(`cannot add ${l.type} and ${r.type}`, plus);
    }
    if (peek().type === "op" && ![",", ")", "]"].includes(peek().text)) {
      fail(`the operator ${describe(peek())} is not supported in rules files`);
    }
    if (peek().type === "name" && ["if", "for", "and", "or", "in", "not"].includes(peek().text)) {
      fail(`\`${peek().text}\` expressions are not supported in rules files`);
    }
    return left;
  }

  function primary(): StarlarkNode {
    const tok = peek();
    const at = { line: tok.line, column: tok.column };
    if (tok.type === "string") {
      p++;
      if (peek().type === "string") fail("implicit string concatenation is not Starlark; use +");
      return { ...at, value: { type: "string", value: tok.value ?? "" } };
    }
    if (tok.type === "number") {
      p++;
      const n = Number(tok.text.replace(/_/g, ""));
      if (!Number.isFinite(n)) fail(`\`${tok.text}\` is not a number`, tok);
      return { ...at, value: { type: "number", value: n } };
    }
    if (tok.type === "op" && tok.text === "-") {
      p++;
      const inner = primary();
      if (inner.value.type !== "number") fail("`-` applies to numbers only", tok);
      return { ...at, value: { type: "number", value: -(inner.value as { value: number }).value } };
    }
    if (tok.type === "op" && (tok.text === "[" || tok.text === "(")) {
      const close = tok.text === "[" ? "]" : ")";
      p++;
      const items: StarlarkNode[] = [];
      let comma = false;
      while (!isOp(close)) {
        items.push(expression());
        if (isOp(",")) {
          p++;
          comma = true;
        } else if (!isOp(close)) fail(`expected \`,\` or \`${close}\`, found ${describe(peek())}`);
      }
      p++;
      // `(x)` is x; `(x,)` and `(x, y)` are tuples, read as lists.
      if (close === ")" && items.length === 1 && !comma) return items[0]!;
      return { ...at, value: { type: "list", items } };
    }
    if (tok.type === "op" && tok.text === "{") fail("dicts are not supported in rules files");
    if (tok.type === "name") {
      p++;
      if (tok.text === "True" || tok.text === "False") {
        return { ...at, value: { type: "bool", value: tok.text === "True" } };
      }
      if (tok.text === "None") return { ...at, value: { type: "none" } };
      if (isOp("(")) fail(`calling \`${tok.text}\` inside an expression is not supported`, tok);
      if (isOp(".") || isOp("[")) fail("attribute access and indexing are not supported", peek());
      const v = vars.get(tok.text);
      if (v === undefined) fail(`\`${tok.text}\` is not defined`, tok);
      return { ...at, value: v!.value };
    }
    return fail(`expected a value, found ${describe(tok)}`);
  }
}
