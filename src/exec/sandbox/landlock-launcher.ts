/**
 * The Landlock launcher, run as `python3 -I -S -c LAUNCHER CONFIG -- CMD ARGS…`. Node cannot make
 * the landlock_* or seccomp calls, and Warden installs no compiler, so this small Python program
 * (ctypes, standard library only) does it in the process that then becomes CMD:
 *
 *   1. probes the Landlock ABI and builds a ruleset that handles every filesystem right the ABI
 *      knows, TCP bind/connect (ABI ≥ 4, with no rule: all refused) and, at ABI ≥ 6, the abstract
 *      unix socket and signal scopes; adds one path-beneath rule per CONFIG entry;
 *   2. drops every capability (bounding and ambient sets too: root stays root, without powers);
 *   3. starts a new session (no controlling terminal, as bwrap --new-session), sets
 *      no_new_privs, restricts itself, installs a seccomp filter that refuses socket() for
 *      anything but TCP (which Landlock then refuses to connect or bind) and netlink, TCP Fast
 *      Open sends (they connect without Landlock's check), listen(), io_uring, the TIOCSTI and
 *      TIOCLINUX ioctls, the x32 ABI and foreign architectures;
 *   4. reports `ready ABI` on fd 3 and waits for Warden's `g` on fd 4 (Warden records the start
 *      event in between), closes both and execs CMD. Any failure before that is `error MESSAGE`
 *      on fd 3 and exit 125, so Warden can say why and refuse, never run CMD unconfined.
 *
 * CONFIG is JSON: { "minAbi": N, "rules": [[path, rights], …] }. Rights use the kernel's bit
 * values (landlock.ts); the launcher masks them to what the ABI handles and, for a file, to the
 * rights a file can carry. A path that no longer exists gets no rule (less access, never more);
 * a symlink gets none either (access is checked on the path it resolves to).
 */
export const LANDLOCK_LAUNCHER = String.raw`
import ctypes, errno, json, os, platform, stat, struct, sys

def fail(message):
    try:
        os.write(3, ("error " + message + "\n").encode())
    except OSError:
        pass
    os._exit(125)

try:
    config = json.loads(sys.argv[1])
    if sys.argv[2] != "--" or len(sys.argv) < 4:
        raise ValueError
    argv = sys.argv[3:]
except Exception:
    fail("usage: launcher CONFIG -- CMD [ARGS...]")

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
L = ctypes.c_long

def call(name, result):
    if result < 0:
        code = ctypes.get_errno()
        fail(name + ": " + errno.errorcode.get(code, str(code)) + " (" + os.strerror(code) + ")")
    return result

# (seccomp audit arch, socket, listen, capset, sendto, sendmsg, sendmmsg, ioctl, has x32)
ARCHES = {
    "x86_64": (0xC000003E, 41, 50, 126, 44, 46, 307, 16, True),
    "aarch64": (0xC00000B7, 198, 201, 91, 206, 211, 269, 29, False),
}
arch = ARCHES.get(platform.machine())
if arch is None:
    fail("unsupported architecture " + platform.machine())
AUDIT_ARCH, NR_SOCKET, NR_LISTEN, NR_CAPSET, NR_SENDTO, NR_SENDMSG, NR_SENDMMSG, NR_IOCTL, X32 = arch
NR_CREATE, NR_ADD_RULE, NR_RESTRICT = 444, 445, 446

abi = libc.syscall(L(NR_CREATE), None, L(0), L(1))
if abi < 0:
    code = ctypes.get_errno()
    why = "disabled at boot (add landlock to the lsm= kernel parameter)" if code == errno.EOPNOTSUPP else "not in this kernel"
    fail("Landlock is " + why)
if abi < config["minAbi"]:
    fail("Landlock ABI %d is older than the %d Warden needs" % (abi, config["minAbi"]))

fs_all = (1 << 13) - 1
if abi >= 2: fs_all |= 1 << 13   # REFER
if abi >= 3: fs_all |= 1 << 14   # TRUNCATE
if abi >= 5: fs_all |= 1 << 15   # IOCTL_DEV
FILE_RIGHTS = 1 | 2 | 4 | (1 << 14) | (1 << 15)
net = 3 if abi >= 4 else 0       # BIND_TCP | CONNECT_TCP, no rule: refused
scoped = 3 if abi >= 6 else 0    # abstract unix sockets, signals
size = 24 if abi >= 6 else 16 if abi >= 4 else 8
attr = ctypes.create_string_buffer(struct.pack("<QQQ", fs_all, net, scoped)[:size], size)
ruleset = call("landlock_create_ruleset", libc.syscall(L(NR_CREATE), attr, L(size), L(0)))

for path, rights in config["rules"]:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        continue
    except OSError as e:
        fail("cannot open " + path + ": " + e.strerror)
    mode = os.fstat(fd).st_mode
    granted = rights & fs_all
    if not stat.S_ISDIR(mode):
        granted &= FILE_RIGHTS
    if granted and not stat.S_ISLNK(mode):
        rule = ctypes.create_string_buffer(struct.pack("<Qi", granted, fd), 12)
        call("landlock_add_rule " + path, libc.syscall(L(NR_ADD_RULE), L(ruleset), L(1), rule, L(0)))
    os.close(fd)

# Capabilities: empty the bounding and ambient sets (needs CAP_SETPCAP, which root has; without
# it there is nothing to drop) and then the process's own sets.
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 24, 47, 38, 22
last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
for cap in range(last_cap + 1):
    libc.prctl(PR_CAPBSET_DROP, L(cap), L(0), L(0), L(0))
libc.prctl(PR_CAP_AMBIENT, L(4), L(0), L(0), L(0))
header = ctypes.create_string_buffer(struct.pack("<Ii", 0x20080522, 0), 8)
data = ctypes.create_string_buffer(24)
call("capset", libc.syscall(L(NR_CAPSET), header, data))
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
for name in ("CapEff", "CapPrm", "CapInh", "CapAmb") + (("CapBnd",) if os.geteuid() == 0 else ()):
    if int(status.get(name, "1"), 16) != 0:
        fail("could not drop capabilities (" + name + " " + status.get(name, "?").strip() + ")")

# A new session, as bwrap --new-session: no controlling terminal to push input into.
try:
    os.setsid()
except OSError as e:
    fail("setsid: " + e.strerror)
call("no_new_privs", libc.prctl(PR_SET_NO_NEW_PRIVS, L(1), L(0), L(0), L(0)))
call("landlock_restrict_self", libc.syscall(L(NR_RESTRICT), L(ruleset), L(0)))
os.close(ruleset)

# seccomp: a tiny classic-BPF program, assembled with labels (classic BPF jumps only forward).
LD, JEQ, JGE, AND, RET = 0x20, 0x15, 0x35, 0x54, 0x06
ALLOW, DENY, KILL = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
AF_INET, AF_INET6, AF_NETLINK, SOCK_STREAM, MSG_FASTOPEN = 2, 10, 16, 1, 0x20000000
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
program = [
    (LD, 0, 0, 4), (JEQ, 0, "kill", AUDIT_ARCH),
    (LD, 0, 0, 0),
] + ([(JGE, "deny", 0, 0x40000000)] if X32 else []) + [
    (JEQ, "socket", 0, NR_SOCKET),
    # TCP Fast Open connects inside sendto/sendmsg, where Landlock's connect check never runs.
    (JEQ, "flags3", 0, NR_SENDTO), (JEQ, "flags3", 0, NR_SENDMMSG), (JEQ, "flags2", 0, NR_SENDMSG),
    (JEQ, "deny", 0, NR_LISTEN),
    (JEQ, "ioctl", 0, NR_IOCTL),
    (JEQ, "deny", 0, 425), (JEQ, "deny", 0, 426), (JEQ, "deny", "allow", 427),   # io_uring_*
    "socket", (LD, 0, 0, 16),
    (JEQ, "allow", 0, AF_NETLINK),
    (JEQ, "inet", 0, AF_INET), (JEQ, "inet", "deny", AF_INET6),
    "inet", (LD, 0, 0, 24), (AND, 0, 0, 0xF), (JEQ, 0, "deny", SOCK_STREAM),
    (LD, 0, 0, 32), (JEQ, "allow", 0, 0), (JEQ, "allow", "deny", 6),   # protocol 0 or TCP
    "flags2", (LD, 0, 0, 32), (JEQ, "fastopen", "fastopen", 0),
    "flags3", (LD, 0, 0, 40),
    "fastopen", (AND, 0, 0, MSG_FASTOPEN), (JEQ, "allow", "deny", 0),
    # Typing into the terminal Warden was started from (a command line run after Warden exits).
    "ioctl", (LD, 0, 0, 24), (JEQ, "deny", 0, TIOCSTI), (JEQ, "deny", "allow", TIOCLINUX),
    "allow", (RET, 0, 0, ALLOW),
    "deny", (RET, 0, 0, DENY),
    "kill", (RET, 0, 0, KILL),
]
labels, code = {}, []
for item in program:
    if isinstance(item, str):
        labels[item] = len(code)
    else:
        code.append(item)
def jump(target, at):
    return target if isinstance(target, int) else labels[target] - at - 1
filters = b"".join(struct.pack("<HBBI", op, jump(jt, i), jump(jf, i), k) for i, (op, jt, jf, k) in enumerate(code))
buffer = ctypes.create_string_buffer(filters, len(filters))
fprog = ctypes.create_string_buffer(struct.pack("<HxxxxxxQ", len(code), ctypes.addressof(buffer)), 16)
call("seccomp", libc.prctl(PR_SET_SECCOMP, L(2), L(ctypes.addressof(fprog)), L(0), L(0)))

os.write(3, ("ready %d\n" % abi).encode())
go = os.read(4, 1)
os.close(3)
os.close(4)
if go != b"g":
    os._exit(125)
try:
    os.execvp(argv[0], argv)
except OSError as e:
    sys.stderr.write("warden: cannot run " + argv[0] + ": " + (errno.errorcode.get(e.errno) or str(e)) + "\n")
    os._exit(127 if isinstance(e, FileNotFoundError) else 126)
`;
