import { describe, expect, it } from "vitest";
import { auditSyncMs, DEFAULT_SYNC_MS } from "./server-audit.js";

describe("WARDEN_AUDIT_SYNC_MS", () => {
  it("defaults when unset or empty, and reads whole milliseconds (0 = fsync every commit)", () => {
    expect(auditSyncMs({})).toBe(DEFAULT_SYNC_MS);
    expect(auditSyncMs({ WARDEN_AUDIT_SYNC_MS: " " })).toBe(DEFAULT_SYNC_MS);
    expect(auditSyncMs({ WARDEN_AUDIT_SYNC_MS: "0" })).toBe(0);
    expect(auditSyncMs({ WARDEN_AUDIT_SYNC_MS: "250" })).toBe(250);
  });

  it("refuses anything else with a coded error naming the variable", () => {
    for (const bad of ["-1", "1.5", "fast", "1e3", "60001", "9999999"]) {
      expect(() => auditSyncMs({ WARDEN_AUDIT_SYNC_MS: bad })).toThrow(
        expect.objectContaining({
          code: "CLI_BAD_ENV",
          message: expect.stringContaining("WARDEN_AUDIT_SYNC_MS"),
        }),
      );
    }
  });
});
