/**
 * Importers from the permission formats teams already wrote for their agents into Warden
 * policies: Claude Code settings.json permissions, Codex CLI execpolicy rules, Gemini CLI
 * policy TOML. Each is a pure function of the source text; the report lists what could not be
 * mapped and what was approximated.
 */
import { importClaudeCode } from "./claude-code.js";
import { importCodex } from "./codex.js";
import type { ImportOptions, ImportResult } from "./common.js";
import { importGemini } from "./gemini.js";

export { bashPattern, claudePath, importClaudeCode } from "./claude-code.js";
export { importCodex, shlexSplit } from "./codex.js";
export {
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  ImportSyntaxError,
} from "./common.js";
export { importGemini, regexPrefixes } from "./gemini.js";

export const IMPORT_FORMATS = ["claude-code", "codex", "gemini"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function isImportFormat(text: string): text is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(text);
}

export function importPolicy(
  format: ImportFormat,
  text: string,
  options: ImportOptions = {},
): ImportResult {
  switch (format) {
    case "claude-code":
      return importClaudeCode(text, options);
    case "codex":
      return importCodex(text, options);
    case "gemini":
      return importGemini(text, options);
  }
}
