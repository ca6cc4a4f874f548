/**
 * The request shorthands parsed by commander, as the policy's RequestFlags. Kept apart from
 * request-options.ts, which every command loads at start-up, because this one loads the policy.
 */
import { type RequestFlags, STRING_REQUEST_FLAGS } from "../policy/index.js";

export function requestFlagsOf(options: Record<string, unknown>): RequestFlags {
  const flags: RequestFlags = {};
  for (const key of [...STRING_REQUEST_FLAGS, "args", "request"] as const) {
    const value = options[key];
    if (typeof value === "string") flags[key] = value;
  }
  // Relative paths, in a command line or given alone, mean what they mean where you stand.
  flags.cwd ??= process.cwd();
  const groups = options.group;
  if (Array.isArray(groups) && groups.length > 0) flags.group = groups.map(String);
  return flags;
}
