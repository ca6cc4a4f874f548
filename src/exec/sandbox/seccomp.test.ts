/**
 * The filter run through a small classic-BPF interpreter, for both architectures (only x86_64
 * can run here; test/e2e/run-sandbox.test.ts checks the kernel's verdicts in the real sandbox).
 */
import { describe, expect, it } from "vitest";
import { SYSCALLS, seccompFilter } from "./seccomp.js";

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const KILL = 0x80000000;
const ARCH = { x86_64: 0xc000003e, aarch64: 0xc00000b7, i386: 0x40000003, arm: 0x40000028 };

/** Runs the program on one `struct seccomp_data` (nr, arch, args[0]). */
function verdict(prog: Buffer, arch: number, nr: number, arg0 = 0): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  data.writeBigUInt64LE(BigInt(arg0), 16);
  let acc = 0;
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x45) pc += (acc & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected opcode ${code.toString(16)}`);
  }
  throw new Error("fell off the end");
}

describe("seccompFilter", () => {
  const prog = seccompFilter();

  it("is a whole number of sock_filter entries, starting with the architecture load", () => {
    expect(prog.length % 8).toBe(0);
    expect(prog.readUInt16LE(0)).toBe(0x20);
    expect(prog.readUInt32LE(4)).toBe(4);
  });

  for (const arch of ["x86_64", "aarch64"] as const) {
    const n = SYSCALLS[arch];
    it(`${arch}: refuses AF_UNIX sockets and io_uring with EPERM, allows the rest`, () => {
      expect(verdict(prog, ARCH[arch], n.socket, 1)).toBe(EPERM);
      // The domain is an int: only its low half counts, as in the kernel.
      expect(verdict(prog, ARCH[arch], n.socket, 0x1_0000_0001)).toBe(EPERM);
      expect(verdict(prog, ARCH[arch], n.socket, 2)).toBe(ALLOW); // AF_INET
      expect(verdict(prog, ARCH[arch], n.socket, 10)).toBe(ALLOW); // AF_INET6
      for (const call of [n.io_uring_setup, n.io_uring_enter, n.io_uring_register])
        expect(verdict(prog, ARCH[arch], call)).toBe(EPERM);
      expect(verdict(prog, ARCH[arch], 0)).toBe(ALLOW);
      expect(verdict(prog, ARCH[arch], 424)).toBe(ALLOW);
      expect(verdict(prog, ARCH[arch], 428)).toBe(ALLOW);
    });
  }

  it("judges each architecture by its own table (x86_64's socket is aarch64's something else)", () => {
    expect(verdict(prog, ARCH.aarch64, SYSCALLS.x86_64.socket, 1)).toBe(ALLOW);
    expect(verdict(prog, ARCH.x86_64, SYSCALLS.aarch64.socket, 1)).toBe(ALLOW);
  });

  it("kills foreign architectures and x32 syscall numbers", () => {
    expect(verdict(prog, ARCH.i386, 102, 1)).toBe(KILL); // socketcall
    expect(verdict(prog, ARCH.arm, 0)).toBe(KILL);
    expect(verdict(prog, ARCH.x86_64, 0x40000000 | SYSCALLS.x86_64.socket, 1)).toBe(KILL);
    expect(verdict(prog, ARCH.x86_64, 0x40000000)).toBe(KILL);
  });
});
