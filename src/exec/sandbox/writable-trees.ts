/**
 * The trees beyond the workspace that bubblewrap binds writable (the candidates pattern-trees.ts
 * found in fs.write's allow rules), and what must stay as it was beneath them. Each is decided
 * whole (fs.write on it and on a child: roles, `when:`, an ask or a deny can refuse it) and
 * walked like the workspace (secret-walk.ts, same bounds, node_modules and Git's objects entered
 * too): what fs.read denies below is to be hidden, what fs.write denies and the protected names
 * (protected.ts) to stay read-only. A tree the walk cannot finish is not bound: what lies past
 * the bound was not checked.
 */
import type { PatternTree, Unbound } from "./pattern-trees.js";
import { isProtectedName } from "./protected.js";
import { type DeniedProbe, findDenied, type WalkLimits } from "./secret-walk.js";

export interface WritableTrees {
  /** Real paths to bind writable, in order. */
  writable: string[];
  /** Patterns not bound, with why (those of the candidates' search, and the refused trees). */
  unbound: Unbound[];
  /** Below the writable trees: paths fs.read denies. */
  hidden: string[];
  /** Below the writable trees: paths fs.write denies, and the protected names. */
  readOnly: string[];
}

export function writableTrees(
  found: { candidates: PatternTree[]; unbound: Unbound[] },
  probe: { denied: DeniedProbe; writeDenied: DeniedProbe },
  limits: WalkLimits,
  /** Not entered: walked on their own (the workspace) or hidden whole ($WARDEN_HOME). */
  pruned: ReadonlySet<string>,
): WritableTrees {
  const r: WritableTrees = { writable: [], unbound: [...found.unbound], hidden: [], readOnly: [] };
  for (const c of found.candidates) {
    if (r.writable.includes(c.path)) continue;
    if (probe.writeDenied(c.path, c.isDirectory, true)) {
      const why = `the policy does not allow writing all of ${c.path} (a deny or ask, roles, when:)`;
      r.unbound.push({ pattern: c.pattern, why });
      continue;
    }
    if (c.isDirectory) {
      const unwritable = new Set<string>();
      const walk = findDenied(
        c.path,
        (path, dir, real) => {
          if (probe.denied(path, dir, real)) return true;
          if (!isProtectedName(path) && !probe.writeDenied(path, dir, real)) return false;
          unwritable.add(path);
          return true;
        },
        limits,
        pruned,
        // Nothing below may be taken on trust, node_modules included: it is about to be writable.
        "enter",
      );
      if (walk.truncated) {
        const why = `${c.path} is too large to check what lies below it (${walk.entries} entries looked at)`;
        r.unbound.push({ pattern: c.pattern, why });
        continue;
      }
      for (const path of walk.denied) (unwritable.has(path) ? r.readOnly : r.hidden).push(path);
    } else if (probe.denied(c.path, false, true)) r.hidden.push(c.path);
    r.writable.push(c.path);
  }
  return r;
}
