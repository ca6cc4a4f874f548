import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "./index.js";
import { WalSync } from "./wal-sync.js";

const event = (i: number) => ({
  kind: "exec",
  pep: "test.sync",
  principal: { agent: "a" },
  target: { command: `step ${i}` },
});

describe("background WAL sync (syncMs)", () => {
  it("acknowledges appends from the WAL, and close() leaves them readable by another process", async () => {
    const home = mkdtempSync(join(tmpdir(), "warden-sync-"));
    const log = AuditLog.open({ home, syncMs: 60_000 });
    const receipts = await Promise.all([0, 1, 2].map((i) => log.append(event(i))));
    expect(receipts.map((r) => r.seq)).toEqual([0, 1, 2]);
    // Committed (not only queued): a reader sees them before any fsync has run.
    const reader = AuditLog.open({ home, readonly: true });
    expect(reader.size()).toBe(3);
    reader.close();
    log.close();
    const after = AuditLog.open({ home, readonly: true });
    expect(after.verify()).toMatchObject({ ok: true, events: 3 });
    after.close();
  });

  it("refuses a negative or non-numeric syncMs", () => {
    const home = mkdtempSync(join(tmpdir(), "warden-sync-"));
    for (const syncMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => AuditLog.open({ home, syncMs })).toThrow(
        expect.objectContaining({ code: "AUDIT_BAD_ARGUMENT" }),
      );
    }
  });

  // A disk that fails fsync cannot be made here; a WAL path under a regular file makes the open
  // before the fsync fail the same way (ENOTDIR), which is the path under test: the latch.
  it("a failed background sync refuses every later append (fail closed)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-sync-"));
    const notADir = join(dir, "file");
    writeFileSync(notADir, "x");
    const sync = new WalSync(join(notADir, "audit.db-wal"), 60_000);
    expect(() => sync.assertHealthy()).not.toThrow();
    await sync.sync(); // what the timer runs: it keeps the failure instead of throwing
    expect(() => sync.assertHealthy()).toThrow(
      expect.objectContaining({
        code: "AUDIT_STORE_IO",
        message: expect.stringMatching(/cannot sync the audit log/),
      }),
    );
    expect(() => sync.syncNow()).toThrow(expect.objectContaining({ code: "AUDIT_STORE_IO" }));
  });
});
