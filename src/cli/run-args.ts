/**
 * `warden run`'s arguments read without commander, for the common exact form: options (each at
 * most once: `--policy FILE`, `--workspace DIR`, `--agent NAME`, `--report-only`), then `--` and
 * CMD. Anything else (help, `--opt=value`, an unknown or repeated option, no `--`) is left to
 * commander, which parses it as before and says what is wrong. Saves loading commander and
 * building every subcommand on the path every contained agent start takes.
 */
export interface RunArgs {
  command: string[];
  options: { policy?: string; workspace?: string; agent: string; reportOnly?: true };
}

const VALUED = { "--policy": "policy", "--workspace": "workspace", "--agent": "agent" } as const;

/** `args`: what follows `warden run`. Null when commander must parse them. */
export function parseRunArgs(args: readonly string[]): RunArgs | null {
  const seen = new Set<string>();
  const options: RunArgs["options"] = { agent: "unknown" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      const command = args.slice(i + 1);
      return command.length > 0 ? { command, options } : null;
    }
    if (seen.has(arg)) return null;
    seen.add(arg);
    if (arg === "--report-only") {
      options.reportOnly = true;
      continue;
    }
    const key = (VALUED as Record<string, (typeof VALUED)[keyof typeof VALUED]>)[arg];
    const value = args[i + 1];
    // A value that looks like an option is commander's to judge.
    if (key === undefined || value === undefined || value.startsWith("-")) return null;
    options[key] = value;
    i++;
  }
  return null;
}
