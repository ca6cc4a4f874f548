import { describeCheckpoint, openCheckpoint } from "./checkpoint.js";
import { startConsistencyCheck } from "./consistency.js";
import { AuditError } from "./errors.js";
import { Frontier, HASH_SIZE, hashLeafText } from "./merkle.js";
import type { NoteVerifier } from "./note.js";
import { type AuditStore, type ConsistencyRow, NODE_MIN_LEVEL } from "./store.js";

export type VerifyProblem = { code: string; seq?: number; message: string };

export interface VerifyResult {
  ok: boolean;
  events: number;
  /** Checkpoints whose signature verified (stored and supplied). */
  checkpoints: number;
  /** Events after the last checkpoint that matched: not yet protected by a signature. */
  uncovered: number;
  /** Problems, first bad entry first. */
  problems: VerifyProblem[];
  /** Base64 root hash recomputed from the event bytes. */
  rootHash: string;
  ms: number;
}

export interface VerifyInput {
  verifier: NoteVerifier;
  /** Checkpoint notes from outside the store (an auditor's copies, a witness's). */
  external: readonly string[];
  /** Problems already found with the log's keys. */
  keyProblems: readonly VerifyProblem[];
  onProgress?: (done: number, total: number) => void;
}

/** A tree head the log must match: a checkpoint whose signature verified. */
interface Claim {
  size: number;
  root: Buffer;
  source: string;
  external: boolean;
  matched?: boolean;
}

const MAX_PER_CODE = 10;
const CHUNK = 8_192;
const PROGRESS_EVERY = 65_536;

/**
 * Verifies the whole log without trusting anything derived: each leaf hash is recomputed from
 * the stored canonical bytes, the tree from the leaf hashes, and the root at every signed
 * checkpoint's size is compared with the signed root. Stored leaf and node hashes are only
 * checked against the recomputation, to name the first damaged entry.
 *
 * What each finding means:
 * - EVENT_TAMPERED: the bytes no longer hash to the leaf hash stored when they were appended.
 * - SEQ_GAP / SEQ_MISMATCH: rows deleted, inserted or reordered.
 * - ROOT_MISMATCH: the events differ from what a signed checkpoint committed to — this is what
 *   catches an attacker who rewrites an event and recomputes every stored hash. The named seq is
 *   the start of the smallest range the signatures still vouch for up to.
 * - TRUNCATED: a checkpoint covers events that are no longer there.
 * - BAD_SIGNATURE / ORIGIN_MISMATCH / BAD_CHECKPOINT: a checkpoint that does not verify.
 */
export function verifyStore(store: AuditStore, input: VerifyInput): VerifyResult {
  const started = performance.now();
  const problems = new ProblemList();
  for (const p of input.keyProblems) problems.add(p);

  return store.read(() => {
    const claims: Claim[] = [];
    const rejected: Array<{ size: number | undefined; problem: VerifyProblem }> = [];
    const consider = (note: string, source: string, external: boolean) => {
      try {
        const body = openCheckpoint(note, input.verifier);
        claims.push({ size: body.size, root: body.root, source, external });
      } catch (error) {
        if (!(error instanceof AuditError)) throw error;
        let size: number | undefined;
        try {
          size = describeCheckpoint(note).size;
        } catch {
          size = undefined;
        }
        rejected.push({
          size,
          problem: { code: error.code, message: `${source}: ${error.message}` },
        });
      }
    };
    for (const row of store.checkpoints())
      consider(row.note, `checkpoint #${row.id} (size ${row.size})`, false);
    for (const [i, note] of input.external.entries()) {
      consider(note, `supplied checkpoint ${i + 1}`, true);
    }
    const bySize = new Map<number, Claim[]>();
    for (const claim of claims) bySize.set(claim.size, [...(bySize.get(claim.size) ?? []), claim]);

    const total = store.count();
    const frontier = new Frontier();
    const nodes = new NodeChecker(store, problems);
    let lastGood = 0; // largest size at which every signed checkpoint matched
    let expected = 0;
    // The first event found damaged on its own (bytes, seq): a more precise name for the first
    // bad entry than a checkpoint's range.
    let firstDamaged: number | undefined;
    const damaged = (problem: VerifyProblem & { seq: number }) => {
      problems.add(problem);
      firstDamaged ??= problem.seq;
      nodes.stop(); // nodes above a damaged leaf differ as a consequence; do not blame them
    };
    const checkClaims = () => {
      const atSize = bySize.get(frontier.size);
      if (!atSize) return;
      const root = frontier.root();
      let allMatch = true;
      for (const claim of atSize) {
        claim.matched = claim.root.equals(root);
        if (claim.matched) continue;
        allMatch = false;
        problems.addRootMismatch(
          {
            code: "AUDIT_ROOT_MISMATCH",
            seq: firstDamaged !== undefined && firstDamaged >= lastGood ? firstDamaged : lastGood,
            message:
              `${claim.source}: events ${lastGood}..${claim.size - 1} do not match the signed ` +
              `root (signed ${claim.root.toString("base64")}, recomputed ${root.toString("base64")})`,
          },
          lastGood,
          claim.size,
        );
      }
      if (allMatch) lastGood = frontier.size;
    };
    checkClaims(); // a checkpoint of the empty tree

    // Body and column checks run in SQLite (on another thread for large logs) meanwhile.
    const consistency = startConsistencyCheck(store, total);
    let anomalies: Map<number, ConsistencyRow> | undefined;
    const anomalyAt = (seq: number): ConsistencyRow | undefined => {
      if (!anomalies) return undefined; // checked after the walk when still pending
      return anomalies.get(seq);
    };
    const walk = (
      seq: number,
      body: string,
      leaves: Buffer,
      at: number,
      anomaly: ConsistencyRow | undefined,
    ) => {
      if (seq !== expected) {
        damaged({
          code: "AUDIT_SEQ_GAP",
          seq: expected,
          message:
            seq - expected === 1
              ? `event ${expected} is missing`
              : `events ${expected}..${seq - 1} are missing`,
        });
        expected = seq;
      }
      const leaf = hashLeafText(body);
      if (leaves.compare(leaf, 0, HASH_SIZE, at * HASH_SIZE, (at + 1) * HASH_SIZE) !== 0) {
        damaged({
          code: "AUDIT_EVENT_TAMPERED",
          seq,
          message: `event ${seq} was modified: its bytes no longer hash to its leaf hash`,
        });
      }
      if (anomaly) reportAnomaly(anomaly, problems, damaged);
      frontier.push(leaf, nodes.check);
      expected++;
      checkClaims();
      if (input.onProgress && frontier.size % PROGRESS_EVERY === 0) {
        input.onProgress(frontier.size, total);
      }
    };
    // Small logs: the anomalies are known before the walk, so they are reported in order.
    if (total < CHUNK) anomalies = indexAnomalies(consistency.wait());
    let next = 0;
    for (;;) {
      const { rows, leaves } = store.leafChunk(next, CHUNK);
      for (let i = 0; i < rows.length; i++) {
        const [seq, body] = rows[i]!;
        walk(seq, body, leaves, i, anomalyAt(seq));
      }
      const last = rows.at(-1);
      if (!last || rows.length < CHUNK) break;
      next = last[0] + 1;
    }
    if (!anomalies) {
      // Large logs: the walk ran beside the check. Report its findings now; a ROOT_MISMATCH
      // they explain is re-pointed at the first one.
      for (const anomaly of indexAnomalies(consistency.wait()).values()) {
        reportAnomaly(anomaly, problems, (p) => {
          problems.add(p);
          problems.repointRootMismatches(p.seq);
          // Stored nodes above a damaged event differ as a consequence: not a separate finding.
          problems.drop("AUDIT_NODE_MISMATCH");
        });
      }
    }
    nodes.checkNoneLeft(frontier.size);
    input.onProgress?.(frontier.size, total);

    const count = frontier.size;
    for (const claim of claims) {
      if (claim.size > count) {
        problems.add({
          code: "AUDIT_TRUNCATED",
          seq: count,
          message: `${claim.source}: the log was truncated: the checkpoint covers ${claim.size} events, the log has ${count}`,
        });
      } else if (claim.external && claim.matched === false) {
        // The log's own checkpoints agreeing with a log that an outside copy contradicts means
        // the log was rewritten and re-signed with the log's own key.
        const forged = claims.find((c) => !c.external && c.matched && c.size >= claim.size);
        if (forged) {
          problems.add({
            code: "AUDIT_KEY_MISMATCH",
            seq: lastGoodBefore(claims, claim.size),
            message: `${forged.source} verifies but contradicts ${claim.source}: the log was re-signed with its own key; treat that key as compromised`,
          });
        }
      }
    }
    for (const { size, problem } of rejected) {
      problems.add({
        ...problem,
        seq: size === undefined ? undefined : lastGoodBefore(claims, size),
      });
    }

    const list = problems.list();
    return {
      ok: list.length === 0,
      events: count,
      checkpoints: claims.length,
      uncovered: count - lastGood,
      problems: list,
      rootHash: frontier.root().toString("base64"),
      ms: performance.now() - started,
    };
  });
}

/** The largest size below `size` at which a signed checkpoint matched the log (0 if none). */
function lastGoodBefore(claims: readonly Claim[], size: number): number {
  let best = 0;
  for (const c of claims) if (c.matched && c.size < size && c.size > best) best = c.size;
  return best;
}

function indexAnomalies(rows: readonly ConsistencyRow[]): Map<number, ConsistencyRow> {
  return new Map(rows.map((row) => [row.seq, row]));
}

/** The body must be a v1 event at its own seq, and the search columns must be copies of it. */
function reportAnomaly(
  row: ConsistencyRow,
  problems: ProblemList,
  damaged: (problem: VerifyProblem & { seq: number }) => void,
): void {
  const { seq } = row;
  if (!row.valid) {
    damaged({ code: "AUDIT_EVENT_MALFORMED", seq, message: `event ${seq} is not JSON` });
    return;
  }
  if (row.badv) {
    damaged({ code: "AUDIT_EVENT_MALFORMED", seq, message: `event ${seq} is not a v1 event` });
    return;
  }
  if (row.claimed !== seq) {
    const claimed = typeof row.claimed === "number" ? row.claimed : seq;
    damaged({
      code: "AUDIT_SEQ_MISMATCH",
      seq: Math.min(seq, claimed),
      message: `the event stored at ${seq} says it is event ${String(row.claimed)}: events were inserted, deleted or reordered`,
    });
  }
  if (row.badcols) {
    problems.add({
      code: "AUDIT_INDEX_TAMPERED",
      seq,
      message: `the search columns of event ${seq} differ from the event: searches would mislead`,
    });
  }
}

/**
 * Walks the stored `nodes` table level by level, in step with the recomputation, so that a
 * damaged node table (which proofs are served from) is reported. One cursor per level. Rows
 * below NODE_MIN_LEVEL are never read (proofs fold those subtrees from the leaf hashes, which
 * the walk checks), so they are not checked either.
 */
class NodeChecker {
  private readonly cursors = new Map<number, NodeCursor>();
  private failed = false;

  constructor(
    private readonly store: AuditStore,
    private readonly problems: ProblemList,
  ) {}

  stop(): void {
    this.failed = true;
  }

  readonly check = (level: number, index: number, hash: Buffer): void => {
    if (this.failed || level < NODE_MIN_LEVEL) return; // lower subtrees are not stored
    const next = this.cursor(level).next();
    if (!next || next[0] !== index || !next[1].equals(hash)) this.fail(level, index);
  };

  checkNoneLeft(size: number): void {
    if (this.failed) return;
    this.failed = true;
    for (let level = NODE_MIN_LEVEL; level <= this.store.maxNodeLevel(); level++) {
      const next = this.cursor(level).next();
      if (next) {
        this.problems.add({
          code: "AUDIT_TRUNCATED",
          seq: size,
          message: `stored tree node ${level}/${next[0]} covers events beyond the ${size} present: the tail was removed`,
        });
        return;
      }
    }
  }

  private cursor(level: number): NodeCursor {
    let cursor = this.cursors.get(level);
    if (!cursor) {
      cursor = new NodeCursor(this.store, level);
      this.cursors.set(level, cursor);
    }
    return cursor;
  }

  private fail(level: number, index: number): void {
    this.failed = true;
    const first = index * 2 ** level;
    this.problems.add({
      code: "AUDIT_NODE_MISMATCH",
      seq: first,
      message: `stored tree node ${level}/${index} (events ${first}..${first + 2 ** level - 1}) differs from the recomputed one`,
    });
  }
}

/** Reads one level of the node table in index order, a page at a time. */
class NodeCursor {
  private rows: Array<[number, Buffer]> = [];
  private at = 0;
  private nextIdx = 0;
  private done = false;

  constructor(
    private readonly store: AuditStore,
    private readonly level: number,
  ) {}

  next(): [number, Buffer] | undefined {
    if (this.at === this.rows.length) {
      if (this.done) return undefined;
      this.rows = this.store.nodeChunk(this.level, this.nextIdx, CHUNK);
      this.at = 0;
      this.done = this.rows.length < CHUNK;
      const last = this.rows.at(-1);
      if (!last) return undefined;
      this.nextIdx = last[0] + 1;
    }
    return this.rows[this.at++];
  }
}

/** Keeps the first few problems of each code, sorted so the first bad entry comes first. */
class ProblemList {
  private readonly problems: VerifyProblem[] = [];
  private readonly counts = new Map<string, number>();
  /** For each ROOT_MISMATCH: the range it blames, and whether its seq names a damaged event. */
  private readonly ranges = new Map<VerifyProblem, { lo: number; end: number; exact: boolean }>();

  addRootMismatch(problem: VerifyProblem & { seq: number }, lo: number, end: number): void {
    this.add(problem);
    this.ranges.set(problem, { lo, end, exact: problem.seq !== lo });
  }

  drop(code: string): void {
    for (let i = this.problems.length - 1; i >= 0; i--) {
      if (this.problems[i]!.code === code) this.problems.splice(i, 1);
    }
    this.counts.delete(code);
  }

  /** A damaged event found after the walk names the first bad entry of the ranges holding it. */
  repointRootMismatches(seq: number): void {
    for (const [problem, range] of this.ranges) {
      if (seq < range.lo || seq >= range.end || problem.seq === undefined) continue;
      problem.seq = range.exact ? Math.min(problem.seq, seq) : seq;
      range.exact = true;
    }
  }

  add(problem: VerifyProblem): void {
    const n = (this.counts.get(problem.code) ?? 0) + 1;
    this.counts.set(problem.code, n);
    if (n <= MAX_PER_CODE) this.problems.push(problem);
  }

  list(): VerifyProblem[] {
    const out = this.problems
      .map((p, i) => ({ p, i }))
      // By seq; at one seq the specific finding before the checkpoint range that contains it.
      .sort(
        (a, b) =>
          (a.p.seq ?? -1) - (b.p.seq ?? -1) ||
          Number(a.p.code === "AUDIT_ROOT_MISMATCH") - Number(b.p.code === "AUDIT_ROOT_MISMATCH") ||
          a.i - b.i,
      )
      .map(({ p }) => p);
    for (const [code, n] of this.counts) {
      if (n > MAX_PER_CODE) {
        out.push({ code, message: `${n - MAX_PER_CODE} more ${code} problems not listed` });
      }
    }
    return out;
  }
}
