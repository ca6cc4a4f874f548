/**
 * A JSON reader that keeps where each value came from, so that the import report can name the
 * line of a settings entry. Strict JSON, plus `//` and `/* *\/` comments (settings files are
 * often annotated); errors carry line and column.
 */
import { ImportSyntaxError, positionOf } from "./common.js";

export type JsonValue =
  | { type: "object"; entries: { key: string; value: JsonValue; line: number }[]; line: number }
  | { type: "array"; items: JsonValue[]; line: number }
  | { type: "string"; value: string; line: number }
  | { type: "number"; value: number; line: number }
  | { type: "boolean"; value: boolean; line: number }
  | { type: "null"; line: number };

export function parseJson(text: string, file: string): JsonValue {
  let i = 0;
  const fail = (message: string, at = i): never => {
    const { line, column } = positionOf(text, at);
    throw new ImportSyntaxError(file, line, column, message);
  };
  const lineAt = (at: number): number => positionOf(text, at).line;

  const skip = (): void => {
    for (;;) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else if (c === "/" && text[i + 1] === "/") {
        while (i < text.length && text[i] !== "\n") i++;
      } else if (c === "/" && text[i + 1] === "*") {
        const end = text.indexOf("*/", i + 2);
        if (end < 0) fail("unterminated comment");
        i = end + 2;
      } else return;
    }
  };

  const describe = (at: number): string =>
    at >= text.length ? "end of input" : `\`${text.slice(at, at + 1)}\``;

  const readString = (): string => {
    const start = i;
    i++; // opening quote
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string", start);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\n") fail("newline in string (strings must be on one line)");
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail(`invalid escape \`\\${e ?? ""}\` in string`);
        continue;
      }
      out += c;
      i++;
    }
  };

  const readValue = (depth: number): JsonValue => {
    if (depth > 200) fail("nesting too deep");
    skip();
    const start = i;
    const line = lineAt(start);
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: { key: string; value: JsonValue; line: number }[] = [];
      skip();
      if (text[i] === "}") {
        i++;
        return { type: "object", entries, line };
      }
      for (;;) {
        skip();
        if (text[i] !== '"')
          fail(`expected a property name in double quotes, found ${describe(i)}`);
        const keyLine = lineAt(i);
        const key = readString();
        skip();
        if (text[i] !== ":") fail(`expected \`:\` after property name, found ${describe(i)}`);
        i++;
        const value = readValue(depth + 1);
        entries.push({ key, value, line: keyLine });
        skip();
        if (text[i] === ",") {
          i++;
          skip();
          if (text[i] === "}") fail("trailing comma before `}`");
          continue;
        }
        if (text[i] === "}") {
          i++;
          return { type: "object", entries, line };
        }
        fail(`expected \`,\` or \`}\`, found ${describe(i)}`);
      }
    }
    if (c === "[") {
      i++;
      const items: JsonValue[] = [];
      skip();
      if (text[i] === "]") {
        i++;
        return { type: "array", items, line };
      }
      for (;;) {
        items.push(readValue(depth + 1));
        skip();
        if (text[i] === ",") {
          i++;
          skip();
          if (text[i] === "]") fail("trailing comma before `]`");
          continue;
        }
        if (text[i] === "]") {
          i++;
          return { type: "array", items, line };
        }
        fail(`expected \`,\` or \`]\`, found ${describe(i)}`);
      }
    }
    if (c === '"') return { type: "string", value: readString(), line };
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (number !== null) {
      i += number[0].length;
      return { type: "number", value: Number(number[0]), line };
    }
    for (const [word, value] of [
      ["true", { type: "boolean", value: true, line }],
      ["false", { type: "boolean", value: false, line }],
      ["null", { type: "null", line }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`unexpected ${describe(i)}: expected a JSON value`);
  };

  const value = readValue(0);
  skip();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the JSON value`);
  return value;
}

export function member(obj: JsonValue, key: string): { value: JsonValue; line: number } | null {
  if (obj.type !== "object") return null;
  for (let k = obj.entries.length - 1; k >= 0; k--) {
    const e = obj.entries[k]!;
    if (e.key === key) return e; // the last duplicate wins, as in JSON.parse
  }
  return null;
}
