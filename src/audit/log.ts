import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Checkpoint, describeCheckpoint, signCheckpoint } from "./checkpoint.js";
import { AuditError } from "./errors.js";
import {
  type AuditEvent,
  type AuditEventInput,
  leafInput,
  type PreparedEvent,
  prepareEvent,
} from "./event.js";
import {
  KEY_FILE,
  loadOrCreateSigningKey,
  PUBLIC_KEY_FILE,
  readKey,
  type SigningKey,
} from "./keys.js";
import { consistencyPath, Frontier, inclusionPath, sha256 } from "./merkle.js";
import {
  ed25519Signer,
  formatVerifierKey,
  type NoteSigner,
  type NoteVerifier,
  parseVerifierKey,
} from "./note.js";
import type { ConsistencyProof, InclusionProof } from "./proof.js";
import { Redactor } from "./redact.js";
import { AuditStore, type EventRow } from "./store.js";
import { type VerifyProblem, type VerifyResult, verifyStore } from "./verify.js";
import { WalSync } from "./wal-sync.js";

export interface AppendReceipt {
  seq: number;
  /** Hex leaf hash of the event's canonical bytes. */
  leafHash: string;
}

export interface AuditQuery {
  kind?: string;
  effect?: string;
  agent?: string;
  user?: string;
  rule?: string;
  pep?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** Substring of the event's JSON (ASCII case-insensitive). */
  text?: string;
  /** Default 100. */
  limit?: number;
  /** By seq; default "asc". */
  order?: "asc" | "desc";
  /** Pagination: events after this seq in the chosen order (greater for asc, smaller for desc). */
  afterSeq?: number;
}

export interface AutoCheckpoint {
  /** Sign a checkpoint in the same transaction once this many events are unsigned. */
  events?: number;
  /** Sign a checkpoint this long after an append leaves events unsigned. */
  ms?: number;
}

export interface AuditLogOptions {
  /** Default: $WARDEN_HOME, else ~/.warden. */
  home?: string;
  /** Values to redact wherever they appear in an event. */
  secrets?: string[];
  /** Open for reading and verification only; appends fail with AUDIT_READONLY. */
  readonly?: boolean;
  /**
   * Automatic checkpoints, so that events do not stay unsigned for long: after a commit that
   * leaves `events` events unsigned (default 10,000), `ms` after an append (default 5,000), and
   * on close() whenever events are unsigned. `false` leaves checkpoints to the caller.
   */
  autoCheckpoint?: false | AutoCheckpoint;
  /** Cap on the database size in bytes; appends beyond it fail with AUDIT_STORE_FULL. */
  maxBytes?: number;
  /** Group commit: a batch is committed at the next tick, or as soon as it holds this many. */
  maxBatch?: number;
  /** How often follow() polls for events appended by other processes (ms, default 100). */
  pollMs?: number;
  /**
   * Durability of a resolved append. 0 (default): fsynced at its commit, so it survives power
   * loss. More than 0: written to the WAL at its commit (it survives Warden being killed) and
   * fsynced in the background at most this many ms later, so a power loss or kernel crash can
   * take the last `syncMs` of events. See docs/audit.md, "Durability".
   */
  syncMs?: number;
}

interface Pending {
  /** Undefined until an event appended with `prepareLater` has been prepared. */
  event: PreparedEvent | undefined;
  input: AuditEventInput | undefined;
  resolve: (receipt: AppendReceipt) => void;
  reject: (error: unknown) => void;
}

/**
 * How long the outcome of an act already on record (a forwarded call's result, a connection's
 * end) may wait to share the next commit: the PEPs append it with `{ withinMs: OUTCOME_WITHIN_MS }`.
 * Well inside the WAL's background sync window (WARDEN_AUDIT_SYNC_MS, default 50 ms).
 */
export const OUTCOME_WITHIN_MS = 10;

const DEFAULT_AUTO: Required<AutoCheckpoint> = { events: 10_000, ms: 5_000 };
const DEFAULT_MAX_BATCH = 8_192;
const PAGE = 1_000;

/**
 * The tamper-evident audit log: an append-only RFC 9162 Merkle tree of canonical JSON events in
 * SQLite, with C2SP checkpoints signed by a local Ed25519 key.
 *
 * Durability: `append` resolves, and `appendSync` returns, only after the transaction holding
 * the event has committed: by default with synchronous=FULL (the WAL is fsynced); with `syncMs`
 * written to the WAL and fsynced in the background within `syncMs`. Appends made in the same
 * tick share one transaction (group commit). If the store cannot be written the append fails
 * with a coded AuditError; an event is never dropped silently.
 *
 * Several processes may append to one log: each batch takes SQLite's write lock and numbers its
 * events from the committed size, reloading the tree's right edge if another process wrote.
 */
export class AuditLog {
  readonly home: string;
  readonly origin: string;

  private readonly store: AuditStore;
  private readonly redactor: Redactor;
  private readonly readonly: boolean;
  private readonly signer: NoteSigner | undefined;
  private readonly ownVerifierKey: string | undefined;
  private readonly auto: Required<AutoCheckpoint> | undefined;
  private readonly maxBatch: number;
  private readonly pollMs: number;
  /** The background fsync, when appends are acknowledged before it (syncMs > 0). */
  private readonly walSync: WalSync | undefined;
  private frontier: Frontier | undefined;
  /** The latest checkpoint's size as of the frontier (read once per reload, not per commit). */
  private signedSize: number | undefined;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** The latest commit of events appended with `withinMs`, if no batch has taken them yet. */
  private deferred: NodeJS.Timeout | undefined;
  /** Whether events appended with `prepareLater` are due to be prepared at the next check phase. */
  private preparing = false;
  private closed = false;

  private constructor(init: {
    home: string;
    origin: string;
    store: AuditStore;
    options: AuditLogOptions;
    key: SigningKey | undefined;
    verifierKey: string | undefined;
  }) {
    const { options } = init;
    this.home = init.home;
    this.origin = init.origin;
    this.store = init.store;
    this.redactor = new Redactor(options.secrets ?? []);
    this.readonly = options.readonly ?? false;
    this.signer =
      init.key && !this.readonly
        ? ed25519Signer(init.origin, init.key.privateKey, init.key.publicKey)
        : undefined;
    this.ownVerifierKey = init.verifierKey;
    this.auto =
      options.autoCheckpoint === false ? undefined : { ...DEFAULT_AUTO, ...options.autoCheckpoint };
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.pollMs = Math.max(1, options.pollMs ?? 100);
    const syncMs = options.syncMs ?? 0;
    this.walSync =
      syncMs > 0 && !this.readonly ? new WalSync(`${init.store.path}-wal`, syncMs) : undefined;
  }

  static open(options: AuditLogOptions = {}): AuditLog {
    const home = resolve(options.home ?? process.env.WARDEN_HOME ?? join(homedir(), ".warden"));
    const readonly = options.readonly ?? false;
    const syncMs = options.syncMs ?? 0;
    if (!(Number.isFinite(syncMs) && syncMs >= 0)) {
      throw new AuditError("AUDIT_BAD_ARGUMENT", `syncMs must be 0 or more ms, got ${syncMs}`);
    }
    if (!readonly) mkdirSync(home, { recursive: true, mode: 0o700 });
    const store = AuditStore.open(join(home, "audit.db"), {
      readonly,
      synchronous: syncMs > 0 ? "normal" : "full",
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    });
    try {
      if (readonly) {
        const origin = store.getMeta("origin");
        if (origin === undefined)
          throw new AuditError("AUDIT_NO_LOG", `the audit log in ${home} is empty`);
        let key: SigningKey | undefined;
        try {
          key = readKey(join(home, KEY_FILE));
        } catch {
          key = undefined; // an auditor may hold the database but not the private key
        }
        const verifierKey = key
          ? formatVerifierKey({ name: origin, publicKey: key.publicKey })
          : (store.getMeta("vkey") ?? readPublicKeyFile(home));
        return new AuditLog({ home, origin, store, options, key, verifierKey });
      }
      const key = loadOrCreateSigningKey(home);
      const { origin, verifierKey } = store.write("cannot initialise the audit log", () => {
        const origin = store.initMeta("origin", defaultOrigin());
        const verifierKey = formatVerifierKey({ name: origin, publicKey: key.publicKey });
        store.initMeta("vkey", verifierKey);
        return { origin, verifierKey };
      });
      const pub = join(home, PUBLIC_KEY_FILE);
      if (!existsSync(pub)) writeFileSync(pub, `${verifierKey}\n`, { mode: 0o644 });
      return new AuditLog({ home, origin, store, options, key, verifierKey });
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /**
   * Queues an event; resolves once the batch holding it has committed durably. By default the
   * batch commits at the next tick. With `withinMs` the event waits for the next batch that
   * commits anyway (another append's, a flush, close()), or at most `withinMs`: a record nobody
   * waits on (the outcome of an act already on record) then costs no transaction of its own.
   * With `prepareLater` the event keeps its place in the queue and its time, but is redacted and
   * encoded after the current task and its ticks (before any batch that holds it commits), so a
   * caller can answer first; the caller must not change the event meanwhile. A bad event then
   * rejects its own append only.
   */
  append(
    event: AuditEventInput,
    options: { withinMs?: number; prepareLater?: boolean } = {},
  ): Promise<AppendReceipt> {
    let prepared: PreparedEvent | undefined;
    let input: AuditEventInput | undefined;
    try {
      this.assertWritable();
      if (options.prepareLater === true) {
        input = event?.time === undefined ? { ...event, time: new Date() } : event;
        this.prepareSoon();
      } else {
        prepared = prepareEvent(event, this.redactor);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendReceipt>((resolve, reject) => {
      this.queue.push({ event: prepared, input, resolve, reject });
      if (this.queue.length >= this.maxBatch) {
        this.flushQueue();
      } else if (options.withinMs !== undefined && options.withinMs > 0) {
        this.flushWithin(options.withinMs);
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flushQueue();
        });
      }
    });
  }

  /** Appends and commits one event now (with anything queued before it). */
  appendSync(event: AuditEventInput): AppendReceipt {
    this.assertWritable();
    const prepared = prepareEvent(event, this.redactor);
    const pending = this.prepared(this.queue);
    this.queue = [];
    let receipts: AppendReceipt[];
    try {
      receipts = this.commit([...pending.map((p) => p.event!), prepared]);
    } catch (error) {
      for (const p of pending) p.reject(error);
      throw error;
    }
    for (const [i, p] of pending.entries()) p.resolve(receipts[i]!);
    return receipts.at(-1)!;
  }

  /** Commits everything queued; rejects if that commit failed. */
  flush(): Promise<void> {
    try {
      this.flushQueue(true);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The number of committed events (by any process). */
  size(): number {
    this.assertOpen();
    return this.store.count();
  }

  addSecret(value: string): void {
    this.redactor.addSecret(value);
  }

  /** Signs the current tree head and stores it. */
  checkpoint(): Checkpoint {
    this.assertWritable();
    this.flushQueue();
    return this.store.write("cannot write a checkpoint", () => this.signHead(this.syncFrontier()));
  }

  latestCheckpoint(): Checkpoint | null {
    this.assertOpen();
    const row = this.store.latestCheckpoint();
    return row ? describeCheckpoint(row.note) : null;
  }

  /** The C2SP verifier key of this log: `<origin>+<key id>+<base64 key>`. */
  verifierKey(): string {
    if (this.ownVerifierKey === undefined) {
      throw new AuditError("AUDIT_KEY", `no public key for the audit log in ${this.home}`);
    }
    return this.ownVerifierKey;
  }

  /**
   * Recomputes the log from its event bytes and checks it against every stored checkpoint and
   * any supplied ones (`checkpoints`: signed notes kept elsewhere), verified with `verifierKey`
   * (default: the log's own key).
   */
  verify(
    options: {
      checkpoints?: string[];
      verifierKey?: string;
      onProgress?: (done: number, total: number) => void;
    } = {},
  ): VerifyResult {
    this.assertOpen();
    if (!this.readonly) this.flushQueue();
    const keyProblems: VerifyProblem[] = [];
    let verifier: NoteVerifier;
    if (options.verifierKey !== undefined) {
      verifier = parseVerifierKey(options.verifierKey);
    } else {
      verifier = parseVerifierKey(this.verifierKey());
      keyProblems.push(...this.keyProblems());
    }
    return verifyStore(this.store, {
      verifier,
      external: options.checkpoints ?? [],
      keyProblems,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }

  /** Inclusion proof for `seq` in the tree of `treeSize` (default: the latest checkpoint's). */
  proveInclusion(seq: number, treeSize?: number): InclusionProof {
    this.assertOpen();
    const size = treeSize ?? this.checkpointedSize();
    this.assertTreeSize(size);
    if (!(Number.isSafeInteger(seq) && seq >= 0 && seq < size)) {
      throw new AuditError("AUDIT_BAD_ARGUMENT", `event ${seq} is not in the tree of size ${size}`);
    }
    return this.store.read(() => ({
      type: "inclusion" as const,
      seq,
      treeSize: size,
      leafHash: this.store.subtree(0, seq).toString("hex"),
      path: inclusionPath(this.store, seq, size).map((h) => h.toString("hex")),
    }));
  }

  /** Consistency proof from `oldSize` to `newSize` (default: the latest checkpoint's size). */
  proveConsistency(oldSize: number, newSize?: number): ConsistencyProof {
    this.assertOpen();
    const size = newSize ?? this.checkpointedSize();
    this.assertTreeSize(size);
    if (!(Number.isSafeInteger(oldSize) && oldSize >= 0 && oldSize <= size)) {
      throw new AuditError("AUDIT_BAD_ARGUMENT", `no consistency proof from ${oldSize} to ${size}`);
    }
    return this.store.read(() => ({
      type: "consistency" as const,
      oldSize,
      newSize: size,
      path: consistencyPath(this.store, oldSize, size).map((h) => h.toString("hex")),
    }));
  }

  search(query: AuditQuery = {}): AuditEvent[] {
    this.assertOpen();
    const limit = query.limit ?? 100;
    if (!(Number.isSafeInteger(limit) && limit > 0)) {
      throw new AuditError("AUDIT_BAD_ARGUMENT", `limit must be a positive integer, got ${limit}`);
    }
    const rows = this.store.search({
      ...pick(query, ["kind", "effect", "agent", "user", "rule", "pep", "text", "afterSeq"]),
      ...(query.since ? { sinceMs: timeOf(query.since, "since") } : {}),
      ...(query.until ? { untilMs: timeOf(query.until, "until") } : {}),
      order: query.order ?? "asc",
      limit,
    });
    return rows.map(toEvent);
  }

  /**
   * Yields events from `fromSeq` on, then waits for new ones — appended by this or any other
   * process — polling the database until `signal` aborts.
   */
  async *follow(fromSeq: number, signal?: AbortSignal): AsyncGenerator<AuditEvent> {
    let next = Math.max(0, fromSeq);
    while (!signal?.aborted && !this.closed) {
      const rows = this.store.eventsFrom(next, PAGE);
      for (const row of rows) {
        if (signal?.aborted) return;
        next = row.seq + 1;
        yield toEvent(row);
      }
      if (rows.length === PAGE) continue;
      try {
        await sleep(this.pollMs, undefined, signal ? { signal } : undefined);
      } catch {
        return; // aborted
      }
    }
  }

  /** Every event from `fromSeq` in order, read a page at a time (safe alongside appends). */
  *events(fromSeq = 0): Generator<AuditEvent, void, undefined> {
    this.assertOpen();
    let next = Math.max(0, fromSeq);
    for (;;) {
      const rows = this.store.eventsFrom(next, PAGE);
      for (const row of rows) yield toEvent(row);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      next = last.seq + 1;
    }
  }

  /** Commits queued events, seals unsigned events with a checkpoint (see autoCheckpoint), closes. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      if (!this.readonly) {
        this.flushQueue();
        if (this.auto && this.signer) {
          this.store.write("cannot write a checkpoint", () => {
            const frontier = this.syncFrontier();
            if (frontier.size > (this.store.latestCheckpoint()?.size ?? -1))
              this.signHead(frontier);
          });
        }
        // No acknowledged event is left in the page cache only.
        this.walSync?.syncNow();
      }
    } finally {
      this.closed = true;
      this.walSync?.stop();
      this.store.close();
    }
  }

  // --- internals ---

  /** Prepares the events appended with `prepareLater` once this task and its ticks are done. */
  private prepareSoon(): void {
    if (this.preparing) return;
    this.preparing = true;
    setImmediate(() => {
      this.preparing = false;
      if (!this.closed) this.queue = this.prepared(this.queue);
    });
  }

  /** `queue` with every event prepared; one that cannot be is rejected and left out. */
  private prepared(queue: Pending[]): Pending[] {
    if (queue.every((p) => p.event !== undefined)) return queue;
    const out: Pending[] = [];
    for (const p of queue) {
      if (p.event === undefined) {
        try {
          p.event = prepareEvent(p.input!, this.redactor);
          p.input = undefined;
        } catch (error) {
          p.reject(error);
          continue;
        }
      }
      out.push(p);
    }
    return out;
  }

  /** Commits the queue within `ms` unless a batch commits it sooner. */
  private flushWithin(ms: number): void {
    if (this.deferred !== undefined) return;
    this.deferred = setTimeout(() => {
      this.deferred = undefined;
      if (!this.closed) this.flushQueue();
    }, ms);
    this.deferred.unref(); // close() commits what is queued
  }

  private flushQueue(rethrow = false): void {
    if (this.deferred !== undefined) clearTimeout(this.deferred);
    this.deferred = undefined;
    const batch = this.prepared(this.queue);
    this.queue = [];
    if (batch.length === 0) return;
    let receipts: AppendReceipt[];
    try {
      receipts = this.commit(batch.map((p) => p.event!));
    } catch (error) {
      for (const p of batch) p.reject(error);
      if (rethrow) throw error;
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(receipts[i]!);
  }

  private commit(events: readonly PreparedEvent[]): AppendReceipt[] {
    this.assertWritable();
    this.walSync?.assertHealthy();
    let receipts: AppendReceipt[];
    try {
      receipts = this.store.write("cannot append to the audit log", () => {
        const frontier = this.syncFrontier();
        const out: AppendReceipt[] = [];
        for (const event of events) {
          const seq = frontier.size;
          const input = leafInput(event, seq);
          const leaf = sha256(input); // SHA-256(0x00 || canonical bytes)
          const body = input.slice(1);
          this.store.insertEvent(seq, event.columns, leaf, body);
          frontier.push(leaf, this.store.insertNode);
          out.push({ seq, leafHash: leaf.toString("hex") });
        }
        if (this.auto && this.signer) {
          this.signedSize ??= this.store.latestCheckpoint()?.size ?? 0;
          if (frontier.size - this.signedSize >= this.auto.events) this.signHead(frontier);
        }
        return out;
      });
    } catch (error) {
      this.frontier = undefined; // the transaction rolled back; reload the tree edge next time
      this.signedSize = undefined;
      this.store.forgetCached();
      throw error;
    }
    this.walSync?.committed();
    this.scheduleCheckpoint();
    return receipts;
  }

  /** The tree's right edge, reloaded from the store if another process appended. */
  private syncFrontier(): Frontier {
    const size = this.store.count();
    if (this.frontier?.size !== size) {
      this.frontier = Frontier.load(this.store, size);
      this.signedSize = undefined; // another process may have signed too
    }
    return this.frontier;
  }

  /** Signs and stores the head of `frontier`; call inside a write transaction. */
  private signHead(frontier: Frontier): Checkpoint {
    if (!this.signer) throw new AuditError("AUDIT_KEY", "this log has no signing key");
    const root = frontier.root();
    const checkpoint = signCheckpoint(
      { origin: this.origin, size: frontier.size, root },
      this.signer,
    );
    this.store.insertCheckpoint(frontier.size, root, checkpoint.text);
    this.signedSize = frontier.size;
    return checkpoint;
  }

  private scheduleCheckpoint(): void {
    if (!this.auto || this.auto.ms <= 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      try {
        this.store.write("cannot write a checkpoint", () => {
          const frontier = this.syncFrontier();
          if (frontier.size > (this.store.latestCheckpoint()?.size ?? 0)) this.signHead(frontier);
        });
        this.walSync?.committed();
      } catch {
        // Not fatal: the events are durable, and the next commit or close() signs them.
      }
    }, this.auto.ms);
    this.timer.unref();
  }

  private checkpointedSize(): number {
    const latest = this.store.latestCheckpoint();
    if (!latest) {
      throw new AuditError("AUDIT_NO_CHECKPOINT", "the audit log has no checkpoint yet", {
        hint: "sign one with checkpoint() (`warden audit checkpoint`), or give a tree size",
      });
    }
    return latest.size;
  }

  private assertTreeSize(size: number): void {
    const count = this.store.count();
    if (!(Number.isSafeInteger(size) && size >= 1 && size <= count)) {
      throw new AuditError("AUDIT_BAD_ARGUMENT", `tree size ${size} is not in 1..${count}`);
    }
  }

  /** The log's own public key as the key file, the database and audit.pub each record it. */
  private keyProblems(): VerifyProblem[] {
    const problems: VerifyProblem[] = [];
    const own = this.ownVerifierKey;
    const recorded = [
      ["the database", this.store.getMeta("vkey")],
      [PUBLIC_KEY_FILE, readPublicKeyFile(this.home)],
    ] as const;
    for (const [where, vkey] of recorded) {
      if (vkey !== undefined && vkey !== own) {
        problems.push({
          code: "AUDIT_KEY_MISMATCH",
          message: `the log's key (${own}) is not the key recorded in ${where} (${vkey}): the signing key was replaced`,
        });
      }
    }
    return problems;
  }

  private assertOpen(): void {
    if (this.closed) throw new AuditError("AUDIT_CLOSED", "the audit log is closed");
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readonly) {
      throw new AuditError(
        "AUDIT_READONLY",
        "the audit log was opened read-only; nothing was appended",
      );
    }
  }
}

function defaultOrigin(): string {
  const host =
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "") || "localhost";
  // A random log id keeps two logs on one host (two WARDEN_HOMEs) distinct, as origins must be.
  return `warden.local/${host}/audit/${randomBytes(4).toString("hex")}`;
}

function readPublicKeyFile(home: string): string | undefined {
  try {
    return readFileSync(join(home, PUBLIC_KEY_FILE), "utf8").trim();
  } catch {
    return undefined;
  }
}

function toEvent(row: EventRow): AuditEvent {
  return JSON.parse(row.body) as AuditEvent;
}

function timeOf(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new AuditError("AUDIT_BAD_ARGUMENT", `${name} is not a valid Date`);
  return ms;
}

function pick<T extends object, K extends keyof T>(
  value: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
