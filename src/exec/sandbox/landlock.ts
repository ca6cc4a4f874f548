/**
 * The Landlock fallback of `warden run`, for machines where bubblewrap cannot start (not installed,
 * or user namespaces refused). Landlock confines the process itself, so it needs no namespace:
 * the filesystem is readable except the paths the sandbox plan hides, writable only in the
 * workspace and the trees fs.write allows whole (minus the protected settings files and what
 * fs.write denies beneath) and a private temp dir, and there is no network
 * at all (Landlock refuses TCP, seccomp every other socket). The rules are computed here; the
 * launcher (landlock-launcher.ts, run by python3) applies them and execs the command.
 *
 * Landlock only grants. A hidden path is left out by granting its siblings, and the siblings along
 * the way to it, instead of its parent; a protected settings file in the workspace likewise, so the
 * workspace's top directory itself gets no write right (new top-level entries cannot be created).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { lstatSync, readdirSync, realpathSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import type { Writable } from "node:stream";
import { WardenError } from "../../errors.js";
import { LANDLOCK_LAUNCHER } from "./landlock-launcher.js";

/** Landlock filesystem rights (linux/landlock.h). */
export const FS = {
  execute: 1 << 0,
  writeFile: 1 << 1,
  readFile: 1 << 2,
  readDir: 1 << 3,
  removeDir: 1 << 4,
  removeFile: 1 << 5,
  makeChar: 1 << 6,
  makeDir: 1 << 7,
  makeReg: 1 << 8,
  makeSock: 1 << 9,
  makeFifo: 1 << 10,
  makeBlock: 1 << 11,
  makeSym: 1 << 12,
  refer: 1 << 13,
  truncate: 1 << 14,
  ioctlDev: 1 << 15,
} as const;

/** Execute goes with read: what can be read can be run by an interpreter anyway. */
export const READ = FS.execute | FS.readFile | FS.readDir;
/** No device nodes or sockets; REFER lets files move within the workspace (never gaining rights). */
export const WRITE =
  READ |
  FS.writeFile |
  FS.removeDir |
  FS.removeFile |
  FS.makeDir |
  FS.makeReg |
  FS.makeSym |
  FS.makeFifo |
  FS.refer |
  FS.truncate;
const DEVICE = FS.readFile | FS.writeFile;
/**
 * Devices every shell expects to open. Not /dev/tty: the command runs in a session of its own,
 * without a controlling terminal (its inherited stdio still works).
 */
const DEVICES: [string, number][] = [
  ["/dev/null", DEVICE],
  ["/dev/zero", DEVICE],
  ["/dev/full", DEVICE],
  ["/dev/random", DEVICE],
  ["/dev/urandom", DEVICE],
];

/** ABI 3 is the first that handles truncate(2); below it a read-only file could be emptied. */
export const MIN_ABI = 3;

export const LANDLOCK_HINT =
  "install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, or " +
  "provide python3 and a kernel with Landlock (Linux 6.2+, `landlock` in the lsm= boot parameter); " +
  "Warden never runs the command unsandboxed unless the policy says `sandbox: optional`";

export type LandlockRule = [path: string, rights: number];

export interface LandlockOptions {
  workspace: string;
  /** Paths the sandbox plan hides (fs.read denies them, or they are Warden's own). */
  hidden: string[];
  /** Paths inside the workspace that stay read-only (agent settings, hooks, .git/config…). */
  readOnly: string[];
  /** The private temp dir (TMPDIR), writable. */
  tmpDir: string;
  /** Trees beyond the workspace that fs.write allows whole (the sandbox plan's `writable`). */
  writable?: string[];
}

export interface LandlockPlan {
  rules: LandlockRule[];
  hidden: string[];
  readOnly: string[];
}

export function planLandlock(o: LandlockOptions): LandlockPlan {
  const hidden = unique(o.hidden.map(real));
  const readOnly = unique(o.readOnly.map(real));
  const rules: LandlockRule[] = [];
  grantBeneath(rules, "/", READ, hidden, FS.readDir);
  // Protected paths that do not exist yet still split the workspace: nothing may create them.
  for (const root of [o.workspace, ...(o.writable ?? [])]) {
    grantBeneath(rules, real(root), WRITE, [...hidden, ...readOnly], 0);
  }
  rules.push([real(o.tmpDir), WRITE], ...DEVICES);
  return { rules, hidden, readOnly };
}

/**
 * Grants `rights` on `root`, or, when an excluded path lies beneath it, on each of its entries
 * except the excluded ones (recursively), and `listing` on `root` itself. Symlinks get nothing:
 * Landlock checks the path they resolve to.
 */
function grantBeneath(
  rules: LandlockRule[],
  root: string,
  rights: number,
  excluded: string[],
  listing: number,
): void {
  if (excluded.includes(root)) return;
  const prefix = root.endsWith(sep) ? root : root + sep;
  const inside = excluded.filter((p) => p.startsWith(prefix));
  if (inside.length === 0) {
    rules.push([root, rights]);
    return;
  }
  if (listing !== 0) rules.push([root, listing]);
  for (const name of listDir(root)) {
    const child = join(root, name);
    if (isSymlink(child)) continue;
    grantBeneath(rules, child, rights, inside, listing);
  }
}

export interface LandlockStart {
  child: ChildProcess;
  abi: number;
  /** Lets the confined command start (after the start event is recorded). */
  go(): void;
  /** Ends the launcher before the command starts (exit 125). */
  abort(): void;
}

/**
 * Starts the launcher and waits until it has confined itself. Throws SANDBOX_UNAVAILABLE when it
 * cannot (no python3, no Landlock, an old ABI…): the command has not run then.
 */
export async function startLandlock(
  python: string,
  plan: LandlockPlan,
  command: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<LandlockStart> {
  const config = JSON.stringify({ minAbi: MIN_ABI, rules: plan.rules });
  const child = spawn(python, ["-I", "-S", "-c", LANDLOCK_LAUNCHER, config, "--", ...command], {
    env,
    cwd,
    stdio: ["inherit", "inherit", "inherit", "pipe", "pipe"],
  });
  const status = child.stdio[3];
  const gate = child.stdio[4] as Writable | null;
  // A launcher that died early closes its end: its exit is what tells, not EPIPE here.
  gate?.on("error", () => {});
  const line = await new Promise<string>((done) => {
    let text = "";
    status?.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.includes("\n")) done(text);
    });
    child.once("error", (e: NodeJS.ErrnoException) =>
      done(`error cannot run ${python}: ${e.code === "ENOENT" ? "not installed" : e.message}`),
    );
    status?.once("end", () => done(text === "" ? "error the launcher ended without a word" : text));
  });
  const ready = /^ready (\d+)\n/.exec(line);
  if (ready === null) {
    child.kill("SIGKILL");
    const why = line.replace(/^error /, "").trim();
    throw new WardenError("SANDBOX_UNAVAILABLE", `cannot confine with Landlock: ${why}`, {
      hint: LANDLOCK_HINT,
    });
  }
  return {
    child,
    abi: Number(ready[1]),
    go: () => {
      gate?.end("g");
      status?.destroy();
    },
    abort: () => {
      gate?.end("n");
      status?.destroy();
    },
  };
}

/** The real path; for an absent path (a protected file not created yet), its nearest real parent's. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(real(parent), basename(path));
  }
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return true;
  }
}
