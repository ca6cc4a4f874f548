import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createPrivateFileOnce } from "../private-file.js";
import { AuditError } from "./errors.js";

export const KEY_FILE = "audit.key";
export const PUBLIC_KEY_FILE = "audit.pub";

export interface SigningKey {
  privateKey: KeyObject;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
}

/**
 * Loads `$home/audit.key` (PKCS#8 PEM), creating it with mode 0600 on first use. Creation writes
 * a private temporary file and hard-links it into place, so two processes starting at once agree
 * on one key and neither ever reads a half-written file.
 */
export function loadOrCreateSigningKey(home: string): SigningKey {
  const path = join(home, KEY_FILE);
  const existing = readKey(path);
  if (existing) return existing;
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  try {
    createPrivateFileOnce(path, pem);
  } catch (error) {
    throw keyError(path, error);
  }
  return (
    readKey(path) ??
    (() => {
      throw new AuditError("AUDIT_KEY", `could not create the signing key ${path}`);
    })()
  );
}

/** Reads the signing key; undefined if the file does not exist. */
export function readKey(path: string): SigningKey | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw keyError(path, error);
  }
  try {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("not an Ed25519 key");
    return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
  } catch (error) {
    throw keyError(path, error);
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("no public key");
  return Buffer.from(jwk.x, "base64url");
}

function keyError(path: string, cause: unknown): AuditError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new AuditError("AUDIT_KEY", `cannot use the audit signing key ${path}: ${why}`, {
    cause,
    hint: "the key must be an Ed25519 PKCS#8 PEM file readable by this user",
  });
}
