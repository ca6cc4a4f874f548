/**
 * Finds what `fs.read` denies below the top of a directory tree (the workspace), so the sandbox
 * can hide each one: `packages/api/.env`, `certs/server.pem`. A denied directory is reported
 * whole and not entered. The walk is bounded (depth, entries) because it runs before every
 * `warden run`; `node_modules` and Git's object store are skipped (vendored and content-addressed
 * files, the bulk of a big tree). Where a bound cut the walk short, `truncated` says so and the
 * caller reports it: what lies past it was not probed. Symlinks are decided but not followed, so
 * every other path met is real when the root is (the probe need not resolve it again).
 */
import { type Dirent, readdirSync } from "node:fs";

export interface WalkLimits {
  /** Levels below the root entered (the root's own entries are depth 1). */
  maxDepth: number;
  /** Entries looked at in all. */
  maxEntries: number;
}

/** About a second of probing on a slow 2-core VM at the entry bound (bench/sandbox.bench.ts). */
export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDepth: 16, maxEntries: 50_000 };
/**
 * HOME outside the workspace: deep enough for `~/.config/gcloud/…` and `~/code/org/repo/.env`;
 * tool chains (`~/.rustup`, `~/.pyenv`, `~/.cargo`) fill the entry bound long before depth 5 on a
 * developer's machine, and every run pays for the walk.
 */
export const HOME_WALK_LIMITS: WalkLimits = { maxDepth: 5, maxEntries: 20_000 };
/**
 * Below HOME, caches and tool chains of downloaded, content-addressed or vendored files: often
 * most of a developer's HOME, and no place for their own secrets (a rule that names one, such as
 * `~/.cache/tool/**`, is honoured anyway: the sandbox hides what deny rules name outright).
 */
export const HOME_SKIP = [
  ".cache",
  ".npm/_cacache",
  ".npm/_npx",
  ".nvm/versions",
  ".pyenv/versions",
  ".rustup/toolchains",
  ".cargo/registry",
  ".cargo/git",
  ".m2/repository",
  ".gradle/caches",
  ".gradle/wrapper",
  "go/pkg/mod",
  ".bun/install/cache",
  ".local/share/Trash",
];

/** Directory names never entered, at any depth. */
const SKIP_DIRS = new Set(["node_modules"]);
/** Paths below a `.git` directory never entered. */
const SKIP_IN_GIT = new Set(["objects", "lfs"]);

export interface WalkResult {
  /** Denied paths, top-most only (nothing below a denied directory). */
  denied: string[];
  entries: number;
  /** True when a limit stopped the walk: deeper or later entries were not probed. */
  truncated: boolean;
  /** Which limit did: `entries` leaves part of every level up to the cut unprobed. */
  cut: "depth" | "entries" | null;
}

/** The policy probe: `real` is false for a symlink (the probe must resolve it). */
export type DeniedProbe = (path: string, isDirectory: boolean, real: boolean) => boolean;

/**
 * Walks below `root` (a real, absolute path; the root itself is not probed). `pruned` directories
 * are probed but not entered (walked on their own: the workspace inside HOME). `vendored: "enter"`
 * enters node_modules and Git's objects too: a walk that must miss nothing (a tree about to be
 * made writable) cannot take them on trust.
 */
export function findDenied(
  root: string,
  isDenied: DeniedProbe,
  limits: WalkLimits = DEFAULT_WALK_LIMITS,
  pruned: ReadonlySet<string> = new Set(),
  vendored: "skip" | "enter" = "skip",
): WalkResult {
  const denied: string[] = [];
  let entries = 0;
  let truncated = false;
  let cut: WalkResult["cut"] = null;
  // Breadth first, so that a cut leaves the shallow (most likely read) files probed.
  let level: string[] = [root];
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > limits.maxDepth) {
      truncated = true;
      cut = "depth";
      break;
    }
    const next: string[] = [];
    for (const dir of level) {
      const prefix = dir === "/" ? "" : dir;
      for (const entry of list(dir)) {
        if (++entries > limits.maxEntries) {
          return { denied, entries: entries - 1, truncated: true, cut: "entries" };
        }
        const path = `${prefix}/${entry.name}`; // names hold no "/"; cheaper than join
        const isDir = entry.isDirectory();
        if (isDenied(path, isDir, !entry.isSymbolicLink())) denied.push(path);
        else if (isDir && !pruned.has(path) && (vendored === "enter" || !skipped(dir, entry.name)))
          next.push(path);
      }
    }
    level = next;
  }
  return { denied, entries, truncated, cut };
}

function skipped(parent: string, name: string): boolean {
  return SKIP_DIRS.has(name) || (SKIP_IN_GIT.has(name) && parent.endsWith("/.git"));
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // unreadable here is unreadable inside too
  }
}
