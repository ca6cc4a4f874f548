/**
 * Serialises the store's read-modify-write across processes, so two `warden secrets set` at once
 * both land: a lock file created exclusively beside the store, removed when done. A lock older
 * than STALE_MS was left by a process that died mid-change and is taken over.
 */
import { closeSync, openSync, statSync, unlinkSync } from "node:fs";
import { WardenError } from "../errors.js";
import { messageOf } from "./key.js";

const STALE_MS = 30_000;
const WAIT_STEP_MS = 10;

export function withLock<T>(path: string, fn: () => T, timeoutMs = 5_000): T {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new WardenError("CREDS_STORE_UNWRITABLE", `cannot lock ${path}: ${messageOf(error)}`);
      }
      if (isStale(path)) {
        try {
          unlinkSync(path);
        } catch {}
        continue;
      }
      if (Date.now() > deadline) {
        throw new WardenError("CREDS_STORE_BUSY", `the secret store is locked (${path})`, {
          hint: `another warden secrets command is running; if none is, remove ${path}`,
        });
      }
      Atomics.wait(pause, 0, 0, WAIT_STEP_MS); // a synchronous pause: the store API is synchronous
    }
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

function isStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > STALE_MS;
  } catch {
    return true; // gone already: try again
  }
}
