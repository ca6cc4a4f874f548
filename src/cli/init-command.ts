/** `warden init`: install the starter policy and create the audit log and its signing key. */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuditLog } from "../audit/index.js";
import { loadPolicy } from "../policy/index.js";
import { wardenHome } from "./locate.js";
import { EXIT } from "./output.js";

export const STARTER_POLICIES = ["coding-agent", "business-agent"] as const;

export function starterPolicyPath(name: string): string {
  return fileURLToPath(new URL(`../../examples/policies/${name}.yaml`, import.meta.url));
}

export function init(options: { policy?: string; force?: boolean }): number {
  const home = wardenHome();
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const name = options.policy ?? "coding-agent";
  const target = join(home, "policy.yaml");
  if (existsSync(target) && !options.force) {
    process.stdout.write(`kept the policy already at ${target} (--force replaces it)\n`);
  } else {
    const source = starterPolicyPath(name);
    loadPolicy(source); // never install a starter that does not compile
    copyFileSync(source, target);
    process.stdout.write(`installed the ${name} starter policy at ${target}\n`);
  }
  const log = AuditLog.open({ home });
  try {
    process.stdout.write(`audit log at ${join(home, "audit.db")} (${log.size()} events)\n`);
    process.stdout.write(`verifier key: ${log.verifierKey()}\n`);
  } finally {
    log.close();
  }
  process.stdout.write(
    'next: warden decide --exec "git push origin main"   (then: warden audit tail)\n',
  );
  return EXIT.ok;
}
