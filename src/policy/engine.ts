import type { ShellAnalyzer } from "../shell/index.js";
import { type CommandPart, commandParts, strongestPart } from "./command-line.js";
import { requestProblem } from "./request-shape.js";
import type { Role } from "./roles.js";
import type { CompiledRule, DecideOptions, DecisionEnv, KindIndex, PatternEntry } from "./rule.js";
import {
  type Decision,
  EFFECT_STRENGTH,
  type Effect,
  type ExecTarget,
  type Kind,
  type PolicyIdentity,
  type Request,
  type RequestOf,
} from "./types.js";

/** One matched rule in an explanation: the pattern that matched and why. */
export interface RuleExplanation {
  id: string;
  effect: Effect;
  pattern: string | null;
  why: string;
}

export interface Explanation {
  decision: Decision;
  request: Request;
  matched: RuleExplanation[];
  notes: string[];
  /** For a shell command line: every command and file access it implies, each decided. */
  parts?: CommandPart[];
}

/** The per-rule outcome of one decision. */
interface RuleHit {
  rule: CompiledRule;
  effect: Effect;
  pattern: string;
  via: string;
  /** Set when the condition failed and the rule was held to match (fail closed). */
  conditionError: string | null;
}

const PAST: Record<Effect, string> = { allow: "allowed", ask: "needs approval", deny: "denied" };

/**
 * Decides requests against compiled rules. Effects combine deny > ask > allow whatever the
 * order of the rules; among the rules carrying the winning effect, the decision names the one
 * with the most specific matching pattern (see moreSpecific), so it is order-independent too.
 * `matched` lists rules in file order. Never throws: anything unexpected is a deny (fail closed).
 */
export class Engine {
  constructor(
    private readonly identity: PolicyIdentity,
    private readonly defaults: Readonly<Record<Kind, Effect>>,
    private readonly indices: Readonly<Record<Kind, KindIndex>>,
    private readonly roles: ReadonlyMap<string, Role>,
    private readonly dynamicDefault: Effect,
    private readonly shell: ShellAnalyzer | null,
  ) {}

  decide(request: Request, options?: DecideOptions): Decision {
    return this.run(request, null, options);
  }

  explain(request: Request): Explanation {
    const trace: Explanation = {
      decision: null as unknown as Decision,
      request,
      matched: [],
      notes: [],
    };
    trace.decision = this.run(request, trace);
    return trace;
  }

  private deny(reason: string): Decision {
    return { effect: "deny", rule: null, matched: [], reason, policy: this.identity };
  }

  private run(request: Request, trace: Explanation | null, options?: DecideOptions): Decision {
    try {
      const problem = requestProblem(request);
      if (problem !== null) {
        trace?.notes.push(`malformed request: ${problem}`);
        return this.deny(`malformed request: ${problem}`);
      }
      if (request.kind === "exec" && this.shell !== null && !hasArgv(request.target)) {
        return this.decideCommandLine(request, this.shell, trace);
      }
      return this.evaluate(request, trace, options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      trace?.notes.push(`internal error: ${message}`);
      return this.deny(`policy evaluation failed, denied to be safe: ${message}`);
    }
  }

  /**
   * A shell command line is decided per command that will run and per file it reads or writes
   * (DESIGN.md: the strongest effect wins). Commands and paths only known at run time get
   * `defaults.dynamic`; a line that does not parse is denied.
   */
  private decideCommandLine(
    request: RequestOf<"exec">,
    shell: ShellAnalyzer,
    trace: Explanation | null,
  ): Decision {
    const { command, cwd } = request.target;
    const analysis = shell.analyze(command, cwd === undefined ? undefined : { cwd });
    if (analysis.error !== undefined) {
      const { message, offset } = analysis.error;
      const reason = `could not parse command: ${message} (at offset ${offset})`;
      trace?.notes.push(reason);
      return this.deny(reason);
    }
    const parts = commandParts(analysis, request, {
      decide: (sub, subject) => this.evaluatePart(sub, subject, trace),
      dynamic: (reason) => ({
        effect: this.dynamicDefault,
        rule: null,
        matched: [],
        reason: `${reason}; decided by defaults.dynamic (${this.dynamicDefault})`,
        policy: this.identity,
      }),
      note: (text) => trace?.notes.push(text),
    });
    if (trace !== null) trace.parts = parts;
    const winner = strongestPart(parts);
    if (winner === null) return this.deny("empty command: nothing to run");
    const matched = [...new Set(parts.flatMap((p) => p.decision.matched))];
    const reason =
      parts.length === 1 ? winner.decision.reason : `${winner.subject}: ${winner.decision.reason}`;
    return { ...winner.decision, matched, reason };
  }

  /** Decides one part of a command line; in explain mode its matches join the line's trace. */
  private evaluatePart(request: Request, subject: string, trace: Explanation | null): Decision {
    if (trace === null) return this.evaluate(request, null);
    const sub: Explanation = {
      decision: null as unknown as Decision,
      request,
      matched: [],
      notes: [],
    };
    const decision = this.evaluate(request, sub);
    for (const m of sub.matched) trace.matched.push({ ...m, why: `${subject}: ${m.why}` });
    for (const n of sub.notes) trace.notes.push(`${subject}: ${n}`);
    return decision;
  }

  private evaluate(request: Request, trace: Explanation | null, options?: DecideOptions): Decision {
    const index = this.indices[request.kind];
    const env: DecisionEnv = {
      realPath: options?.realPath === true,
      notes: trace === null ? null : trace.notes,
      reasonNote: null,
      floorAsk: false,
    };
    const candidates: { entry: PatternEntry; via: string }[] = [];
    const refusal = index.match(request, (entry, via) => candidates.push({ entry, via }), env);
    if (refusal !== undefined) {
      trace?.notes.push(refusal.refused);
      return this.deny(refusal.refused);
    }

    const hits: RuleHit[] = [];
    const conditions = new Map<CompiledRule, boolean | { error: string }>();
    for (const { entry, via } of candidates) {
      const rule = entry.rule;
      const existing = hits.find((h) => h.rule === rule);
      if (
        existing !== undefined &&
        EFFECT_STRENGTH[existing.effect] >= EFFECT_STRENGTH[entry.effect]
      ) {
        continue;
      }
      if (rule.roles !== null && !this.inRoles(request, rule.roles)) {
        trace?.notes.push(
          `rule ${rule.id}: pattern \`${entry.pattern}\` matched but the principal is in none of its roles (${rule.roles.join(", ")})`,
        );
        continue;
      }
      let conditionError: string | null = null;
      if (rule.condition !== null) {
        let outcome = conditions.get(rule);
        if (outcome === undefined) {
          outcome = rule.condition.evaluate(request);
          conditions.set(rule, outcome);
        }
        if (outcome === false) {
          trace?.notes.push(
            `rule ${rule.id}: pattern \`${entry.pattern}\` matched but when: is false`,
          );
          continue;
        }
        if (outcome !== true) {
          if (entry.effect === "allow") {
            trace?.notes.push(
              `condition of rule ${rule.id} failed: ${outcome.error}; treated as not matching for allow`,
            );
            continue;
          }
          conditionError = outcome.error;
        }
      }
      const hit: RuleHit = {
        rule,
        effect: entry.effect,
        pattern: entry.pattern,
        via,
        conditionError,
      };
      if (existing === undefined) hits.push(hit);
      else hits[hits.indexOf(existing)] = hit;
    }

    if (hits.length === 0) return this.byDefault(request, env, trace);

    hits.sort((a, b) => a.rule.order - b.rule.order);
    let winner = hits[0]!;
    for (const h of hits) {
      const stronger = EFFECT_STRENGTH[h.effect] - EFFECT_STRENGTH[winner.effect];
      if (stronger > 0 || (stronger === 0 && moreSpecific(h, winner))) winner = h;
    }
    const decision: Decision = {
      effect: winner.effect,
      rule: winner.rule.id,
      matched: hits.map((h) => h.rule.id),
      reason: this.reasonFor(winner, hits, env),
      policy: this.identity,
    };
    if (trace !== null) {
      const subject = index.describe(request, env);
      for (const h of hits) trace.matched.push(explainHit(h, subject));
    }
    return decision;
  }

  private byDefault(request: Request, env: DecisionEnv, trace: Explanation | null): Decision {
    let effect = this.defaults[request.kind];
    let reason = `no rule matched; the default for ${request.kind} is ${effect}`;
    if (env.floorAsk && effect === "allow") {
      effect = "ask";
      reason = `${reason}, raised to ask`;
    }
    if (env.reasonNote !== null) reason = `${reason}; ${env.reasonNote}`;
    trace?.notes.push(reason);
    return { effect, rule: null, matched: [], reason, policy: this.identity };
  }

  private reasonFor(winner: RuleHit, hits: RuleHit[], env: DecisionEnv): string {
    let reason =
      winner.rule.reason ??
      `${PAST[winner.effect]} by rule ${winner.rule.id} (pattern \`${winner.pattern}\`)`;
    for (const h of hits) {
      if (h.conditionError !== null && h.effect === winner.effect) {
        reason = `${reason} (condition of rule ${h.rule.id} failed: ${h.conditionError}; treated as matching for ${h.effect})`;
      }
    }
    if (env.reasonNote !== null) reason = `${reason}; ${env.reasonNote}`;
    return reason;
  }

  private inRoles(request: Request, names: readonly string[]): boolean {
    for (const name of names) {
      if (this.roles.get(name)?.includes(request.principal) === true) return true;
    }
    return false;
  }
}

const WILDCARD = /[*?[]/;

function hasArgv(target: ExecTarget): boolean {
  return Array.isArray(target.argv) && target.argv.length > 0;
}

/**
 * Which of two hits with the same effect the decision names, independent of rule order: a
 * wildcard-free pattern before a glob, then the longer pattern, then the smaller rule id.
 */
function moreSpecific(a: RuleHit, b: RuleHit): boolean {
  const wa = WILDCARD.test(a.pattern);
  const wb = WILDCARD.test(b.pattern);
  if (wa !== wb) return wb;
  if (a.pattern.length !== b.pattern.length) return a.pattern.length > b.pattern.length;
  return a.rule.id < b.rule.id;
}

function explainHit(h: RuleHit, subject: string): RuleExplanation {
  let when = "no when";
  if (h.rule.condition !== null) {
    when =
      h.conditionError === null
        ? "when: true"
        : `when: failed (${h.conditionError}), treated as matching for ${h.effect}`;
  }
  return {
    id: h.rule.id,
    effect: h.effect,
    pattern: h.pattern,
    why: `pattern \`${h.pattern}\` matched ${subject}${h.via}; ${when}`,
  };
}
