/**
 * The `warden run` sandbox (DESIGN.md, exec/ sandbox): a bubblewrap command line built from the
 * policy. The filesystem is read-only except the workspace and the trees `fs.write` allows whole
 * (pattern-trees.ts); paths `fs.read` denies are hidden (HOME's well-known stores, HOME and the
 * workspace walked to a bound, secret-walk.ts; the paths deny rules name); the agents' settings
 * and hook files stay read-only inside every writable tree (protected.ts); own PID, IPC, UTS and
 * network namespaces (the only way out is the egress proxy: the bridge hands its in-sandbox
 * listener to the host, handoff.ts); a seccomp filter against new AF_UNIX sockets and io_uring
 * (seccomp.ts); the environment is scrubbed of credential-looking variables.
 * This module builds the plan (probe.ts checks that bubblewrap works); the CLI (`src/cli/run-command.ts`)
 * runs it beside the proxy.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { WardenError } from "../../errors.js";
import { packageFile } from "../../package-files.js";
import type { CompiledPolicy, Principal } from "../../policy/index.js";
import { findPython, PYTHON_BRIDGE, pythonVisible } from "./bridge-python.js";
import { patternTrees, type Unbound } from "./pattern-trees.js";
import { isProtectedName, PROTECTED_DIRS, PROTECTED_FILES } from "./protected.js";
import { SECCOMP_FD, seccompFilter } from "./seccomp.js";
import {
  DEFAULT_WALK_LIMITS,
  findDenied,
  HOME_SKIP,
  HOME_WALK_LIMITS,
  type WalkLimits,
} from "./secret-walk.js";
import { writableTrees } from "./writable-trees.js";

export { findPython } from "./bridge-python.js";
export { acceptBridge } from "./handoff.js";
export { launchSandbox } from "./launch.js";
export { recordPlaceholders, sweepPlaceholders } from "./placeholders.js";
export { INSTALL_HINT, probeSandbox } from "./probe.js";
export {
  PROTECTED_DIRS,
  PROTECTED_FILES,
  SHELL_RC_FILES,
} from "./protected.js";
export { SECCOMP_FD } from "./seccomp.js";

/** Where the bridge script appears inside the sandbox. */
export const SANDBOX_RUN_DIR = "/run/warden";
export const SANDBOX_BRIDGE = `${SANDBOX_RUN_DIR}/bridge.js`;
/** The proxy's port on the sandbox's own loopback (the listener the bridge hands over). */
export const BRIDGE_PORT = 3128;

/** The bridge script as built. */
export const BRIDGE_SCRIPT = packageFile("dist/exec/sandbox/bridge.js");

/** Well-known secret stores under HOME, probed against the policy's fs.read rules. */
const HOME_CANDIDATES = [
  ".ssh",
  ".aws",
  ".gnupg",
  ".azure",
  ".kube",
  ".docker",
  ".netrc",
  ".npmrc",
  ".pypirc",
  ".git-credentials",
  ".config/gcloud",
  ".config/gh",
];

const CREDENTIAL_NAME = [
  /_TOKEN$/,
  /_KEY$/,
  /_SECRET$/,
  /PASSWORD/,
  /PASSWD/,
  /^AWS_/,
  /_CREDENTIALS?$/,
  /^GITHUB_TOKEN$/,
  /^ANTHROPIC_API_KEY$/,
  /^OPENAI_API_KEY$/,
  /^SSH_AUTH_SOCK$/,
];
const PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"];

export interface SandboxOptions {
  policy: CompiledPolicy;
  principal: Principal & { session: string };
  /** Writable; default the current directory. */
  workspace: string;
  cwd: string;
  command: string[];
  env: NodeJS.ProcessEnv;
  /** Default $WARDEN_HOME or ~/.warden. */
  wardenHome?: string;
  /** Default $HOME or the user's home. */
  home?: string;
  /** Bounds of the walk for denied files below the workspace's top level. */
  walkLimits?: WalkLimits;
  /** Bounds of the walk of HOME (outside the workspace). */
  homeWalkLimits?: WalkLimits;
  /** Credential-looking variables kept anyway (beside those `cred.use` allows as `NAME:env`). */
  keepEnv?: string[];
  /** Node binary that runs the bridge where no Python does; default this process's. */
  node?: string;
  /** Python that runs the bridge (bridge-python.ts); default findPython; null: the Node bridge. */
  python?: string | null;
  bridgeScript?: string;
}

export interface SandboxPlan {
  /** bwrap's arguments (without "bwrap"). */
  args: string[];
  env: Record<string, string>;
  /** Names of variables removed (never their values). */
  envRemoved: string[];
  hidden: string[];
  /** How much of the workspace was probed; `truncated`: a bound stopped the walk. */
  workspaceScan: { entries: number; truncated: boolean };
  /**
   * The same for HOME outside the workspace, searched `maxDepth` levels down (HOME_WALK_LIMITS);
   * `truncated`: the entry bound stopped it short of that.
   */
  homeScan: { entries: number; maxDepth: number; truncated: boolean };
  readOnly: string[];
  /** Paths beyond the workspace bound writable because fs.write allows them whole (writable-trees.ts). */
  writable: string[];
  /** fs.write allow patterns not bound writable, and why: inside the sandbox they stay read-only. */
  unbound: Unbound[];
  /** Mount points bwrap creates in the workspace (placeholders.ts records and removes them). */
  created: string[];
  proxyUrl: string;
  /** The seccomp program (seccomp.ts) to write to SECCOMP_FD. */
  seccomp: Buffer;
}

export function planSandbox(o: SandboxOptions): SandboxPlan {
  const workspace = resolve(o.workspace);
  const home = resolve(o.home ?? o.env.HOME ?? homedir());
  const wardenHome = resolve(o.wardenHome ?? o.env.WARDEN_HOME ?? join(home, ".warden"));
  const node = o.node ?? process.execPath;
  const bridge = o.bridgeScript ?? BRIDGE_SCRIPT;
  if (!isDir(workspace)) {
    throw new WardenError("SANDBOX_WORKSPACE", `the workspace ${workspace} is not a directory`, {
      hint: "warden run --workspace DIR names an existing directory (default: the current one)",
    });
  }
  const args = [
    "--unshare-all",
    "--unshare-net",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--seccomp",
    String(SECCOMP_FD),
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    // Host daemons' sockets (docker, dbus, the agent's ssh-agent…) live under /run.
    "--tmpfs",
    "/run",
  ];

  const probe =
    (kind: "fs.read" | "fs.write") => (path: string, dir: boolean, realPath: boolean) => {
      // A directory is probed with a child too: `~/.ssh/**` may not match `~/.ssh` itself.
      const probes = dir ? [path, join(path, ".warden-probe")] : [path];
      for (const p of probes) {
        const d = o.policy.decide(
          { kind, principal: o.principal, target: { path: p }, context: { workspace, home } },
          { realPath },
        );
        if (d.effect !== "allow") return true;
      }
      return false;
    };
  const denied = probe("fs.read");
  const writeDenied = probe("fs.write");
  const limits = o.walkLimits ?? DEFAULT_WALK_LIMITS;

  // Beyond the workspace, the trees fs.write allows whole, bound before it (writable-trees.ts).
  const trees = writableTrees(
    patternTrees(o.policy.patternsOf("fs.write", "allow"), home, workspace),
    { denied, writeDenied },
    limits,
    new Set([realpathSync(workspace), realOrNull(wardenHome) ?? wardenHome]),
  );
  const { writable, unbound } = trees;
  for (const path of writable) args.push("--bind", path, path);
  args.push("--bind", workspace, workspace);

  const hidden: string[] = [];
  // What is hidden is a link's target, not the link: bwrap would mount through it anyway, and
  // fail where the target already sits under a hidden directory (a link into ~/.ssh).
  const hide = (path: string) => {
    let real: string;
    let st: ReturnType<typeof statSync>;
    try {
      real = realpathSync(path);
      st = statSync(real);
    } catch {
      return; // gone, or a dangling link: nothing to read
    }
    if (real === workspace || isHidden(real)) return;
    path = real;
    hidden.push(path);
    if (st.isDirectory()) args.push("--tmpfs", path, "--remount-ro", path);
    else args.push("--ro-bind", "/dev/null", path);
  };
  const isHidden = (path: string) => hidden.some((h) => path === h || isInside(path, h));
  // The well-known stores first (whatever the walk's bounds), then HOME walked like the
  // workspace, to a smaller bound; the workspace and the writable trees are walked on their own.
  for (const c of HOME_CANDIDATES) {
    const path = join(home, c);
    if (existsSync(path) && denied(path, isDir(path), false)) hide(path);
  }
  const realWorkspace = realpathSync(workspace);
  const realHome = realOrNull(home);
  const homeLimits = o.homeWalkLimits ?? HOME_WALK_LIMITS;
  const homeScan = { entries: 0, maxDepth: homeLimits.maxDepth, truncated: false };
  if (realHome !== null && realHome !== realWorkspace && !isInside(realHome, realWorkspace)) {
    const pruned = new Set([
      realWorkspace,
      realOrNull(wardenHome) ?? wardenHome,
      ...writable,
      ...HOME_SKIP.map((rel) => join(realHome, rel)),
    ]);
    const homeWalk = findDenied(realHome, denied, homeLimits, pruned);
    for (const path of homeWalk.denied) hide(path);
    // The depth bound is the walk's stated reach in HOME; only a cut short of it is truncation.
    homeScan.entries = homeWalk.entries;
    homeScan.truncated = homeWalk.cut === "entries";
  }
  // What deny rules name outright, where no walk reaches (`/srv/app/.env`, `/etc/ssl/private/**`).
  const named = patternTrees(o.policy.patternsOf("fs.read", "deny"), home, workspace);
  for (const c of named.candidates) if (denied(c.path, c.isDirectory, true)) hide(c.path);
  // The workspace is walked below its top level too (secret-walk.ts, bounded).
  // Settings and hooks below the top (a nested repository's .git/hooks) stay read-only too.
  const nested: string[] = [];
  const walk = findDenied(
    realWorkspace,
    (path, dir, real) => {
      if (denied(path, dir, real)) return true;
      if (isProtectedName(path)) nested.push(path);
      return false;
    },
    limits,
  );
  for (const path of walk.denied) hide(path);
  for (const path of trees.hidden) hide(path);
  hide(wardenHome);

  const readOnly: string[] = [];
  const created: string[] = [];
  // As for hiding, a link's target is what is bound (a dangling link: nothing to protect).
  const keepReadOnly = (path: string) => {
    const real = realOrNull(path);
    if (real === null || readOnly.includes(real) || isHidden(real)) return;
    args.push("--ro-bind", real, real);
    readOnly.push(real);
  };
  for (const path of trees.readOnly) keepReadOnly(path);
  // The settings and hook files are protected at the top of every writable tree, and of HOME
  // when a writable tree holds it: an absent one gets a placeholder, so that nothing may create
  // it. Below the tops, the existing ones (found by the walks).
  const roots = [workspace, ...writable.filter(isDir)];
  const bases = [...roots];
  if (!bases.includes(home) && roots.some((r) => isInside(home, r))) bases.push(home);
  for (const base of bases) {
    for (const rel of PROTECTED_DIRS) {
      const path = join(base, rel);
      if (rel.startsWith(".git/") && !isDir(join(base, ".git"))) continue;
      if (isHidden(path) || readOnly.includes(path)) continue;
      if (isDir(path)) keepReadOnly(path);
      else if (!existsSync(path)) {
        // An empty, read-only directory, so that nothing can be created there either.
        created.push(path);
        args.push("--tmpfs", path, "--remount-ro", path);
        readOnly.push(path);
      }
    }
    for (const rel of PROTECTED_FILES) {
      const path = join(base, rel);
      if (rel.startsWith(".git/") && !isDir(join(base, ".git"))) continue;
      if (isHidden(path) || readOnly.includes(path)) continue;
      if (existsSync(path)) keepReadOnly(path);
      else {
        // An empty read-only directory too, not /dev/null: git skips empty directories, where
        // a device file made `git add -A` fail ("can only add regular files"), in the sandbox
        // and on the host alike while the run lasts.
        created.push(path);
        args.push("--tmpfs", path, "--remount-ro", path);
        readOnly.push(path);
      }
    }
  }

  for (const path of nested) keepReadOnly(path);

  // The bridge's interpreter, after the hides (one may sit under a hidden path): Python where one
  // can start inside (it boots ~50 ms sooner), else the Node bridge and the node that runs it.
  const python = o.python === undefined ? findPython(o.env) : o.python;
  const usePython = python !== null && pythonVisible(python, hidden);
  const bridgeArgv = usePython ? [python, "-I", "-S", "-c", PYTHON_BRIDGE] : [node, SANDBOX_BRIDGE];
  if (usePython) args.push("--ro-bind", python, python);
  else args.push("--ro-bind", bridge, SANDBOX_BRIDGE, "--ro-bind", node, node);
  args.push("--chdir", resolve(o.cwd));

  const { env, removed } = scrubEnv(o.env, o.policy, o.principal, o.keepEnv ?? []);
  const proxyUrl = `http://${encodeURIComponent(o.principal.agent)}:${encodeURIComponent(o.principal.session)}@127.0.0.1:${BRIDGE_PORT}`;
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]) {
    env[name] = proxyUrl;
    env[name.toLowerCase()] = proxyUrl;
  }
  env.WARDEN_SANDBOX = "1";
  env.WARDEN_SESSION = o.principal.session;
  args.push("--", ...bridgeArgv, String(BRIDGE_PORT), "--", ...o.command);
  return {
    args,
    env,
    envRemoved: removed,
    hidden,
    workspaceScan: { entries: walk.entries, truncated: walk.truncated },
    homeScan,
    readOnly,
    // One under a hidden path is bound, then hidden: not writable after all.
    writable: writable.filter((path) => !isHidden(path)),
    unbound,
    created,
    proxyUrl,
    seccomp: seccompFilter(),
  };
}

/** What the user should know about the plan's walks: where a bound cut one short. */
export function scanWarnings(plan: Pick<SandboxPlan, "workspaceScan" | "homeScan">): string[] {
  const lines: string[] = [];
  if (plan.workspaceScan.truncated) {
    lines.push(
      `the workspace is large: files denied to fs.read were looked for in the first ${plan.workspaceScan.entries} entries only`,
    );
  }
  if (plan.homeScan.truncated) {
    lines.push(
      `HOME is large: files denied to fs.read outside the workspace were looked for in the first ${plan.homeScan.entries} entries only`,
    );
  }
  return lines;
}

export function scrubEnv(
  source: NodeJS.ProcessEnv,
  policy: CompiledPolicy,
  principal: Principal,
  keep: string[],
): { env: Record<string, string>; removed: string[] } {
  const env: Record<string, string> = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const upper = name.toUpperCase();
    if (PROXY_VARS.includes(upper)) continue;
    if (CREDENTIAL_NAME.some((re) => re.test(upper)) && !keep.includes(name)) {
      const d = policy.decide({ kind: "cred.use", principal, target: { name, scope: "env" } });
      if (d.effect !== "allow") {
        removed.push(name);
        continue;
      }
    }
    env[name] = value;
  }
  return { env, removed: removed.sort() };
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isInside(path: string, dir: string): boolean {
  return path.startsWith(`${dir}/`);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// The Landlock fallback (where bubblewrap cannot start): landlock.ts.
export {
  LANDLOCK_HINT,
  type LandlockPlan,
  type LandlockStart,
  planLandlock,
  startLandlock,
} from "./landlock.js";
