/**
 * The path every enforcement point in the CLI takes — decide the request(s), append one audit
 * event — shared by `warden decide` and `warden hook`. It fails closed: a request that could not
 * be built, a policy that does not load, a decision that throws, or an audit log that cannot be
 * written all end as a deny, and every outcome that can be recorded is.
 */
import { performance } from "node:perf_hooks";
import { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";
import {
  type CompiledPolicy,
  type Decision,
  EFFECT_STRENGTH,
  loadPolicy,
  type Principal,
  type Request,
} from "../policy/index.js";
import { loadShellAnalyzer, type ShellAnalyzer } from "../shell/index.js";
import { locatePolicy } from "./locate.js";

const NO_POLICY = { name: "(none)", version: "", digest: "" };

export function denial(reason: string): Decision {
  return { effect: "deny", rule: null, matched: [], reason, policy: NO_POLICY };
}

export function messageOf(error: unknown): string {
  if (error instanceof WardenError && error.hint) return `${error.message} (${error.hint})`;
  return error instanceof Error ? error.message : String(error);
}

export interface EnforceInput {
  /** The requests to decide; the strongest effect wins. Empty or null: `invalid` explains why. */
  requests: Request[] | null;
  /** Why no request could be built (a payload or flags that were not understood). */
  invalid?: string;
  /** The enforcement point: "cli.decide", "hook.claude-code", … */
  pep: string;
  /** Used for the event when there is no request. */
  principal: Principal;
  /** Recorded as the event's target when there is no request. */
  fallbackTarget: unknown;
  /** Extra context recorded on the event (tool name, …), merged over the request's. */
  context?: Record<string, unknown>;
  /** An explicit policy file; else the usual discovery from `cwd`. */
  policyFile?: string;
  cwd?: string;
  /** performance.now() when the enforcement point started, for latencyUs. */
  started?: number;
  /** Compiles the policy file found (default loadPolicy; the daemon reuses its last compile). */
  loadPolicy?: (path: string, shell: ShellAnalyzer | undefined) => CompiledPolicy;
  /**
   * Where the event is appended (default: AuditLog.open() for this call, closed after it; the
   * daemon keeps one open). `release` is told whether the append failed.
   */
  audit?: { open(): AuditLog; release(log: AuditLog, failed: boolean): void };
  /** Test seam: called between deciding and recording (see hook-command's fault injection). */
  beforeAudit?: () => void;
}

export interface EnforceResult {
  decision: Decision;
  /** The request whose decision answers the call (the strongest), null if none was built. */
  request: Request | null;
  /** Problems met on the way (each already turned into a deny); report them on stderr. */
  problems: unknown[];
}

/** A command line (not an argv) needs the bash analyzer to be decided per command it runs. */
function needsShell(requests: readonly Request[]): boolean {
  return requests.some(
    (r) => r.kind === "exec" && !(Array.isArray(r.target.argv) && r.target.argv.length > 0),
  );
}

export async function enforce(input: EnforceInput): Promise<EnforceResult> {
  const started = input.started ?? performance.now();
  const problems: unknown[] = [];
  let request: Request | null = null;
  let decision: Decision;
  const others: { kind: string; target: unknown; effect: string; rule: string | null }[] = [];

  if (input.requests === null || input.requests.length === 0) {
    decision = denial(`invalid request: ${input.invalid ?? "nothing to decide"}`);
  } else {
    try {
      // Without the analyzer a command line cannot be judged command by command: a failure to
      // load it is a failure to decide, so it denies like a policy that does not load.
      const shell = needsShell(input.requests) ? await loadShellAnalyzer() : undefined;
      const path = locatePolicy(input.policyFile, input.cwd);
      const policy = input.loadPolicy ? input.loadPolicy(path, shell) : loadPolicy(path, { shell });
      let best: { request: Request; decision: Decision } | null = null;
      const all: { request: Request; decision: Decision }[] = [];
      for (const r of input.requests) {
        const d = policy.decide(r);
        all.push({ request: r, decision: d });
        if (best === null || EFFECT_STRENGTH[d.effect] > EFFECT_STRENGTH[best.decision.effect]) {
          best = { request: r, decision: d };
        }
      }
      request = best!.request;
      decision = best!.decision;
      for (const entry of all) {
        if (entry.request === best!.request) continue;
        others.push({
          kind: entry.request.kind,
          target: entry.request.target,
          effect: entry.decision.effect,
          rule: entry.decision.rule,
        });
      }
      input.beforeAudit?.();
    } catch (error) {
      problems.push(error);
      request = request ?? input.requests[0] ?? null;
      decision = denial(`policy unavailable: ${messageOf(error)}`);
    }
  }
  const latencyUs = Math.max(1, Math.round((performance.now() - started) * 1000));

  const context = {
    ...(request?.context ?? {}),
    ...(input.context ?? {}),
    ...(others.length > 0 ? { alsoDecided: others } : {}),
  };
  try {
    const audit = input.audit ?? { open: () => AuditLog.open(), release: (l) => l.close() };
    const log = audit.open();
    let failed = true;
    try {
      log.appendSync({
        kind: request?.kind ?? "invalid",
        pep: input.pep,
        principal: request?.principal ?? input.principal,
        target: request?.target ?? input.fallbackTarget,
        ...(Object.keys(context).length > 0 ? { context } : {}),
        decision,
        latencyUs,
      });
      failed = false;
    } finally {
      audit.release(log, failed);
    }
  } catch (error) {
    // Without a record the action must not happen.
    problems.push(
      error instanceof WardenError
        ? error
        : new WardenError("AUDIT_UNAVAILABLE", `audit log unavailable: ${messageOf(error)}`),
    );
    decision = denial(`audit log unavailable: ${messageOf(error)}`);
  }
  return { decision, request, problems };
}
