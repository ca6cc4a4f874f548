/** Terminal output helpers shared by the commands: plain tables, JSON, and coded errors. */
import { WardenError } from "../errors.js";

/** Exit codes: `warden decide` maps effects onto them so that shell scripts can branch. */
export const EXIT = { ok: 0, failure: 1, deny: 2, ask: 3, usage: 64 } as const;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns, the last one unpadded; cells are single-line. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((r) => r.map((c) => c.replace(/\s*\n\s*/g, " ")));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Prints an error the way every command does: `warden: CODE: message` plus an optional hint. */
export function reportError(error: unknown): void {
  if (error instanceof WardenError) {
    process.stderr.write(`warden: ${error.code}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`warden: internal error: ${message}\n`);
}

/** `1h`, `30m`, `45s`, `2d`, `1w` before now, or an ISO-8601 date. */
export function parseTime(text: string, now = Date.now()): Date {
  const relative = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[relative[2] as "s"];
    return new Date(now - Number(relative[1]) * unit);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new WardenError("CLI_BAD_TIME", `cannot read "${text}" as a time`, {
      hint: "use a duration before now (30s, 15m, 1h, 2d, 1w) or an ISO date (2026-11-25T10:00Z)",
    });
  }
  return date;
}

export function parseCount(text: string, name: string): number {
  if (!/^\d+$/.test(text)) {
    throw new WardenError(
      "CLI_BAD_NUMBER",
      `${name} must be a non-negative integer, got "${text}"`,
    );
  }
  return Number(text);
}
