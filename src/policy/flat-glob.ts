/**
 * Globs over flat strings (argv tokens, host names, MCP and credential names): `*` any run of
 * characters, `?` one character, `[...]` a class, `\` escapes. No path semantics, so `*` also
 * matches `/` and `.`. Literal patterns skip the RegExp entirely.
 */
export interface FlatGlob {
  readonly source: string;
  /** The pattern's text when it has no wildcard, else null. */
  readonly literal: string | null;
  /** The literal text before the first wildcard. */
  readonly prefix: string;
  test(value: string): boolean;
}

export class GlobSyntaxError extends Error {
  override readonly name = "GlobSyntaxError";
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

const GLOB_SYNTAX = /[\\*?[]/;
const NEXT_SYNTAX = /[\\*?[]/g;

function literalGlob(source: string, ignoreCase: boolean): FlatGlob {
  const literal = ignoreCase ? source.toLowerCase() : source;
  return {
    source,
    literal,
    prefix: literal,
    test: ignoreCase ? (v) => v.toLowerCase() === literal : (v) => v === literal,
  };
}

export function compileFlatGlob(source: string, options?: { ignoreCase?: boolean }): FlatGlob {
  const ignoreCase = options?.ignoreCase === true;
  if (!GLOB_SYNTAX.test(source)) return literalGlob(source, ignoreCase);
  let re = "";
  let literalText = "";
  let prefix: string | null = null;
  let i = 0;
  while (i < source.length) {
    // Copy the run of ordinary characters up to the next glob character in one go.
    NEXT_SYNTAX.lastIndex = i;
    const stop = NEXT_SYNTAX.exec(source)?.index ?? source.length;
    if (stop > i) {
      const run = source.slice(i, stop);
      re += run.replace(REGEX_SPECIAL, "\\$&");
      literalText += run;
      i = stop;
      continue;
    }
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined) throw new GlobSyntaxError("dangling backslash");
      re += next.replace(REGEX_SPECIAL, "\\$&");
      literalText += next;
      i += 2;
      continue;
    }
    if (c === "*" || c === "?" || c === "[") {
      prefix ??= literalText;
      if (c === "*") {
        while (source[i + 1] === "*") i++;
        re += "[^]*";
        i++;
      } else if (c === "?") {
        re += "[^]";
        i++;
      } else {
        const close = source.indexOf("]", i + 2);
        if (close < 0) throw new GlobSyntaxError(`unclosed \`[\` at offset ${i}`);
        let body = source.slice(i + 1, close);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\(?!\])/g, "\\\\")}]`;
        i = close + 1;
      }
    }
  }
  if (prefix === null) return { ...literalGlob(literalText, ignoreCase), source };
  let regex: RegExp;
  try {
    regex = new RegExp(`^${re}$`, ignoreCase ? "si" : "s");
  } catch (error) {
    throw new GlobSyntaxError((error as Error).message);
  }
  return { source, literal: null, prefix, test: (v) => regex.test(v) };
}
