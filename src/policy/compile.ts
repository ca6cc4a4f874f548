import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { WardenError } from "../errors.js";
import type { ShellAnalyzer } from "../shell/index.js";
import { ConditionSyntaxError, compileCondition } from "./condition.js";
import { BUILTIN_DEFAULTS, BUILTIN_DYNAMIC_DEFAULT } from "./defaults.js";
import { type Diagnostic, nearest, PolicyError } from "./diagnostics.js";
import { Engine, type Explanation } from "./engine.js";
import { ExecIndex } from "./exec-index.js";
import { FsIndex } from "./fs-index.js";
import { credIndex, mcpIndex } from "./name-index.js";
import { NetIndex } from "./net-index.js";
import { readPolicySpec, type SandboxRequirement } from "./policy-spec.js";
import { Role } from "./roles.js";
import type { CompiledRule, DecideOptions, KindIndex } from "./rule.js";
import { warnShadowedAllows } from "./shadowing.js";
import type { Decision, Effect, Kind, PolicyIdentity, Request } from "./types.js";
import { YamlSource } from "./yaml-source.js";

/** A policy ready to decide: rules indexed by kind and by what they can match. */
export interface CompiledPolicy {
  readonly identity: PolicyIdentity;
  readonly ruleCount: number;
  readonly warnings: Diagnostic[];
  /** `sandbox:`: whether `warden run` may run unconfined when no sandbox mechanism works. */
  readonly sandbox: SandboxRequirement;
  /** Never throws: a malformed request is denied with a reason. */
  decide(request: Request, options?: DecideOptions): Decision;
  /**
   * The patterns of one kind and effect, in policy order, as written: for enforcement points
   * that must turn rules into something else than decisions (the sandbox's writable binds).
   * Which of them apply to a request is still for `decide` to say (roles, `when:`).
   */
  patternsOf(kind: Kind, effect: Effect): readonly string[];
  explain(request: Request): Explanation;
}

export interface CompileOptions {
  /** Name used in diagnostics; defaults to `policy.yaml`. */
  file?: string;
  /**
   * The bash analyzer (`await loadShellAnalyzer()` from the shell part). With it, an exec
   * request's command line is decided per command and file access it implies; without it, a
   * line with shell operators is never allowed by an allow rule.
   */
  shell?: ShellAnalyzer;
}

/** Compiles policy YAML; reports every problem found as diagnostics, never throws on bad input. */
export function lintPolicy(
  text: string,
  options?: CompileOptions,
): { diagnostics: Diagnostic[]; policy: CompiledPolicy | null } {
  return lintSource(new YamlSource(text, options?.file ?? "policy.yaml"), options?.shell);
}

/** lintPolicy on an already parsed source (tests parse it both ways). */
export function lintSource(
  src: YamlSource,
  shell?: ShellAnalyzer,
): {
  diagnostics: Diagnostic[];
  policy: CompiledPolicy | null;
} {
  const text = src.text;
  const spec = readPolicySpec(src);
  if (spec === null) return { diagnostics: src.diagnostics, policy: null };

  const roles = new Map<string, Role>();
  for (const [name, { spec: roleSpec, node }] of spec.roles) {
    try {
      roles.set(name, new Role(name, roleSpec));
    } catch (error) {
      src.report(node, "POLICY_BAD_PATTERN", `role \`${name}\`: ${(error as Error).message}`);
    }
  }

  const indices: Record<Kind, KindIndex> = {
    exec: new ExecIndex(),
    "fs.read": new FsIndex(),
    "fs.write": new FsIndex(),
    "net.connect": new NetIndex(),
    "mcp.call": mcpIndex(),
    "cred.use": credIndex(),
  };
  const firstById = new Map<string, number>();
  spec.rules.forEach((rule, order) => {
    const earlier = firstById.get(rule.id);
    if (earlier !== undefined) {
      src.report(
        rule.idNode,
        "POLICY_DUPLICATE_RULE",
        `duplicate rule id \`${rule.id}\``,
        `rule ids must be unique; the first \`${rule.id}\` is at line ${src.position(spec.rules[earlier]!.idNode.range?.[0] ?? 0).line}`,
      );
    } else firstById.set(rule.id, order);

    if (rule.roles !== null) {
      for (const ref of rule.roles) {
        if (spec.roles.has(ref.name)) continue;
        const suggestion = nearest(ref.name, [...spec.roles.keys()]);
        src.report(
          ref.node,
          "POLICY_UNKNOWN_ROLE",
          `rule ${rule.id} refers to unknown role \`${ref.name}\``,
          suggestion === undefined ? "define it under `roles:`" : `did you mean \`${suggestion}\`?`,
        );
      }
    }

    let condition = null;
    if (rule.when !== null) {
      try {
        condition = compileCondition(rule.when.source);
      } catch (error) {
        const e = error as ConditionSyntaxError;
        const offset = src.offsetInScalar(
          rule.when.node,
          e instanceof ConditionSyntaxError ? (e.offset ?? 0) : 0,
        );
        src.reportAt(
          offset,
          "POLICY_BAD_CEL",
          `invalid when: condition in rule ${rule.id}: ${e.message}`,
          "conditions are CEL over request, principal, target, context and args, and must yield a bool",
        );
      }
    }

    const compiled: CompiledRule = {
      id: rule.id,
      order,
      kind: rule.kind,
      roles: rule.roles === null ? null : rule.roles.map((r) => r.name),
      condition,
      reason: rule.reason,
    };
    for (const p of rule.patterns) {
      const problem = indices[rule.kind].add({
        rule: compiled,
        effect: p.effect,
        pattern: p.pattern,
      });
      if (problem !== null) src.report(p.node, "POLICY_BAD_PATTERN", `rule ${rule.id}: ${problem}`);
    }
  });
  warnShadowedAllows(src, spec.rules);

  const diagnostics = src.diagnostics;
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics, policy: null };

  const identity: PolicyIdentity = Object.freeze({
    name: spec.name,
    version: spec.version,
    digest: `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`,
  });
  const defaults: Record<Kind, Effect> = { ...BUILTIN_DEFAULTS, ...spec.defaults };
  const engine = new Engine(
    identity,
    defaults,
    indices,
    roles,
    spec.dynamicDefault ?? BUILTIN_DYNAMIC_DEFAULT,
    shell ?? null,
  );
  const warnings = diagnostics.filter((d) => d.severity === "warning");
  const policy: CompiledPolicy = {
    identity,
    ruleCount: spec.rules.length,
    sandbox: spec.sandbox,
    warnings,
    decide: (request, options) => engine.decide(request, options),
    explain: (request) => engine.explain(request),
    patternsOf: (kind, effect) =>
      spec.rules
        .filter((r) => r.kind === kind)
        .flatMap((r) => r.patterns.filter((p) => p.effect === effect).map((p) => p.pattern)),
  };
  return { diagnostics, policy };
}

/** Compiles policy YAML; throws PolicyError listing every error. */
export function compilePolicy(text: string, options?: CompileOptions): CompiledPolicy {
  const { diagnostics, policy } = lintPolicy(text, options);
  if (policy === null) throw new PolicyError(diagnostics);
  return policy;
}

/** Reads and compiles a policy file; diagnostics name the file as given. */
export function loadPolicy(path: string, options?: { shell?: ShellAnalyzer }): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WardenError("POLICY_UNREADABLE", `cannot read policy file ${path}: ${reason}`, {
      hint: "check the path and its permissions",
      cause: error,
    });
  }
  return compilePolicy(text, { ...options, file: path });
}
