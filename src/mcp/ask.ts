/**
 * Turning an `ask` into an answer. If the agent's client declared the elicitation capability,
 * the user is asked in-band (`elicitation/create`): accept proceeds, decline or cancel denies.
 * Otherwise the call is parked in the approval queue until someone runs `warden approvals
 * approve|deny ID`, or it expires as deny. An earlier approval that granted the same digest for a
 * time or a number of uses answers at once.
 */
import type { Decision, Request } from "../policy/index.js";
import {
  type Approval,
  type ApprovalStore,
  type Requester,
  requestDigest,
  waitForAnswer,
} from "./approvals.js";

export type AskChannel = "elicitation" | "queue" | "grant";

export interface AskOutcome {
  approved: boolean;
  via: AskChannel;
  digest: string;
  /** The elicitation action, or the approval's final status. */
  answer: string;
  approval?: Approval;
  /** Who answered: the approver's user, or "user (elicitation)". */
  approver: string | null;
  answerReason: string | null;
  waitedMs: number;
}

export interface AskPorts {
  /** Asks the user in-band; null when the client cannot be asked. */
  elicit: ((message: string, timeoutMs: number) => Promise<"accept" | "decline" | "cancel">) | null;
  approvals: () => ApprovalStore;
  /** Recorded before waiting: the request event, linked to the answer by the digest. */
  requested: (info: { via: AskChannel; digest: string; approval?: Approval }) => Promise<void>;
  pep: string;
  timeoutMs: number;
  pollMs?: number;
  requester: Requester | null;
  signal?: AbortSignal;
  /** Called while waiting in the queue (progress notifications keep the client from timing out). */
  onWait?: () => void;
}

export async function resolveAsk(
  request: Request & { kind: "mcp.call" },
  decision: Decision,
  ports: AskPorts,
): Promise<AskOutcome> {
  const started = Date.now();
  const digest = requestDigest(request);
  const waited = () => Date.now() - started;

  const store = ports.approvals();
  const grant = store.takeGrant(digest);
  if (grant !== null) {
    return {
      approved: true,
      via: "grant",
      digest,
      answer: "approved",
      approval: grant,
      approver: grant.approver,
      answerReason: grant.answerReason,
      waitedMs: waited(),
    };
  }

  if (ports.elicit !== null) {
    await ports.requested({ via: "elicitation", digest });
    let answer: "accept" | "decline" | "cancel" | "timeout" | "error";
    let answerReason: string | null = null;
    try {
      answer = await ports.elicit(elicitationMessage(request, decision), ports.timeoutMs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      answer = /timed? ?out/i.test(message) ? "timeout" : "error";
      answerReason = message;
    }
    return {
      approved: answer === "accept",
      via: "elicitation",
      digest,
      answer,
      approver: answer === "accept" || answer === "decline" ? "user (elicitation)" : null,
      answerReason,
      waitedMs: waited(),
    };
  }

  const parked = store.create({
    request,
    pep: ports.pep,
    rule: decision.rule,
    reason: decision.reason,
    timeoutMs: ports.timeoutMs,
    requester: ports.requester,
  });
  await ports.requested({ via: "queue", digest, approval: parked });
  const answered = await waitForAnswer(store, parked.id, {
    ...(ports.pollMs === undefined ? {} : { pollMs: ports.pollMs }),
    ...(ports.signal === undefined ? {} : { signal: ports.signal }),
    ...(ports.onWait === undefined ? {} : { onTick: ports.onWait }),
  });
  return {
    approved: answered.status === "approved",
    via: "queue",
    digest,
    answer: answered.status,
    approval: answered,
    approver: answered.approver,
    answerReason: answered.answerReason,
    waitedMs: waited(),
  };
}

function elicitationMessage(request: Request & { kind: "mcp.call" }, decision: Decision): string {
  const { server, tool, args } = request.target;
  const shown = JSON.stringify(args ?? {}, null, 2);
  return [
    `Warden: ${request.principal.agent} wants to call ${server}/${tool} with`,
    shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown,
    "",
    `${decision.rule === null ? "The policy default" : `Rule ${decision.rule}`} asks for approval: ${decision.reason}`,
    "Accept to run this exact call once; decline to refuse it.",
  ].join("\n");
}

/** The sentence the agent (and the audit log) gets for an answered ask. */
export function answeredReason(outcome: AskOutcome, decision: Decision, timeoutMs: number): string {
  const why = outcome.answerReason ? `: ${outcome.answerReason}` : "";
  switch (outcome.answer) {
    case "approved":
      return outcome.via === "grant"
        ? `approved earlier by ${outcome.approver ?? "an approver"} for this exact request (approval ${outcome.approval?.id})`
        : `approved by ${outcome.approver ?? "an approver"}${why}`;
    case "accept":
      return "approved by the user (elicitation)";
    case "denied":
      return `denied by ${outcome.approver ?? "an approver"}${why} (asked because: ${decision.reason})`;
    case "decline":
      return `declined by the user (asked because: ${decision.reason})`;
    case "cancel":
      return `the user dismissed the approval request (asked because: ${decision.reason})`;
    case "expired":
    case "timeout":
      return `no answer within ${Math.round(timeoutMs / 1000)}s, so denied (asked because: ${decision.reason})`;
    default:
      return `could not ask for approval${why}, so denied (asked because: ${decision.reason})`;
  }
}
