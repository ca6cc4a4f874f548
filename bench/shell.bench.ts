/**
 * Command analysis figures: loading the bash grammar once, and analysing a 2 KB compound command
 * line (pipelines, loops, wrappers, here-docs, nested `bash -c` and `ssh` strings). The baseline
 * in the same run is tree-sitter's parse alone: what any analysis on this grammar must pay.
 */
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { loadShellAnalyzer } from "../src/shell/index.js";
import { report, summarize } from "./report.js";

const PARTS = [
  "git status && ls -la src | grep -v node_modules > /tmp/out.txt",
  "for f in $(find . -name '*.ts' -not -path './node_modules/*'); do wc -l \"$f\"; done",
  "if [ -f package.json ]; then cat package.json | head -n 20; else echo missing; fi",
  "bash -c 'cd /tmp && tar czf backup.tgz ~/project && echo done' 2>&1 | tee -a log.txt",
  "sudo -u deploy env NODE_ENV=production timeout 30 node server.js --port=8080 &",
  "find . -type f -name '*.log' -exec rm -f {} \\; ; xargs -n1 echo < list.txt",
  "git -c core.pager=cat log --oneline -n 10 | awk '{print $1}' | sort | uniq -c",
  "curl -sSL https://example.com/install.sh -o /tmp/install.sh && sha256sum /tmp/install.sh",
  "X=$(date +%s); echo \"started at $X\" >> ~/.cache/run.log; python3 -c 'print(1)'",
  'case "$1" in start) npm run dev;; stop) pkill -f node;; *) echo usage;; esac',
  'cat <<EOF > config.json\n{"a": "$(whoami)"}\nEOF',
  "ssh build@ci.example.com 'cd app && git pull && make -j4' || echo failed",
];

export function compoundLine(bytes: number): string {
  let line = "";
  for (let i = 0; line.length < bytes; i++) line += (line ? "\n" : "") + PARTS[i % PARTS.length];
  return line;
}

function timeMany(n: number, fn: () => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

export async function shellBench(): Promise<void> {
  const t0 = performance.now();
  const analyzer = await loadShellAnalyzer();
  report({
    name: "load the bash grammar (once per process)",
    value: performance.now() - t0,
    unit: "ms",
  });

  const line = compoundLine(2048);
  const analysis = analyzer.analyze(line);
  if (analysis.error) throw new Error(`bench line does not parse: ${analysis.error.message}`);
  timeMany(300, () => analyzer.analyze(line));
  const analyze = summarize(timeMany(2000, () => analyzer.analyze(line)));

  const { Parser, Language } = await import("web-tree-sitter");
  const require = createRequire(import.meta.url);
  const parser = new Parser();
  parser.setLanguage(
    await Language.load(require.resolve("tree-sitter-bash/tree-sitter-bash.wasm")),
  );
  timeMany(300, () => parser.parse(line)?.delete());
  const parse = summarize(timeMany(2000, () => parser.parse(line)?.delete()));

  const size = `${Buffer.byteLength(line)} B, ${analysis.commands.length} commands`;
  report({
    name: `analyse a compound command (${size}) p50`,
    value: analyze.p50,
    unit: "ms",
    target: { op: "<=", value: 1 },
  });
  report({ name: "tree-sitter parse alone, same line, p50", value: parse.p50, unit: "ms" });
  report({ name: "analysis vs parse alone (ratio)", value: analyze.p50 / parse.p50, unit: "×" });
}
