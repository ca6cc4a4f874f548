/**
 * Where a command finds its policy when none is named: `$WARDEN_POLICY`, the project's
 * `.warden/policy.yaml` (this directory or a parent), then `$WARDEN_HOME/policy.yaml`.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { WardenError } from "../errors.js";

export function wardenHome(): string {
  return process.env.WARDEN_HOME ?? join(homedir(), ".warden");
}

export function locatePolicy(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) return explicit;
  const fromEnv = process.env.WARDEN_POLICY;
  if (fromEnv) return fromEnv;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, ".warden", "policy.yaml");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const home = join(wardenHome(), "policy.yaml");
  if (existsSync(home)) return home;
  throw new WardenError("POLICY_NOT_FOUND", "no policy found, so every request is denied", {
    hint:
      "run `warden init` to install the starter policy in $WARDEN_HOME, name a file, " +
      "set WARDEN_POLICY, or add .warden/policy.yaml to the project",
  });
}
