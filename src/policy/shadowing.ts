import type { PatternSpec, RuleSpec } from "./policy-spec.js";
import type { Kind } from "./types.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * Warnings for allow patterns that can never decide because an unconditional deny pattern of the
 * same kind covers them. Detects identical patterns, catch-all denies (`*`, `**`, any server and tool...) and
 * prefix denies (`/etc/**` over `/etc/ssh/*`, `git push *` over `git push origin main`,
 * `salesforce/*` over `salesforce/delete_all`). Not a full glob-inclusion check.
 */
const CATCH_ALL: Record<Kind, readonly string[]> = {
  exec: ["*"],
  "fs.read": ["**", "/**"],
  "fs.write": ["**", "/**"],
  "net.connect": ["*", "*:*"],
  "mcp.call": ["*/*"],
  "cred.use": ["*:*"],
};

const GLOB_CHARS = /[*?[\]{}()!+@\\]/;

function covers(kind: Kind, deny: string, allow: string): boolean {
  if (deny === allow || CATCH_ALL[kind].includes(deny)) return true;
  switch (kind) {
    case "fs.read":
    case "fs.write": {
      if (!deny.endsWith("/**")) return false;
      const base = deny.slice(0, -3);
      return !GLOB_CHARS.test(base) && (allow === base || allow.startsWith(`${base}/`));
    }
    case "exec": {
      if (!deny.endsWith(" *")) return false;
      const base = deny.slice(0, -2);
      return !GLOB_CHARS.test(base) && (allow === base || allow.startsWith(`${base} `));
    }
    case "mcp.call":
    case "cred.use": {
      if (!deny.endsWith("*")) return false;
      const base = deny.slice(0, -1);
      return !GLOB_CHARS.test(base) && base.length > 0 && allow.startsWith(base);
    }
    default:
      return false;
  }
}

export function warnShadowedAllows(src: YamlSource, rules: readonly RuleSpec[]): void {
  const denies: { rule: RuleSpec; p: PatternSpec }[] = [];
  for (const rule of rules) {
    if (rule.when !== null || rule.roles !== null) continue; // narrowed: may not always apply
    for (const p of rule.patterns) if (p.effect === "deny") denies.push({ rule, p });
  }
  if (denies.length === 0) return;
  for (const rule of rules) {
    for (const p of rule.patterns) {
      if (p.effect !== "allow") continue;
      const by = denies.find(
        (d) => d.rule.kind === rule.kind && covers(rule.kind, d.p.pattern, p.pattern),
      );
      if (by === undefined) continue;
      src.warn(
        p.node,
        "POLICY_SHADOWED_ALLOW",
        `allow pattern \`${p.pattern}\` of rule ${rule.id} can never decide: deny pattern \`${by.p.pattern}\` of rule ${by.rule.id} always covers it`,
        "deny wins over allow whatever the order; narrow the deny with `when:` or `roles:`, or drop the allow",
      );
    }
  }
}
