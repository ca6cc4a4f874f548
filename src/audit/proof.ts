import { canonicalize } from "./canonical.js";
import { type CheckpointBody, openCheckpoint } from "./checkpoint.js";
import { AuditError } from "./errors.js";
import type { AuditEvent } from "./event.js";
import { HASH_SIZE, hashLeaf, rootFromInclusionPath, verifyConsistencyPath } from "./merkle.js";
import { parseVerifierKey } from "./note.js";

/**
 * Proofs are plain JSON, and verifying one needs only the proof, the signed checkpoint(s) and
 * the log's verifier key — nothing from the store that produced them.
 */

/** RFC 9162 inclusion proof: the audit path from leaf `seq` to the root at `treeSize`. */
export interface InclusionProof {
  type: "inclusion";
  seq: number;
  treeSize: number;
  /** Hex SHA-256(0x00 || canonical event bytes). */
  leafHash: string;
  /** Hex sibling hashes, leaf first. */
  path: string[];
}

/** RFC 9162 consistency proof: the tree at `newSize` extends the tree at `oldSize`. */
export interface ConsistencyProof {
  type: "consistency";
  oldSize: number;
  newSize: number;
  path: string[];
}

/** The leaf hash (hex) of an event as the log stores it: the hash of its canonical JSON. */
export function eventLeafHash(event: AuditEvent): string {
  return hashLeaf(Buffer.from(canonicalize(event), "utf8")).toString("hex");
}

/**
 * Checks that `proof.leafHash` is leaf `proof.seq` of the tree whose head `checkpointText`
 * signs. Throws AuditError (AUDIT_BAD_SIGNATURE, AUDIT_BAD_PROOF, ...) on any failure.
 * To tie the proof to an event, compare `eventLeafHash(event)` with `proof.leafHash` too.
 */
export function verifyInclusionProof(
  proof: InclusionProof,
  checkpointText: string,
  verifierKey: string,
): void {
  if (proof?.type !== "inclusion") bad("not an inclusion proof");
  const head = openCheckpoint(checkpointText, parseVerifierKey(verifierKey));
  if (proof.treeSize !== head.size) {
    bad(`the proof is for tree size ${proof.treeSize}, the checkpoint is for ${head.size}`);
  }
  const root = rootFromInclusionPath(
    proof.seq,
    proof.treeSize,
    hexHash(proof.leafHash),
    hexPath(proof.path),
  );
  if (!root.equals(head.root)) {
    bad(`event ${proof.seq} is not in the tree of size ${head.size}: the path leads elsewhere`);
  }
}

/** Checks that the log at `newCheckpoint` is an append-only extension of `oldCheckpoint`. */
export function verifyConsistencyProof(
  proof: ConsistencyProof,
  oldCheckpoint: string,
  newCheckpoint: string,
  verifierKey: string,
): void {
  if (proof?.type !== "consistency") bad("not a consistency proof");
  const verifier = parseVerifierKey(verifierKey);
  const older: CheckpointBody = openCheckpoint(oldCheckpoint, verifier);
  const newer: CheckpointBody = openCheckpoint(newCheckpoint, verifier);
  if (proof.oldSize !== older.size || proof.newSize !== newer.size) {
    bad(
      `the proof is for sizes ${proof.oldSize} -> ${proof.newSize}, ` +
        `the checkpoints are for ${older.size} -> ${newer.size}`,
    );
  }
  verifyConsistencyPath(older.size, newer.size, older.root, newer.root, hexPath(proof.path));
}

function hexPath(path: unknown): Buffer[] {
  if (!Array.isArray(path)) bad("the path is not an array");
  return (path as unknown[]).map(hexHash);
}

function hexHash(value: unknown): Buffer {
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/i.test(value)) {
    bad(`${JSON.stringify(value)} is not a hex SHA-256 hash`);
  }
  const hash = Buffer.from(value as string, "hex");
  if (hash.length !== HASH_SIZE) bad("bad hash length");
  return hash;
}

function bad(why: string): never {
  throw new AuditError("AUDIT_BAD_PROOF", why);
}
