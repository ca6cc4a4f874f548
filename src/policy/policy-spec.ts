import { isScalar, type Node, type Scalar } from "yaml";
import { nearest } from "./diagnostics.js";
import type { RoleSpec } from "./roles.js";
import { EFFECTS, type Effect, KINDS, type Kind } from "./types.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * Reads the policy document (DESIGN.md, "Policy file") into plain specs that keep their YAML
 * nodes for positioned diagnostics. Structural problems are reported here; pattern, CEL and
 * cross-reference checks happen in compile.ts where those things are compiled.
 */
export const API_VERSION = "warden/v1";

export interface PatternSpec {
  effect: Effect;
  pattern: string;
  node: Node;
}

export interface RuleSpec {
  id: string;
  idNode: Node;
  node: Node;
  kind: Kind;
  patterns: PatternSpec[];
  roles: { name: string; node: Node }[] | null;
  when: { source: string; node: Scalar } | null;
  reason: string | null;
}

export interface PolicySpec {
  name: string;
  version: string;
  defaults: Partial<Record<Kind, Effect>>;
  /** `defaults.dynamic`: commands and paths only known at run time (`$CMD`, `$(…)` as a name). */
  dynamicDefault: Effect | null;
  roles: Map<string, { spec: RoleSpec; node: Node }>;
  rules: RuleSpec[];
  /** `sandbox:` whether `warden run` may run a command unconfined when no sandbox can start. */
  sandbox: SandboxRequirement;
}

/** `required` (the default): no sandbox, no run. `optional`: run unconfined, loudly, audited. */
export const SANDBOX_REQUIREMENTS = ["required", "optional"] as const;
export type SandboxRequirement = (typeof SANDBOX_REQUIREMENTS)[number];

const TOP_KEYS = [
  "apiVersion",
  "kind",
  "metadata",
  "defaults",
  "sandbox",
  "roles",
  "rules",
] as const;
const METADATA_KEYS = ["name", "version", "description"] as const;
const ROLE_KEYS = ["users", "groups", "agents"] as const;
const RULE_KEYS = ["id", "kind", "allow", "ask", "deny", "roles", "when", "reason"] as const;

export function readPolicySpec(src: YamlSource): PolicySpec | null {
  const root = src.root;
  if (root === null) {
    if (!src.hasErrors)
      src.reportAt(
        0,
        "POLICY_EMPTY",
        "policy file is empty",
        `start with \`apiVersion: ${API_VERSION}\``,
      );
    return null;
  }
  const top = src.map(root, "the policy document");
  if (top === null) return null;
  const testsKey = top.items.find((pair) => isScalar(pair.key) && pair.key.value === "tests")?.key;
  if (
    testsKey !== undefined &&
    !top.items.some((p) => isScalar(p.key) && p.key.value === "rules")
  ) {
    src.report(
      testsKey as Node,
      "POLICY_IS_TEST_FILE",
      "this is a policy test file, not a policy",
      `run it against a policy: \`warden policy test POLICY ${src.file}\``,
    );
    return null;
  }
  const spec: PolicySpec = {
    name: "",
    version: "",
    defaults: {},
    dynamicDefault: null,
    roles: new Map(),
    rules: [],
    sandbox: "required",
  };
  const seen = new Set<string>();
  for (const pair of src.entries(top, TOP_KEYS, "the policy document")) {
    const key = String(pair.key.value);
    seen.add(key);
    const value = pair.value;
    switch (key) {
      case "apiVersion": {
        const v = isScalar(value) ? value.value : undefined;
        if (v !== API_VERSION) {
          src.report(
            value,
            "POLICY_API_VERSION",
            `unsupported apiVersion ${JSON.stringify(v ?? null)}`,
            `use \`apiVersion: ${API_VERSION}\``,
          );
        }
        break;
      }
      case "kind": {
        const v = isScalar(value) ? value.value : undefined;
        if (v !== "Policy") {
          src.report(
            value,
            "POLICY_DOCUMENT_KIND",
            `document kind must be \`Policy\`, not ${JSON.stringify(v ?? null)}`,
            "use `kind: Policy`",
          );
        }
        break;
      }
      case "metadata":
        readMetadata(src, value, spec, pair.key);
        break;
      case "defaults":
        readDefaults(src, value, spec);
        break;
      case "sandbox":
        readSandbox(src, value, spec);
        break;
      case "roles":
        readRoles(src, value, spec);
        break;
      case "rules":
        readRules(src, value, spec);
        break;
    }
  }
  for (const required of ["apiVersion", "kind", "metadata"] as const) {
    if (!seen.has(required)) {
      src.report(
        top,
        "POLICY_MISSING_KEY",
        `the policy document has no \`${required}\``,
        required === "apiVersion"
          ? `add \`apiVersion: ${API_VERSION}\``
          : required === "kind"
            ? "add `kind: Policy`"
            : 'add `metadata: { name: my-policy, version: "1" }`',
      );
    }
  }
  return spec;
}

function readMetadata(src: YamlSource, node: Node | null, spec: PolicySpec, keyNode: Scalar): void {
  const map = src.map(node, "metadata");
  if (map === null) return;
  let named = false;
  for (const pair of src.entries(map, METADATA_KEYS, "metadata")) {
    const key = String(pair.key.value);
    const value = pair.value;
    if (key === "name") {
      const name = src.string(value, "metadata.name");
      if (name !== null) {
        spec.name = name;
        named = true;
      }
    } else if (key === "version") {
      // `version: 3` is a number in YAML; accept it as its text.
      if (isScalar(value) && (typeof value.value === "number" || typeof value.value === "string")) {
        spec.version = String(value.value);
      } else src.string(value, "metadata.version");
    } else src.string(value, `metadata.${key}`);
  }
  if (!named)
    src.report(
      map.items.length > 0 ? map : keyNode,
      "POLICY_MISSING_KEY",
      "metadata has no `name`",
      "add `name: my-policy`",
    );
}

function readDefaults(src: YamlSource, node: Node | null, spec: PolicySpec): void {
  const map = src.map(node, "defaults");
  if (map === null) return;
  for (const pair of map.items) {
    const kind = isScalar(pair.key) ? String(pair.key.value) : "?";
    if (kind === "dynamic") {
      spec.dynamicDefault = readEffect(src, pair.value, "defaults.dynamic");
      continue;
    }
    if (!(KINDS as readonly string[]).includes(kind)) {
      reportUnknownKind(src, pair.key, kind);
      continue;
    }
    const effect = readEffect(src, pair.value, `defaults.${kind}`);
    if (effect !== null) spec.defaults[kind as Kind] = effect;
  }
}

function readSandbox(src: YamlSource, node: Node | null, spec: PolicySpec): void {
  const text = isScalar(node) ? String(node.value) : null;
  if (text !== null && (SANDBOX_REQUIREMENTS as readonly string[]).includes(text)) {
    spec.sandbox = text as SandboxRequirement;
    return;
  }
  const suggestion = text === null ? undefined : nearest(text, SANDBOX_REQUIREMENTS);
  src.report(
    node,
    "POLICY_BAD_SANDBOX",
    `sandbox must be required or optional, not ${text === null ? "that" : `\`${text}\``}`,
    suggestion === undefined ? undefined : `did you mean \`${suggestion}\`?`,
  );
}

function readEffect(src: YamlSource, node: Node | null, what: string): Effect | null {
  const text = isScalar(node) ? String(node.value) : null;
  if (text !== null && (EFFECTS as readonly string[]).includes(text)) return text as Effect;
  const suggestion = text === null ? undefined : nearest(text, EFFECTS);
  src.report(
    node,
    "POLICY_UNKNOWN_EFFECT",
    `${what} must be allow, ask or deny, not ${text === null ? "that" : `\`${text}\``}`,
    suggestion === undefined ? undefined : `did you mean \`${suggestion}\`?`,
  );
  return null;
}

function reportUnknownKind(src: YamlSource, node: Node | null, kind: string): void {
  const suggestion = nearest(kind, KINDS);
  src.report(
    node,
    "POLICY_UNKNOWN_KIND",
    `unknown kind \`${kind}\``,
    suggestion === undefined ? `kinds are ${KINDS.join(", ")}` : `did you mean \`${suggestion}\`?`,
  );
}

function stringList(
  src: YamlSource,
  node: Node | null,
  what: string,
): { value: string; node: Node }[] {
  const seq = src.seq(node, what, `write \`${what.split(".").pop()}: ["..."]\``);
  if (seq === null) return [];
  const out: { value: string; node: Node }[] = [];
  for (const item of seq.items) {
    const value = src.string(item, `each entry of ${what}`);
    if (value !== null) out.push({ value, node: item });
  }
  return out;
}

function readRoles(src: YamlSource, node: Node | null, spec: PolicySpec): void {
  const map = src.map(node, "roles");
  if (map === null) return;
  for (const pair of map.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : null;
    if (name === null) continue;
    const body = src.map(pair.value, `role \`${name}\``);
    if (body === null) continue;
    const role: RoleSpec = { users: [], groups: [], agents: [] };
    for (const entry of src.entries(body, ROLE_KEYS, `role \`${name}\``)) {
      const key = String(entry.key.value) as keyof RoleSpec;
      role[key] = stringList(src, entry.value, `roles.${name}.${key}`).map((s) => s.value);
    }
    if (role.users.length + role.groups.length + role.agents.length === 0) {
      src.warn(
        pair.key,
        "POLICY_EMPTY_ROLE",
        `role \`${name}\` lists no users, groups or agents, so nobody is in it`,
      );
    }
    spec.roles.set(name, { spec: role, node: pair.key });
  }
}

function readRules(src: YamlSource, node: Node | null, spec: PolicySpec): void {
  const seq = src.seq(node, "rules");
  if (seq === null) return;
  for (const item of seq.items) {
    const map = src.map(item, "a rule");
    if (map === null) continue;
    let id: string | null = null;
    let idNode: Node = map;
    let kind: Kind | null = null;
    let kindSeen = false;
    const patterns: PatternSpec[] = [];
    let roles: RuleSpec["roles"] = null;
    let when: RuleSpec["when"] = null;
    let reason: string | null = null;
    for (const pair of src.entries(map, RULE_KEYS, "rule")) {
      const key = String(pair.key.value);
      const value = pair.value;
      switch (key) {
        case "id":
          id = src.string(value, "rule id");
          if (value !== null) idNode = value;
          break;
        case "kind": {
          kindSeen = true;
          const text = src.string(value, "rule kind");
          if (text !== null && (KINDS as readonly string[]).includes(text)) kind = text as Kind;
          else if (text !== null) reportUnknownKind(src, value, text);
          break;
        }
        case "allow":
        case "ask":
        case "deny":
          for (const s of stringList(src, value, key)) {
            patterns.push({ effect: key, pattern: s.value, node: s.node });
          }
          break;
        case "roles":
          roles = stringList(src, value, "roles").map((s) => ({ name: s.value, node: s.node }));
          break;
        case "when":
          if (isScalar(value) && typeof value.value === "string")
            when = { source: value.value, node: value };
          else src.string(value, "when");
          break;
        case "reason":
          reason = src.string(value, "reason");
          break;
      }
    }
    if (id === null && !map.items.some((p) => isScalar(p.key) && p.key.value === "id")) {
      src.report(map, "POLICY_MISSING_KEY", "rule has no `id`", "add `id: some-name`");
    }
    if (!kindSeen)
      src.report(
        map,
        "POLICY_MISSING_KEY",
        `rule ${id ?? ""} has no \`kind\``.replace("  ", " "),
        `add \`kind:\` one of ${KINDS.join(", ")}`,
      );
    if (
      patterns.length === 0 &&
      !map.items.some(
        (p) => isScalar(p.key) && ["allow", "ask", "deny"].includes(String(p.key.value)),
      )
    ) {
      src.report(
        map,
        "POLICY_EMPTY_RULE",
        `rule ${id ?? ""} has no allow, ask or deny patterns`.replace("  ", " "),
        "add `allow:`, `ask:` or `deny:` with a list of patterns",
      );
    }
    if (id !== null && kind !== null) {
      spec.rules.push({ id, idNode, node: map, kind, patterns, roles, when, reason });
    }
  }
}
