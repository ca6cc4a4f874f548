import { createRequire } from "node:module";
import type { Parser } from "web-tree-sitter";
import { type Grammar, grammarOf, rawCursorApi } from "./syntax.js";

/**
 * The bash grammar (tree-sitter-bash compiled to WebAssembly, read from node_modules; no network)
 * and a parser for it. ~50 ms: index.ts loads it once per process, and only for lines that are
 * not plain (plain.ts).
 */
export async function loadBash(): Promise<{ parser: Parser; grammar: Grammar }> {
  const { Parser, Language } = await import("web-tree-sitter");
  const require = createRequire(import.meta.url);
  // The module object the runtime fills with its exports; empty when another caller in this
  // process initialised web-tree-sitter first (then trees are read through `TreeCursor`).
  const module = {};
  await Parser.init(module);
  const bash = await Language.load(require.resolve("tree-sitter-bash/tree-sitter-bash.wasm"));
  const parser = new Parser();
  parser.setLanguage(bash);
  return { parser, grammar: grammarOf(bash, rawCursorApi(module)) };
}
