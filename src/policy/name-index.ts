import { compileFlatGlob, type FlatGlob } from "./flat-glob.js";
import type { DecisionEnv, KindIndex, OnMatch, PatternEntry, Refusal } from "./rule.js";
import type { CredTarget, McpTarget, Request } from "./types.js";

/**
 * Two-part names: `server/tool` for mcp.call, `name:scope` for cred.use. Each part is a flat glob
 * (`salesforce/get_*`, `gmail/*`, `github:*`); a pattern must name both parts, so `github` alone is
 * an error rather than a silent grant of every scope. Indexed by the literal first part.
 */
interface NamePattern {
  readonly entry: PatternEntry;
  readonly first: FlatGlob;
  readonly second: FlatGlob;
}

export class NameIndex implements KindIndex {
  private readonly byFirst = new Map<string, NamePattern[]>();
  private readonly fallback: NamePattern[] = [];

  constructor(
    private readonly separator: "/" | ":",
    private readonly shape: string,
    private readonly parts: (request: Request) => readonly [string, string],
  ) {}

  add(entry: PatternEntry): string | null {
    const at = entry.pattern.indexOf(this.separator);
    if (at <= 0 || at === entry.pattern.length - 1) {
      return `pattern \`${entry.pattern}\` must have the form \`${this.shape}\``;
    }
    let first: FlatGlob;
    let second: FlatGlob;
    try {
      first = compileFlatGlob(entry.pattern.slice(0, at));
      second = compileFlatGlob(entry.pattern.slice(at + 1));
    } catch (error) {
      return `pattern \`${entry.pattern}\`: ${(error as Error).message}`;
    }
    const compiled: NamePattern = { entry, first, second };
    if (first.literal === null) this.fallback.push(compiled);
    else {
      const list = this.byFirst.get(first.literal);
      if (list === undefined) this.byFirst.set(first.literal, [compiled]);
      else list.push(compiled);
    }
    return null;
  }

  match(request: Request, onMatch: OnMatch, _env: DecisionEnv): Refusal | undefined {
    const [a, b] = this.parts(request);
    const list = this.byFirst.get(a);
    if (list !== undefined) for (const p of list) if (p.second.test(b)) onMatch(p.entry, "");
    for (const p of this.fallback) if (p.first.test(a) && p.second.test(b)) onMatch(p.entry, "");
    return undefined;
  }

  describe(request: Request): string {
    const [a, b] = this.parts(request);
    return this.separator === "/" ? `tool ${a}/${b}` : `credential ${a}:${b}`;
  }
}

export function mcpIndex(): NameIndex {
  return new NameIndex("/", "server/tool", (r) => {
    const t = r.target as McpTarget;
    return [t.server, t.tool];
  });
}

export function credIndex(): NameIndex {
  return new NameIndex(":", "name:scope", (r) => {
    const t = r.target as CredTarget;
    return [t.name, t.scope];
  });
}
