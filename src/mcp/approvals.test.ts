import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../audit/index.js";
import type { Request } from "../policy/index.js";
import { ApprovalStore, requestDigest, waitForAnswer } from "./approvals.js";

const request = (args: Record<string, unknown>): Request => ({
  kind: "mcp.call",
  principal: { agent: "claude-code", user: "dev" },
  target: { server: "gmail", tool: "send_email", args },
});

function store(): ApprovalStore {
  return ApprovalStore.open(mkdtempSync(join(tmpdir(), "warden-approvals-")));
}

const park = (s: ApprovalStore, r: Request, timeoutMs = 60_000) =>
  s.create({ request: r, pep: "test", rule: "r", reason: "why", timeoutMs, requester: null });

describe("ApprovalStore", () => {
  it("binds a request to the digest of its canonical JSON, arguments included", () => {
    const a = requestDigest(request({ to: ["x@y.z"], subject: "hi" }));
    expect(requestDigest(request({ subject: "hi", to: ["x@y.z"] }))).toBe(a);
    expect(requestDigest(request({ subject: "hi!", to: ["x@y.z"] }))).not.toBe(a);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("keeps credentials out of the stored copy that approvers read, not out of the digest", () => {
    const home = mkdtempSync(join(tmpdir(), "warden-approvals-"));
    const held = "crm-0123456789-held";
    const s = ApprovalStore.open(home, [held]);
    const made = request({
      token: "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
      note: `key ${held}`,
    });
    const row = park(s, made);
    const text = JSON.stringify(s.list());
    expect(text).not.toContain("ghp_0123456789");
    expect(text).not.toContain(held);
    expect(text).toContain("REDACTED");
    expect(row.digest).toBe(requestDigest(made));
  });

  it("answers once; later answers are refused", () => {
    const s = store();
    const row = park(s, request({}));
    expect(s.list().map((r) => r.id)).toEqual([row.id]);
    expect(s.answer(row.id, { approve: false, approver: "ann", reason: "no" })).toMatchObject({
      status: "denied",
      approver: "ann",
      answerReason: "no",
    });
    expect(() => s.answer(row.id, { approve: true, approver: "bob" })).toThrow(/already denied/);
    expect(() => s.answer("nope", { approve: true, approver: "bob" })).toThrow(/no approval/);
    expect(s.list()).toEqual([]);
    s.close();
  });

  it("grants the same digest for a number of uses, the waiting call included", () => {
    const s = store();
    const r = request({ to: ["a"] });
    const row = park(s, r);
    s.answer(row.id, { approve: true, approver: "ann", uses: 3 });
    expect(s.takeGrant(requestDigest(r))?.usesLeft).toBe(1);
    expect(s.takeGrant(requestDigest(r))?.usesLeft).toBe(0);
    expect(s.takeGrant(requestDigest(r))).toBeNull();
    expect(s.takeGrant(requestDigest(request({ to: ["b"] })))).toBeNull();
    s.close();
  });

  it("grants for a time, and a plain approval answers the waiting call only", () => {
    const s = store();
    const timed = request({ n: 1 });
    const t = park(s, timed);
    s.answer(t.id, { approve: true, approver: "ann", forMs: 60_000 }, 1_000);
    expect(s.takeGrant(requestDigest(timed), 30_000)).not.toBeNull();
    expect(s.takeGrant(requestDigest(timed), 30_000)).not.toBeNull();
    expect(s.takeGrant(requestDigest(timed), 61_001)).toBeNull();

    const once = request({ n: 2 });
    const o = park(s, once);
    s.answer(o.id, { approve: true, approver: "ann" });
    expect(s.takeGrant(requestDigest(once))).toBeNull();
    s.close();
  });

  it("expires an unanswered request as deny, and refuses late answers", async () => {
    const s = store();
    const row = park(s, request({}), 30);
    const answered = await waitForAnswer(s, row.id, { pollMs: 5 });
    expect(answered.status).toBe("expired");
    expect(() => s.answer(row.id, { approve: true, approver: "ann" })).toThrow(/expired/);
    s.close();
  });

  it("an answer is visible to the waiting call only once recorded, and not given if it cannot be", () => {
    const home = mkdtempSync(join(tmpdir(), "warden-approvals-"));
    const s = ApprovalStore.open(home);
    const waiting = ApprovalStore.open(home); // the gateway's own connection
    const row = park(s, request({ to: ["a@b.c"] }));
    const seenWhileRecording: string[] = [];
    s.answer(row.id, { approve: true, approver: "ann" }, Date.now(), (answered) => {
      expect(answered.status).toBe("approved");
      seenWhileRecording.push(waiting.get(row.id)!.status);
    });
    expect(seenWhileRecording).toEqual(["pending"]);
    expect(waiting.get(row.id)?.status).toBe("approved");

    AuditLog.open({ home }).close();
    const unwritable = AuditLog.open({ home, readonly: true });
    const other = park(s, request({ to: ["x@y.z"] }));
    expect(() =>
      s.answer(other.id, { approve: true, approver: "ann" }, Date.now(), (answered) => {
        unwritable.appendSync({
          kind: "approval",
          pep: "test",
          principal: { agent: "cli" },
          target: { id: answered.id },
        });
      }),
    ).toThrow(expect.objectContaining({ code: "AUDIT_READONLY" }));
    expect(waiting.get(other.id)?.status).toBe("pending");
    unwritable.close();
    waiting.close();
    s.close();
  });
});
