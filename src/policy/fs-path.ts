import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { RequestContext } from "./types.js";

/**
 * Path normalisation for fs requests: `~` expansion, resolution against a base directory, `.`,
 * `..` and duplicate slashes, and symlink resolution (the longest existing prefix when the path
 * does not exist yet, as for a file about to be written).
 */

export interface NormalisedPath {
  /** Absolute, `.`/`..`-free path as written (symlinks not followed). */
  readonly lexical: string;
  /** The same path with symlinks resolved: what the kernel would touch. */
  readonly real: string;
}

export function homeOf(context: RequestContext | undefined): string {
  const home = context?.home;
  return typeof home === "string" && home.startsWith("/") ? resolve(home) : homedir();
}

export function workspaceOf(context: RequestContext | undefined): string | null {
  const ws = context?.workspace;
  return typeof ws === "string" && ws.startsWith("/") ? resolve(ws) : null;
}

/** `~` and `~/x` only; `~user` is left alone (no user database lookups on the hot path). */
export function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return home + path.slice(1);
  return path;
}

/** Base directory for a relative path: context.cwd, else the workspace. */
export function baseOf(context: RequestContext | undefined): string | null {
  const cwd = context?.cwd;
  if (typeof cwd === "string" && cwd.startsWith("/")) return resolve(cwd);
  return workspaceOf(context);
}

/**
 * realpath, falling back to the longest existing ancestor for paths that do not exist. A dangling
 * symlink is still followed (writing through it creates its target), up to a loop limit.
 * existsSync/lstat with throwIfNoEntry keep the missing-path case free of thrown errors (slow).
 */
export function realPath(absolute: string, depth = 0): string {
  if (existsSync(absolute)) {
    try {
      return realpathSync.native(absolute);
    } catch {
      // Unreadable (EACCES...): resolve what we can through the parents.
    }
  }
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  const realParent = realPath(parent, depth);
  const here = join(realParent, absolute.slice(parent.length));
  if (depth < 40 && lstatSync(here, { throwIfNoEntry: false })?.isSymbolicLink() === true) {
    try {
      return realPath(resolve(realParent, readlinkSync(here)), depth + 1);
    } catch {
      return here;
    }
  }
  return here;
}

/** Bounded memo for directories that recur in every request (home, workspace). */
const rootCache = new Map<string, string>();

/** Drops the memo, so that a long-lived process (the hook daemon) sees a moved directory. */
export function forgetRealRoots(): void {
  rootCache.clear();
}
export function realRoot(path: string): string {
  let real = rootCache.get(path);
  if (real === undefined) {
    real = realPath(path);
    if (rootCache.size >= 256) rootCache.clear();
    rootCache.set(path, real);
  }
  return real;
}

/** A path the caller vouches is real (DecideOptions.realPath): only checked, folded, never resolved. */
export function vouchedRealPath(raw: string): NormalisedPath | string {
  if (raw.includes("\0")) return "path contains a NUL byte";
  if (!raw.startsWith("/")) return `path \`${raw}\` vouched as real is not absolute`;
  const path = resolve(raw);
  return { lexical: path, real: path };
}

/** Normalises a request path, or returns the reason it cannot be judged. */
export function normalisePath(
  raw: string,
  home: string,
  base: string | null,
): NormalisedPath | string {
  if (raw.length === 0) return "empty path";
  if (raw.includes("\0")) return "path contains a NUL byte";
  const expanded = expandHome(raw, home);
  let absolute: string;
  if (expanded.startsWith("/")) absolute = expanded;
  else if (base !== null) absolute = `${base}/${expanded}`;
  else return `relative path \`${raw}\` cannot be resolved: the request has no cwd or workspace`;
  // realpath on the unnormalised path so `link/..` follows the link first, as the kernel does.
  const lexical = resolve(absolute);
  let real: string | null = null;
  if (existsSync(absolute)) {
    try {
      real = realpathSync.native(absolute);
    } catch {
      // fall back to the parents below
    }
  }
  return { lexical, real: real ?? realPath(lexical) };
}
