/**
 * `warden policy import <claude-code|codex|gemini> FILE`: turn an agent's own permission rules
 * into a Warden policy. The YAML goes to stdout (or -o), the report of what could not be mapped
 * or was approximated to stderr (or, with --json, everything as one JSON object on stdout).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { WardenError } from "../errors.js";
import {
  IMPORT_FORMATS,
  type ImportNote,
  importPolicy,
  isImportFormat,
} from "../policy/import/index.js";
import { formatDiagnostic, lintPolicy } from "../policy/index.js";
import { EXIT, printJson } from "./output.js";

export interface ImportCommandOptions {
  output?: string;
  tests?: string;
  name?: string;
  json?: boolean;
}

export function importCommand(format: string, file: string, options: ImportCommandOptions): number {
  if (!isImportFormat(format)) {
    throw new WardenError("CLI_BAD_FORMAT", `unknown format "${format}"`, {
      hint: `formats: ${IMPORT_FORMATS.join(", ")}`,
    });
  }
  if (options.tests !== undefined && format !== "codex") {
    throw new WardenError(
      "CLI_BAD_OPTION",
      "--tests is for codex rules, whose match / not_match examples become Warden tests",
    );
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WardenError("CLI_UNREADABLE", `cannot read ${file}: ${reason}`);
  }
  const importOptions: { file: string; name?: string } = { file };
  if (options.name !== undefined) importOptions.name = options.name;
  const result = importPolicy(format, text, importOptions);

  // The generated policy must compile; anything else is a bug in the importer, not the input.
  const { diagnostics } = lintPolicy(result.policy, { file: options.output ?? "imported.yaml" });
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw new WardenError(
      "IMPORT_INVALID_OUTPUT",
      `the imported policy does not compile:\n${errors.map(formatDiagnostic).join("\n")}`,
      { hint: "this is a bug in the importer; please report it with the source file" },
    );
  }

  if (options.output !== undefined) writeOut(options.output, result.policy);
  if (options.tests !== undefined) writeOut(options.tests, result.tests ?? "tests: []\n");

  const counts = {
    unmapped: result.report.filter((n) => n.level === "unmapped").length,
    approximated: result.report.filter((n) => n.level === "approximated").length,
    info: result.report.filter((n) => n.level === "info").length,
  };
  const ruleCount = (result.policy.match(/^ {2}- id: /gm) ?? []).length;
  if (options.json) {
    const out: Record<string, unknown> = {
      format,
      source: file,
      rules: ruleCount,
      counts,
      report: result.report,
    };
    if (options.output === undefined) out.policy = result.policy;
    else out.output = options.output;
    if (options.tests !== undefined) out.tests = options.tests;
    printJson(out);
    return EXIT.ok;
  }
  if (options.output === undefined) process.stdout.write(result.policy);
  process.stderr.write(formatReport(file, result.report, ruleCount, counts));
  return EXIT.ok;
}

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WardenError("CLI_UNWRITABLE", `cannot write ${path}: ${reason}`);
  }
}

export function formatReport(
  file: string,
  report: readonly ImportNote[],
  ruleCount: number,
  counts: { unmapped: number; approximated: number; info: number },
): string {
  const lines: string[] = [];
  const order = { unmapped: 0, approximated: 1, info: 2 } as const;
  const sorted = [...report].sort(
    (a, b) => order[a.level] - order[b.level] || (a.line ?? 0) - (b.line ?? 0),
  );
  const label = { unmapped: "not mapped", approximated: "approximated", info: "note" } as const;
  for (const n of sorted) {
    const where = n.line === undefined ? file : `${file}:${n.line}`;
    lines.push(`${where}: ${label[n.level]}: ${n.message}`);
    if (n.source !== undefined) lines.push(`    ${n.source}`);
  }
  const summary =
    counts.unmapped === 0 && counts.approximated === 0
      ? `imported ${ruleCount} rule${ruleCount === 1 ? "" : "s"}; everything mapped`
      : `imported ${ruleCount} rule${ruleCount === 1 ? "" : "s"}; ${counts.approximated} approximated, ${counts.unmapped} not mapped (see above)`;
  lines.push(summary);
  return `${lines.join("\n")}\n`;
}
