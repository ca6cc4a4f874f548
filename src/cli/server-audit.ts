/**
 * The audit log of a long-running enforcement point (`warden proxy`, `warden mcp serve`,
 * `warden run` and its proxy), where an fsync per connection or tool call would be most of the cost.
 * Its events are on the WAL before the action they record (a killed Warden loses none) and
 * fsynced in the background within WARDEN_AUDIT_SYNC_MS (default 50; 0: at every commit, as
 * one-shot commands do). docs/audit.md, "Durability", has the trade-off.
 */
import { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";

export const DEFAULT_SYNC_MS = 50;

export function auditSyncMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.WARDEN_AUDIT_SYNC_MS?.trim();
  if (text === undefined || text === "") return DEFAULT_SYNC_MS;
  const ms = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(ms <= 60_000)) {
    throw new WardenError(
      "CLI_BAD_ENV",
      `WARDEN_AUDIT_SYNC_MS must be a whole number of milliseconds from 0 to 60000, got "${text}"`,
      { hint: "0 fsyncs every commit; unset it for the default (50)" },
    );
  }
  return ms;
}

/**
 * `secrets`: values held by Warden, redacted from every event besides the credential shapes.
 * Throws AUDIT_UNAVAILABLE when the log cannot be opened: nothing may then run unrecorded.
 */
export function openServerAuditLog(secrets: string[] = []): AuditLog {
  const syncMs = auditSyncMs();
  try {
    return AuditLog.open({ syncMs, ...(secrets.length > 0 ? { secrets } : {}) });
  } catch (error) {
    if (error instanceof WardenError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new WardenError("AUDIT_UNAVAILABLE", `cannot open the audit log: ${why}`, {
      hint: "$WARDEN_HOME (default ~/.warden) must be a writable directory; nothing runs unrecorded",
      cause: error,
    });
  }
}
