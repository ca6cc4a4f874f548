/**
 * `warden run` without bubblewrap: the Landlock fallback, and `sandbox: optional`. User namespaces
 * work on this machine, so these tests force the fallback with WARDEN_SANDBOX=landlock (or make
 * bubblewrap fail with WARDEN_BWRAP=/nonexistent); the confinement itself is the real kernel's
 * Landlock and seccomp, applied by the real python3 launcher, to real commands. Tests run as
 * root: Landlock and the dropped capabilities still hold.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, runAsync, termWhenReady } from "./cli.js";

let dir: string;
let ws: string;
let home: string;
let env: Record<string, string>;

const POLICY = (extra: string) => `apiVersion: warden/v1
kind: Policy
metadata: { name: run-landlock, version: "1" }
defaults: { exec: allow, dynamic: allow, fs.read: allow, fs.write: allow, net.connect: deny, cred.use: deny }
${extra}
rules:
  - id: secrets-stay-home
    kind: fs.read
    deny: ["~/.ssh/**"]
`;

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function wardenRun(
  policy: string,
  command: string[],
  extraEnv: Record<string, string> = { WARDEN_SANDBOX: "landlock" },
): Promise<RunResult> {
  return runAsync(
    process.execPath,
    [CLI, "run", "--policy", join(dir, policy), "--workspace", ws, "--", ...command],
    { cwd: ws, env: { PATH: process.env.PATH ?? "", ...env, ...extraEnv } },
  );
}

// biome-ignore lint/suspicious/noExplicitAny: audit events as parsed JSON
function starts(marker: string): any[] {
  const out = cli(["audit", "search", "--pep", "exec.sandbox", "--json", "--limit", "1000"], env);
  return out.stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l))
    .filter((e) => e.context.phase === "start" && e.target.command.includes(marker));
}

beforeAll(() => {
  // Not under /tmp, like the bwrap tests: the fake HOME must not sit in the private temp dir.
  dir = mkdtempSync("/var/tmp/warden-landlock-");
  ws = join(dir, "ws");
  home = join(dir, "user");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  writeFileSync(join(home, ".ssh", "id_rsa"), "FAKE-PRIVATE-KEY\n");
  writeFileSync(join(home, "notes.txt"), "readable notes\n");
  mkdirSync(join(ws, ".claude"), { recursive: true });
  mkdirSync(join(ws, "src"));
  writeFileSync(join(ws, ".claude", "settings.json"), '{"hooks":{}}\n');
  writeFileSync(join(ws, "README.md"), "# project\n");
  env = { WARDEN_HOME: join(dir, "warden"), HOME: home };
  writeFileSync(join(dir, "policy.yaml"), POLICY(""));
  writeFileSync(join(dir, "optional.yaml"), POLICY("sandbox: optional"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("warden run with Landlock", () => {
  it("passes a signal sent to warden run on to the confined command", async () => {
    const { out, code } = await termWhenReady(
      ["--policy", join(dir, "policy.yaml"), "--workspace", ws],
      { cwd: ws, env: { PATH: process.env.PATH ?? "", ...env, WARDEN_SANDBOX: "landlock" } },
    );
    expect(out).toContain("got-term");
    expect(code).toBe(5);
  });

  it("hides secrets, writes only the workspace and its temp dir, keeps settings read-only, passes the exit code", async () => {
    const script = [
      'cat "$HOME/notes.txt"',
      'cat "$HOME/.ssh/id_rsa"; echo "ssh=$?"',
      'cat "/proc/self/root$HOME/.ssh/id_rsa"; echo "procroot=$?"',
      'ln -s "$HOME/.ssh/id_rsa" src/key-link; cat src/key-link; echo "symlink=$?"',
      'echo code > src/main.ts; echo "src=$?"',
      'echo more >> README.md; echo "readme=$?"',
      'echo x > "$TMPDIR/scratch"; echo "tmp=$?"',
      'touch "$HOME/outside.txt"; echo "home=$?"',
      'touch /etc/warden-landlock; echo "etc=$?"',
      `echo '{"hooks":null}' > .claude/settings.json; echo "claude=$?"`,
      `echo '{}' > .mcp.json; echo "mcp=$?"`,
      'kill -0 1; echo "signal=$?"',
      "exit 7",
    ].join("\n");
    const r = await wardenRun("policy.yaml", ["sh", "-c", script]);
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/confining with Landlock \(ABI \d+\); the command has no network/);
    expect(r.stdout).toContain("readable notes");
    expect(r.stdout).not.toContain("FAKE-PRIVATE-KEY");
    for (const ok of ["src", "readme", "tmp"]) expect(r.stdout).toContain(`${ok}=0`);
    for (const refused of [
      "ssh",
      "procroot",
      "symlink",
      "home",
      "etc",
      "claude",
      "mcp",
      "signal",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`${refused}=[1-9]`));
    }
    expect(readFileSync(join(ws, "src", "main.ts"), "utf8")).toBe("code\n");
    expect(readFileSync(join(ws, ".claude", "settings.json"), "utf8")).toBe('{"hooks":{}}\n');
    expect(existsSync(join(ws, ".mcp.json"))).toBe(false);
    expect(existsSync(join(home, "outside.txt"))).toBe(false);

    const [start] = starts("symlink=");
    expect(start.context).toMatchObject({
      sandbox: "landlock",
      hidden: [join(home, ".ssh"), env.WARDEN_HOME],
    });
    expect(start.context.landlockAbi).toBeGreaterThanOrEqual(3);
  });

  it("has no network: TCP, UDP, unix sockets and TCP Fast Open all fail", async () => {
    let tcpHits = 0;
    const tcp = net.createServer((s) => {
      tcpHits++;
      s.destroy();
    });
    tcp.listen(0, "127.0.0.1");
    await once(tcp, "listening");
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    let udpHits = 0;
    const udp = dgram.createSocket("udp4", () => {
      udpHits++;
    });
    udp.bind(0, "127.0.0.1");
    await once(udp, "listening");
    const udpPort = udp.address().port;
    const unixPath = join(dir, "host.sock");
    const unix = net.createServer((s) => {
      tcpHits++;
      s.destroy();
    });
    unix.listen(unixPath);
    await once(unix, "listening");

    const probe = `
import socket
def attempt(name, f):
    try:
        f(); print(name + "=open")
    except OSError as e:
        print(name + "=" + str(e.errno))
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", ${tcpPort}), timeout=3))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", ${udpPort})))
attempt("unix", lambda: socket.socket(socket.AF_UNIX).connect(${JSON.stringify(unixPath)}))
attempt("tfo", lambda: socket.socket().sendto(b"x", socket.MSG_FASTOPEN, ("127.0.0.1", ${tcpPort})))
attempt("listen", lambda: socket.socket().listen())
import fcntl, os, termios
attempt("tiocsti", lambda: fcntl.ioctl(0, termios.TIOCSTI, b"x"))
print("session=" + str(os.getsid(0) == os.getpid()))
`;
    try {
      const curl = await wardenRun("policy.yaml", [
        "curl",
        "-sS",
        "--max-time",
        "3",
        `http://127.0.0.1:${tcpPort}/`,
      ]);
      expect(curl.status).toBe(7); // couldn't connect
      const r = await wardenRun("policy.yaml", ["python3", "-c", probe]);
      expect(r.stderr).not.toContain("Traceback");
      for (const name of ["tcp", "udp", "unix", "tfo", "listen"]) {
        expect(r.stdout).toMatch(new RegExp(`^${name}=(1|13)$`, "m")); // EPERM or EACCES
      }
      // Nothing can be typed into the terminal warden run was started from: own session, and
      // TIOCSTI refused by seccomp (EPERM, not the ENOTTY a pipe would give).
      expect(r.stdout).toContain("tiocsti=1\n");
      expect(r.stdout).toContain("session=True");
      expect(tcpHits).toBe(0);
      expect(udpHits).toBe(0);
    } finally {
      tcp.close();
      udp.close();
      unix.close();
    }
  });

  it("falls back to Landlock by itself when bubblewrap cannot start, and says why", async () => {
    const r = await wardenRun("policy.yaml", ["sh", "-c", "echo fallback-ran"], {
      WARDEN_BWRAP: join(dir, "no-such-bwrap"),
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("fallback-ran\n");
    expect(r.stderr).toMatch(
      /bubblewrap cannot start here \(.*no-such-bwrap is not installed\): confining with Landlock/,
    );
    const [start] = starts("fallback-ran");
    expect(start.context.sandbox).toBe("landlock");
    expect(start.context.unavailable[0]).toMatch(/^bubblewrap: .*no-such-bwrap is not installed/);
  });

  it("refuses a bad WARDEN_SANDBOX and a launcher that cannot confine", async () => {
    const bad = await wardenRun("policy.yaml", ["true"], { WARDEN_SANDBOX: "chroot" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("CLI_BAD_SANDBOX");
    // A python3 that exits at once, before confining: never a run without confinement.
    const fake = join(dir, "fake-python3");
    writeFileSync(fake, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const r = await wardenRun("policy.yaml", ["sh", "-c", "echo escaped > src/escaped.txt"], {
      WARDEN_SANDBOX: "landlock",
      WARDEN_PYTHON: fake,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("SANDBOX_UNAVAILABLE: cannot start the sandbox: Landlock:");
    expect(r.stderr).toContain("the launcher ended without a word");
    expect(existsSync(join(ws, "src", "escaped.txt"))).toBe(false);
  });
});

describe("sandbox: optional", () => {
  const nothingWorks = {
    WARDEN_BWRAP: "/nonexistent/bwrap",
    WARDEN_PYTHON: "/nonexistent/python3",
  };

  it("runs the command unconfined, with a loud warning and sandbox none in the audit", async () => {
    const r = await wardenRun(
      "optional.yaml",
      ["sh", "-c", 'cat "$HOME/.ssh/id_rsa"; echo "token=[${GITHUB_TOKEN:-}]"; exit 4'],
      { ...nothingWorks, GITHUB_TOKEN: "ghp_OPTIONALSECRET" },
    );
    expect(r.status).toBe(4);
    // Unconfined: the key is readable (that is what optional means); the environment is still scrubbed.
    expect(r.stdout).toContain("FAKE-PRIVATE-KEY");
    expect(r.stdout).toContain("token=[]");
    expect(r.stderr).toContain("WARNING: NO SANDBOX");
    expect(r.stderr).toContain("sandbox: optional");
    const [start] = starts("token=[");
    expect(start.context).toMatchObject({ sandbox: "none", envRemoved: ["GITHUB_TOKEN"] });
    expect(start.context.unavailable).toHaveLength(2);
    const all = cli(["audit", "search", "--json", "--limit", "1000"], env).stdout;
    expect(all).not.toContain("ghp_OPTIONALSECRET");
  });

  it("without it, the same run is refused", async () => {
    const r = await wardenRun(
      "policy.yaml",
      ["sh", "-c", "echo ran > src/required.txt"],
      nothingWorks,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("SANDBOX_UNAVAILABLE");
    expect(r.stderr).not.toContain("NO SANDBOX");
    expect(existsSync(join(ws, "src", "required.txt"))).toBe(false);
  });
});
