import type { Condition } from "./condition.js";
import type { Effect, Kind, Request } from "./types.js";

/** A rule after compilation: what the engine needs at decision time, nothing more. */
export interface CompiledRule {
  readonly id: string;
  /** Position in the policy file; `matched` lists rules in this order. */
  readonly order: number;
  readonly kind: Kind;
  /** Role names the principal must be in (any of them); null = everyone. */
  readonly roles: readonly string[] | null;
  readonly condition: Condition | null;
  readonly reason: string | null;
}

/** One pattern of one effect list of a rule: the unit the kind indexes store. */
export interface PatternEntry {
  readonly rule: CompiledRule;
  readonly effect: Effect;
  readonly pattern: string;
}

/** Called by a kind index for every entry whose pattern matches; `via` says how (for explain). */
export type OnMatch = (entry: PatternEntry, via: string) => void;

/** A request the kind index cannot judge: decided deny with this reason (fail closed). */
export interface Refusal {
  readonly refused: string;
}

/** Per-kind pattern store: compiles patterns once, finds matches without scanning every rule. */
export interface KindIndex {
  /** Adds a pattern; returns an error message when the pattern is invalid. */
  add(entry: PatternEntry): string | null;
  /** Reports matching entries; may return a Refusal instead of matching, or notes for explain. */
  match(request: Request, onMatch: OnMatch, env: DecisionEnv): Refusal | undefined;
  /** A short description of the request's subject for explanations, e.g. `argv [git status]`. */
  describe(request: Request, env: DecisionEnv): string;
}

/** Facts about the request environment shared by the matchers of one decision. */
export interface DecideOptions {
  /**
   * The caller vouches that an fs request's path is absolute and already real (no symlink in
   * it, as met by a directory walk that does not follow links): it is matched as written,
   * without resolving it again. For bulk probes (the sandbox's workspace walk); a path from an
   * agent never qualifies.
   */
  realPath?: boolean;
}

export interface DecisionEnv {
  /** DecideOptions.realPath. */
  realPath: boolean;
  /** Notes for explain (e.g. "compound command: allow patterns not applied"); null on the hot path. */
  notes: string[] | null;
  /** A reason suffix the decision must carry even when rules decide (e.g. the compound note). */
  reasonNote: string | null;
  /** Effect floor when no rule matches (compound commands never fall to an allow default). */
  floorAsk: boolean;
}
