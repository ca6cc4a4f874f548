import { analyzeLine } from "./analyzer.js";
import { loadBash } from "./bash.js";
import type { ShellAnalyzer } from "./types.js";

export { analyzePlainLine } from "./analyzer.js";

export type {
  AnalyzeOptions,
  CommandAnalysis,
  FileAccess,
  FileAccessKind,
  ShellAnalyzer,
  ShellParseError,
  SimpleCommand,
} from "./types.js";

let loading: Promise<ShellAnalyzer> | undefined;

/**
 * Loads the bash grammar (bash.ts) once per process and returns an analyzer whose `analyze` is
 * synchronous. `analyzePlainLine` needs no grammar, for plain lines only (plain.ts).
 */
export function loadShellAnalyzer(): Promise<ShellAnalyzer> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<ShellAnalyzer> {
  const { parser, grammar } = await loadBash();
  return {
    analyze: (commandLine, options) => analyzeLine(parser, grammar, commandLine, options),
  };
}
