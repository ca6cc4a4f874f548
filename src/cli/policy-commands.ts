/** `warden policy lint | explain | test`: the policy author's tools. */
import { readFileSync } from "node:fs";
import { WardenError } from "../errors.js";
import {
  type CompiledPolicy,
  formatDiagnostic,
  lintPolicy,
  loadPolicy,
  requestFromFlags,
  runPolicyTests,
} from "../policy/index.js";
import { loadShellAnalyzer } from "../shell/index.js";
import { describeDecision, describePolicy, describeRequest } from "./describe.js";
import { EXIT, printJson } from "./output.js";
import { requestFlagsOf } from "./request-flags.js";

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new WardenError("CLI_UNREADABLE", `cannot read ${what} ${path}: ${errorMessage(error)}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function lint(files: string[], options: { strict?: boolean; json?: boolean }): number {
  let errors = 0;
  let warnings = 0;
  const results = files.map((file) => {
    const { diagnostics } = lintPolicy(readText(file, "policy"), { file });
    for (const d of diagnostics) d.severity === "error" ? errors++ : warnings++;
    return { file, diagnostics };
  });
  if (options.json) {
    printJson({ files: results, errors, warnings });
  } else {
    for (const { diagnostics } of results) {
      for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    }
    const summary = `${files.length} file${files.length === 1 ? "" : "s"}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
    process.stdout.write(`${summary}\n`);
  }
  return errors > 0 || (options.strict && warnings > 0) ? EXIT.failure : EXIT.ok;
}

export async function explain(file: string, options: Record<string, unknown>): Promise<number> {
  const policy: CompiledPolicy = loadPolicy(file, { shell: await loadShellAnalyzer() });
  const request = requestFromFlags(requestFlagsOf(options));
  const explanation = policy.explain(request);
  if (options.json) {
    printJson(explanation.decision);
    return EXIT.ok;
  }
  const { decision } = explanation;
  const lines = [
    describeDecision(decision),
    `  request: ${describeRequest(explanation.request)}`,
    `  policy:  ${describePolicy(decision)}`,
  ];
  if (explanation.parts !== undefined) {
    lines.push("  commands and files:");
    for (const part of explanation.parts) {
      const d = part.decision;
      const by = d.rule === null ? "default" : d.rule;
      lines.push(`    ${d.effect.padEnd(5)} ${part.subject} — ${by}`);
    }
  }
  if (explanation.matched.length === 0) {
    lines.push("  matched: no rule; the default for this kind decided");
  } else {
    lines.push("  matched:");
    for (const m of explanation.matched) {
      const mark = m.id === decision.rule ? "*" : " ";
      lines.push(`   ${mark} ${m.effect.padEnd(5)} ${m.id}: ${m.why}`);
    }
  }
  for (const note of explanation.notes) lines.push(`  note: ${note}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

export async function test(
  file: string,
  testsFile: string,
  options: { json?: boolean },
): Promise<number> {
  const policy = loadPolicy(file, { shell: await loadShellAnalyzer() });
  const report = runPolicyTests(policy, readText(testsFile, "test file"), { file: testsFile });
  if (options.json) {
    printJson(report);
  } else {
    for (const c of report.cases) {
      if (!c.passed) process.stdout.write(`FAIL ${testsFile}:${c.line} ${c.message ?? c.name}\n`);
    }
    process.stdout.write(`${report.passed} passed, ${report.failed} failed\n`);
  }
  return report.failed > 0 ? EXIT.failure : EXIT.ok;
}
