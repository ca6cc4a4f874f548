/**
 * Files only the user may read (keys, the secret store, token hashes, run records), written so
 * that no reader ever sees half a file: a private temporary file (0600, `wx`: never an old one
 * with another mode), fsynced, then renamed or linked into place.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

/**
 * Replaces `path` with `data` atomically; throws the file system's error. `durable: false` skips
 * the fsyncs, for a file that must outlive a killed process (the page cache does) but not a
 * machine crash.
 */
export function writePrivateFile(
  path: string,
  data: string | Uint8Array,
  { durable = true }: { durable?: boolean } = {},
): void {
  const temp = writeTemp(path, data, durable);
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
  if (durable) syncDirectory(dirname(path));
}

/**
 * Creates `path` with `data` unless it exists. Two processes creating it at once agree on one
 * content: the first link wins and the other's data is dropped, so read the file afterwards.
 */
export function createPrivateFileOnce(path: string, data: string | Uint8Array): void {
  const temp = writeTemp(path, data);
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkQuietly(temp);
  }
}

function writeTemp(path: string, data: string | Uint8Array, durable = true): string {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(temp);
    throw error;
  }
  closeSync(fd);
  return temp;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
