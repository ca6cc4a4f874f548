import { createRequire } from "node:module";
import type Picomatch from "picomatch";
import {
  baseOf,
  homeOf,
  normalisePath,
  realRoot,
  vouchedRealPath,
  workspaceOf,
} from "./fs-path.js";
import type { DecisionEnv, KindIndex, OnMatch, PatternEntry, Refusal } from "./rule.js";
import type { FsTarget, Request } from "./types.js";

// Required, not imported: Node's ESM loader first lexes a CommonJS package's source for its
// named exports (measured: ~10 ms a package for a `warden run` start).
const picomatch: typeof Picomatch = createRequire(import.meta.url)("picomatch");

/**
 * fs.read / fs.write patterns: picomatch globs (`dot: true`, so `**` and `*` cross dot-files)
 * that are absolute, or start with `~` (the principal's home: context.home, else the OS home),
 * `${workspace}` (context.workspace) or `**`.
 *
 * The request path is matched twice: as written (normalised) and with symlinks resolved. Deny
 * and ask patterns match either form; allow patterns only the resolved one, so a link inside the
 * workspace that points at ~/.ssh is judged as ~/.ssh.
 *
 * Indexed by the literal directory prefix of each pattern (relative to its root for `~` and
 * `${workspace}` patterns): a decision looks up the path's ancestors, not every rule.
 */
type Root = "abs" | "home" | "workspace";

interface FsPattern {
  readonly entry: PatternEntry;
  readonly test: (path: string) => boolean;
}

const WORKSPACE_VAR = "${workspace}";

class PrefixTable {
  readonly byDir = new Map<string, FsPattern[]>();
  size = 0;
  add(dir: string, p: FsPattern): void {
    const list = this.byDir.get(dir);
    if (list === undefined) this.byDir.set(dir, [p]);
    else list.push(p);
    this.size++;
  }
  /** Visits patterns filed under `path` or any of its ancestors (`path` starts with `/` or is ""). */
  visit(path: string, visit: (p: FsPattern) => void): void {
    if (this.size === 0) return;
    let end = 0;
    for (;;) {
      const list = this.byDir.get(path.slice(0, end));
      if (list !== undefined) for (const p of list) visit(p);
      if (end >= path.length) return;
      const next = path.indexOf("/", end + 1);
      end = next < 0 ? path.length : next;
    }
  }
}

export function checkGlobSyntax(pattern: string): string | null {
  let square = 0;
  let curly = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (i + 1 >= pattern.length) return "dangling backslash";
      i++;
    } else if (c === "[") square++;
    else if (c === "]" && square > 0) square--;
    else if (c === "{") curly++;
    else if (c === "}") {
      if (curly === 0) return "unbalanced `}`";
      curly--;
    }
  }
  if (square > 0) return "unclosed `[`";
  if (curly > 0) return "unclosed `{`";
  return null;
}

export class FsIndex implements KindIndex {
  private readonly tables: Record<Root, PrefixTable> = {
    abs: new PrefixTable(),
    home: new PrefixTable(),
    workspace: new PrefixTable(),
  };
  /** Patterns with no literal leading directory, such as a leading `**`. */
  private readonly fallback: FsPattern[] = [];
  private readonly workspaceEntries: PatternEntry[] = [];

  add(entry: PatternEntry): string | null {
    const pattern = entry.pattern;
    const syntax = checkGlobSyntax(pattern);
    if (syntax !== null) return `path pattern \`${pattern}\`: ${syntax}`;
    let root: Root;
    let body: string;
    if (pattern === "~" || pattern.startsWith("~/")) {
      root = "home";
      body = pattern.slice(1);
    } else if (pattern.startsWith(WORKSPACE_VAR)) {
      root = "workspace";
      body = pattern.slice(WORKSPACE_VAR.length);
      if (body !== "" && !body.startsWith("/")) {
        return `path pattern \`${pattern}\`: \`${WORKSPACE_VAR}\` must be followed by \`/\``;
      }
      this.workspaceEntries.push(entry);
    } else if (pattern.startsWith("/") || pattern.startsWith("**")) {
      root = "abs";
      body = pattern;
    } else {
      return `path pattern \`${pattern}\` must be absolute or start with \`~/\`, \`${WORKSPACE_VAR}/\` or \`**/\``;
    }
    if (body.includes("${")) {
      return `path pattern \`${pattern}\`: only a leading \`${WORKSPACE_VAR}\` is substituted`;
    }
    // Collapse `//` and `/./` on the pattern side, as on the request side.
    body = body.replace(/\/{2,}/g, "/").replace(/\/\.(?=\/|$)/g, "");
    if (/(^|\/)\.\.(\/|$)/.test(body)) return `path pattern \`${pattern}\` must not contain \`..\``;
    let test: (path: string) => boolean;
    if (body === "") test = (p) => p === "";
    else if (body.startsWith("/")) {
      // picomatch's leading `/**/` never matches zero directories (`/**/.env` misses `/.env`);
      // under a one-letter root `**` has its usual meaning, as in `/srv/**/x` for `/srv/x`.
      const re = picomatch.makeRe(`R${body}`, { dot: true });
      test = (p) => re.test(`R${p}`);
    } else {
      const re = picomatch.makeRe(body, { dot: true });
      test = (p) => re.test(p);
    }
    const compiled: FsPattern = { entry, test };
    const scan = picomatch.scan(body);
    if (root === "abs" && !body.startsWith("/")) this.fallback.push(compiled);
    else {
      const dir = scan.isGlob ? scan.base : body;
      this.tables[root].add(dir === "/" ? "" : dir.replace(/\/$/, ""), compiled);
    }
    return null;
  }

  match(request: Request, onMatch: OnMatch, env: DecisionEnv): Refusal | undefined {
    const target = request.target as FsTarget;
    const context = request.context;
    const home = homeOf(context);
    const workspace = workspaceOf(context);
    const path = env.realPath
      ? vouchedRealPath(target.path)
      : normalisePath(target.path, home, baseOf(context));
    if (typeof path === "string") return { refused: path };
    const realHome = realRoot(home);
    const realWorkspace = workspace === null ? null : realRoot(workspace);

    this.matchForm(path.real, true, "", home, realHome, workspace, realWorkspace, onMatch);
    if (path.lexical !== path.real) {
      env.notes?.push(`path resolves through a symlink: ${path.lexical} -> ${path.real}`);
      this.matchForm(
        path.lexical,
        false,
        " (path as written, before resolving symlinks)",
        home,
        realHome,
        workspace,
        realWorkspace,
        onMatch,
      );
    }
    if (workspace === null && this.workspaceEntries.length > 0) {
      // Unknown workspace: deny/ask patterns on it hold (fail closed), allow patterns do not.
      env.notes?.push("no workspace in the request: `${workspace}` allow patterns cannot match");
      for (const entry of this.workspaceEntries) {
        if (entry.effect !== "allow") onMatch(entry, " (no workspace known: treated as matching)");
      }
    }
    return undefined;
  }

  describe(request: Request): string {
    const target = request.target as FsTarget;
    const context = request.context;
    const path = normalisePath(target.path, homeOf(context), baseOf(context));
    if (typeof path === "string") return `path ${JSON.stringify(target.path)}`;
    return path.lexical === path.real
      ? `path ${path.real}`
      : `path ${path.lexical} (resolves to ${path.real})`;
  }

  private matchForm(
    path: string,
    allowAllowed: boolean,
    via: string,
    home: string,
    realHome: string,
    workspace: string | null,
    realWorkspace: string | null,
    onMatch: OnMatch,
  ): void {
    const visit = (sub: string) => (p: FsPattern) => {
      if ((allowAllowed || p.entry.effect !== "allow") && p.test(sub)) onMatch(p.entry, via);
    };
    const whole = visit(path);
    this.tables.abs.visit(path, whole);
    for (const p of this.fallback) whole(p);
    this.visitRooted(this.tables.home, path, home, realHome, visit);
    if (workspace !== null && realWorkspace !== null) {
      this.visitRooted(this.tables.workspace, path, workspace, realWorkspace, visit);
    }
  }

  private visitRooted(
    table: PrefixTable,
    path: string,
    root: string,
    realRootDir: string,
    visit: (sub: string) => (p: FsPattern) => void,
  ): void {
    if (table.size === 0) return;
    for (const r of root === realRootDir ? [root] : [root, realRootDir]) {
      const rest = relativeTo(path, r);
      if (rest !== null) table.visit(rest, visit(rest));
    }
  }
}

/** "" for the root itself, "/x/y" below it, null outside it. */
function relativeTo(path: string, root: string): string | null {
  if (path === root) return "";
  if (root === "/") return path;
  if (path.startsWith(root) && path.charCodeAt(root.length) === 47) return path.slice(root.length);
  return null;
}
