/**
 * The secret store's key: 32 random bytes, base64, in `$WARDEN_HOME/secret.key`, mode 0600.
 * Anything that can read this file can read every secret, so a key file that group or others can
 * read, or that another user owns, is refused rather than used.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { WardenError } from "../errors.js";
import { createPrivateFileOnce } from "../private-file.js";

export const KEY_BYTES = 32;

export interface StoreKey {
  bytes: Buffer;
  /** Names the key without revealing it: the store header carries it to tell "wrong key" apart. */
  id: Buffer;
}

/** Reads the key; undefined if the file does not exist. */
export function readStoreKey(path: string): StoreKey | undefined {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw keyError("CREDS_KEY_UNREADABLE", path, messageOf(error));
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new WardenError(
      "CREDS_KEY_INSECURE",
      `the secret key ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); refusing to use it`,
      { hint: `chmod 600 ${path}, and consider the secrets it protects exposed: set them again` },
    );
  }
  if (typeof process.getuid === "function" && stat.uid !== process.getuid()) {
    throw keyError("CREDS_KEY_INSECURE", path, `it belongs to uid ${stat.uid}, not to this user`);
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  } catch (error) {
    throw keyError("CREDS_KEY_UNREADABLE", path, messageOf(error));
  }
  if (bytes.length !== KEY_BYTES) {
    throw keyError("CREDS_KEY_INVALID", path, `expected ${KEY_BYTES} bytes of base64`);
  }
  return { bytes, id: keyId(bytes) };
}

/**
 * Loads the key, creating it on first use. Creation writes a private temporary file and
 * hard-links it into place, so two processes starting at once agree on one key.
 */
export function loadOrCreateStoreKey(path: string): StoreKey {
  const existing = readStoreKey(path);
  if (existing) return existing;
  try {
    createPrivateFileOnce(path, `${randomBytes(KEY_BYTES).toString("base64")}\n`);
  } catch (error) {
    throw keyError("CREDS_KEY_UNREADABLE", path, `cannot create it: ${messageOf(error)}`);
  }
  const key = readStoreKey(path);
  if (key === undefined) throw keyError("CREDS_KEY_UNREADABLE", path, "it vanished after creation");
  return key;
}

function keyId(bytes: Buffer): Buffer {
  return createHmac("sha256", bytes).update("warden secret store key id").digest().subarray(0, 8);
}

function keyError(code: string, path: string, why: string): WardenError {
  return new WardenError(code, `cannot use the secret key ${path}: ${why}`, {
    hint: "the key must be 32 bytes of base64, mode 0600, owned by this user",
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
