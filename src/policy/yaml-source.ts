import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { type Diagnostic, nearest } from "./diagnostics.js";
import { composeFast } from "./yaml-fast.js";

/**
 * A YAML file being validated: positions for nodes, and helpers that check a node's type or keys
 * and record diagnostics instead of throwing, so one run reports every problem.
 */
export class YamlSource {
  readonly diagnostics: Diagnostic[] = [];
  readonly root: Node | null;
  /** Start offsets of the lines, for `position`. */
  readonly lines = new LineCounter();

  /** `fast: false` skips the fast composer (tests compare the two). */
  constructor(
    readonly text: string,
    readonly file: string,
    options?: { fast?: boolean },
  ) {
    // Most files take the fast composer, which builds the very tree parseDocument would; it
    // declines anything it cannot reproduce exactly (errors included), and parseDocument runs.
    const fast = options?.fast === false ? undefined : composeFast(text);
    if (fast !== undefined) {
      this.root = fast;
      const starts = this.lines.lineStarts;
      starts.push(0);
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
      return;
    }
    const doc = parseDocument(text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    for (const error of doc.errors) {
      const duplicate = error.code === "DUPLICATE_KEY";
      this.reportAt(
        error.pos[0],
        duplicate ? "POLICY_DUPLICATE_KEY" : "POLICY_YAML_SYNTAX",
        error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""),
      );
    }
    this.root = doc.errors.length > 0 ? null : ((doc.contents as Node | null) ?? null);
  }

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  reportAt(
    offset: number,
    code: string,
    message: string,
    hint?: string,
    severity: Diagnostic["severity"] = "error",
  ): void {
    const d: Diagnostic = { severity, code, message, file: this.file, ...this.position(offset) };
    if (hint !== undefined) d.hint = hint;
    this.diagnostics.push(d);
  }

  report(node: Node | null | undefined, code: string, message: string, hint?: string): void {
    this.reportAt(node?.range?.[0] ?? 0, code, message, hint);
  }

  warn(node: Node | null | undefined, code: string, message: string, hint?: string): void {
    this.reportAt(node?.range?.[0] ?? 0, code, message, hint, "warning");
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === "error");
  }

  map(node: Node | null | undefined, what: string): YAMLMap<Scalar, Node> | null {
    if (isMap(node)) return node as YAMLMap<Scalar, Node>;
    this.report(node, "POLICY_TYPE", `${what} must be a mapping, not ${describe(node)}`);
    return null;
  }

  seq(node: Node | null | undefined, what: string, hint?: string): YAMLSeq<Node> | null {
    if (isSeq(node)) return node as YAMLSeq<Node>;
    this.report(node, "POLICY_TYPE", `${what} must be a list, not ${describe(node)}`, hint);
    return null;
  }

  string(node: Node | null | undefined, what: string): string | null {
    if (isScalar(node) && typeof node.value === "string") return node.value;
    this.report(node, "POLICY_TYPE", `${what} must be a string, not ${describe(node)}`);
    return null;
  }

  /** Pairs of a mapping with string keys, reporting keys outside `allowed` with a suggestion. */
  entries(
    map: YAMLMap<Scalar, Node>,
    allowed: readonly string[],
    where: string,
  ): Pair<Scalar, Node>[] {
    const out: Pair<Scalar, Node>[] = [];
    for (const pair of map.items) {
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : null;
      if (name === null || !allowed.includes(name)) {
        const suggestion = name === null ? undefined : nearest(name, allowed);
        this.report(
          key as Node,
          "POLICY_UNKNOWN_KEY",
          `unknown key \`${name ?? "?"}\` in ${where}`,
          suggestion === undefined
            ? `valid keys: ${allowed.join(", ")}`
            : `did you mean \`${suggestion}\`?`,
        );
        continue;
      }
      out.push(pair as Pair<Scalar, Node>);
    }
    return out;
  }

  /** Maps an offset inside a scalar's value to a file offset (exact for one-line scalars). */
  offsetInScalar(node: Scalar, valueOffset: number): number {
    const start = node.range?.[0] ?? 0;
    const end = node.range?.[1] ?? start;
    const raw = this.text.slice(start, end);
    switch (node.type) {
      case Scalar.PLAIN:
        return raw.includes("\n") ? start : start + valueOffset;
      case Scalar.QUOTE_SINGLE:
      case Scalar.QUOTE_DOUBLE:
        return raw.includes("\n") ? start : start + 1 + valueOffset;
      case Scalar.BLOCK_LITERAL:
      case Scalar.BLOCK_FOLDED: {
        // Value line k sits on the k-th content line after the `|` header, after the block's
        // indentation (that of its first content line; deeper indentation is part of the value).
        const value = String(node.value);
        const before = value.slice(0, valueOffset);
        const k = before.split("\n").length - 1;
        const col = valueOffset - (before.lastIndexOf("\n") + 1);
        const firstLine = this.text.indexOf("\n", start) + 1;
        if (firstLine <= 0) return start;
        const indent = /^ */.exec(this.text.slice(firstLine))?.[0].length ?? 0;
        let lineStart = firstLine;
        for (let i = 0; i < k && lineStart > 0; i++)
          lineStart = this.text.indexOf("\n", lineStart) + 1;
        if (lineStart <= 0) return start;
        return lineStart + indent + col;
      }
      default:
        return start;
    }
  }
}

export function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "null";
    if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
    return `the ${typeof v} ${String(v)}`;
  }
  return "an alias";
}
