/**
 * One bubblewrap sandbox of `warden run`, started before CMD is decided, so that bwrap and the
 * bridge boot while the bash grammar loads and the decision is made. The bridge hands its listener
 * over (handoff.ts) and waits: the listener is served and the bridge told to go on only after
 * `admit()`, which run-command.ts calls once CMD was allowed and its start event recorded. So the
 * go-ahead is the gate CMD waits behind; `abort()` kills the sandbox before CMD ever runs.
 */
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { launchSandbox, type SandboxPlan } from "../exec/sandbox/index.js";
import type { EgressProxy } from "../net/index.js";
import { reportError } from "./output.js";
import { waitForExit } from "./run-exit.js";

export interface BwrapRun {
  /** The sandbox's end: its exit code (128+N when signal N ended CMD) and signal. */
  ended: Promise<[number, NodeJS.Signals | null]>;
  /** Serve the bridge's listener and let CMD run. */
  admit(): void;
  /**
   * Refuse the go-ahead: the sandbox is killed as soon as the bridge has handed its listener over
   * (so CMD never runs), and at the latest after ABORT_GRACE_MS. Safe to repeat, and after admit()
   * (then it does nothing).
   */
  abort(): void;
}

/**
 * bwrap killed while it sets the sandbox up can leave its child blocked for good (orphaned, holding
 * our stdout and stderr: seen under load). Once the bridge runs, the sandbox dies with bwrap, so an
 * abort waits for the bridge; this bounds that wait should the bridge never come.
 */
const ABORT_GRACE_MS = 10_000;

export function startBwrap(bwrap: string, plan: SandboxPlan, proxy: EgressProxy): BwrapRun {
  let open: () => void = () => {};
  let shut: (why: Error) => void = () => {};
  const gate = new Promise<void>((resolve, reject) => {
    open = resolve;
    shut = reject;
  });
  gate.catch(() => {});
  let aborted = false;
  let arrived = false;
  // bwrap's info names the sandbox's init (its host pid); its child is the bridge, which
  // becomes CMD (the Python bridge execs it) or passes signals on to it (the Node one). Until
  // then (or if that fails) a signal ends bwrap, and with it the rest.
  let info = "";
  const { child, info: infoPipe } = launchSandbox(
    bwrap,
    plan,
    async (listener) => {
      arrived = true;
      await gate;
      // admit() may have come first: an abort since then still wins.
      if (aborted) throw new Error("aborted");
      await proxy.listen({ handle: listener });
    },
    // An abort makes the handshake fail on purpose: nothing to report. launchSandbox then kills
    // bwrap; the sandbox's init is killed too, since --die-with-parent does not always take it
    // down with bwrap (seen: an init left waiting, holding our stdout and stderr).
    (error) => {
      if (!aborted) reportError(error);
      const init = initPid(info);
      if (init !== undefined) {
        try {
          process.kill(init, "SIGKILL");
        } catch {
          // gone already
        }
      }
    },
  );
  infoPipe.on("data", (c: Buffer) => {
    info += c.toString();
  });
  const abort = () => {
    aborted = true;
    shut(new Error("aborted"));
    if (child.exitCode === null && child.signalCode === null)
      setTimeout(() => child.kill("SIGKILL"), ABORT_GRACE_MS).unref();
  };
  // A signal before the bridge is up must not reach bwrap mid-setup (see ABORT_GRACE_MS): the
  // run is aborted instead and ends as that signal would have ended it.
  let early: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals) => {
    if (!arrived) {
      early ??= signal;
      abort();
      return;
    }
    const bridge = bridgePid(info);
    try {
      if (bridge !== undefined) process.kill(bridge, signal);
      else child.kill(signal);
    } catch {
      child.kill(signal);
    }
  };
  return {
    ended: waitForExit(child, forward).then((end) =>
      early === undefined ? end : [128 + (constants.signals[early] ?? 0), early],
    ),
    admit: open,
    abort,
  };
}

/** The host pid of the sandbox's init, as bwrap's info names it. */
function initPid(info: string): number | undefined {
  const pid = Number(/"child-pid"\s*:\s*(\d+)/.exec(info)?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The host pid of the bridge: the only child of the sandbox's init. */
function bridgePid(info: string): number | undefined {
  const init = initPid(info);
  if (init === undefined) return undefined;
  try {
    const children = readFileSync(`/proc/${init}/task/${init}/children`, "utf8").trim();
    const pid = Number(children.split(" ")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
