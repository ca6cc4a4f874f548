/**
 * Runs inside the sandbox, before the command: `node bridge.js SOCKET PORT -- CMD ARGS…`.
 * Listens on 127.0.0.1:PORT in the sandbox's own network namespace and pipes each connection to
 * the egress proxy's unix socket (bind-mounted in), then runs CMD and ends with its exit code
 * (128+N when a signal N ended it). Signals it receives are passed on to CMD.
 * Self-contained (only node: imports) so that it runs from its read-only bind.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { constants } from "node:os";

const [socketPath, portText, dashes, command, ...args] = process.argv.slice(2);
if (socketPath === undefined || portText === undefined || dashes !== "--" || !command) {
  process.stderr.write("usage: bridge.js SOCKET PORT -- CMD [ARGS...]\n");
  process.exit(125);
}

const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ path: socketPath, allowHalfOpen: true });
  client.pipe(upstream);
  upstream.pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end);
  upstream.on("error", end);
  client.on("close", () => upstream.end());
  upstream.on("close", () => client.end());
});
server.on("error", (error) => {
  process.stderr.write(`warden: sandbox bridge: ${error.message}\n`);
  process.exit(125);
});
server.listen(Number(portText), "127.0.0.1", () => {
  const child = spawn(command, args, { stdio: "inherit" });
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
});
server.unref();
