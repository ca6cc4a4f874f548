/**
 * The mount points bwrap creates in the workspace for protected paths that do not exist yet (an
 * empty `.cursor/`, an empty `.mcp.json`) are removed when the command ends. If `warden run` is
 * killed hard they stay behind — and an empty `.cursor/` would then look like the user's own. So
 * each run records them under `$WARDEN_HOME/run/sandbox-<pid>.json` before bwrap starts, and the
 * next run sweeps the records whose owner is gone (pid dead, or reused: the start time differs).
 * Only what is still empty is removed; anything written since stays.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { WardenError } from "../../errors.js";
import { writePrivateFile } from "../../private-file.js";

interface PlaceholderRecord {
  pid: number;
  /** The owner's start time (/proc/PID/stat field 22), so a reused pid is not taken for it. */
  started: string;
  paths: string[];
}

const RECORD = /^sandbox-(\d+)\.json$/;

/**
 * Records `paths` for this process; returns the function that removes them and the record.
 * Throws SANDBOX_STATE when the record cannot be written: the run must not start then.
 */
export function recordPlaceholders(runDir: string, paths: string[]): () => void {
  if (paths.length === 0) return () => {};
  const file = join(runDir, `sandbox-${process.pid}.json`);
  const record: PlaceholderRecord = {
    pid: process.pid,
    started: startTime(process.pid) ?? "",
    paths,
  };
  try {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    // Not fsynced (~10–30 ms a run): the record is for a run killed hard, whose writes the page
    // cache keeps; a machine crash may lose it, as it may the placeholders bwrap made.
    writePrivateFile(file, `${JSON.stringify(record)}\n`, { durable: false });
  } catch (error) {
    throw new WardenError(
      "SANDBOX_STATE",
      `cannot record the sandbox's mount points in ${runDir}: ${(error as Error).message}`,
      { hint: "$WARDEN_HOME/run must be a writable directory", cause: error },
    );
  }
  return () => {
    removePlaceholders(paths);
    rmSync(file, { force: true });
  };
}

/** Removes the placeholders of runs that ended without cleaning up. */
export function sweepPlaceholders(runDir: string): { removed: string[]; unreadable: string[] } {
  const removed: string[] = [];
  const unreadable: string[] = [];
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return { removed, unreadable }; // no run directory yet: nothing recorded
  }
  for (const name of names) {
    if (!RECORD.test(name)) continue;
    const file = join(runDir, name);
    let record: PlaceholderRecord;
    try {
      record = parseRecord(readFileSync(file, "utf8"));
    } catch {
      unreadable.push(file);
      continue;
    }
    if (record.started !== "" && startTime(record.pid) === record.started) continue; // still running
    removed.push(...removePlaceholders(record.paths));
    rmSync(file, { force: true });
  }
  return { removed, unreadable };
}

/** Removes each path that is still an empty directory or an empty file; returns those removed. */
export function removePlaceholders(paths: string[]): string[] {
  const removed: string[] = [];
  for (const path of paths) {
    try {
      const st = lstatSync(path);
      if (st.isDirectory()) rmdirSync(path);
      else if (st.isFile() && st.size === 0) rmSync(path);
      else continue;
      removed.push(path);
    } catch {
      // Not empty, busy (a run still mounted there) or already gone: leave it.
    }
  }
  return removed;
}

function parseRecord(text: string): PlaceholderRecord {
  const r = JSON.parse(text) as Partial<PlaceholderRecord>;
  if (
    !Number.isInteger(r.pid) ||
    typeof r.started !== "string" ||
    !Array.isArray(r.paths) ||
    !r.paths.every((p) => typeof p === "string" && p.startsWith("/"))
  ) {
    throw new Error("not a sandbox record");
  }
  return r as PlaceholderRecord;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
