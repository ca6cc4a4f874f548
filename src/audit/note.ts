import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { AuditError } from "./errors.js";

/**
 * C2SP signed-note (https://c2sp.org/signed-note), Ed25519 signatures only.
 *
 * A note is text (non-empty, ending in a newline), a blank line, then signature lines
 *
 *   — <key name> <base64(key ID || signature)>
 *
 * where key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4] and the signature covers the
 * text including its final newline. A verifier key is shared as
 *
 *   <key name>+<hex(key ID)>+<base64(0x01 || public key)>
 */

export const SIG_TYPE_ED25519 = 0x01;
const SIGNATURE_PREFIX = "\u2014 ";
const MAX_SIGNATURES = 100;

export interface NoteSigner {
  readonly name: string;
  readonly keyId: Buffer;
  sign(message: Buffer): Buffer;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
  verify(message: Buffer, signature: Buffer): boolean;
}

export interface NoteSignature {
  name: string;
  keyId: Buffer;
  signature: Buffer;
}

export interface Note {
  text: string;
  signatures: NoteSignature[];
}

/** Key names are non-empty and contain no Unicode space and no "+". */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function keyId(name: string, publicKey: Uint8Array): Buffer {
  return createHash("sha256")
    .update(name, "utf8")
    .update(Buffer.of(0x0a, SIG_TYPE_ED25519))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

export function ed25519Signer(name: string, privateKey: KeyObject, publicKey: Buffer): NoteSigner {
  assertKeyName(name);
  return {
    name,
    keyId: keyId(name, publicKey),
    sign: (message) => sign(null, message, privateKey),
  };
}

export function ed25519Verifier(name: string, publicKey: Buffer): NoteVerifier {
  assertKeyName(name);
  if (publicKey.length !== 32) {
    throw new AuditError("AUDIT_BAD_VERIFIER_KEY", "an Ed25519 public key is 32 bytes");
  }
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: publicKey.toString("base64url") },
    format: "jwk",
  });
  return {
    name,
    keyId: keyId(name, publicKey),
    publicKey,
    verify: (message, signature) =>
      signature.length === 64 && verify(null, message, key, signature),
  };
}

export function formatVerifierKey(verifier: Pick<NoteVerifier, "name" | "publicKey">): string {
  const id = keyId(verifier.name, verifier.publicKey).toString("hex");
  const key = Buffer.concat([Buffer.of(SIG_TYPE_ED25519), verifier.publicKey]).toString("base64");
  return `${verifier.name}+${id}+${key}`;
}

export function parseVerifierKey(vkey: string): NoteVerifier {
  const bad = (why: string): never => {
    throw new AuditError(
      "AUDIT_BAD_VERIFIER_KEY",
      `bad verifier key ${JSON.stringify(vkey)}: ${why}`,
      {
        hint: "expected <name>+<hex key id>+<base64(0x01 || Ed25519 public key)>",
      },
    );
  };
  // Names contain no "+", base64 may: the first two "+" separate the fields.
  const text = vkey.trim();
  const first = text.indexOf("+");
  const second = text.indexOf("+", first + 1);
  if (first < 0 || second < 0) bad("expected <name>+<key id>+<key>");
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  const keyB64 = text.slice(second + 1);
  if (!isValidKeyName(name)) bad("invalid key name");
  if (!/^[0-9a-f]{8}$/.test(idHex)) bad("the key id is not 8 lowercase hex digits");
  const key = decodeBase64(keyB64) ?? bad("the key is not base64");
  if (key.length !== 33 || key[0] !== SIG_TYPE_ED25519) bad("not an Ed25519 key (type 0x01)");
  const verifier = ed25519Verifier(name, key.subarray(1));
  if (verifier.keyId.toString("hex") !== idHex) bad("the key id does not match the key");
  return verifier;
}

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  assertNoteText(text);
  const message = Buffer.from(text, "utf8");
  let lines = "";
  for (const signer of signers) {
    const blob = Buffer.concat([signer.keyId, signer.sign(message)]).toString("base64");
    lines += `${SIGNATURE_PREFIX}${signer.name} ${blob}\n`;
  }
  return `${text}\n${lines}`;
}

/** Splits a note into text and signature lines, checking only the syntax. */
export function parseNote(note: string): Note {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new AuditError("AUDIT_BAD_NOTE", "a signed note needs a blank line");
  const text = note.slice(0, split + 1);
  assertNoteText(text);
  const block = note.slice(split + 2);
  if (!block.endsWith("\n")) throw new AuditError("AUDIT_BAD_NOTE", "unterminated signature line");
  const signatures: NoteSignature[] = [];
  for (const line of block.slice(0, -1).split("\n")) {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    const blob = match ? decodeBase64(match[2]!) : undefined;
    if (!match || !isValidKeyName(match[1]!) || !blob || blob.length < 5) {
      throw new AuditError("AUDIT_BAD_NOTE", `malformed signature line ${JSON.stringify(line)}`);
    }
    signatures.push({ name: match[1]!, keyId: blob.subarray(0, 4), signature: blob.subarray(4) });
  }
  if (signatures.length === 0) throw new AuditError("AUDIT_BAD_NOTE", "the note is not signed");
  if (signatures.length > MAX_SIGNATURES) {
    throw new AuditError("AUDIT_BAD_NOTE", "the note has too many signatures");
  }
  return { text, signatures };
}

/**
 * Parses a note and verifies it against the given keys. Signatures from unknown keys are ignored,
 * as the spec requires; a signature from a known key that does not verify rejects the note, and
 * so does a note that no known key signed.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): Note {
  const parsed = parseNote(note);
  const message = Buffer.from(parsed.text, "utf8");
  let verified = 0;
  for (const sig of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId.equals(sig.keyId));
    if (!verifier) continue;
    if (!verifier.verify(message, sig.signature)) {
      throw new AuditError("AUDIT_BAD_SIGNATURE", `the signature by ${sig.name} does not verify`);
    }
    verified++;
  }
  if (verified === 0) {
    const seen = parsed.signatures.map((s) => `${s.name}+${s.keyId.toString("hex")}`).join(", ");
    const want = verifiers.map((v) => `${v.name}+${v.keyId.toString("hex")}`).join(", ");
    throw new AuditError("AUDIT_BAD_SIGNATURE", `not signed by ${want} (signed by ${seen})`);
  }
  return parsed;
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new AuditError("AUDIT_BAD_ARGUMENT", `invalid note key name ${JSON.stringify(name)}`);
  }
}

function assertNoteText(text: string): void {
  // Newline is the only control character a note text may hold.
  const control = [...text].some((c) => c !== "\n" && c.charCodeAt(0) < 0x20);
  if (text.length === 0 || !text.endsWith("\n") || control) {
    throw new AuditError("AUDIT_BAD_NOTE", "note text must be non-empty lines of printable text");
  }
}

/** Strict standard base64 (RFC 4648 section 4): undefined unless it round-trips exactly. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}
