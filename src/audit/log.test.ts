import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Decision } from "../policy/index.js";
import {
  AuditError,
  type AuditEventInput,
  AuditLog,
  eventLeafHash,
  verifyConsistencyProof,
  verifyInclusionProof,
} from "./index.js";

let home: string;
const open: AuditLog[] = [];

function openLog(options: Parameters<typeof AuditLog.open>[0] = {}): AuditLog {
  const log = AuditLog.open({ home, autoCheckpoint: false, ...options });
  open.push(log);
  return log;
}

function decision(effect: Decision["effect"], rule: string | null): Decision {
  return {
    effect,
    rule,
    matched: rule ? [rule] : [],
    reason: `${effect} by ${rule}`,
    policy: { name: "acme", version: "1", digest: "sha256:abc" },
  };
}

function ev(i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    kind: i % 3 === 0 ? "net.connect" : "exec",
    pep: i % 2 === 0 ? "hook.claude-code" : "cli.decide",
    principal: {
      agent: i % 4 === 0 ? "cursor" : "claude-code",
      user: i % 5 === 0 ? "bob" : "alice",
    },
    target: { command: `make target-${i}` },
    decision: decision(i % 7 === 0 ? "deny" : "allow", i % 7 === 0 ? "no-net" : "everyday"),
    latencyUs: i,
    time: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    ...extra,
  };
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "warden-log-"));
});
afterEach(() => {
  for (const log of open.splice(0)) log.close();
});

describe("AuditLog", () => {
  it("creates a private home, a 0600 key and a stable origin", () => {
    const dir = join(home, "nested", ".warden");
    const log = openLog({ home: dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "audit.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "audit.db")).mode & 0o777).toBe(0o600);
    expect(log.origin).toMatch(/^warden\.local\/[a-z0-9.-]+\/audit\/[0-9a-f]{8}$/);
    const { origin } = log;
    const vkey = log.verifierKey();
    log.close();
    const again = openLog({ home: dir });
    expect(again.origin).toBe(origin);
    expect(again.verifierKey()).toBe(vkey);
    expect(vkey.startsWith(`${origin}+`)).toBe(true);
  });

  it("numbers events from 0 and writes the documented event shape", async () => {
    const log = openLog();
    const receipts = await Promise.all([0, 1, 2].map((i) => log.append(ev(i))));
    expect(receipts.map((r) => r.seq)).toEqual([0, 1, 2]);
    const sync = log.appendSync(ev(3, { context: { workspace: "/w" } }));
    expect(sync.seq).toBe(3);
    expect(log.size()).toBe(4);
    const [event] = log.search({ afterSeq: 2 });
    expect(event).toEqual({
      v: 1,
      seq: 3,
      time: "2026-01-01T00:03:00.000Z",
      kind: "net.connect",
      pep: "cli.decide",
      principal: { agent: "claude-code", user: "alice" },
      target: { command: "make target-3" },
      context: { workspace: "/w" },
      decision: decision("allow", "everyday"),
      latencyUs: 3,
    });
    expect(eventLeafHash(event!)).toBe(sync.leafHash);
  });

  it("group-commits appends made in one tick, in call order, alongside appendSync", async () => {
    const log = openLog();
    const pending = Array.from({ length: 500 }, (_, i) => log.append(ev(i)));
    const sync = log.appendSync(ev(500)); // commits the queued 500 first
    expect(sync.seq).toBe(500);
    const receipts = await Promise.all(pending);
    expect(receipts.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const small = AuditLog.open({ home, autoCheckpoint: false, maxBatch: 7 });
    open.push(small);
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => small.append(ev(i))));
    expect(more.at(-1)!.seq).toBe(520);
    expect(log.verify().ok).toBe(true);
  });

  it("commits an append withinMs with the next batch, else within its window, else at close", async () => {
    const log = openLog();
    const riding = log.append(ev(0), { withinMs: 60_000 });
    await new Promise((tick) => setImmediate(tick));
    expect(log.size()).toBe(0); // it waits for company
    const next = await log.append(ev(1));
    expect(next.seq).toBe(1);
    expect((await riding).seq).toBe(0); // in the same transaction, in call order
    expect(log.size()).toBe(2);

    expect((await log.append(ev(2), { withinMs: 5 })).seq).toBe(2); // alone: its window ends

    const atClose = log.append(ev(3), { withinMs: 60_000 });
    log.close();
    expect((await atClose).seq).toBe(3);
    const reopened = openLog({ readonly: true });
    expect(reopened.size()).toBe(4);
    expect(reopened.verify().ok).toBe(true);
  });

  it("prepares an append with prepareLater after the current task, in its place and time", async () => {
    const log = openLog();
    const before = Date.now();
    const later = log.append(
      { ...ev(0), time: undefined },
      { withinMs: 60_000, prepareLater: true },
    );
    const bad = log.append({ ...ev(1), kind: "" }, { prepareLater: true });
    const now = log.append(ev(2));
    await expect(bad).rejects.toMatchObject({ code: "AUDIT_INVALID_EVENT" });
    expect((await later).seq).toBe(0); // before the append made after it, in one transaction
    expect((await now).seq).toBe(1);
    const [first] = log.search({ limit: 1 });
    expect(Date.parse(first!.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(first!.time)).toBeLessThanOrEqual(Date.now());

    const atClose = log.append(ev(3), { withinMs: 60_000, prepareLater: true });
    log.close();
    expect((await atClose).seq).toBe(2);
    const reopened = openLog({ readonly: true });
    expect(reopened.size()).toBe(3);
    expect(reopened.verify().ok).toBe(true);
  });

  it("rejects invalid events without writing anything", async () => {
    const log = openLog();
    const bad = [
      { ...ev(0), kind: "" },
      { ...ev(0), principal: {} as never },
      { ...ev(0), latencyUs: Number.NaN },
      { ...ev(0), time: new Date(Number.NaN) },
      { ...ev(0), target: { n: 10n } },
    ];
    for (const event of bad) {
      await expect(log.append(event)).rejects.toMatchObject({ code: "AUDIT_INVALID_EVENT" });
      expect(() => log.appendSync(event)).toThrow(AuditError);
    }
    expect(log.size()).toBe(0);
  });

  it("fails closed when the store is full: the append rejects, nothing is half-written", async () => {
    const log = openLog({ maxBytes: 256 * 1024 });
    const big = "x".repeat(4000);
    let failure: unknown;
    let acknowledged = 0;
    for (let i = 0; i < 1000 && !failure; i++) {
      try {
        await log.append(ev(i, { context: { big: `${i}${big}` } }));
        acknowledged++;
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toBeInstanceOf(AuditError);
    expect((failure as AuditError).code).toBe("AUDIT_STORE_FULL");
    expect(() => log.appendSync(ev(0, { context: { big } }))).toThrow(/AUDIT_STORE_FULL|full/);
    expect(log.size()).toBe(acknowledged);
    log.close();
    const reopened = openLog();
    expect(reopened.size()).toBe(acknowledged);
    expect(reopened.verify().ok).toBe(true);
  });

  it("refuses to append when opened read-only, and fails on a corrupt store", async () => {
    openLog().appendSync(ev(0));
    const ro = openLog({ readonly: true });
    await expect(ro.append(ev(1))).rejects.toMatchObject({ code: "AUDIT_READONLY" });
    expect(() => ro.appendSync(ev(1))).toThrow(expect.objectContaining({ code: "AUDIT_READONLY" }));
    expect(() => ro.checkpoint()).toThrow(expect.objectContaining({ code: "AUDIT_READONLY" }));
    const broken = mkdtempSync(join(tmpdir(), "warden-corrupt-"));
    writeFileSync(join(broken, "audit.db"), Buffer.alloc(8192, 0x5a));
    expect(() => AuditLog.open({ home: broken })).toThrow(
      expect.objectContaining({ code: "AUDIT_STORE_CORRUPT" }),
    );
    const missing = join(tmpdir(), `warden-missing-${process.pid}-${Date.now()}`);
    expect(() => AuditLog.open({ home: missing, readonly: true })).toThrow(
      expect.objectContaining({ code: "AUDIT_NO_LOG" }),
    );
  });

  it("serves inclusion and consistency proofs that verify with only the checkpoint and key", () => {
    const log = openLog();
    for (let i = 0; i < 37; i++) log.appendSync(ev(i));
    const old = log.checkpoint();
    for (let i = 37; i < 100; i++) log.appendSync(ev(i));
    const latest = log.checkpoint();
    expect(log.latestCheckpoint()).toEqual(latest);
    const vkey = log.verifierKey();
    for (const seq of [0, 1, 36, 64, 99]) {
      const proof = JSON.parse(JSON.stringify(log.proveInclusion(seq)));
      verifyInclusionProof(proof, latest.text, vkey);
      expect(proof.treeSize).toBe(100);
    }
    verifyInclusionProof(log.proveInclusion(5, 37), old.text, vkey);
    const consistency = log.proveConsistency(37);
    verifyConsistencyProof(JSON.parse(JSON.stringify(consistency)), old.text, latest.text, vkey);

    const proof = log.proveInclusion(10);
    const wrongLeaf = { ...proof, leafHash: log.proveInclusion(11).leafHash };
    expect(() => verifyInclusionProof(wrongLeaf, latest.text, vkey)).toThrow(
      expect.objectContaining({ code: "AUDIT_BAD_PROOF" }),
    );
    expect(() => verifyInclusionProof(proof, old.text, vkey)).toThrow(/tree size/);
    const other = AuditLog.open({ home: mkdtempSync(join(tmpdir(), "warden-o-")) });
    open.push(other);
    expect(() => verifyInclusionProof(proof, latest.text, other.verifierKey())).toThrow(
      expect.objectContaining({ code: "AUDIT_BAD_SIGNATURE" }),
    );
    expect(() => verifyConsistencyProof(consistency, latest.text, old.text, vkey)).toThrow();
    expect(() => log.proveInclusion(100)).toThrow(
      expect.objectContaining({ code: "AUDIT_BAD_ARGUMENT" }),
    );
  });

  it("needs a checkpoint, or an explicit size, for proofs", () => {
    const log = openLog();
    log.appendSync(ev(0));
    expect(() => log.proveInclusion(0)).toThrow(
      expect.objectContaining({ code: "AUDIT_NO_CHECKPOINT" }),
    );
    expect(log.proveInclusion(0, 1).path).toEqual([]);
  });

  it("searches by every indexed field, time range, text, order and pages", () => {
    const log = openLog();
    for (let i = 0; i < 60; i++) log.appendSync(ev(i));
    const seqs = (q: Parameters<AuditLog["search"]>[0]) => log.search(q).map((e) => e.seq);
    const all = Array.from({ length: 60 }, (_, i) => i);
    expect(seqs({ kind: "net.connect", limit: 1000 })).toEqual(all.filter((i) => i % 3 === 0));
    expect(seqs({ effect: "deny" })).toEqual(all.filter((i) => i % 7 === 0));
    expect(seqs({ agent: "cursor" })).toEqual(all.filter((i) => i % 4 === 0));
    expect(seqs({ user: "bob" })).toEqual(all.filter((i) => i % 5 === 0));
    expect(seqs({ rule: "no-net" })).toEqual(all.filter((i) => i % 7 === 0));
    expect(seqs({ pep: "cli.decide" })).toEqual(all.filter((i) => i % 2 === 1));
    const t0 = Date.UTC(2026, 0, 1);
    expect(seqs({ since: new Date(t0 + 10 * 60_000), until: new Date(t0 + 13 * 60_000) })).toEqual([
      10, 11, 12,
    ]);
    expect(seqs({ text: "TARGET-4" })).toEqual([4, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    expect(seqs({ text: "100%_" })).toEqual([]);
    expect(seqs({ effect: "deny", order: "desc", limit: 3 })).toEqual([56, 49, 42]);
    expect(seqs({ effect: "deny", order: "desc", limit: 3, afterSeq: 42 })).toEqual([35, 28, 21]);
    expect(seqs({ limit: 2, afterSeq: 57 })).toEqual([58, 59]);
    expect(seqs({ kind: "exec", agent: "cursor", user: "bob" })).toEqual([20, 40]);
    expect(() => log.search({ limit: 0 })).toThrow(
      expect.objectContaining({ code: "AUDIT_BAD_ARGUMENT" }),
    );
  });

  it("exports every event in order", () => {
    const log = openLog();
    for (let i = 0; i < 2500; i++) log.appendSync(ev(i));
    const seqs = [...log.events()].map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect([...log.events(2498)].map((e) => e.seq)).toEqual([2498, 2499]);
  });

  it("follows events appended later, by another connection, until aborted", async () => {
    const writer = openLog();
    writer.appendSync(ev(0));
    const reader = openLog({ readonly: true, pollMs: 5 });
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const event of reader.follow(0, controller.signal)) {
        seen.push(event.seq);
        if (event.seq === 4) controller.abort();
      }
    })();
    for (let i = 1; i < 5; i++) await writer.append(ev(i));
    await done;
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it("signs a checkpoint automatically every N events and when closed", async () => {
    const log = AuditLog.open({ home, autoCheckpoint: { events: 10, ms: 0 } });
    for (let i = 0; i < 25; i++) log.appendSync(ev(i));
    expect(log.latestCheckpoint()?.size).toBe(20);
    log.close();
    const reopened = openLog();
    expect(reopened.latestCheckpoint()?.size).toBe(25);
    const result = reopened.verify();
    expect(result).toMatchObject({ ok: true, checkpoints: 3, uncovered: 0 });
  });

  it("signs a checkpoint automatically shortly after an append", async () => {
    const log = AuditLog.open({ home, autoCheckpoint: { ms: 20 } });
    open.push(log);
    await log.append(ev(0));
    const deadline = Date.now() + 5000;
    while (log.latestCheckpoint() === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(log.latestCheckpoint()?.size).toBe(1);
  });

  it("interleaves appends from two connections (two processes) into one tree", async () => {
    const a = openLog();
    const b = openLog();
    for (let i = 0; i < 30; i++) {
      (i % 3 === 0 ? a : b).appendSync(ev(i));
      if (i % 5 === 0) await Promise.all([a.append(ev(i)), b.append(ev(i))]);
    }
    a.checkpoint();
    b.appendSync(ev(99));
    b.checkpoint();
    const result = a.verify();
    expect(result).toMatchObject({ ok: true, events: 43, checkpoints: 2 });
    expect([...a.events()].map((e) => e.seq)).toEqual(Array.from({ length: 43 }, (_, i) => i));
  });

  it("reports closed use with a code", () => {
    const log = AuditLog.open({ home });
    log.close();
    log.close();
    expect(() => log.size()).toThrow(expect.objectContaining({ code: "AUDIT_CLOSED" }));
  });
});
