/**
 * The sandbox's seccomp filter, a classic-BPF program for bwrap's `--seccomp FD` (read as an
 * array of `struct sock_filter`). It takes nothing away but two doors out of the namespaces:
 *
 * - `socket(AF_UNIX, …)` → EPERM: a unix socket path is not scoped by the network namespace, so
 *   a socket file the sandbox can see (a Docker or D-Bus socket, an agent's, one dropped in the
 *   workspace) would reach a host daemon. `socketpair` stays allowed: it connects nothing outside.
 * - `io_uring_setup/enter/register` → EPERM: io_uring work is not filtered by seccomp.
 *
 * Only x86_64 and aarch64 calls are judged; any other architecture (i386 through int 0x80, arm32)
 * and x32 syscall numbers would read the table differently, so they kill the process.
 */

/** The fd bwrap reads the program from (`--seccomp 5`; launch.ts writes it there). */
export const SECCOMP_FD = 5;

/** `struct seccomp_data` offsets (include/uapi/linux/seccomp.h); args are little-endian here. */
const DATA = { nr: 0, arch: 4, arg0Low: 16 } as const;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const X32_SYSCALL_BIT = 0x40000000;
const AF_UNIX = 1;
const EPERM = 1;

/** Syscall numbers per architecture (arch/x86/entry/syscalls/syscall_64.tbl, asm-generic). */
export const SYSCALLS = {
  x86_64: { socket: 41, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 },
  aarch64: { socket: 198, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 },
} as const;

const RET = {
  killProcess: 0x80000000,
  errno: (e: number) => 0x00050000 | e,
  allow: 0x7fff0000,
} as const;

/** BPF opcodes (include/uapi/linux/bpf_common.h): class | size | mode, class | op | source. */
const OP = {
  ldAbsW: 0x20, // BPF_LD | BPF_W | BPF_ABS
  jeq: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  jset: 0x45, // BPF_JMP | BPF_JSET | BPF_K
  ret: 0x06, // BPF_RET | BPF_K
} as const;

type Step =
  | { label: string }
  | { load: number }
  | { jump: "jeq" | "jset"; k: number; goto: string; else?: string }
  | { ret: number };
type Instruction = Exclude<Step, { label: string }>;

/** The program as labelled steps; a jump goes to `goto` when true, else to `else` or the next step. */
function program(): Step[] {
  const perArch = (arch: keyof typeof SYSCALLS): Step[] => {
    const n = SYSCALLS[arch];
    return [
      { label: arch },
      { load: DATA.nr },
      ...(arch === "x86_64"
        ? [{ jump: "jset" as const, k: X32_SYSCALL_BIT, goto: "kill" }]
        : ([] as Step[])),
      { jump: "jeq", k: n.socket, goto: "socket" },
      { jump: "jeq", k: n.io_uring_setup, goto: "eperm" },
      { jump: "jeq", k: n.io_uring_enter, goto: "eperm" },
      { jump: "jeq", k: n.io_uring_register, goto: "eperm" },
      { ret: RET.allow },
    ];
  };
  return [
    { load: DATA.arch },
    { jump: "jeq", k: AUDIT_ARCH_X86_64, goto: "x86_64" },
    { jump: "jeq", k: AUDIT_ARCH_AARCH64, goto: "aarch64", else: "kill" },
    ...perArch("x86_64"),
    ...perArch("aarch64"),
    // socket(domain, …): the domain is an int, the low half of args[0].
    { label: "socket" },
    { load: DATA.arg0Low },
    { jump: "jeq", k: AF_UNIX, goto: "eperm" },
    { ret: RET.allow },
    { label: "eperm" },
    { ret: RET.errno(EPERM) },
    { label: "kill" },
    { ret: RET.killProcess },
  ];
}

/** Assembles labelled steps into `struct sock_filter[]` (u16 code, u8 jt, u8 jf, u32 k). */
export function assemble(steps: Step[]): Buffer {
  const code = steps.filter((s): s is Instruction => !("label" in s));
  const at = new Map<string, number>();
  let index = 0;
  for (const s of steps) {
    if ("label" in s) at.set(s.label, index);
    else index++;
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((s, i) => {
    const offset = (label: string | undefined): number => {
      if (label === undefined) return 0;
      const target = at.get(label);
      if (target === undefined) throw new Error(`seccomp: no label ${label}`);
      const jump = target - i - 1;
      if (jump < 0 || jump > 255) throw new Error(`seccomp: jump to ${label} out of range`);
      return jump;
    };
    let op: number;
    let k: number;
    let jt = 0;
    let jf = 0;
    if ("load" in s) {
      op = OP.ldAbsW;
      k = s.load;
    } else if ("ret" in s) {
      op = OP.ret;
      k = s.ret;
    } else {
      op = OP[s.jump];
      k = s.k;
      jt = offset(s.goto);
      jf = offset(s.else);
    }
    out.writeUInt16LE(op, i * 8);
    out.writeUInt8(jt, i * 8 + 2);
    out.writeUInt8(jf, i * 8 + 3);
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}

/** The filter bwrap installs before running the bridge and the command. */
export function seccompFilter(): Buffer {
  return assemble(program());
}
