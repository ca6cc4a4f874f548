/**
 * Whether bubblewrap can start a sandbox here (installed, user namespaces allowed): a minimal
 * sandbox running `true`. Asynchronous, so that `warden run` loads its policy, plans and decides
 * while it runs (it costs ~10 ms of wall time, none of it on the critical path).
 */
import { spawn } from "node:child_process";
import { WardenError } from "../../errors.js";

export const INSTALL_HINT =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) " +
  "and allow unprivileged user namespaces; Warden never runs the command unsandboxed";

const probes = new Map<string, Promise<WardenError | null>>();

/**
 * Resolves to why bubblewrap cannot start a sandbox here (SANDBOX_UNAVAILABLE), or null when it
 * can. Never rejects; never falls back to an unsandboxed run. One probe per bwrap a process: the
 * CLI starts it before loading `warden run`'s modules, run() takes its answer.
 */
export function probeSandbox(bwrap: string): Promise<WardenError | null> {
  let probe = probes.get(bwrap);
  if (probe === undefined) {
    probe = probeOnce(bwrap);
    probes.set(bwrap, probe);
  }
  return probe;
}

function probeOnce(bwrap: string): Promise<WardenError | null> {
  return new Promise((done) => {
    const child = spawn(
      bwrap,
      ["--unshare-all", "--unshare-net", "--die-with-parent", "--ro-bind", "/", "/", "true"],
      { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const unavailable = (why: string) =>
      done(
        new WardenError("SANDBOX_UNAVAILABLE", `cannot start the sandbox: ${why}`, {
          hint: INSTALL_HINT,
        }),
      );
    child.once("error", (e: NodeJS.ErrnoException) =>
      unavailable(e.code === "ENOENT" ? `${bwrap} is not installed` : e.message),
    );
    child.once("close", (status, signal) => {
      if (status === 0) done(null);
      else if (status !== null || signal !== null)
        unavailable((stderr.trim() || `exit ${status ?? signal}`).split("\n")[0] as string);
    });
  });
}
