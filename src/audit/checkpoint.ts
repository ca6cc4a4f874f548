import { AuditError } from "./errors.js";
import { HASH_SIZE } from "./merkle.js";
import { decodeBase64, type NoteSigner, type NoteVerifier, openNote, signNote } from "./note.js";

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a signed note whose text is
 *
 *   <origin>
 *   <tree size, decimal, no leading zeros>
 *   <base64 root hash>
 *   [<extension line> ...]
 */

export interface Checkpoint {
  origin: string;
  size: number;
  /** Standard base64 of the RFC 9162 root hash. */
  rootHash: string;
  /** The full signed note. */
  text: string;
}

export interface CheckpointBody {
  origin: string;
  size: number;
  root: Buffer;
}

export function formatCheckpointText(body: CheckpointBody): string {
  return `${body.origin}\n${body.size}\n${body.root.toString("base64")}\n`;
}

export function parseCheckpointText(text: string): CheckpointBody {
  const bad = (why: string): never => {
    throw new AuditError("AUDIT_BAD_CHECKPOINT", `malformed checkpoint: ${why}`);
  };
  const lines = text.split("\n");
  if (lines.length < 4 || lines.at(-1) !== "") bad("expected at least three lines");
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) bad("empty origin");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) bad(`tree size ${JSON.stringify(sizeText)}`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) bad("tree size out of range");
  const root = decodeBase64(rootText);
  if (!root || root.length !== HASH_SIZE) bad("root hash is not base64 of 32 bytes");
  if (lines.slice(3, -1).some((l) => l.length === 0)) bad("empty extension line");
  return { origin, size, root: root! };
}

export function signCheckpoint(body: CheckpointBody, signer: NoteSigner): Checkpoint {
  const text = signNote(formatCheckpointText(body), [signer]);
  return { origin: body.origin, size: body.size, rootHash: body.root.toString("base64"), text };
}

/**
 * Verifies a checkpoint note with `verifier` and parses its body. The log's origin is also its
 * key name, so a checkpoint for another origin is rejected even if the key matches.
 */
export function openCheckpoint(note: string, verifier: NoteVerifier): CheckpointBody {
  const body = parseCheckpointText(openNote(note, [verifier]).text);
  if (body.origin !== verifier.name) {
    throw new AuditError(
      "AUDIT_ORIGIN_MISMATCH",
      `checkpoint origin ${JSON.stringify(body.origin)} is not ${JSON.stringify(verifier.name)}`,
    );
  }
  return body;
}

/** Reads a checkpoint's body without verifying its signature (for display and listings). */
export function describeCheckpoint(note: string): Checkpoint {
  const split = note.lastIndexOf("\n\n");
  const body = parseCheckpointText(split < 0 ? note : note.slice(0, split + 1));
  return {
    origin: body.origin,
    size: body.size,
    rootHash: body.root.toString("base64"),
    text: note,
  };
}
