/**
 * The existing files and directory trees a policy's path patterns name outside the workspace:
 * for bubblewrap to bind writable what `fs.write` allows, and to hide what `fs.read` denies where
 * no walk reaches (`/srv/app/.env`). A bind covers a whole tree, so a pattern is honoured only
 * where it names a whole existing tree: an exact path (`/srv/cache`, `~/.npmrc`) or `DIR/**`,
 * whose DIR may hold single-segment globs expanded against the filesystem at plan time
 * (`~/builds/*\/out/**` binds each existing `out`). Everything else is reported, not used:
 * unanchored patterns (`**\/x`), `**` before the last segment, globs in the last segment
 * (`~/notes/*.md`: new files could not be created anyway), paths that do not exist yet (bwrap
 * binds only what exists), system paths.
 * Whether a candidate's whole tree is writable for this principal is for the policy to say
 * (roles, `when:`, an ask or a deny): the caller probes it, and walks beneath it.
 */

import { readdirSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type Picomatch from "picomatch";

// Required, not imported: Node's ESM loader first lexes a CommonJS package's source for its
// named exports (measured: ~10 ms a package for a `warden run` start).
const picomatch: typeof Picomatch = createRequire(import.meta.url)("picomatch");

export interface PatternTree {
  /** The pattern as written in the policy. */
  pattern: string;
  /** Real, existing path. */
  path: string;
  isDirectory: boolean;
}

export interface Unbound {
  pattern: string;
  why: string;
}

/** Paths a glob may expand to, per pattern: beyond it the pattern is reported, not bound. */
export const MAX_EXPANSION = 64;

/** Never bound from the host: the sandbox has its own (or they are the system itself). */
const SYSTEM = ["/", "/proc", "/sys", "/dev", "/run", "/tmp"];

const GLOB = /[*?[\]{}()!+@]/;

export function patternTrees(
  patterns: readonly string[],
  home: string,
  workspace: string,
): { candidates: PatternTree[]; unbound: Unbound[] } {
  const candidates: PatternTree[] = [];
  const unbound: Unbound[] = [];
  for (const pattern of new Set(patterns)) {
    if (pattern.startsWith("${workspace}")) continue; // inside the workspace: writable already
    if (pattern.startsWith("**")) {
      unbound.push({ pattern, why: "matches anywhere: no directory to bind" });
      continue;
    }
    const absolute =
      pattern === "~" ? home : pattern.startsWith("~/") ? home + pattern.slice(1) : pattern;
    const tree = absolute.endsWith("/**");
    const segments = (tree ? absolute.slice(0, -3) : absolute).split("/").filter((s) => s !== "");
    const last = segments.length - 1;
    const why = segments.includes("**")
      ? "`**` before the last segment: the trees it matches cannot be listed ahead"
      : !tree && last >= 0 && GLOB.test(segments[last] ?? "")
        ? "a glob in the last segment: only existing matches could be bound, and nothing created"
        : null;
    if (why !== null) {
      unbound.push({ pattern, why });
      continue;
    }
    const paths = expand(segments);
    if (paths.length > MAX_EXPANSION) {
      unbound.push({ pattern, why: `matches more than ${MAX_EXPANSION} paths` });
      continue;
    }
    if (paths.length === 0) {
      unbound.push({ pattern, why: "does not exist (bwrap binds existing paths only)" });
      continue;
    }
    for (const found of paths) {
      let real: string;
      let isDirectory: boolean;
      try {
        real = realpathSync(found);
        isDirectory = statSync(real).isDirectory();
      } catch {
        unbound.push({ pattern, why: `${found} cannot be resolved` });
        continue;
      }
      if (real === workspace || real.startsWith(`${workspace}/`)) continue;
      if (SYSTEM.some((s) => real === s || (s !== "/" && real.startsWith(`${s}/`)))) {
        unbound.push({ pattern, why: `${real} is a system path the sandbox has its own of` });
        continue;
      }
      if (tree && !isDirectory) {
        unbound.push({ pattern, why: `${real} is not a directory` });
        continue;
      }
      candidates.push({ pattern, path: real, isDirectory });
    }
  }
  return { candidates, unbound };
}

/** The existing paths the segments name, each glob segment matched against its parent's entries. */
function expand(segments: string[]): string[] {
  let paths = ["/"];
  for (const segment of segments) {
    const next: string[] = [];
    if (!GLOB.test(segment)) {
      for (const p of paths) next.push(join(p, segment));
    } else {
      const match = picomatch(segment, { dot: true });
      for (const p of paths) {
        for (const name of listDirs(p)) if (match(name)) next.push(join(p, name));
        if (next.length > MAX_EXPANSION) return next;
      }
    }
    paths = next;
  }
  return paths.filter(exists);
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
