/** Percentiles and the one-line-per-figure report every benchmark prints beside its target. */
import { readFileSync } from "node:fs";

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function summarize(samples: number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export function median(samples: number[]): number {
  return summarize(samples).p50;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** `<=` targets are ceilings (latency), `>=` are floors (throughput, ratios). */
  target?: { op: "<=" | ">="; value: number };
}

const results: Figure[] = [];

export function report(figure: Figure): void {
  results.push(figure);
  const value = formatNumber(figure.value);
  let verdict = "";
  if (figure.target) {
    const met =
      figure.target.op === "<="
        ? figure.value <= figure.target.value
        : figure.value >= figure.target.value;
    verdict = `  target ${figure.target.op} ${formatNumber(figure.target.value)} ${figure.unit}  ${met ? "MET" : "MISSED"}`;
  }
  process.stdout.write(
    `${figure.name.padEnd(52)} ${value.padStart(12)} ${figure.unit}${verdict}\n`,
  );
}

export function missed(): Figure[] {
  return results.filter(
    (f) =>
      f.target && !(f.target.op === "<=" ? f.value <= f.target.value : f.value >= f.target.value),
  );
}

function formatNumber(n: number): string {
  if (n >= 1000) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux; NaN elsewhere): a
 * figure the shared machine's load moves far less than wall time.
 */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

const CLOCK_TICKS = 100;
