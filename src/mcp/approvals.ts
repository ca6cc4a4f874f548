/**
 * The approval queue (DESIGN.md, "Approvals"): an `ask` that nobody can be asked in-band is parked
 * here, in `$WARDEN_HOME/approvals.db`, bound to the digest of the exact request. A human answers
 * with `warden approvals approve|deny ID` from another process; the waiting enforcement point polls
 * the row. An approval answers its digest only — an edited call has another digest and is a new
 * request — and may grant that digest again for a time (`forMs`) or a number of uses.
 *
 * Nothing here is specific to MCP except the summary columns; another enforcement point can park
 * its requests the same way.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { canonicalize, Redactor } from "../audit/index.js";
import { WardenError } from "../errors.js";
import type { Request } from "../policy/index.js";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";

/** The process that asked: an approval from inside it (or its children) is a self-approval. */
export interface Requester {
  pid: number;
  /** Start time of that process as the OS reports it, to tell a reused pid apart. */
  started: string | null;
}

export interface Approval {
  id: string;
  digest: string;
  status: ApprovalStatus;
  request: Request;
  pep: string;
  /** The deciding rule and the reason the policy gave for asking. */
  rule: string | null;
  reason: string;
  createdMs: number;
  expiresMs: number;
  requester: Requester | null;
  approver: string | null;
  answeredMs: number | null;
  answerReason: string | null;
  /** After approval: the digest stays granted until this time (null: no time grant). */
  grantUntilMs: number | null;
  /** After approval: further uses left (null: none counted, see grantUntilMs). */
  usesLeft: number | null;
}

export interface AnswerInput {
  approve: boolean;
  approver: string;
  reason?: string;
  /** Grant the same digest for this long after the answer. */
  forMs?: number;
  /** Grant the same digest for this many uses, the waiting call included. */
  uses?: number;
}

/** sha256 of the canonical JSON of kind, principal and target (arguments included). */
export function requestDigest(request: Request): string {
  const { kind, principal, target } = request;
  const text = canonicalize({ kind, principal, target });
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

interface Row {
  id: string;
  digest: string;
  status: ApprovalStatus;
  request: string;
  pep: string;
  rule: string | null;
  reason: string;
  created_ms: number;
  expires_ms: number;
  requester: string | null;
  approver: string | null;
  answered_ms: number | null;
  answer_reason: string | null;
  grant_until_ms: number | null;
  uses_left: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  request TEXT NOT NULL,
  pep TEXT NOT NULL,
  rule TEXT,
  reason TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  requester TEXT,
  approver TEXT,
  answered_ms INTEGER,
  answer_reason TEXT,
  grant_until_ms INTEGER,
  uses_left INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_digest ON approvals (digest, status);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, created_ms);
`;

export class ApprovalStore {
  private readonly db: Database.Database;
  /**
   * The stored copy of a request is what `warden approvals list` shows: credentials in its
   * arguments are redacted there (the digest is of the request as made).
   */
  private readonly redactor: Redactor;

  private constructor(
    readonly path: string,
    secrets: Iterable<string>,
  ) {
    this.redactor = new Redactor(secrets);
    this.db = new Database(path);
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("journal_mode = WAL");
    this.db.exec(SCHEMA);
  }

  /** `secrets`: values Warden holds, redacted from stored requests besides credential shapes. */
  static open(home?: string, secrets: Iterable<string> = []): ApprovalStore {
    const dir = resolve(home ?? process.env.WARDEN_HOME ?? join(homedir(), ".warden"));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      return new ApprovalStore(join(dir, "approvals.db"), secrets);
    } catch (error) {
      throw new WardenError(
        "APPROVALS_UNAVAILABLE",
        `cannot open the approval queue in ${dir}: ${(error as Error).message}`,
      );
    }
  }

  /** Parks a request; it expires as deny after `timeoutMs`. */
  create(input: {
    request: Request;
    pep: string;
    rule: string | null;
    reason: string;
    timeoutMs: number;
    requester: Requester | null;
    now?: number;
  }): Approval {
    const now = input.now ?? Date.now();
    const id = newId();
    this.db
      .prepare(
        `INSERT INTO approvals (id, digest, status, request, pep, rule, reason, created_ms, expires_ms, requester)
         VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        requestDigest(input.request),
        JSON.stringify(this.redactor.value(input.request, "request")),
        input.pep,
        input.rule,
        input.reason,
        now,
        now + input.timeoutMs,
        input.requester === null ? null : JSON.stringify(input.requester),
      );
    return this.get(id)!;
  }

  get(id: string): Approval | null {
    const row = this.db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  /** Pending requests (not yet expired) first-come first; `all` adds answered ones, newest first. */
  list(options: { all?: boolean; now?: number; limit?: number } = {}): Approval[] {
    const now = options.now ?? Date.now();
    const rows = options.all
      ? this.db
          .prepare("SELECT * FROM approvals ORDER BY created_ms DESC LIMIT ?")
          .all(options.limit ?? 100)
      : this.db
          .prepare(
            "SELECT * FROM approvals WHERE status = 'pending' AND expires_ms > ? ORDER BY created_ms",
          )
          .all(now);
    return (rows as Row[]).map(fromRow);
  }

  /**
   * Answers a pending request. Throws APPROVAL_NOT_FOUND, APPROVAL_ANSWERED (answered already)
   * or APPROVAL_EXPIRED. The check and the update are one statement, so two answers cannot both
   * win. `record` (the answer's audit event) runs before the answer commits: a waiting call sees
   * the answer only once it is recorded, and an answer that cannot be recorded is not given.
   */
  answer(
    id: string,
    input: AnswerInput,
    now = Date.now(),
    record?: (answered: Approval) => void,
  ): Approval {
    return this.db.transaction(() => this.answerNow(id, input, now, record)).immediate();
  }

  private answerNow(
    id: string,
    input: AnswerInput,
    now: number,
    record: ((answered: Approval) => void) | undefined,
  ): Approval {
    const uses = input.approve ? (input.uses ?? (input.forMs === undefined ? 1 : null)) : null;
    const result = this.db
      .prepare(
        `UPDATE approvals SET status = ?, approver = ?, answered_ms = ?, answer_reason = ?,
           grant_until_ms = ?, uses_left = ?
         WHERE id = ? AND status = 'pending' AND expires_ms > ?`,
      )
      .run(
        input.approve ? "approved" : "denied",
        input.approver,
        now,
        input.reason ?? null,
        input.approve && input.forMs !== undefined ? now + input.forMs : null,
        // The waiting call takes the first use.
        uses === null ? null : uses - 1,
        id,
        now,
      );
    const row = this.get(id);
    if (result.changes === 1 && row !== null) {
      record?.(row);
      return row;
    }
    if (row === null) throw new WardenError("APPROVAL_NOT_FOUND", `no approval request ${id}`);
    if (row.status === "pending" || row.status === "expired") {
      throw new WardenError("APPROVAL_EXPIRED", `approval request ${id} has expired (denied)`);
    }
    throw new WardenError(
      "APPROVAL_ANSWERED",
      `approval request ${id} was already ${row.status}${row.approver ? ` by ${row.approver}` : ""}`,
    );
  }

  /** Marks a pending request expired; false if it was answered first. */
  expire(id: string): boolean {
    return (
      this.db
        .prepare("UPDATE approvals SET status = 'expired' WHERE id = ? AND status = 'pending'")
        .run(id).changes === 1
    );
  }

  /**
   * Takes one use of an earlier approval of the same digest, if one is still live (time left, or
   * uses left). Returns the approval that granted it, or null.
   */
  takeGrant(digest: string, now = Date.now()): Approval | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          `SELECT * FROM approvals WHERE digest = ? AND status = 'approved'
             AND (grant_until_ms IS NULL OR grant_until_ms > ?)
             AND (uses_left IS NULL OR uses_left > 0)
             AND (grant_until_ms IS NOT NULL OR uses_left IS NOT NULL)
           ORDER BY answered_ms DESC LIMIT 1`,
        )
        .get(digest, now) as Row | undefined;
      if (row === undefined) return null;
      if (row.uses_left !== null) {
        this.db.prepare("UPDATE approvals SET uses_left = uses_left - 1 WHERE id = ?").run(row.id);
      }
      return fromRow({ ...row, uses_left: row.uses_left === null ? null : row.uses_left - 1 });
    })();
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Waits for a parked request to be answered, polling its row every `pollMs`. At the deadline
 * the request is marked expired (unless an answer won the race) and comes back as such.
 */
export async function waitForAnswer(
  store: ApprovalStore,
  id: string,
  options: { pollMs?: number; signal?: AbortSignal; onTick?: () => void } = {},
): Promise<Approval> {
  const pollMs = options.pollMs ?? 100;
  for (;;) {
    const row = store.get(id);
    if (row === null) throw new WardenError("APPROVAL_NOT_FOUND", `approval ${id} disappeared`);
    if (row.status !== "pending") return row;
    if (Date.now() >= row.expiresMs || options.signal?.aborted) {
      store.expire(id);
      return store.get(id)!;
    }
    options.onTick?.();
    await new Promise((done) => {
      const timer = setTimeout(done, Math.min(pollMs, Math.max(1, row.expiresMs - Date.now())));
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          done(undefined);
        },
        { once: true },
      );
    });
  }
}

function fromRow(row: Row): Approval {
  return {
    id: row.id,
    digest: row.digest,
    status: row.status,
    request: JSON.parse(row.request) as Request,
    pep: row.pep,
    rule: row.rule,
    reason: row.reason,
    createdMs: row.created_ms,
    expiresMs: row.expires_ms,
    requester: row.requester === null ? null : (JSON.parse(row.requester) as Requester),
    approver: row.approver,
    answeredMs: row.answered_ms,
    answerReason: row.answer_reason,
    grantUntilMs: row.grant_until_ms,
    usesLeft: row.uses_left,
  };
}

/** Short, unambiguous ids people can type: 8 characters of Crockford base32. */
function newId(): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  return [...randomBytes(8)].map((b) => alphabet[b % 32]).join("");
}
