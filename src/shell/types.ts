/** One simple command that will run, as extracted from a shell command line. */
export interface SimpleCommand {
  /**
   * The words of the command after quote removal. A word whose value is only known at run time is
   * kept as its source text (e.g. `$FILE`, `$(id)`, `*.ts`) and its index is in `dynamicArgIndexes`.
   */
  argv: string[];
  /** Source text of the command (for commands found inside a wrapper: the argv, shell-quoted). */
  text: string;
  /**
   * How the command was reached, outermost first: e.g. `["bash -c", "$(…)"]`. Empty for a command
   * written directly on the line.
   */
  path: string[];
  /** The command name is only known at run time; `reason` says why. Decide by `defaults.dynamic`. */
  dynamic: boolean;
  /** At least one argument is only known at run time (see `dynamicArgIndexes`). */
  dynamicArgs: boolean;
  /** Indexes into `argv` of the words only known at run time (globs, expansions, substitutions). */
  dynamicArgIndexes: number[];
  /** An interpreter running code given inline (`python -c`, `node -e`, `awk` with `system(`…). */
  inlineCode: boolean;
  /** Runs on another machine (`ssh host CMD`). */
  remote: boolean;
  /**
   * This command runs another command that is also in the list (`sudo`, `env`, `bash -c`,
   * `find -exec`, `xargs`…). It is still listed so a policy can decide the wrapper itself.
   */
  wrapper: boolean;
  /** Human sentence explaining `dynamic` (and, when set, what made the arguments dynamic). */
  reason?: string;
}

export type FileAccessKind = "fs.read" | "fs.write";

/** A file the command line reads or writes, from a redirection or from a command's known flags. */
export interface FileAccess {
  kind: FileAccessKind;
  /** The path as written (after quote removal); the policy normalises it against the cwd. */
  path: string;
  /** The path is only known at run time; `path` is then its source text. */
  dynamic: boolean;
  /** What implied the access: a redirection operator (`>`, `>>`, `<`…) or a command (`tee`, `cp`…). */
  via: string;
  /** Nesting path of the command the access belongs to (as in `SimpleCommand.path`). */
  commandPath: string[];
}

export interface ShellParseError {
  message: string;
  /** Offset (UTF-16 code units) into the analysed command line. */
  offset: number;
}

export interface CommandAnalysis {
  commands: SimpleCommand[];
  files: FileAccess[];
  /** Set when the line (or a string it runs, like `bash -c '…'`) does not parse: deny it. */
  error?: ShellParseError;
}

export interface AnalyzeOptions {
  /**
   * Working directory of the command. Paths stay as written (relative paths after a `cd DIR` on
   * the same line are joined to DIR); the policy resolves them against this directory.
   */
  cwd?: string;
}

export interface ShellAnalyzer {
  analyze(commandLine: string, options?: AnalyzeOptions): CommandAnalysis;
}
