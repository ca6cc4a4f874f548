/**
 * The MCP gateway's credential checks, per call: scanning typical arguments and a 1 KB text
 * result (clean, as nearly every call is) for ten held secrets and every credential shape,
 * against `JSON.stringify` of the same values in this run (the work a call already pays to be
 * forwarded and audited).
 */
import { performance } from "node:perf_hooks";
import { CredentialScanner } from "../src/mcp/dlp.js";
import { report, summarize } from "./report.js";

function time(rounds: number, fn: () => unknown): number[] {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    samples.push((performance.now() - t0) * 1000);
  }
  return samples;
}

export function dlpBench(): void {
  const held = new Map(
    Array.from({ length: 10 }, (_, i) => [`s${i}`, `held-secret-value-${i}-x9`]),
  );
  const scanner = new CredentialScanner({ values: () => held });
  const args = { path: "/work/project/src/index.ts", query: "select * from users", limit: 50 };
  const line = "The quick brown fox reads https://example.com/docs and returns 42 rows.\n";
  const result = { content: [{ type: "text", text: line.repeat(Math.ceil(1024 / line.length)) }] };
  const perCall = () => {
    scanner.scan(args);
    return scanner.redact(result);
  };
  const baseline = () => JSON.stringify(args) + JSON.stringify(result);
  time(20_000, perCall); // warm up the JIT
  time(20_000, baseline);
  const checks = summarize(time(50_000, perCall));
  const json = summarize(time(50_000, baseline));
  report({
    name: "credential checks per call p50 (args + 1 KB result)",
    value: checks.p50,
    unit: "µs",
    // A tenth of the gateway's whole added-latency budget (0.5 ms).
    target: { op: "<=", value: 50 },
  });
  report({
    name: "  same values through JSON.stringify p50 (baseline)",
    value: json.p50,
    unit: "µs",
  });
  report({ name: "  ratio checks / JSON.stringify", value: checks.p50 / json.p50, unit: "x" });
}
