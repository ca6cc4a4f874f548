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

/** Unconditional deny patterns of one kind, arranged for O(length) coverage checks. */
interface DenySet {
  exact: Map<string, string>; // pattern -> rule id
  catchAll: { pattern: string; rule: string } | null;
  /** Literal bases of prefix denies (`/etc` for `/etc/**`), to the deny pattern and rule. */
  bases: Map<string, { pattern: string; rule: string }>;
}

/** The literal base a prefix deny covers, or null when the pattern is not a prefix deny. */
function prefixBase(kind: Kind, deny: string): string | null {
  let base: string | null = null;
  if (kind === "fs.read" || kind === "fs.write")
    base = deny.endsWith("/**") ? deny.slice(0, -3) : null;
  else if (kind === "exec") base = deny.endsWith(" *") ? deny.slice(0, -2) : null;
  else if (kind === "mcp.call" || kind === "cred.use")
    base = deny.endsWith("*") ? deny.slice(0, -1) : null;
  return base === null || base === "" || GLOB_CHARS.test(base) ? null : base;
}

/** Candidate bases an allow pattern could sit under: itself and its ancestors / prefixes. */
function* basesOf(kind: Kind, allow: string): Generator<string> {
  if (kind === "fs.read" || kind === "fs.write") {
    yield allow;
    for (let i = allow.lastIndexOf("/"); i > 0; i = allow.lastIndexOf("/", i - 1))
      yield allow.slice(0, i);
  } else if (kind === "exec") {
    yield allow;
    for (let i = allow.lastIndexOf(" "); i > 0; i = allow.lastIndexOf(" ", i - 1))
      yield allow.slice(0, i);
  } else if (kind === "mcp.call" || kind === "cred.use") {
    for (let i = allow.length; i > 0; i--) yield allow.slice(0, i);
  }
}

export function warnShadowedAllows(src: YamlSource, rules: readonly RuleSpec[]): void {
  const byKind = new Map<Kind, DenySet>();
  for (const rule of rules) {
    if (rule.when !== null || rule.roles !== null) continue; // narrowed: may not always apply
    for (const p of rule.patterns) {
      if (p.effect !== "deny") continue;
      let set = byKind.get(rule.kind);
      if (set === undefined) {
        set = { exact: new Map(), catchAll: null, bases: new Map() };
        byKind.set(rule.kind, set);
      }
      if (!set.exact.has(p.pattern)) set.exact.set(p.pattern, rule.id);
      if (CATCH_ALL[rule.kind].includes(p.pattern))
        set.catchAll ??= { pattern: p.pattern, rule: rule.id };
      const base = prefixBase(rule.kind, p.pattern);
      if (base !== null && !set.bases.has(base))
        set.bases.set(base, { pattern: p.pattern, rule: rule.id });
    }
  }
  if (byKind.size === 0) return;
  for (const rule of rules) {
    const set = byKind.get(rule.kind);
    if (set === undefined) continue;
    for (const p of rule.patterns) {
      if (p.effect !== "allow") continue;
      const by = coveringDeny(rule.kind, set, p);
      if (by === null) continue;
      src.warn(
        p.node,
        "POLICY_SHADOWED_ALLOW",
        `allow pattern \`${p.pattern}\` of rule ${rule.id} can never decide: deny pattern \`${by.pattern}\` of rule ${by.rule} always covers it`,
        "deny wins over allow whatever the order; narrow the deny with `when:` or `roles:`, or drop the allow",
      );
    }
  }
}

function coveringDeny(
  kind: Kind,
  set: DenySet,
  p: PatternSpec,
): { pattern: string; rule: string } | null {
  const same = set.exact.get(p.pattern);
  if (same !== undefined) return { pattern: p.pattern, rule: same };
  if (set.catchAll !== null) return set.catchAll;
  if (set.bases.size === 0) return null;
  for (const base of basesOf(kind, p.pattern)) {
    const by = set.bases.get(base);
    if (by !== undefined) return by;
  }
  return null;
}
