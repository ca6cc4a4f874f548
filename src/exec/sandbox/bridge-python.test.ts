/**
 * The Python bridge against a real Node parent over a real IPC channel (outside a sandbox, port
 * 0): the host's own handoff (acceptBridge) receives its listener as from the Node bridge, CMD
 * runs only after the go-ahead, with nothing of the bridge left; any other answer fails closed.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findPython, PYTHON_BRIDGE, pythonVisible } from "./bridge-python.js";
import { acceptBridge } from "./handoff.js";

const dir = mkdtempSync(join(tmpdir(), "warden-bridge-py-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const python = findPython(process.env);

function bridge(command: string[], env: Record<string, string> = {}) {
  if (python === null) throw new Error("these tests need python3");
  const child = spawn(python, ["-I", "-S", "-c", PYTHON_BRIDGE, "0", "--", ...command], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c: Buffer) => {
    out.stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    out.stderr += c.toString();
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, out, exited };
}

describe("the Python bridge", () => {
  it("hands its listener to the host's handoff and execs CMD only after the go-ahead", async () => {
    const script = [
      "echo ran",
      // ls's own fds, less the one it reads the directory with.
      `echo "fds=$(ls -l /proc/self/fd | awk 'NR > 1 && $NF !~ /^\\/proc\\/[0-9]+\\/fd$/ { printf "%s ", $9 }')"`,
      'echo "channel=$(env | grep -c ^NODE_CHANNEL)"',
      'echo "ctype=${LC_CTYPE:-unset}"',
      "grep SigIgn /proc/self/status",
    ].join("\n");
    // LANG=C would make Python add LC_CTYPE to its own environment (locale coercion).
    const b = bridge(["sh", "-c", script], { LANG: "C" });
    let outputAtServe: string | undefined;
    const host = net.createServer((s) => s.end("served by the host"));
    const ok = await acceptBridge(b.child, async (listener) => {
      outputAtServe = b.out.stdout;
      await new Promise<void>((resolve) => host.listen(listener, resolve));
    });
    expect(ok).toBe(true);
    const [code] = await b.exited;
    expect(outputAtServe).toBe("");
    expect(code).toBe(0);
    expect(b.out.stdout).toContain("ran\n");
    expect(b.out.stdout).toContain("fds=0 1 2 \n");
    expect(b.out.stdout).toContain("channel=0\n");
    expect(b.out.stdout).toContain("ctype=unset\n");
    // Python ignores SIGPIPE and SIGXFSZ; exec would pass that on to CMD.
    expect(b.out.stdout).toMatch(/SigIgn:\s+0+\n/);
    // The listener the bridge opened is the host's now, and served.
    const port = (host.address() as AddressInfo).port;
    const reply = await new Promise<string>((resolve, reject) => {
      let text = "";
      net
        .connect(port, "127.0.0.1")
        .on("data", (d) => {
          text += d.toString();
        })
        .on("end", () => resolve(text))
        .on("error", reject);
    });
    expect(reply).toBe("served by the host");
    host.close();
  });

  it("passes CMD's exit status through, and 127 when CMD does not exist", async () => {
    for (const [command, status] of [
      [["sh", "-c", "exit 7"], 7],
      [["no-such-command-here"], 127],
    ] as const) {
      const b = bridge([...command]);
      expect(await acceptBridge(b.child, async (l) => l.close())).toBe(true);
      const [code] = await b.exited;
      expect(code).toBe(status);
    }
  });

  it("fails closed (exit 125, CMD never runs) on any answer but the go-ahead", async () => {
    const b = bridge(["sh", "-c", "echo ran"]);
    b.child.once("message", (_m, handle: net.Server) => {
      handle.close();
      b.child.send({ warden: "go" });
    });
    const [code] = await b.exited;
    expect(code).toBe(125);
    expect(b.out.stdout).toBe("");
    expect(b.out.stderr).toContain("no go-ahead from warden run");
  });

  it("fails closed when warden run closes the channel before its go-ahead", async () => {
    const b = bridge(["sh", "-c", "echo ran"]);
    b.child.once("message", (_m, handle: net.Server) => {
      handle.close();
      b.child.disconnect();
    });
    const [code] = await b.exited;
    expect(code).toBe(125);
    expect(b.out.stdout).toBe("");
    expect(b.out.stderr).toContain("warden run closed the channel");
  });

  it("refuses to start without a channel", async () => {
    if (python === null) throw new Error("these tests need python3");
    const child = spawn(python, ["-I", "-S", "-c", PYTHON_BRIDGE, "0", "--", "true"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(125);
    expect(stderr).toContain("no channel to warden run");
  });
});

describe("findPython", () => {
  const scripts = join(dir, "shims");
  const bins = join(dir, "bin");
  mkdirSync(scripts);
  mkdirSync(bins);
  // A pyenv-like shim first on PATH, then a real binary (this node stands in for one).
  writeFileSync(join(scripts, "python3"), '#!/bin/sh\nexec python3 "$@"\n');
  chmodSync(join(scripts, "python3"), 0o755);
  symlinkSync(process.execPath, join(bins, "python3"));

  it("takes the first python3 on PATH that is a binary, by its real path", () => {
    expect(findPython({ PATH: `${scripts}:${bins}` })).toBe(realpathSync(process.execPath));
    expect(findPython({ PATH: scripts })).toBeNull();
  });

  it("takes WARDEN_PYTHON when set, and nothing when it is not a binary", () => {
    const path = `${scripts}:${bins}`;
    expect(findPython({ PATH: path, WARDEN_PYTHON: join(bins, "python3") })).toBe(
      realpathSync(process.execPath),
    );
    expect(findPython({ PATH: path, WARDEN_PYTHON: join(dir, "missing") })).toBeNull();
    expect(findPython({ PATH: path, WARDEN_PYTHON: join(scripts, "python3") })).toBeNull();
  });

  it("is not visible inside when it or its standard library lies under a hidden path", () => {
    expect(pythonVisible("/usr/bin/python3.11", ["/home/u/.ssh"])).toBe(true);
    expect(pythonVisible("/home/u/.pyenv/versions/3.12/bin/python3", ["/home/u/.pyenv"])).toBe(
      false,
    );
    expect(pythonVisible("/opt/py/bin/python3", ["/opt/py/lib"])).toBe(false);
  });
});
