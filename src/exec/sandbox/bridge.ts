/**
 * Runs inside the sandbox, before the command: `node bridge.js PORT -- CMD ARGS…`, started by
 * bwrap with a Node IPC channel to `warden run` inherited (NODE_CHANNEL_FD). Used where no python3
 * binary is found: bridge-python.ts is the same bridge in Python (faster to start; it execs CMD).
 *
 * It opens the listener for the proxy variables, 127.0.0.1:PORT, in the sandbox's own network
 * namespace, and hands the listening socket itself to the host over the channel (the handshake
 * in handoff.ts). The host accepts those connections and serves them with the egress proxy: no
 * unix socket to a host daemon is reachable inside, and no process copies the bytes in between.
 * Once the host says it serves, the bridge drops its copy of the listener and the channel, then
 * runs CMD (which inherits neither) and ends with its exit code (128+N when signal N ended it).
 * Signals it receives are passed on to CMD.
 * Self-contained (only node: imports) so that it runs from its read-only bind.
 */
import { spawn } from "node:child_process";
import { closeSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { constants } from "node:os";

const O_CLOEXEC = 0o2000000;

const fail = (why: string): never => {
  process.stderr.write(`warden: sandbox bridge: ${why}\n`);
  process.exit(125);
};

const [portText, dashes, command, ...args] = process.argv.slice(2);
if (portText === undefined || dashes !== "--" || !command)
  fail("usage: bridge.js PORT -- CMD [ARGS...]");
const send = process.send?.bind(process) ?? fail("no channel to warden run (NODE_CHANNEL_FD)");
let started = false;

const server = net.createServer();
server.on("error", (error) => fail(error.message));
server.listen(Number(portText), "127.0.0.1", () => {
  process.once("message", (message: unknown) => {
    if ((message as { warden?: unknown } | null)?.warden !== "ready")
      fail("no go-ahead from warden run");
    started = true;
    server.close();
    process.once("disconnect", runCommand);
    process.disconnect();
  });
  send({ warden: "listener" }, server, undefined, (error) => {
    if (error) fail(`cannot hand the listener over: ${error.message}`);
  });
});
// The host ending the channel before its go-ahead means it will not serve: stop here.
process.once("disconnect", () => {
  if (!started) fail("warden run closed the channel");
});

function runCommand(): void {
  closeInheritedFds();
  // Node consumed NODE_CHANNEL_FD; the serialization mode is the channel's last trace.
  const env = { ...process.env };
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  delete env.NODE_CHANNEL_FD;
  const child = spawn(command as string, args, { stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("error", (error: NodeJS.ErrnoException) => {
    process.stderr.write(`warden: cannot run ${command}: ${error.code ?? error.message}\n`);
    process.exit(error.code === "ENOENT" ? 127 : 126);
  });
  child.on("exit", (code, signal) => {
    const n = signal === null ? 0 : (constants.signals[signal] ?? 0);
    process.exit(signal === null ? (code ?? 1) : 128 + n);
  });
}

/**
 * bwrap passes every fd it inherited on to the sandbox, so whatever warden run's own parent leaked
 * would reach CMD. Node opens its own fds close-on-exec: close every other one above stdio.
 */
function closeInheritedFds(): void {
  for (const name of readdirSync("/proc/self/fd")) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
      if (flags !== null && (Number.parseInt(flags[1] as string, 8) & O_CLOEXEC) === 0)
        closeSync(fd);
    } catch {
      // Gone already (the directory listing's own fd).
    }
  }
}
