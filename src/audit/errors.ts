import { WardenError } from "../errors.js";

/**
 * Stable codes for every way the audit log can fail. Callers branch on `code`; messages are for
 * humans and may change.
 */
export const AUDIT_CODES = [
  // Input and arguments.
  "AUDIT_INVALID_EVENT",
  "AUDIT_NOT_JSON",
  "AUDIT_BAD_ARGUMENT",
  // Store (fail closed: an append that cannot be made durable is an error, never a drop).
  "AUDIT_NO_LOG",
  "AUDIT_READONLY",
  "AUDIT_STORE_FULL",
  "AUDIT_STORE_READONLY",
  "AUDIT_STORE_CORRUPT",
  "AUDIT_STORE_BUSY",
  "AUDIT_STORE_IO",
  "AUDIT_STORE_VERSION",
  "AUDIT_STORE_WRITE",
  "AUDIT_CLOSED",
  "AUDIT_KEY",
  // Notes, checkpoints and proofs.
  "AUDIT_BAD_NOTE",
  "AUDIT_BAD_CHECKPOINT",
  "AUDIT_BAD_VERIFIER_KEY",
  "AUDIT_BAD_SIGNATURE",
  "AUDIT_BAD_PROOF",
  "AUDIT_NO_CHECKPOINT",
  "AUDIT_ORIGIN_MISMATCH",
  "AUDIT_KEY_MISMATCH",
  // Verification findings.
  "AUDIT_EVENT_TAMPERED",
  "AUDIT_EVENT_MALFORMED",
  "AUDIT_INDEX_TAMPERED",
  "AUDIT_SEQ_GAP",
  "AUDIT_SEQ_MISMATCH",
  "AUDIT_NODE_MISMATCH",
  "AUDIT_ROOT_MISMATCH",
  "AUDIT_TRUNCATED",
] as const;
export type AuditCode = (typeof AUDIT_CODES)[number];

export class AuditError extends WardenError {
  declare readonly code: AuditCode;

  constructor(code: AuditCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(code, message, options);
    this.name = "AuditError";
  }
}
