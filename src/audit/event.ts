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

/**
 * An event redacted, validated and already encoded, waiting for its seq (assigned when its batch
 * commits): its canonical JSON is `head + seq + tail` without head's first character, U+0000,
 * which is there so that the leaf hash input (0x00 || bytes) is one string. "seq" sorts between "principal" and
 * "target". Encoding before the write transaction keeps the transaction short.
 */
export interface PreparedEvent {
  columns: EventColumns;
  head: string;
  tail: string;
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
  const time = input.time;
  const timeMs = time == null ? Date.now() : time instanceof Date ? time.getTime() : Number.NaN;
  if (Number.isNaN(timeMs)) invalid("time is not a valid Date");
  if (typeof input.kind !== "string" || input.kind.length === 0) {
    invalid("kind must be a non-empty string");
  }
  if (typeof input.pep !== "string" || input.pep.length === 0) {
    invalid("pep must be a non-empty string");
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
  const [safe, sorted] = redactor.canonicalValue({
    kind: input.kind,
    pep: input.pep,
    principal,
    target: input.target ?? null,
    context: input.context,
    decision: input.decision,
    latencyUs: input.latencyUs === undefined ? undefined : Math.round(input.latencyUs),
  }) as [Omit<AuditEvent, "seq" | "v" | "time">, boolean];
  const iso = isoTime(timeMs);
  const columns = columnsOf(safe, timeMs);
  if (sorted && hasOnlyInputKeys(safe)) {
    // The members before "seq" are the copy less its target, already in canonical order.
    const { target, ...before } = safe;
    const text = JSON.stringify(before);
    return {
      columns,
      head: `\u0000${text.slice(0, -1)}${text.length > 2 ? "," : ""}"seq":`,
      tail: `${target === undefined ? "" : `,"target":${JSON.stringify(target)}`},"time":"${iso}","v":1}`,
    };
  }
  return { columns, ...encodeParts({ v: 1, time: iso, ...safe }, sorted) };
}

/** Date#toISOString, remembering the last result: events of one batch often share a millisecond. */
let lastMs = Number.NaN;
let lastIso = "";
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

const INPUT_KEYS = new Set([
  "context",
  "decision",
  "kind",
  "latencyUs",
  "pep",
  "principal",
  "target",
]);

/** Whether no top-level key was redacted into another (only a registered secret can do that). */
function hasOnlyInputKeys(safe: object): boolean {
  for (const key in safe) if (!INPUT_KEYS.has(key)) return false;
  return true;
}

export function columnsOf(
  event: Omit<AuditEvent, "seq" | "v" | "time">,
  timeMs: number,
): EventColumns {
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

/**
 * The canonical JSON of `fields` plus a seq, as the text before and after the seq number.
 * `sorted`: every object inside `fields` has its keys in canonical order and none is an array
 * index (the Redactor's copies), so `JSON.stringify` of each member is already RFC 8785: it
 * escapes strings and prints numbers exactly as JCS does, and the Redactor has replaced lone
 * surrogates and rejected non-finite numbers. Otherwise each member goes through `canonicalize`.
 */
function encodeParts(
  fields: Omit<AuditEvent, "seq">,
  sorted: boolean,
): { head: string; tail: string } {
  const record = fields as unknown as Record<string, unknown>;
  const encode = sorted ? JSON.stringify : canonicalize;
  const keys = Object.keys(record).filter((key) => key !== "seq");
  keys.push("seq");
  keys.sort();
  let head = "{";
  let tail = "";
  let before = true; // still before "seq"
  for (const key of keys) {
    if (key === "seq") {
      head += head.length > 1 ? ',"seq":' : '"seq":';
      before = false;
      continue;
    }
    const value = record[key];
    if (value === undefined) continue;
    const member = `${encode(key)}:${encode(value)}`;
    if (before) head += head.length > 1 ? `,${member}` : member;
    else tail += `,${member}`;
  }
  return { head: `\u0000${head}`, tail: `${tail}}` };
}

/** The canonical JSON of the event at `seq`: the exact bytes that are stored and hashed. */
export function encodeEvent(prepared: PreparedEvent, seq: number): string {
  return leafInput(prepared, seq).slice(1);
}

/** U+0000 followed by the event's canonical JSON: UTF-8 encoded, the input of its leaf hash. */
export function leafInput(prepared: PreparedEvent, seq: number): string {
  return prepared.head + seq + prepared.tail;
}

function invalid(why: string): never {
  throw new AuditError("AUDIT_INVALID_EVENT", `invalid audit event: ${why}`);
}
