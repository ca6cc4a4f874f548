import type { Decision, Principal } from "../policy/index.js";
import { canonicalize } from "./canonical.js";
import { AuditError } from "./errors.js";
import type { Redactor } from "./redact.js";

export interface AuditEventInput {
  kind: string;
  /** The enforcement point that observed or decided, e.g. "cli.decide", "hook.claude-code". */
  pep: string;
  principal: Principal;
  target: unknown;
  context?: Record<string, unknown>;
  decision?: Decision;
  latencyUs?: number;
  /** Defaults to the time of the append call. */
  time?: Date;
}

export interface AuditEvent {
  v: 1;
  /** 0-based leaf index in the log's Merkle tree. */
  seq: number;
  /** ISO-8601 UTC with milliseconds. */
  time: string;
  kind: string;
  pep: string;
  principal: Principal;
  target: unknown;
  context?: Record<string, unknown>;
  decision?: Decision;
  latencyUs?: number;
}

/** An event redacted and validated, waiting for its seq (assigned when its batch commits). */
export interface PreparedEvent {
  fields: Omit<AuditEvent, "seq">;
  columns: EventColumns;
}

/** Copies of event fields kept as indexed columns beside the canonical bytes, for search. */
export interface EventColumns {
  timeMs: number;
  kind: string;
  pep: string;
  agent: string;
  user: string | null;
  effect: string | null;
  rule: string | null;
}

export function prepareEvent(input: AuditEventInput, redactor: Redactor): PreparedEvent {
  if (input === null || typeof input !== "object") invalid("the event is not an object");
  const time = input.time ?? new Date();
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) invalid("time is not a valid Date");
  for (const field of ["kind", "pep"] as const) {
    if (typeof input[field] !== "string" || input[field].length === 0) {
      invalid(`${field} must be a non-empty string`);
    }
  }
  const principal = input.principal;
  if (principal === null || typeof principal !== "object" || typeof principal.agent !== "string") {
    invalid("principal.agent must be a string");
  }
  if (
    input.context !== undefined &&
    (input.context === null || typeof input.context !== "object")
  ) {
    invalid("context must be an object");
  }
  if (
    input.latencyUs !== undefined &&
    !(
      typeof input.latencyUs === "number" &&
      Number.isFinite(input.latencyUs) &&
      input.latencyUs >= 0
    )
  ) {
    invalid("latencyUs must be a finite number >= 0");
  }
  const safe = redactor.value({
    kind: input.kind,
    pep: input.pep,
    principal,
    target: input.target ?? null,
    context: input.context,
    decision: input.decision,
    latencyUs: input.latencyUs === undefined ? undefined : Math.round(input.latencyUs),
  }) as Omit<AuditEvent, "seq" | "v" | "time">;
  const fields: Omit<AuditEvent, "seq"> = { v: 1, time: time.toISOString(), ...safe };
  return { fields, columns: columnsOf(fields, time.getTime()) };
}

export function columnsOf(event: Omit<AuditEvent, "seq">, timeMs: number): EventColumns {
  return {
    timeMs,
    kind: event.kind,
    pep: event.pep,
    agent: event.principal.agent,
    user: typeof event.principal.user === "string" ? event.principal.user : null,
    effect: typeof event.decision?.effect === "string" ? event.decision.effect : null,
    rule: typeof event.decision?.rule === "string" ? event.decision.rule : null,
  };
}

/** The canonical JSON of the event at `seq`: the exact bytes that are stored and hashed. */
export function encodeEvent(prepared: PreparedEvent, seq: number): string {
  return canonicalize({ ...prepared.fields, seq });
}

function invalid(why: string): never {
  throw new AuditError("AUDIT_INVALID_EVENT", `invalid audit event: ${why}`);
}
