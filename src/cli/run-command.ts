/**
 * `warden run [--policy FILE] [--workspace DIR] [--agent NAME] [--report-only] -- CMD ARGS…`:
 * CMD under bubblewrap (src/exec/sandbox) with Warden's egress proxy (src/net) as its only way
 * out: the proxy serves the listener the sandbox's bridge opened on its own loopback and handed
 * over the IPC channel bwrap is spawned with. One session id ties the start and exit events to
 * every connection's event. Exit code and signals pass through (128+N when signal N ended CMD).
 * CMD is decided first (run-decision.ts); where bubblewrap cannot start, run-fallback.ts confines
 * it with Landlock (or, under `sandbox: optional`, runs it unconfined).
 *
 * For a quick start the sandbox is not waited for: bubblewrap's probe runs while the policy loads
 * and the sandbox starts as soon as it passed (run-bwrap.ts), so bwrap and the bridge boot while
 * CMD is decided; a plain command line is decided without the bash grammar (src/shell/plain.ts).
 * CMD itself waits behind the bridge's go-ahead, given after the decide and start events.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { WardenError } from "../errors.js";
import {
  planSandbox,
  probeSandbox,
  recordPlaceholders,
  type SandboxPlan,
  scanWarnings,
  sweepPlaceholders,
} from "../exec/sandbox/index.js";
import { EgressProxy } from "../net/index.js";
import { loadPolicy } from "../policy/index.js";
import { analyzePlainLine, loadShellAnalyzer, type ShellAnalyzer } from "../shell/index.js";
import { locatePolicy, wardenHome } from "./locate.js";
import { reportError } from "./output.js";
import { type BwrapRun, startBwrap } from "./run-bwrap.js";
import { commandLine, decideCommand } from "./run-decision.js";
import { recordExit, signalLatch } from "./run-exit.js";
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
  const signalled = signalLatch();
  const policyPath = locatePolicy(options.policy);
  // One command line to decide: Liftoff's baseline code is plenty, and TurboFan recompiling the
  // whole bash grammar in the background held `warden run -- true` up for seconds on a busy
  // machine (measured on 2 loaded cores: 3–10 s a run without it, 1.4–2.2 s with it).
  setFlagsFromString("--liftoff-only");
  const bwrap = process.env.WARDEN_BWRAP ?? "bwrap";
  const choice = sandboxChoice(process.env);
  // Overlapped: bubblewrap's probe, then the sandbox and its bridge, start while the policy
  // loads, the bash grammar loads and CMD is decided (CMD itself waits for the go-ahead).
  const probe = choice === "landlock" ? null : probeSandbox(bwrap);
  const shell = deferredShell();
  const policy = loadPolicy(policyPath, { shell: shell.analyzer });

  const session = randomUUID();
  const principal = { agent: options.agent ?? "unknown", session };
  const workspace = resolve(options.workspace ?? process.cwd());
  const audit = openServerAuditLog();
  const reportOnly = options.reportOnly === true;
  const proxy = new EgressProxy({ policy, audit, agent: principal.agent, session, reportOnly });
  proxy.on("auditError", (e: unknown) => reportError(e));
  let fallbackDir: string | undefined;
  let sandbox: Promise<BwrapRun | null> = Promise.resolve(null);
  let releasePlaceholders = () => {};
  try {
    let plan: SandboxPlan | undefined;
    if (probe !== null) {
      // Placeholders a killed run left behind would otherwise pass for the user's own files.
      const runDir = join(wardenHome(), "run");
      for (const file of sweepPlaceholders(runDir).unreadable)
        process.stderr.write(`warden: ignoring an unreadable sandbox record: ${file}\n`);
      const planned = planSandbox({
        policy,
        principal,
        workspace,
        cwd: process.cwd(),
        command,
        env: process.env,
        wardenHome: wardenHome(),
      });
      const release = recordPlaceholders(runDir, planned.created);
      releasePlaceholders = () => {
        releasePlaceholders = () => {};
        release();
      };
      sandbox = probe.then((problem) =>
        problem === null ? startBwrap(bwrap, planned, proxy) : null,
      );
      plan = planned;
    }
    // A plain line (the usual `claude …`, `codex …`) is decided without the bash grammar.
    if (analyzePlainLine(commandLine(command)) === undefined) await shell.load();
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
    const started = await sandbox;
    if (signalled.exitCode !== undefined) return signalled.exitCode;
    if (started === null || plan === undefined) {
      releasePlaceholders();
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
        bwrapProblem: probe === null ? null : await probe,
      });
    }
    for (const line of scanWarnings(plan)) process.stderr.write(`warden: ${line}\n`);
    const target = { command: command.join(" "), argv: command, cwd: process.cwd() };
    const startedMs = Date.now();
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
    // The last moment a signal can still stop CMD here; from now on the sandbox passes them on.
    if (signalled.exitCode !== undefined) return signalled.exitCode;
    started.admit();
    const ended = await started.ended;
    releasePlaceholders();
    await recordExit(audit, { principal, target, workspace, startedMs }, ended);
    return ended[0];
  } finally {
    // A refusal or a failure before the go-ahead: the sandbox ends before CMD has run.
    const started = await sandbox.catch(() => null);
    if (started !== null) {
      started.abort();
      await started.ended;
    }
    releasePlaceholders();
    await proxy.close();
    await audit.flush().catch(() => {});
    audit.close();
    if (fallbackDir !== undefined) rmSync(fallbackDir, { recursive: true, force: true });
    signalled.release();
  }
}

/**
 * The bash analyzer the policy is compiled with, before the grammar has loaded: a plain line
 * (src/shell/plain.ts) is analysed without it, exactly as with it; anything else only after
 * `load()`. Until then analysing such a line throws, which the policy turns into a deny.
 */
function deferredShell(): { analyzer: ShellAnalyzer; load(): Promise<void> } {
  let loaded: ShellAnalyzer | undefined;
  return {
    analyzer: {
      analyze: (line, opts) => {
        if (loaded !== undefined) return loaded.analyze(line, opts);
        const plain = analyzePlainLine(line, opts);
        if (plain === undefined) throw new Error("the bash grammar is not loaded");
        return plain;
      },
    },
    load: async () => {
      loaded = await loadShellAnalyzer();
    },
  };
}
