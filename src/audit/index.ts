/**
 * The tamper-evident audit log (DESIGN.md, "Audit log"): canonical JSON events (RFC 8785) as
 * leaves of an RFC 9162 Merkle tree in SQLite, C2SP signed checkpoints, inclusion and
 * consistency proofs that verify without the store, redaction before hashing, and search.
 */
export { canonicalize } from "./canonical.js";
export type { Checkpoint } from "./checkpoint.js";
export { AUDIT_CODES, type AuditCode, AuditError } from "./errors.js";
export type { AuditEvent, AuditEventInput } from "./event.js";
export {
  type AppendReceipt,
  AuditLog,
  type AuditLogOptions,
  type AuditQuery,
  type AutoCheckpoint,
  OUTCOME_WITHIN_MS,
} from "./log.js";
export {
  type ConsistencyProof,
  eventLeafHash,
  type InclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from "./proof.js";
export { Redactor, redactCredentialShapes, redacted } from "./redact.js";
export type { VerifyProblem, VerifyResult } from "./verify.js";
