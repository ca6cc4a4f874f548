/**
 * The sandbox's bridge in Python, run inside bwrap as `python3 -I -S -c BRIDGE PORT -- CMD ARGS…`
 * where a Python interpreter is found (findPython); bridge.ts (Node) is the same bridge where
 * none is. It speaks the same handshake (handoff.ts) in Node's own IPC wire format, so the host
 * cannot tell the two apart: on NODE_CHANNEL_FD it writes the line
 * `{"cmd":"NODE_HANDLE","type":"net.Server","msg":{"warden":"listener"}}` with the listening
 * socket of 127.0.0.1:PORT attached (SCM_RIGHTS), as `process.send(msg, server)` does; the host's
 * Node answers `{"cmd":"NODE_HANDLE_ACK"}` on receipt, then handoff.ts answers
 * `{"warden":"ready"}` once the proxy serves it. Any other line, or the channel ending first, is
 * exit 125 before CMD runs.
 *
 * Then it closes every fd above stdio (the listener, the channel, whatever warden run's parent
 * leaked through bwrap), resets signal dispositions and the mask (Python ignores SIGPIPE and
 * SIGXFSZ, which exec would keep), and execs CMD with the environment it was started with
 * (read back from /proc/self/environ: Python's locale coercion adds LC_CTYPE to its own) minus
 * the channel's variables. CMD is then the sandbox init's own child: a signal reaches it
 * directly, and bwrap exits with its status (128+N when signal N ended it).
 *
 * Why Python: it starts in ~9 ms with only builtin modules (`_socket`, `_signal`; `socket` and
 * `signal` import `enum`, ~10 ms more), against ~60 ms for Node.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export const PYTHON_BRIDGE = String.raw`
import os, sys, _signal as G, _socket as S

G.signal(G.SIGINT, G.SIG_DFL)

def fail(why):
    os.write(2, ("warden: sandbox bridge: " + why + "\n").encode("utf-8", "replace"))
    os._exit(125)

a = sys.argv[1:]
if len(a) < 3 or a[1] != "--" or not a[0].isdigit() or not a[2]:
    fail("usage: bridge PORT -- CMD [ARGS...]")
cmd = a[2:]
fd = os.environ.get("NODE_CHANNEL_FD", "")
if not fd.isdigit() or os.environ.get("NODE_CHANNEL_SERIALIZATION_MODE", "json") != "json":
    fail("no channel to warden run (NODE_CHANNEL_FD)")
try:
    ch = S.socket(fileno=int(fd))
except OSError:
    fail("no channel to warden run (NODE_CHANNEL_FD)")

try:
    srv = S.socket(S.AF_INET, S.SOCK_STREAM)
    srv.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(a[0])))
    srv.listen(511)
except OSError as e:
    fail(e.strerror or str(e))

msg = b'{"cmd":"NODE_HANDLE","type":"net.Server","msg":{"warden":"listener"}}\n'
try:
    sent = ch.sendmsg([msg], [(S.SOL_SOCKET, S.SCM_RIGHTS, srv.fileno().to_bytes(4, sys.byteorder))])
except OSError as e:
    fail("cannot hand the listener over: " + (e.strerror or str(e)))
if sent != len(msg):
    fail("cannot hand the listener over: short write")

expected = [b'{"cmd":"NODE_HANDLE_ACK"}', b'{"warden":"ready"}']
buf = b""
while expected:
    i = buf.find(b"\n")
    if i < 0:
        try:
            chunk = ch.recv(4096)
        except OSError as e:
            fail("channel: " + (e.strerror or str(e)))
        if not chunk:
            fail("warden run closed the channel")
        buf += chunk
        continue
    line, buf = buf[:i], buf[i + 1:]
    if line != expected.pop(0):
        fail("no go-ahead from warden run")

srv.close()
ch.close()
for n in os.listdir("/proc/self/fd"):
    if int(n) > 2:
        try:
            os.close(int(n))
        except OSError:
            pass
for s in range(1, G.NSIG):
    if s not in (G.SIGKILL, G.SIGSTOP):
        try:
            G.signal(s, G.SIG_DFL)
        except (OSError, ValueError):
            pass
G.pthread_sigmask(G.SIG_SETMASK, [])

env = {}
with open("/proc/self/environ", "rb") as f:
    for kv in f.read().split(b"\0"):
        k, eq, v = kv.partition(b"=")
        if eq and k not in (b"NODE_CHANNEL_FD", b"NODE_CHANNEL_SERIALIZATION_MODE"):
            env[k] = v
try:
    os.execvpe(cmd[0], cmd, env)
except OSError as e:
    import errno
    code = errno.errorcode.get(e.errno, str(e))
    os.write(2, ("warden: cannot run " + cmd[0] + ": " + code + "\n").encode("utf-8", "replace"))
    os._exit(127 if e.errno == errno.ENOENT else 126)
`;

/**
 * The Python interpreter to run Warden's Python helpers with: `WARDEN_PYTHON` if set, else the
 * first `python3` on PATH that is an executable binary (its real path). Wrapper scripts such as
 * pyenv's shims are passed over: they cost a shell and a lookup per start (~150 ms measured), and
 * inside the sandbox they would need their HOME, which may be hidden. Null when there is none.
 */
export function findPython(env: NodeJS.ProcessEnv): string | null {
  const given = env.WARDEN_PYTHON;
  const candidates =
    given === undefined || given === ""
      ? onPath("python3", env.PATH)
      : given.includes("/")
        ? [given]
        : onPath(given, env.PATH);
  for (const path of candidates) {
    const real = executableBinary(path);
    if (real !== null) return real;
  }
  return null;
}

/**
 * Whether the interpreter at `python` (a real path) can start inside a sandbox that hides
 * `hidden`: neither it nor its standard library (PREFIX/lib, PREFIX being its directory's parent)
 * may lie under a hidden path.
 */
export function pythonVisible(python: string, hidden: readonly string[]): boolean {
  const needed = [python, join(dirname(dirname(python)), "lib")];
  return !needed.some((p) => hidden.some((h) => p === h || p.startsWith(`${h}/`)));
}

function onPath(name: string, path: string | undefined): string[] {
  return (path ?? "")
    .split(delimiter)
    .filter((dir) => dir.startsWith("/"))
    .map((dir) => join(dir, name));
}

/** The real path of an executable ELF file at `path`, or null. */
function executableBinary(path: string): string | null {
  let real: string;
  try {
    real = realpathSync(path);
    const st = statSync(real);
    if (!st.isFile() || (st.mode & 0o111) === 0) return null;
  } catch {
    return null;
  }
  let fd: number | undefined;
  try {
    fd = openSync(real, "r");
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.toString("latin1") === "\x7fELF" ? real : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
