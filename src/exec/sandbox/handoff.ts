/**
 * The host side of the bridge's handshake (bridge.ts in Node, bridge-python.ts in Python, which
 * writes Node's IPC wire format itself): bwrap is spawned with a Node IPC channel;
 * the bridge sends `{ warden: "listener" }` with its listening socket (127.0.0.1:3128 in the
 * sandbox's network namespace); the host starts serving it, then answers `{ warden: "ready" }`,
 * and only then does the bridge run the command. Anything else on the channel is a broken
 * sandbox: fail closed.
 */
import type { ChildProcess } from "node:child_process";
import net from "node:net";
import { WardenError } from "../../errors.js";

/**
 * Resolves once `serve` has taken the bridge's listener and the bridge was told to go on;
 * resolves to false if the sandbox ended first. Rejects (SANDBOX_BRIDGE) on an unexpected message
 * or when `serve` fails — the caller then ends the sandbox before the command runs.
 */
export function acceptBridge(
  child: ChildProcess,
  serve: (listener: net.Server) => Promise<unknown>,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const ended = () => resolve(false);
    child.once("exit", ended);
    child.once("message", (message: unknown, handle: unknown) => {
      child.off("exit", ended);
      if ((message as { warden?: unknown } | null)?.warden !== "listener") {
        reject(bridgeError("sent an unexpected message instead of its listener"));
        return;
      }
      if (!(handle instanceof net.Server)) {
        reject(bridgeError("sent no listening socket"));
        return;
      }
      serve(handle).then(
        () => {
          // A bridge gone meanwhile (a signal ended it) cannot be told; its sandbox's exit says
          // the rest. Without the callback the failed send would be an 'error' on the child.
          child.send({ warden: "ready" }, () => {});
          resolve(true);
        },
        (error: unknown) => {
          handle.close();
          reject(bridgeError("listener could not be served", error));
        },
      );
    });
  });
}

function bridgeError(what: string, cause?: unknown): WardenError {
  return new WardenError("SANDBOX_BRIDGE", `the sandbox's proxy bridge ${what}`, { cause });
}
