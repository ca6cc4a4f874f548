import { createRequire } from "node:module";
import { analyzeLine } from "./analyzer.js";
import { grammarOf, rawCursorApi } from "./syntax.js";
import type { ShellAnalyzer } from "./types.js";

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
 * Loads the bash grammar (tree-sitter-bash compiled to WebAssembly, read from node_modules; no
 * network) once per process and returns an analyzer whose `analyze` is synchronous.
 */
export function loadShellAnalyzer(): Promise<ShellAnalyzer> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<ShellAnalyzer> {
  const { Parser, Language } = await import("web-tree-sitter");
  const require = createRequire(import.meta.url);
  // The module object the runtime fills with its exports; empty when another caller in this
  // process initialised web-tree-sitter first (then trees are read through `TreeCursor`).
  const module = {};
  await Parser.init(module);
  const bash = await Language.load(require.resolve("tree-sitter-bash/tree-sitter-bash.wasm"));
  const parser = new Parser();
  parser.setLanguage(bash);
  const grammar = grammarOf(bash, rawCursorApi(module));
  return {
    analyze: (commandLine, options) => analyzeLine(parser, grammar, commandLine, options),
  };
}
