/**
 * `warden run [--policy FILE] [--workspace DIR] [--agent NAME] [--report-only] -- CMD ARGS…`:
 * CMD under bubblewrap (src/exec/sandbox) with Warden's egress proxy (src/net) as its only way
 * out: the proxy serves the listener the sandbox's bridge opened on its own loopback and handed
 * over the IPC channel bwrap is spawned with. One session id ties the start and exit events to
 * every connection's event. Exit code and signals pass through (128+N when signal N ended CMD).
 * CMD is decided first (run-decision.ts); where bubblewrap cannot start, run-fallback.ts confines
 * it with Landlock (or, under `sandbox: optional`, runs it unconfined).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { WardenError } from "../errors.js";
import {
  checkSandbox,
  launchSandbox,
  planSandbox,
  recordPlaceholders,
  scanWarnings,
  sweepPlaceholders,
} from "../exec/sandbox/index.js";
import { EgressProxy } from "../net/index.js";
import { loadPolicy } from "../policy/index.js";
import { loadShellAnalyzer } from "../shell/index.js";
import { locatePolicy, wardenHome } from "./locate.js";
import { reportError } from "./output.js";
import { decideCommand } from "./run-decision.js";
import { recordExit, waitForExit } from "./run-exit.js";
import { runFallback, sandboxChoice } from "./run-fallback.js";
import { openServerAuditLog } from "./server-audit.js";

interface RunOptions {
  policy?: string;
  workspace?: string;
  agent?: string;
  reportOnly?: boolean;
}

export async function run(command: string[], options: RunOptions): Promise<number> {
  if (command.length === 0) {
    throw new WardenError("CLI_NO_COMMAND", "no command to run", {
      hint: "warden run -- CMD ARGS…",
    });
  }
  const policyPath = locatePolicy(options.policy);
  // One command line to decide: Liftoff's baseline code is plenty, and TurboFan recompiling the
  // whole bash grammar in the background held `warden run -- true` up for seconds on a busy
  // machine (measured on 2 loaded cores: 3–10 s a run without it, 1.4–2.2 s with it).
  setFlagsFromString("--liftoff-only");
  const policy = loadPolicy(policyPath, { shell: await loadShellAnalyzer() });
  const bwrap = process.env.WARDEN_BWRAP ?? "bwrap";
  const choice = sandboxChoice(process.env);
  const bwrapProblem = choice === "landlock" ? null : bwrapUnavailable(bwrap);

  const session = randomUUID();
  const principal = { agent: options.agent ?? "unknown", session };
  const workspace = resolve(options.workspace ?? process.cwd());
  const audit = openServerAuditLog();
  const reportOnly = options.reportOnly === true;
  const proxy = new EgressProxy({ policy, audit, agent: principal.agent, session, reportOnly });
  proxy.on("auditError", (e: unknown) => reportError(e));
  let fallbackDir: string | undefined;
  try {
    const refused = await decideCommand({
      policy,
      principal,
      command,
      cwd: process.cwd(),
      workspace,
      audit,
      reportOnly,
    });
    if (refused !== undefined) return refused;
    if (choice === "landlock" || bwrapProblem !== null) {
      fallbackDir = mkdtempSync(join(tmpdir(), "warden-run-"));
      return await runFallback({
        policyFile: policyPath,
        env: process.env,
        wardenHome: wardenHome(),
        policy,
        principal,
        workspace,
        command,
        audit,
        dir: fallbackDir,
        choice,
        bwrapProblem,
      });
    }
    // Placeholders a killed run left behind would otherwise pass for the user's own files.
    const runDir = join(wardenHome(), "run");
    for (const file of sweepPlaceholders(runDir).unreadable)
      process.stderr.write(`warden: ignoring an unreadable sandbox record: ${file}\n`);
    const plan = planSandbox({
      policy,
      principal,
      workspace,
      cwd: process.cwd(),
      command,
      env: process.env,
      wardenHome: wardenHome(),
    });
    for (const line of scanWarnings(plan)) process.stderr.write(`warden: ${line}\n`);
    const releasePlaceholders = recordPlaceholders(runDir, plan.created);
    const target = { command: command.join(" "), argv: command, cwd: process.cwd() };
    const started = Date.now();
    await audit.append({
      kind: "exec",
      pep: "exec.sandbox",
      principal,
      target,
      context: {
        phase: "start",
        workspace,
        sandbox: "bwrap",
        policyFile: policyPath,
        envRemoved: plan.envRemoved,
        hidden: plan.hidden,
        workspaceScan: plan.workspaceScan,
        homeScan: plan.homeScan,
        readOnly: plan.readOnly,
        writable: plan.writable,
        unbound: plan.unbound,
      },
    });

    // bwrap's info names the sandbox's init (its host pid); its child is the bridge, which passes
    // signals on to CMD. Until then (or if that fails) a signal ends bwrap, and with it the rest.
    const { child, info: infoPipe } = launchSandbox(
      bwrap,
      plan,
      (listener) => proxy.listen({ handle: listener }),
      reportError,
    );
    let info = "";
    infoPipe.on("data", (c: Buffer) => {
      info += c.toString();
    });
    const forward = (signal: NodeJS.Signals) => {
      const bridge = bridgePid(info);
      try {
        if (bridge !== undefined) process.kill(bridge, signal);
        else child.kill(signal);
      } catch {
        child.kill(signal);
      }
    };
    const ended = await waitForExit(child, forward);
    releasePlaceholders();
    await recordExit(audit, { principal, target, workspace, startedMs: started }, ended);
    return ended[0];
  } finally {
    await proxy.close();
    await audit.flush().catch(() => {});
    audit.close();
    if (fallbackDir !== undefined) rmSync(fallbackDir, { recursive: true, force: true });
  }
}

/** Why bubblewrap cannot start a sandbox here, or null when it can. */
function bwrapUnavailable(bwrap: string): WardenError | null {
  try {
    checkSandbox(bwrap);
    return null;
  } catch (error) {
    if (error instanceof WardenError) return error;
    throw error;
  }
}

/** The host pid of the bridge: the only child of the sandbox's init named by bwrap's info. */
function bridgePid(info: string): number | undefined {
  const init = /"child-pid"\s*:\s*(\d+)/.exec(info)?.[1];
  if (init === undefined) return undefined;
  try {
    const children = readFileSync(`/proc/${init}/task/${init}/children`, "utf8").trim();
    const pid = Number(children.split(" ")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
