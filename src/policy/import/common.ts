/**
 * What every importer shares: the report entries, the parse error, and a writer that turns a
 * drafted policy into readable Warden YAML (one rule per source rule, each preceded by a comment
 * naming the source rule and its line).
 */
import { WardenError } from "../../errors.js";
import type { Effect, Kind } from "../types.js";

/**
 * One entry of the import report.
 * - `unmapped`: the source rule (or setting) has no Warden equivalent and was left out;
 * - `approximated`: it was imported, but Warden will not decide exactly as the source agent does;
 * - `info`: how something was read, worth knowing but not a difference in decisions.
 */
export interface ImportNote {
  level: "unmapped" | "approximated" | "info";
  /** 1-based line in the source file, when the note is about one place in it. */
  line?: number;
  /** The source rule or setting, as written (`Bash(npm run test:*)`, `prefix_rule(...)`). */
  source?: string;
  message: string;
}

export interface ImportOptions {
  /** The source file's name, used in comments, notes and errors. */
  file?: string;
  /** metadata.name of the generated policy. */
  name?: string;
}

export interface ImportResult {
  /** The Warden policy, YAML. */
  policy: string;
  report: ImportNote[];
  /** A Warden test file (codex: from the rules' match / not_match examples). */
  tests?: string;
}

/** The source could not be read at all: bad syntax or a shape the importer cannot interpret. */
export class ImportSyntaxError extends WardenError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(file: string, line: number | undefined, column: number | undefined, message: string) {
    const where =
      line === undefined ? file : `${file}:${line}${column === undefined ? "" : `:${column}`}`;
    super("IMPORT_PARSE", `${where}: ${message}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** 1-based line and column of a string offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

export interface DraftRule {
  /** Proposed id; made unique by the writer. */
  id: string;
  kind: Kind;
  effect: Effect;
  patterns: string[];
  reason?: string;
  /** Comment lines written above the rule (without `# `). */
  comment: string[];
}

export type DefaultsKey = Kind | "dynamic";

export interface DraftPolicy {
  name: string;
  description: string;
  /** Comment lines at the top of the file (without `# `). */
  header: string[];
  /** Written in this order; each value may carry a trailing comment. */
  defaults: { key: DefaultsKey; effect: Effect; comment?: string }[];
  rules: DraftRule[];
}

/** A YAML double-quoted scalar: JSON string syntax is valid YAML. */
export function yamlString(text: string): string {
  return JSON.stringify(text);
}

/** Lowercase words joined by dashes, at most `max` characters. */
export function slug(text: string, max = 48): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s.slice(0, max).replace(/-+$/g, "") || "rule";
}

function commentLines(lines: string[], indent: string): string[] {
  return lines.flatMap((l) => l.split("\n")).map((l) => `${indent}# ${l}`.trimEnd());
}

/** Renders a drafted policy as Warden YAML. */
export function writePolicy(draft: DraftPolicy): string {
  const out: string[] = [];
  out.push(...commentLines(draft.header, ""));
  out.push("apiVersion: warden/v1", "kind: Policy", "metadata:");
  out.push(`  name: ${yamlString(draft.name)}`);
  out.push(`  description: ${yamlString(draft.description)}`);
  if (draft.defaults.length > 0) {
    out.push("defaults:");
    for (const d of draft.defaults) {
      const line = `  ${d.key}: ${d.effect}`;
      out.push(d.comment === undefined ? line : `${line.padEnd(22)} # ${d.comment}`);
    }
  }
  if (draft.rules.length === 0) {
    out.push("rules: []");
    return `${out.join("\n")}\n`;
  }
  out.push("rules:");
  const used = new Set<string>();
  for (const rule of draft.rules) {
    let id = rule.id;
    for (let n = 2; used.has(id); n++) id = `${rule.id}-${n}`;
    used.add(id);
    out.push("");
    out.push(...commentLines(rule.comment, "  "));
    out.push(`  - id: ${id}`);
    out.push(`    kind: ${rule.kind}`);
    out.push(`    ${rule.effect}:`);
    for (const p of rule.patterns) out.push(`      - ${yamlString(p)}`);
    if (rule.reason !== undefined) out.push(`    reason: ${yamlString(rule.reason)}`);
  }
  return `${out.join("\n")}\n`;
}

/** Characters that never need quoting in an exec pattern token. */
const PLAIN_TOKEN = /^[A-Za-z0-9_@%+=:,./~^-]+$/;

/**
 * A literal argument as an exec pattern token: bare when it is plain, else single-quoted (quoted
 * pattern tokens are literal in Warden, so `*`, `?` and `[` in it are not globs).
 */
export function literalToken(text: string): string {
  if (PLAIN_TOKEN.test(text) && !text.startsWith("~")) return text;
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

/** A command line from literal tokens, for test files (POSIX quoting). */
export function commandLine(tokens: readonly string[]): string {
  return tokens.map(literalToken).join(" ");
}

export const STRENGTH: Readonly<Record<Effect, number>> = { allow: 0, ask: 1, deny: 2 };

export function strongest(effects: Iterable<Effect>): Effect | null {
  let best: Effect | null = null;
  for (const e of effects) if (best === null || STRENGTH[e] > STRENGTH[best]) best = e;
  return best;
}

/** A short one-line form of a source excerpt for comments and notes. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
