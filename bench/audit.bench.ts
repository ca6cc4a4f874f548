/**
 * Audit figures: durable append with group commit (against plain SQLite inserts of the same
 * rows, same durability, same run), verify rate over 1,000,000 events, and inclusion proof time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { type AuditEventInput, AuditLog } from "../src/audit/index.js";
import { report, summarize } from "./report.js";

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const WINDOW = 2_000; // appends in flight, as many concurrent hook calls would have

function event(i: number): AuditEventInput {
  return {
    kind: "exec",
    pep: "bench",
    principal: { agent: "claude-code", user: "alice", session: `s${i % 97}` },
    target: { command: `git log --oneline -n ${i % 50}`, cwd: "/work/app" },
    decision: {
      effect: i % 7 === 0 ? "deny" : "allow",
      rule: i % 7 === 0 ? "destructive-commands" : "everyday-commands",
      matched: ["everyday-commands"],
      reason: "Reading and testing the project is everyday work.",
      policy: {
        name: "coding-agent-starter",
        version: "2026-11-25.1",
        digest: `sha256:${"ab".repeat(32)}`,
      },
    },
    latencyUs: 4,
  };
}

/** The same rows through plain better-sqlite3: WAL, synchronous=FULL, batched transactions. */
function plainSqliteRate(dir: string, count: number): number {
  const db = new Database(join(dir, "plain.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO events (seq, body) VALUES (?, ?)");
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(i, JSON.stringify(event(i)));
  });
  const t0 = performance.now();
  for (let i = 0; i < count; i += WINDOW) batch(i, Math.min(count, i + WINDOW));
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return count / seconds;
}

export async function auditBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-"));
  try {
    const log = AuditLog.open({ home: join(dir, "home") });
    const t0 = performance.now();
    let lastProgress = t0;
    for (let i = 0; i < EVENTS; i += WINDOW) {
      const inFlight: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(EVENTS, i + WINDOW); j++) inFlight.push(log.append(event(j)));
      await Promise.all(inFlight);
      if (performance.now() - lastProgress > 2000 && process.stderr.isTTY) {
        lastProgress = performance.now();
        process.stderr.write(`\r  appended ${i + WINDOW} / ${EVENTS}`);
      }
    }
    const appendRate = EVENTS / ((performance.now() - t0) / 1000);
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    const plainRate = plainSqliteRate(dir, Math.min(EVENTS, 200_000));
    report({
      name: `audit append, group commit, durable (${EVENTS.toLocaleString("en-US")})`,
      value: appendRate,
      unit: "events/s",
      target: { op: ">=", value: 50_000 },
    });
    report({
      name: "plain SQLite insert, same rows and durability",
      value: plainRate,
      unit: "events/s",
    });
    report({
      name: "audit append vs plain SQLite (ratio)",
      value: appendRate / plainRate,
      unit: "×",
    });

    log.checkpoint();
    const verified = log.verify();
    if (!verified.ok)
      throw new Error(`the bench log does not verify: ${verified.problems[0]?.message}`);
    report({
      name: "audit verify",
      value: verified.events / (verified.ms / 1000),
      unit: "events/s",
      target: { op: ">=", value: 200_000 },
    });

    const proofTimes: number[] = [];
    for (let k = 0; k < 2_000; k++) {
      const seq = (k * 104_729) % EVENTS;
      const t = performance.now();
      log.proveInclusion(seq);
      proofTimes.push(performance.now() - t);
    }
    const proofs = summarize(proofTimes.slice(200));
    report({
      name: `inclusion proof p50, ${EVENTS.toLocaleString("en-US")} events`,
      value: proofs.p50,
      unit: "ms",
      target: { op: "<=", value: 1 },
    });
    report({
      name: `inclusion proof p99, ${EVENTS.toLocaleString("en-US")} events`,
      value: proofs.p99,
      unit: "ms",
      target: { op: "<=", value: 1 },
    });
    log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
