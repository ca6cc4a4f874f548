import { closeSync, existsSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import { type AuditCode, AuditError } from "./errors.js";
import type { EventColumns } from "./event.js";
import { hashChildren, type SubtreeSource } from "./merkle.js";

// Required, not imported: Node's ESM loader first lexes a CommonJS package's source for its
// named exports (measured: ~10 ms a package for a `warden run` start).
const SQLite: typeof Database = createRequire(import.meta.url)("better-sqlite3");

/**
 * The SQLite store: events as canonical JSON beside copies of the fields search uses, the hashes
 * of complete Merkle subtrees of height >= NODE_MIN_LEVEL (`nodes`, maintained on append, like
 * tlog tiles) so proofs take O(log n) lookups, and signed checkpoints. Nothing here is trusted by
 * `verify`, which recomputes everything from `events.body`.
 *
 * Every index costs each append a B-tree insert (the six per-field indexes of schema 1 halved the
 * append rate), so only `time` is indexed (appends land at its end, and time ranges are what
 * audits ask for first). The other search columns are compared in a scan in seq order, which
 * stops at `limit` matches: quick for common values, a full scan of the table for rare ones.
 * Subtrees below NODE_MIN_LEVEL are folded from the leaf hashes of one tile (2^NODE_MIN_LEVEL
 * leaves) when a proof needs them, which saves a node row per event.
 */

const SCHEMA_VERSION = "2";

/** The lowest level of the stored Merkle nodes; lower subtrees are folded from leaf hashes. */
export const NODE_MIN_LEVEL = 4;
const TILE_WIDTH = 2 ** NODE_MIN_LEVEL;
/**
 * Stored nodes are immutable once committed, and every proof reads some of the few high ones:
 * those from CACHED_LEVEL up (one per 2^CACHED_LEVEL events) are kept in memory, up to a limit.
 */
const CACHED_LEVEL = 10;
const NODE_CACHE_LIMIT = 16_384;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  pep TEXT NOT NULL,
  agent TEXT NOT NULL,
  user TEXT,
  effect TEXT,
  rule TEXT,
  leaf_hash BLOB NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE TABLE IF NOT EXISTS nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  created INTEGER NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_size ON checkpoints (size);
`;

export interface EventRow {
  seq: number;
  time: number;
  kind: string;
  pep: string;
  agent: string;
  user: string | null;
  effect: string | null;
  rule: string | null;
  leaf_hash: Buffer;
  body: string;
}

/**
 * Events whose body is not a v1 event at its own seq, or whose search columns are not copies of
 * the body. Run inside SQLite (JSON parsed in C); `verify` runs it beside the hash walk.
 */
export const EVENT_CONSISTENCY_SQL = `
SELECT seq, valid, claimed, badv, badcols FROM (
  SELECT seq, json_valid(body) AS valid,
    CASE WHEN json_valid(body) THEN body->>'$.seq' END AS claimed,
    CASE WHEN json_valid(body) THEN body->>'$.v' IS NOT 1 END AS badv,
    CASE WHEN json_valid(body) THEN
      kind IS NOT body->>'$.kind' OR pep IS NOT body->>'$.pep'
      OR agent IS NOT body->>'$.principal.agent' OR user IS NOT body->>'$.principal.user'
      OR effect IS NOT body->>'$.decision.effect' OR rule IS NOT body->>'$.decision.rule'
      OR time IS NOT unixepoch(body->>'$.time') * 1000 + CAST(substr(body->>'$.time', 21, 3) AS INTEGER)
    END AS badcols
  FROM events WHERE seq < ?
) WHERE NOT valid OR claimed IS NOT seq OR badv OR badcols
ORDER BY seq`;

export interface ConsistencyRow {
  seq: number;
  valid: number;
  claimed: unknown;
  badv: number | null;
  badcols: number | null;
}

export interface CheckpointRow {
  id: number;
  size: number;
  note: string;
}

export interface EventFilter {
  kind?: string;
  effect?: string;
  agent?: string;
  user?: string;
  rule?: string;
  pep?: string;
  sinceMs?: number;
  untilMs?: number;
  text?: string;
  afterSeq?: number;
  order: "asc" | "desc";
  limit: number;
}

export interface StoreOptions {
  readonly?: boolean;
  /** Cap on the database size; appends beyond it fail with AUDIT_STORE_FULL. */
  maxBytes?: number;
  /**
   * "full" (default): the WAL is fsynced at every commit. "normal": a commit is written to the
   * WAL but not fsynced; the caller syncs it (see wal-sync.ts).
   */
  synchronous?: "full" | "normal";
}

export class AuditStore implements SubtreeSource {
  readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepareStatements>;
  /** One transaction wrapper, made once: better-sqlite3 builds five functions per transaction(). */
  private readonly transaction: Database.Transaction<<T>(fn: () => T) => T>;
  private readonly nodeCache = new Map<number, Buffer>();
  private tile: { index: number; leaves: Buffer[] } | undefined;

  private constructor(db: Database.Database) {
    this.db = db;
    this.stmts = prepareStatements(db);
    this.transaction = db.transaction(<T>(fn: () => T): T => fn());
  }

  static open(path: string, options: StoreOptions = {}): AuditStore {
    const readonly = options.readonly ?? false;
    if (readonly && !existsSync(path)) {
      throw new AuditError("AUDIT_NO_LOG", `no audit log at ${path}`);
    }
    return guard("AUDIT_STORE_WRITE", `cannot open the audit log ${path}`, () => {
      // Create the file ourselves so it is private from the start (SQLite uses the umask).
      if (!readonly) closeSync(openSync(path, "a", 0o600));
      const db = new SQLite(path, { readonly, fileMustExist: readonly });
      try {
        db.pragma("busy_timeout = 10000");
        if (!readonly) {
          db.pragma("journal_mode = WAL");
          // FULL: the WAL is fsynced at every commit, so a resolved append survives power loss.
          // NORMAL: it survives the process being killed; the caller bounds the fsync delay.
          db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
          db.exec(SCHEMA);
          db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(
            SCHEMA_VERSION,
          );
        }
        const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
        if (version !== SCHEMA_VERSION) {
          throw new AuditError("AUDIT_STORE_VERSION", `unsupported audit store schema ${version}`);
        }
        if (options.maxBytes !== undefined) {
          const pageSize = db.pragma("page_size", { simple: true }) as number;
          db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
        }
        return new AuditStore(db);
      } catch (error) {
        db.close();
        throw error;
      }
    });
  }

  close(): void {
    this.db.close();
  }

  /** The database file. */
  get path(): string {
    return this.db.name;
  }

  consistencyRows(count: number): ConsistencyRow[] {
    return this.db.prepare(EVENT_CONSISTENCY_SQL).all(count) as ConsistencyRow[];
  }

  /** Runs `fn` in a write transaction taken up front (BEGIN IMMEDIATE), mapping SQLite errors. */
  write<T>(what: string, fn: () => T): T {
    return guard("AUDIT_STORE_WRITE", what, () => this.transaction.immediate(fn) as T);
  }

  /** Runs `fn` in a read transaction: one consistent snapshot even while others write. */
  read<T>(fn: () => T): T {
    return guard("AUDIT_STORE_IO", "cannot read the audit log", () => this.transaction(fn) as T);
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key) as string | undefined;
  }

  /** Sets `key` unless it is already set; returns the stored value. */
  initMeta(key: string, value: string): string {
    this.stmts.initMeta.run(key, value);
    return this.getMeta(key) ?? value;
  }

  /** The number of events: one past the highest seq. */
  count(): number {
    const last = this.stmts.lastSeq.get() as number | null | undefined;
    return last === null || last === undefined ? 0 : last + 1;
  }

  insertEvent(seq: number, columns: EventColumns, leafHash: Buffer, body: string): void {
    const c = columns;
    this.stmts.insertEvent.run(
      seq,
      c.timeMs,
      c.kind,
      c.pep,
      c.agent,
      c.user,
      c.effect,
      c.rule,
      leafHash,
      body,
    );
  }

  /** Stores a complete subtree's hash if it is at a stored level (>= NODE_MIN_LEVEL). */
  readonly insertNode = (level: number, index: number, hash: Buffer): void => {
    if (level >= NODE_MIN_LEVEL) this.stmts.insertNode.run(level, index, hash);
  };

  subtree(level: number, index: number): Buffer {
    let hash: Buffer | undefined;
    if (level >= CACHED_LEVEL) {
      const key = index * 64 + level;
      hash = this.nodeCache.get(key);
      if (!hash) {
        hash = this.stmts.node.get(level, index) as Buffer | undefined;
        if (hash) {
          if (this.nodeCache.size >= NODE_CACHE_LIMIT) this.nodeCache.clear();
          this.nodeCache.set(key, hash);
        }
      }
    } else if (level >= NODE_MIN_LEVEL) {
      hash = this.stmts.node.get(level, index) as Buffer | undefined;
    } else {
      const leaves = this.leafHashes(index * 2 ** level, 2 ** level);
      if (leaves) hash = leaves.length === 1 ? leaves[0] : foldComplete(leaves);
    }
    if (!hash) {
      throw new AuditError(
        "AUDIT_STORE_CORRUPT",
        `the audit log has no hash for subtree ${level}/${index}`,
        { hint: "run `warden audit verify` to find what was removed" },
      );
    }
    return hash;
  }

  /** Forgets cached hashes (after a failed write, whose reads may not have been committed). */
  forgetCached(): void {
    this.nodeCache.clear();
    this.tile = undefined;
  }

  /**
   * The stored leaf hashes [start, start + width) within one tile (width <= TILE_WIDTH), or
   * undefined if any is missing. A proof reads its leaf and every sibling below NODE_MIN_LEVEL
   * from one tile: the last complete one read is kept.
   */
  private leafHashes(start: number, width: number): Buffer[] | undefined {
    const tile = Math.floor(start / TILE_WIDTH);
    if (this.tile?.index !== tile) {
      const leaves = this.stmts.leafHashes.all(tile * TILE_WIDTH, (tile + 1) * TILE_WIDTH);
      if (leaves.length !== TILE_WIDTH) {
        // The right edge: a tile still filling (or a damaged one).
        const direct = this.stmts.leafHashes.all(start, start + width) as Buffer[];
        return direct.length === width ? direct : undefined;
      }
      this.tile = { index: tile, leaves: leaves as Buffer[] };
    }
    const from = start - tile * TILE_WIDTH;
    return this.tile.leaves.slice(from, from + width);
  }

  insertCheckpoint(size: number, root: Buffer, note: string): void {
    this.stmts.insertCheckpoint.run(size, root, Date.now(), note);
  }

  latestCheckpoint(): CheckpointRow | undefined {
    return this.stmts.latestCheckpoint.get() as CheckpointRow | undefined;
  }

  latestCheckpointTime(): number | undefined {
    return this.stmts.latestCheckpointTime.get() as number | undefined;
  }

  checkpoints(): CheckpointRow[] {
    return this.stmts.checkpoints.all() as CheckpointRow[];
  }

  eventsFrom(fromSeq: number, limit: number): EventRow[] {
    return this.stmts.eventsFrom.all(fromSeq, limit) as EventRow[];
  }

  /**
   * Verify's hot path: up to `limit` events from `fromSeq` as [seq, body], and their stored leaf
   * hashes concatenated by SQLite, 32 bytes each in seq order (one that is not a 32-byte blob
   * reads as zeros), so that no Buffer is made per event.
   */
  leafChunk(fromSeq: number, limit: number): { rows: Array<[number, string]>; leaves: Buffer } {
    const rows = this.stmts.leafChunk.all(fromSeq, limit) as Array<[number, string]>;
    const leaves = rows.length === 0 ? null : (this.stmts.leafBlob.get(fromSeq, limit) as Buffer);
    return { rows, leaves: leaves ?? Buffer.alloc(0) };
  }

  /** Up to `limit` stored nodes of `level` from index `fromIdx`, as [idx, hash]. */
  nodeChunk(level: number, fromIdx: number, limit: number): Array<[number, Buffer]> {
    return this.stmts.nodeChunk.all(level, fromIdx, limit) as Array<[number, Buffer]>;
  }

  maxNodeLevel(): number {
    return (this.db.prepare("SELECT max(level) FROM nodes").pluck().get() as number | null) ?? 0;
  }

  search(filter: EventFilter): EventRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const equal = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    equal("kind", filter.kind);
    equal("effect", filter.effect);
    equal("agent", filter.agent);
    equal("user", filter.user);
    equal("rule", filter.rule);
    equal("pep", filter.pep);
    if (filter.sinceMs !== undefined) {
      where.push("time >= ?");
      params.push(filter.sinceMs);
    }
    if (filter.untilMs !== undefined) {
      where.push("time < ?");
      params.push(filter.untilMs);
    }
    if (filter.text !== undefined && filter.text.length > 0) {
      // Substring of the event JSON; LIKE folds ASCII case. Escape LIKE's own wildcards.
      where.push("body LIKE ? ESCAPE '\\'");
      params.push(`%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (filter.afterSeq !== undefined) {
      where.push(filter.order === "asc" ? "seq > ?" : "seq < ?");
      params.push(filter.afterSeq);
    }
    const sql =
      `SELECT * FROM events${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}` +
      ` ORDER BY seq ${filter.order === "asc" ? "ASC" : "DESC"} LIMIT ?`;
    params.push(filter.limit);
    return guard("AUDIT_STORE_IO", "cannot search the audit log", () =>
      this.db.prepare(sql).all(...params),
    ) as EventRow[];
  }
}

function prepareStatements(db: Database.Database) {
  return {
    getMeta: db.prepare("SELECT value FROM meta WHERE key = ?").pluck(),
    initMeta: db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)"),
    lastSeq: db.prepare("SELECT max(seq) FROM events").pluck(),
    insertEvent: db.prepare(
      "INSERT INTO events (seq, time, kind, pep, agent, user, effect, rule, leaf_hash, body)" +
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    insertNode: db.prepare("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)"),
    leafHash: db.prepare("SELECT leaf_hash FROM events WHERE seq = ?").pluck(),
    leafHashes: db
      .prepare("SELECT leaf_hash FROM events WHERE seq >= ? AND seq < ? ORDER BY seq")
      .pluck(),
    node: db.prepare("SELECT hash FROM nodes WHERE level = ? AND idx = ?").pluck(),
    insertCheckpoint: db.prepare(
      "INSERT INTO checkpoints (size, root_hash, created, note) VALUES (?, ?, ?, ?)",
    ),
    latestCheckpoint: db.prepare(
      "SELECT id, size, note FROM checkpoints ORDER BY size DESC, id DESC LIMIT 1",
    ),
    latestCheckpointTime: db.prepare("SELECT max(created) FROM checkpoints").pluck(),
    checkpoints: db.prepare("SELECT id, size, note FROM checkpoints ORDER BY size, id"),
    eventsFrom: db.prepare("SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT ?"),
    leafChunk: db.prepare("SELECT seq, body FROM events WHERE seq >= ? ORDER BY seq LIMIT ?").raw(),
    leafBlob: db
      .prepare(
        "SELECT unhex(group_concat(CASE WHEN typeof(leaf_hash) = 'blob' AND length(leaf_hash) = 32" +
          ` THEN hex(leaf_hash) ELSE '${"00".repeat(32)}' END, ''))` +
          " FROM (SELECT leaf_hash FROM events WHERE seq >= ? ORDER BY seq LIMIT ?)",
      )
      .pluck(),
    nodeChunk: db
      .prepare("SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT ?")
      .raw(),
  };
}

/** The root of a complete subtree from its leaf hashes (a power of two of them), in place. */
function foldComplete(hashes: Buffer[]): Buffer {
  for (let width = hashes.length; width > 1; width /= 2) {
    for (let i = 0; i < width / 2; i++)
      hashes[i] = hashChildren(hashes[2 * i]!, hashes[2 * i + 1]!);
  }
  return hashes[0]!;
}

/** SQLite result codes, mapped to the audit codes callers branch on. */
export function storeErrorCode(error: unknown, fallback: AuditCode): AuditCode {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return fallback;
  if (code.startsWith("SQLITE_FULL")) return "AUDIT_STORE_FULL";
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_PERM")) {
    return "AUDIT_STORE_READONLY";
  }
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")) {
    return "AUDIT_STORE_CORRUPT";
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "AUDIT_STORE_BUSY";
  if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN")) {
    return "AUDIT_STORE_IO";
  }
  if (code === "ENOSPC") return "AUDIT_STORE_FULL";
  if (code === "EACCES" || code === "EROFS" || code === "EPERM") return "AUDIT_STORE_READONLY";
  return fallback;
}

function guard<T>(fallback: AuditCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof AuditError) throw error;
    const code = storeErrorCode(error, fallback);
    const why = error instanceof Error ? error.message : String(error);
    throw new AuditError(code, `${what}: ${why}`, { cause: error, hint: HINTS[code] });
  }
}

const HINTS: Partial<Record<AuditCode, string>> = {
  AUDIT_STORE_FULL: "free disk space (or raise the log's size cap); no event was recorded",
  AUDIT_STORE_READONLY: "the audit database or its directory is not writable by this user",
  AUDIT_STORE_CORRUPT: "the audit database is damaged; keep a copy and run `warden audit verify`",
  AUDIT_STORE_BUSY: "another process holds the audit log's write lock",
};
