/**
 * Command prefixes as Warden exec patterns. Shared by the Claude Code (`Bash(git log:*)`) and
 * Gemini CLI (`commandPrefix = "git log"`) importers: both read a prefix as whole words.
 */
import { splitShellWords } from "../shell-words.js";
import { literalToken } from "./common.js";

export type Converted = { pattern: string; approximations: string[] } | { unmapped: string };

/**
 * `prefix` as literal words followed by `*` (any further arguments, none included). A prefix
 * with shell operators, or one that does not split, cannot be a Warden pattern.
 */
export function prefixPattern(prefix: string): Converted {
  const words = simpleWords(prefix);
  if ("unmapped" in words) return words;
  if (words.words.length === 0) return { pattern: "*", approximations: [] };
  return {
    pattern: `${words.words.map((w) => literalToken(w.text)).join(" ")} *`,
    approximations: [],
  };
}

export function simpleWords(
  command: string,
): { words: { text: string; quoted: boolean }[] } | { unmapped: string } {
  let split: ReturnType<typeof splitShellWords>;
  try {
    split = splitShellWords(command);
  } catch (error) {
    return { unmapped: `the command does not split into words: ${(error as Error).message}` };
  }
  if (split.operators.length > 0 || split.segments.length > 1) {
    return {
      unmapped: `it names a compound command (\`${split.operators[0] ?? ";"}\`); Warden decides each simple command of a command line on its own, so write one rule per command`,
    };
  }
  return { words: split.segments[0] ?? [] };
}
