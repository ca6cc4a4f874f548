/**
 * The bounded background fsync of a log opened with `syncMs` (SQLite synchronous=NORMAL in WAL
 * mode): a commit is written to the WAL before the append resolves, so it survives the Warden
 * process being killed, and the WAL is fdatasync'ed off the event loop at most `syncMs` after
 * the first commit since the last sync, so a power loss can take at most that window.
 *
 * A failed background sync is kept: the log then refuses appends (fail closed) rather than
 * acknowledging events that may never reach the disk.
 */
import { closeSync as closeFdSync, fdatasyncSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import { AuditError } from "./errors.js";

export class WalSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private problem: AuditError | undefined;

  constructor(
    private readonly walPath: string,
    private readonly ms: number,
  ) {}

  /** Throws the failure of an earlier background sync, if there was one. */
  assertHealthy(): void {
    if (this.problem) throw this.problem;
  }

  /** A transaction committed to the WAL: make sure a sync follows within `ms`. */
  committed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, this.ms);
    this.timer.unref();
  }

  /** Syncs now, on this thread (close() and explicit flushes); throws if it cannot. */
  syncNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let fd: number;
    try {
      fd = openSync(this.walPath, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // nothing to sync
      throw this.fail(error);
    }
    try {
      fdatasyncSync(fd);
    } catch (error) {
      throw this.fail(error);
    } finally {
      closeFdSync(fd);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Syncs off the event loop (libuv's thread pool); a failure is kept, not thrown. */
  sync(): Promise<void> {
    this.running ??= this.syncOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.walPath, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.fail(error);
      return;
    }
    try {
      await handle.datasync();
    } catch (error) {
      this.fail(error);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  private fail(error: unknown): AuditError {
    const why = error instanceof Error ? error.message : String(error);
    this.problem ??= new AuditError(
      "AUDIT_STORE_IO",
      `cannot sync the audit log to disk: ${why}; no further events are accepted`,
      {
        cause: error,
        hint: "check the disk holding $WARDEN_HOME; restart Warden once it is fixed",
      },
    );
    return this.problem;
  }
}
