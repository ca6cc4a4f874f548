/**
 * Starts bwrap on a plan with the fds the sandbox expects: 3 bwrap's `--info-fd` (names the
 * sandbox's init, for passing signals on), 4 the bridge's IPC channel (handoff.ts), 5
 * (SECCOMP_FD) the seccomp program, written at once. A bridge that fails its handshake gets
 * the sandbox killed before the command runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type net from "node:net";
import type { Readable } from "node:stream";
import { acceptBridge } from "./handoff.js";
import type { SandboxPlan } from "./index.js";
import { SECCOMP_FD } from "./seccomp.js";

export function launchSandbox(
  bwrap: string,
  plan: SandboxPlan,
  serve: (listener: net.Server) => Promise<unknown>,
  onBridgeError: (error: unknown) => void,
): { child: ChildProcess; info: Readable } {
  const child = spawn(bwrap, ["--info-fd", "3", ...plan.args], {
    env: plan.env,
    stdio: ["inherit", "inherit", "inherit", "pipe", "ipc", "pipe"],
  });
  const [info, seccomp] = [child.stdio[3], (child.stdio as readonly unknown[])[SECCOMP_FD]] as [
    Readable,
    NodeJS.WritableStream & Readable,
  ];
  // bwrap failing early closes these under us: its exit status tells, not a crash here.
  info.on("error", () => {});
  seccomp.on("error", () => {});
  seccomp.end(plan.seccomp);
  acceptBridge(child, serve).catch((error: unknown) => {
    onBridgeError(error);
    child.kill("SIGKILL");
  });
  return { child, info };
}
