/**
 * `warden run` where bubblewrap is not used: Landlock (src/exec/sandbox/landlock.ts) when
 * bubblewrap fails its probe or WARDEN_SANDBOX=landlock, and, only when the policy says
 * `sandbox: optional` and no mechanism works, the command unconfined with a loud warning. The
 * start event names the mechanism (`sandbox: "landlock"` or `"none"`); the environment is
 * scrubbed the same way in both. Landlock means no network at all: no proxy is reachable.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";
import {
  findPython,
  LANDLOCK_HINT,
  type LandlockStart,
  PROTECTED_DIRS,
  PROTECTED_FILES,
  planLandlock,
  planSandbox,
  scanWarnings,
  startLandlock,
} from "../exec/sandbox/index.js";
import type { CompiledPolicy, Principal } from "../policy/index.js";
import { messageOf } from "./enforce.js";
import { recordExit, waitForExit } from "./run-exit.js";

/**
 * Landlock only grants, and a right granted on a directory holds beneath it: the protected
 * entries (.claude, .mcp.json, .git/config, .git/hooks…) stay read-only only if the directories
 * holding them are not writable themselves (docs/sandbox.md, "Landlock").
 */
export const LANDLOCK_TOP_READ_ONLY =
  "under Landlock the top of the workspace and of .git are not writable (that is what keeps the agents' settings, .git/config and .git/hooks read-only): new files there, git add and git commit fail; bubblewrap has no such limit";

/** Which mechanism `WARDEN_SANDBOX` asks for; unset (or bwrap's in-sandbox marker "1"): auto. */
export type SandboxChoice = "bwrap" | "landlock" | "auto";

export function sandboxChoice(env: NodeJS.ProcessEnv): SandboxChoice {
  const value = env.WARDEN_SANDBOX;
  if (value === undefined || value === "" || value === "1") return "auto";
  if (value === "bwrap" || value === "landlock") return value;
  throw new WardenError(
    "CLI_BAD_SANDBOX",
    `WARDEN_SANDBOX must be bwrap or landlock, not "${value}"`,
    {
      hint: "unset it to use bubblewrap, and Landlock where bubblewrap cannot start",
    },
  );
}

export interface FallbackInput {
  policy: CompiledPolicy;
  policyFile: string;
  principal: Principal & { session: string };
  workspace: string;
  command: string[];
  env: NodeJS.ProcessEnv;
  wardenHome: string;
  audit: AuditLog;
  /** A private directory for this run (the command's TMPDIR goes inside). */
  dir: string;
  choice: SandboxChoice;
  /** Why bubblewrap cannot start; null when Landlock was asked for. */
  bwrapProblem: WardenError | null;
}

export async function runFallback(i: FallbackInput): Promise<number> {
  const cwd = process.cwd();
  // The bwrap plan knows what is hidden, protected and scrubbed; its bwrap arguments go unused.
  const base = planSandbox({
    policy: i.policy,
    principal: i.principal,
    workspace: i.workspace,
    cwd,
    command: i.command,
    env: i.env,
    wardenHome: i.wardenHome,
  });
  for (const line of scanWarnings(base)) process.stderr.write(`warden: ${line}\n`);
  const tmp = join(i.dir, "tmp");
  mkdirSync(tmp, { mode: 0o700 });
  const env: Record<string, string> = { ...base.env, TMPDIR: tmp };
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]) {
    delete env[name];
    delete env[name.toLowerCase()];
  }

  const problems = i.bwrapProblem === null ? [] : [`bubblewrap: ${reasonOf(i.bwrapProblem)}`];
  let landlock: LandlockStart | undefined;
  if (i.choice !== "bwrap") {
    env.WARDEN_SANDBOX = "landlock";
    const plan = planLandlock({
      workspace: i.workspace,
      hidden: base.hidden,
      // The protected names whether or not they exist (and were planned): none may be created.
      readOnly: [
        ...base.readOnly,
        ...[...PROTECTED_DIRS, ...PROTECTED_FILES].map((p) => join(i.workspace, p)),
      ],
      tmpDir: tmp,
      writable: base.writable,
    });
    try {
      // A python3 binary, not a wrapper script (pyenv's shims cost ~150 ms a start).
      const python = findPython(i.env) ?? i.env.WARDEN_PYTHON ?? "python3";
      landlock = await startLandlock(python, plan, i.command, env, cwd);
    } catch (error) {
      problems.push(`Landlock: ${reasonOf(error)}`);
    }
  }
  if (landlock === undefined && i.policy.sandbox !== "optional") {
    const why = `cannot start the sandbox: ${problems.join("; ")}`;
    throw new WardenError("SANDBOX_UNAVAILABLE", why, { hint: LANDLOCK_HINT });
  }
  const sandbox = landlock === undefined ? "none" : "landlock";
  // Nothing confines the command: it must not believe (nor tell a nested warden run) otherwise.
  if (sandbox === "none") delete env.WARDEN_SANDBOX;

  const target = { command: i.command.join(" "), argv: i.command, cwd };
  const started = Date.now();
  try {
    await i.audit.append({
      kind: "exec",
      pep: "exec.sandbox",
      principal: i.principal,
      target,
      context: {
        phase: "start",
        workspace: i.workspace,
        sandbox,
        ...(landlock === undefined ? {} : { landlockAbi: landlock.abi }),
        ...(problems.length > 0 ? { unavailable: problems } : {}),
        policyFile: i.policyFile,
        envRemoved: base.envRemoved,
        hidden: sandbox === "none" ? [] : base.hidden,
        readOnly: sandbox === "none" ? [] : base.readOnly,
        writable: sandbox === "none" ? [] : base.writable,
        unbound: base.unbound,
        workspaceScan: base.workspaceScan,
        homeScan: base.homeScan,
      },
    });
  } catch (error) {
    landlock?.abort();
    throw error;
  }
  if (landlock !== undefined) {
    process.stderr.write(
      `warden: ${i.bwrapProblem === null ? "WARDEN_SANDBOX=landlock" : `bubblewrap cannot start here (${reasonOf(i.bwrapProblem)})`}: confining with Landlock (ABI ${landlock.abi}); the command has no network at all\n` +
        `warden: ${LANDLOCK_TOP_READ_ONLY}\n`,
    );
  } else {
    process.stderr.write(
      `warden: WARNING: NO SANDBOX. ${problems.join("; ")}. The policy says \`sandbox: optional\`, so the command runs unconfined: it can read your secrets and reach the network. Recorded in the audit log.\n`,
    );
  }

  const child =
    landlock?.child ??
    spawn(i.command[0] ?? "", i.command.slice(1), { env, cwd, stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const exited = waitForExit(child, forward);
  landlock?.go();
  const ended = await exited;
  await recordExit(i.audit, { ...i, target, startedMs: started }, ended);
  return ended[0];
}

/** An error's reason without the "cannot start…" both mechanisms' errors begin with. */
function reasonOf(error: unknown): string {
  const text = error instanceof WardenError ? error.message : messageOf(error);
  return text.replace(/^cannot (start the sandbox|confine with Landlock): /, "");
}
