import type { Effect, Kind } from "./types.js";

/**
 * The effect a kind gets when no rule matches and the policy's `defaults:` does not name it.
 * Reading files is allowed (agents read code all day; secrets are carved out by deny rules);
 * writing and running ask a human; network and credentials are denied until a rule opens them;
 * MCP tool calls ask, because a tool can act on an external system.
 */
export const BUILTIN_DEFAULTS: Readonly<Record<Kind, Effect>> = Object.freeze({
  exec: "ask",
  "fs.read": "allow",
  "fs.write": "ask",
  "net.connect": "deny",
  "mcp.call": "ask",
  "cred.use": "deny",
});

/**
 * `defaults.dynamic`: a command whose name, or a path whose value, is only known at run time
 * (`$CMD args`, `$(curl …)` as a command, `> "$OUT"`) cannot be matched against any rule; a human
 * looks at it unless the policy says otherwise.
 */
export const BUILTIN_DYNAMIC_DEFAULT: Effect = "ask";
