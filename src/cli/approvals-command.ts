/**
 * `warden approvals list|approve|deny`: answering the requests enforcement points have parked in
 * the approval queue. The approver is the OS user running the command, recorded with the answer
 * (in the queue and as an audit event linked to the request by its digest). An answer given from
 * inside the requesting agent's process tree is a self-approval and is refused.
 */
import { userInfo } from "node:os";
import { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";
import { type Approval, ApprovalStore, descendsFrom, parseDuration } from "../mcp/index.js";
import { EXIT, formatTable, parseCount, printJson, truncate } from "./output.js";

function withStore<T>(fn: (store: ApprovalStore) => T): T {
  const store = ApprovalStore.open();
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function what(approval: Approval): string {
  const r = approval.request;
  if (r.kind === "mcp.call") {
    return `${r.target.server}/${r.target.tool} ${JSON.stringify(r.target.args ?? {})}`;
  }
  return `${r.kind} ${JSON.stringify(r.target)}`;
}

function left(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function list(options: { all?: boolean; json?: boolean }): number {
  const now = Date.now();
  const rows = withStore((store) => store.list({ all: options.all ?? false, now }));
  if (options.json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    process.stdout.write(options.all ? "no approval requests\n" : "no pending approval requests\n");
    return EXIT.ok;
  }
  const table = rows.map((a) => [
    a.id,
    options.all ? a.status : left(a.expiresMs - now),
    a.request.principal.agent,
    truncate(what(a), 80),
    truncate(a.reason, 60),
  ]);
  process.stdout.write(
    `${formatTable(["ID", options.all ? "STATUS" : "EXPIRES IN", "AGENT", "REQUEST", "WHY ASKED"], table)}\n`,
  );
  if (!options.all) {
    process.stdout.write(
      "\nanswer with: warden approvals approve ID   or   warden approvals deny ID\n",
    );
  }
  return EXIT.ok;
}

interface AnswerOptions {
  reason?: string;
  for?: string;
  uses?: string;
  json?: boolean;
}

export function approve(id: string, options: AnswerOptions): number {
  return answer(id, true, options);
}

export function deny(id: string, options: AnswerOptions): number {
  return answer(id, false, options);
}

function answer(id: string, approve: boolean, options: AnswerOptions): number {
  if (!approve && (options.for !== undefined || options.uses !== undefined)) {
    throw new WardenError("CLI_USAGE", "--for and --uses grant an approval; a deny takes --reason");
  }
  const forMs = options.for === undefined ? undefined : parseDuration(options.for, "--for");
  const uses = options.uses === undefined ? undefined : parseCount(options.uses, "--uses");
  if (uses === 0) throw new WardenError("CLI_USAGE", "--uses must be at least 1");
  const approver = userInfo().username;

  // The answer is an audit event, linked to the request event by the digest, appended before
  // the answer commits: the waiting call cannot act on an answer that is not on record.
  const log = AuditLog.open();
  const record = (answered: Approval): void => {
    log.appendSync({
      kind: "approval",
      pep: "cli.approvals",
      principal: { agent: "cli", user: approver },
      target: {
        id: answered.id,
        digest: answered.digest,
        kind: answered.request.kind,
        request: answered.request.target,
      },
      context: {
        answer: answered.status,
        requester: answered.request.principal,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
        ...(answered.grantUntilMs === null
          ? {}
          : { grantUntil: new Date(answered.grantUntilMs).toISOString() }),
        ...(answered.usesLeft === null ? {} : { usesLeft: answered.usesLeft }),
      },
    });
  };
  let answered: Approval;
  try {
    answered = withStore((store) => {
      const pending = store.get(id);
      if (pending === null) {
        throw new WardenError("APPROVAL_NOT_FOUND", `no approval request ${id}`, {
          hint: "see the pending ones with `warden approvals list`",
        });
      }
      // The requesting agent cannot answer its own request: not from its shell tool, nor from any
      // process it started.
      if (pending.requester !== null && descendsFrom(pending.requester)) {
        throw new WardenError(
          "APPROVAL_SELF",
          `request ${id} was made by ${pending.request.principal.agent} (pid ${pending.requester.pid}), and this command runs inside that agent: it cannot approve or deny its own request`,
          { hint: "a human answers from a terminal outside the agent" },
        );
      }
      return store.answer(
        id,
        {
          approve,
          approver,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(forMs === undefined ? {} : { forMs }),
          ...(uses === undefined ? {} : { uses }),
        },
        Date.now(),
        record,
      );
    });
  } finally {
    log.close();
  }

  if (options.json) printJson(answered);
  else {
    const grant =
      answered.grantUntilMs !== null
        ? `; the same request is granted until ${new Date(answered.grantUntilMs).toLocaleTimeString()}`
        : answered.usesLeft !== null && answered.usesLeft > 0
          ? `; ${answered.usesLeft} more identical call(s) granted`
          : "";
    process.stdout.write(`${answered.status} ${answered.id}: ${what(answered)}${grant}\n`);
  }
  return EXIT.ok;
}
