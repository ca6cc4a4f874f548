import { WardenError } from "../errors.js";

/** One finding about a policy or policy test file, positioned in its source. */
export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  hint?: string;
}

/** `policy.yaml:12:5: error POLICY_UNKNOWN_KEY: unknown key ...` plus an indented hint line. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`;
  return d.hint === undefined ? head : `${head}\n  hint: ${d.hint}`;
}

/** Thrown when a policy (or policy test file) has at least one error-severity diagnostic. */
export class PolicyError extends WardenError {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const shown = errors.length > 0 ? errors : diagnostics;
    const noun = shown.length === 1 ? "error" : "errors";
    super(
      "POLICY_INVALID",
      `policy has ${shown.length} ${noun}:\n${shown.map(formatDiagnostic).join("\n")}`,
      shown[0]?.hint === undefined ? undefined : { hint: shown[0].hint },
    );
    this.name = "PolicyError";
    this.diagnostics = diagnostics;
  }
}

/** Edit distance, for "did you mean" hints on misspelt keys. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that still reads as a typo, if any. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
