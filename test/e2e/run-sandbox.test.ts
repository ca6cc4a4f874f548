/**
 * `warden run` with real bubblewrap and curl, loopback only: the command's only way out is the
 * egress proxy (serving a listener the sandbox handed out), seccomp refuses new unix sockets and
 * io_uring, secrets and Warden's own files are hidden, the system and the agents' settings are
 * read-only, credentials are scrubbed from the environment, the exit code passes through, and the audit ties start, exit and connections to one session.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, termWhenReady } from "./cli.js";

let dir: string;
let ws: string;
let policyFile: string;
let env: Record<string, string>;
let origin: http.Server;
let originPort: number;
let hits = 0;

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `warden run` without blocking this process's event loop (the origin server lives here). */
function wardenRun(
  command: string[],
  extraEnv: Record<string, string> = {},
  args: string[] = [],
  /** Give warden run an fd 7 it inherits (as a careless parent would). */
  leakFd = false,
): Promise<RunResult> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "run",
      "--policy",
      policyFile,
      "--workspace",
      ws,
      "--agent",
      "ci-agent",
      ...args,
      "--",
    ].concat(command),
    {
      cwd: ws,
      env: { PATH: process.env.PATH ?? "", ...env, ...extraEnv },
      stdio: leakFd
        ? ["pipe", "pipe", "pipe", "ignore", "ignore", "ignore", "ignore", "pipe"]
        : "pipe",
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => {
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

// biome-ignore lint/suspicious/noExplicitAny: audit events as parsed JSON
function events(pep: string): any[] {
  const out = cli(["audit", "search", "--pep", pep, "--json", "--limit", "1000"], env).stdout;
  return out
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  // Not under /tmp: the sandbox's /tmp is private, which would hide the fake HOME by itself.
  dir = mkdtempSync("/var/tmp/warden-run-");
  ws = join(dir, "ws");
  const home = join(dir, "user");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  writeFileSync(join(home, ".ssh", "id_rsa"), "FAKE-PRIVATE-KEY\n");
  writeFileSync(join(home, "notes.txt"), "readable notes\n");
  mkdirSync(join(ws, ".claude"), { recursive: true });
  mkdirSync(join(ws, "sub"));
  writeFileSync(join(ws, ".claude", "settings.json"), '{"hooks":{}}\n');
  env = { WARDEN_HOME: join(dir, "warden"), HOME: home };
  policyFile = join(dir, "policy.yaml");
  writeFileSync(
    policyFile,
    `apiVersion: warden/v1
kind: Policy
metadata: { name: run-sandbox, version: "1" }
defaults: { exec: allow, dynamic: allow, fs.read: allow, fs.write: allow, net.connect: deny, mcp.call: ask, cred.use: deny }
rules:
  - id: secrets-stay-home
    kind: fs.read
    deny: ["~/.ssh/**", "**/.env", "**/*.pem"]
  - id: test-origin
    kind: net.connect
    allow: ["127.0.0.1"]
  - id: no-deleting
    kind: exec
    deny: ["rm *"]
    reason: Deleting needs a human.
  - id: push-asks
    kind: exec
    ask: ["git push *"]
  - id: no-probes
    kind: exec
    deny: ["curl -H X-Probe:1 *"]
  - id: no-metadata
    kind: net.connect
    deny: ["169.254.169.254"]
    reason: Cloud metadata is never reachable from an agent.
`,
  );
  origin = http.createServer((_req, res) => {
    hits++;
    res.end("hello from the host\n");
  });
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  originPort = (origin.address() as AddressInfo).port;
});

afterAll(() => {
  origin.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("warden run", () => {
  it("reaches an allowed host only through the proxy, with one session in the audit", async () => {
    const before = hits;
    const r = await wardenRun([
      "curl",
      "-sS",
      "--max-time",
      "5",
      `http://127.0.0.1:${originPort}/`,
    ]);
    expect(r).toMatchObject({ status: 0, stdout: "hello from the host\n" });
    expect(hits).toBe(before + 1);

    const start = events("exec.sandbox").find(
      (e) =>
        e.context.phase === "start" && e.target.argv.includes(`http://127.0.0.1:${originPort}/`),
    );
    expect(start).toBeDefined();
    const session = start.principal.session as string;
    expect(start.principal.agent).toBe("ci-agent");
    const exit = events("exec.sandbox").find(
      (e) => e.context.phase === "exit" && e.principal.session === session,
    );
    expect(exit?.context.exitCode).toBe(0);
    // The connection left from the host side of the proxy, decided and audited under the session.
    // One connection: recorded before the proxy connected (net.open) and when it ended.
    const conns = events("net.proxy").filter((e) => e.principal.session === session);
    expect(conns.map((e) => e.kind)).toEqual(["net.open", "net.connect"]);
    expect(conns[1]).toMatchObject({
      kind: "net.connect",
      principal: { agent: "ci-agent", session },
      target: { host: "127.0.0.1", port: originPort, ip: "127.0.0.1" },
      decision: { effect: "allow", rule: "test-origin" },
    });
  });

  // Python runs the bridge where it is found; the Node bridge where it is not (no python3).
  const BRIDGES: { bridge: string; env: Record<string, string>; run: string }[] = [
    { bridge: "Python", env: {}, run: "" },
    { bridge: "Node", env: { WARDEN_PYTHON: "/nonexistent/python3" }, run: "warden " },
  ];
  it.each(BRIDGES)(
    "serves the $bridge bridge's in-sandbox listener: no unix socket, channel or stray fd inside",
    async ({ env: bridgeEnv, run }) => {
      const before = hits;
      const script = [
        // ls's own fds, less the one it reads the directory with.
        `echo "fds=$(ls -l /proc/self/fd | awk 'NR > 1 && $NF !~ /^\\/proc\\/[0-9]+\\/fd$/ { printf "%s ", $9 }')"`,
        'echo "channel=$(env | grep -c ^NODE_CHANNEL)"',
        'echo "run=$(ls -A /run | tr "\\n" " ")"',
        `curl -sS --max-time 5 http://127.0.0.1:${originPort}/`,
      ].join("\n");
      const r = await wardenRun(["sh", "-c", script], bridgeEnv, [], true);
      expect(r.stdout).toContain("fds=0 1 2 \n");
      expect(r.stdout).toContain("channel=0\n");
      // The Node bridge's script is the only thing in the sandbox's /run.
      expect(r.stdout).toContain(`run=${run}\n`);
      expect(r.stdout).toContain("hello from the host");
      expect(hits).toBe(before + 1);
    },
  );

  it("refuses new AF_UNIX sockets and io_uring (seccomp); ordinary tools still work", async () => {
    const hostSocket = join(ws, "host-daemon.sock");
    let reached = 0;
    const daemon = net.createServer((s) => {
      reached++;
      s.end("daemon says hi\n");
    });
    daemon.listen(hostSocket);
    await once(daemon, "listening");
    writeFileSync(
      join(ws, "seccomp-probe.py"),
      `import ctypes, os, socket
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    print("py-unix=created")
except OSError as e:
    print("py-unix=" + os.strerror(e.errno))
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
r = libc.syscall(425, 1, params)  # io_uring_setup(1, &params) on x86_64
print("io_uring=" + (os.strerror(ctypes.get_errno()) if r < 0 else "created"))
`,
    );
    const nodeProbe = `require("net").connect({ path: ${JSON.stringify(hostSocket)} }).on("connect", () => console.log("node-unix=connected")).on("error", (e) => console.log("node-unix=" + e.code))`;
    const script = [
      `node -e '${nodeProbe}'`,
      "python3 seccomp-probe.py",
      'echo "sh=$((6 * 7))"',
      'git init -q probe-repo && git -C probe-repo status --short && echo "git=$?"',
      `node -e 'console.log("node=" + process.version)'`,
      `curl -sS --max-time 5 http://127.0.0.1:${originPort}/`,
    ].join("\n");
    try {
      const r = await wardenRun(["sh", "-c", script]);
      expect(r.stdout).toContain("node-unix=EPERM");
      expect(r.stdout).toContain("py-unix=Operation not permitted");
      expect(r.stdout).toContain("io_uring=Operation not permitted");
      expect(r.stdout).toContain("sh=42");
      expect(r.stdout).toContain("git=0");
      expect(r.stdout).toContain(`node=${process.version}`);
      expect(r.stdout).toContain("hello from the host");
      expect(r.status).toBe(0);
      expect(reached).toBe(0);
    } finally {
      daemon.close();
    }
  });

  it("gets Warden's 403 and reason for a denied host", async () => {
    const r = await wardenRun(["curl", "-sS", "-i", "--max-time", "5", "http://169.254.169.254/"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(r.stdout).toContain("no-metadata");
    expect(r.stdout).toContain("Cloud metadata is never reachable");
  });

  it("has no route out when the proxy is bypassed", async () => {
    const hostIp =
      Object.values(networkInterfaces())
        .flat()
        .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address ?? "10.0.0.1";
    const before = hits;
    const script = [
      `curl -sS --noproxy '*' --max-time 3 http://127.0.0.1:${originPort}/; echo "loopback=$?"`,
      `curl -sS --noproxy '*' --max-time 3 http://${hostIp}:${originPort}/; echo "host=$?"`,
      `curl -sS --noproxy '*' --max-time 3 http://169.254.169.254/; echo "metadata=$?"`,
    ].join("\n");
    const r = await wardenRun(["sh", "-c", script]);
    expect(r.status).toBe(0);
    for (const name of ["loopback", "host", "metadata"]) {
      expect(r.stdout).toMatch(new RegExp(`${name}=([1-9]\\d*)`));
    }
    expect(r.stdout).not.toContain("hello from the host");
    expect(hits).toBe(before);
  });

  it("hides the secrets fs.read denies and Warden's own home", async () => {
    const r = await wardenRun([
      "sh",
      "-c",
      'cat "$HOME/notes.txt"; cat "$HOME/.ssh/id_rsa"; echo "cat=$?"; ls "$WARDEN_HOME"; echo "ls-count=$(ls -A "$WARDEN_HOME" | wc -l)"',
    ]);
    expect(r.stdout).toContain("readable notes");
    expect(r.stdout).not.toContain("FAKE-PRIVATE-KEY");
    expect(r.stdout).toMatch(/cat=[1-9]/);
    expect(r.stdout).toContain("ls-count=0");
    expect(existsSync(join(env.WARDEN_HOME ?? "", "audit.db"))).toBe(true);
    const start = events("exec.sandbox").find(
      (e) => e.context.phase === "start" && e.target.command.includes("ls-count"),
    );
    expect(start.context.hidden).toEqual(
      expect.arrayContaining([join(env.HOME ?? "", ".ssh"), env.WARDEN_HOME]),
    );
  });

  it("hides denied files below the workspace's top level", async () => {
    mkdirSync(join(ws, "packages", "api", "config"), { recursive: true });
    writeFileSync(join(ws, "packages", "api", ".env"), "DB_PASSWORD=NESTED-SECRET\n");
    writeFileSync(join(ws, "packages", "api", "config", "tls.pem"), "PEM-SECRET\n");
    writeFileSync(join(ws, "packages", "api", "config", "app.json"), '{"port":8080}\n');
    // A script file, so that the decision on the command line (which would refuse these reads
    // spelled out) is not what stops them: the sandbox is.
    const script = join(dir, "nested-secrets.sh");
    writeFileSync(
      script,
      'cat packages/api/.env packages/api/config/tls.pem; cat packages/api/config/app.json; echo "echo=ok" >> packages/api/.env; echo "write=$?"\n',
    );
    const r = await wardenRun(["sh", script]);
    expect(r.stdout).not.toContain("NESTED-SECRET");
    expect(r.stdout).not.toContain("PEM-SECRET");
    expect(r.stdout).toContain('{"port":8080}');
    expect(r.stdout).toMatch(/write=[1-9]/);
    expect(readFileSync(join(ws, "packages", "api", ".env"), "utf8")).toBe(
      "DB_PASSWORD=NESTED-SECRET\n",
    );
    const start = events("exec.sandbox").find(
      (e) => e.context.phase === "start" && e.target.command.includes("nested-secrets.sh"),
    );
    expect(start.context.hidden).toEqual(
      expect.arrayContaining([
        join(ws, "packages", "api", ".env"),
        join(ws, "packages", "api", "config", "tls.pem"),
      ]),
    );
    expect(start.context.workspaceScan.truncated).toBe(false);
  });

  it("writes the workspace only, and not the agents' settings inside it", async () => {
    const script = [
      'echo ok > made-inside.txt; echo "ws=$?"',
      'touch "$HOME/outside.txt"; echo "home=$?"',
      'touch /etc/warden-test; echo "etc=$?"',
      `echo '{"hooks":null}' > .claude/settings.json; echo "claude=$?"`,
      `echo '{}' > .mcp.json; echo "mcp=$?"`,
      'mkdir -p .cursor && echo x > .cursor/hooks.json; echo "cursor=$?"',
    ].join("\n");
    const r = await wardenRun(["sh", "-c", script]);
    expect(r.stdout).toContain("ws=0");
    for (const name of ["home", "etc", "claude", "mcp", "cursor"]) {
      expect(r.stdout).toMatch(new RegExp(`${name}=[1-9]`));
    }
    expect(readFileSync(join(ws, "made-inside.txt"), "utf8")).toBe("ok\n");
    expect(existsSync(join(env.HOME ?? "", "outside.txt"))).toBe(false);
    expect(readFileSync(join(ws, ".claude", "settings.json"), "utf8")).toBe('{"hooks":{}}\n');
    // The mount points made for absent protected paths are gone again.
    expect(existsSync(join(ws, ".mcp.json"))).toBe(false);
    expect(existsSync(join(ws, ".cursor"))).toBe(false);
  });

  it("keeps shell rc files read-only, in the workspace and in a HOME the workspace holds", async () => {
    writeFileSync(join(ws, ".bashrc"), "# the project's rc\n");
    const inWs = await wardenRun([
      "sh",
      "-c",
      'echo evil >> .bashrc; echo "bashrc=$?"; echo evil > .envrc; echo "envrc=$?"; echo evil > .zshenv; echo "zshenv=$?"',
    ]);
    for (const name of ["bashrc", "envrc", "zshenv"])
      expect(inWs.stdout).toMatch(new RegExp(`${name}=[1-9]`));
    expect(readFileSync(join(ws, ".bashrc"), "utf8")).toBe("# the project's rc\n");
    expect(existsSync(join(ws, ".envrc"))).toBe(false);

    const home = env.HOME ?? "";
    writeFileSync(join(home, ".bashrc"), "# the user's rc\n");
    const inHome = await wardenRun(
      [
        "sh",
        "-c",
        'echo evil >> "$HOME/.bashrc"; echo "homerc=$?"; echo ok > "$HOME/scratch.txt"; echo "scratch=$?"',
      ],
      {},
      ["--workspace", home],
    );
    expect(inHome.stdout).toMatch(/homerc=[1-9]/);
    expect(inHome.stdout).toContain("scratch=0");
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("# the user's rc\n");
    rmSync(join(home, "scratch.txt"));
  });

  it("sweeps the placeholders of a run killed with SIGKILL at the next run", async () => {
    const child = spawn(
      process.execPath,
      [CLI, "run", "--policy", policyFile, "--workspace", ws, "--"].concat([
        "sh",
        "-c",
        "echo ready; exec sleep 30",
      ]),
      { cwd: ws, env: { PATH: process.env.PATH ?? "", ...env } },
    );
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        if (c.toString().includes("ready")) resolve();
      });
    });
    const record = join(env.WARDEN_HOME ?? "", "run", `sandbox-${child.pid}.json`);
    expect(existsSync(record)).toBe(true);
    expect(existsSync(join(ws, ".cursor"))).toBe(true);
    child.kill("SIGKILL");
    await once(child, "exit");
    // Left behind: warden had no chance to clean up.
    expect(existsSync(join(ws, ".cursor"))).toBe(true);
    expect(existsSync(join(ws, ".mcp.json"))).toBe(true);

    expect((await wardenRun(["true"])).status).toBe(0);
    expect(existsSync(join(ws, ".cursor"))).toBe(false);
    expect(existsSync(join(ws, ".mcp.json"))).toBe(false);
    expect(existsSync(join(ws, ".envrc"))).toBe(false);
    expect(existsSync(record)).toBe(false);
  });

  it.each(BRIDGES)(
    "passes the exit code and a signal through ($bridge bridge)",
    async ({ env: bridgeEnv }) => {
      expect((await wardenRun(["sh", "-c", "exit 7"], bridgeEnv)).status).toBe(7);
      expect((await wardenRun(["sh", "-c", "kill -TERM $$"], bridgeEnv)).status).toBe(128 + 15);
      const missing = await wardenRun(["no-such-command-here"], bridgeEnv);
      expect(missing.status).toBe(127);
      expect(missing.stderr).toContain("cannot run no-such-command-here: ENOENT");
    },
  );

  it("passes a signal sent to warden run on to the command", async () => {
    const { out, code } = await termWhenReady(["--policy", policyFile, "--workspace", ws], {
      cwd: ws,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    expect(out).toContain("got-term");
    expect(code).toBe(5);
  });

  it.each([
    ["as soon as bwrap is launched", false],
    ["once CMD was decided and its start recorded", true],
  ])(
    "a signal while the sandbox is still being set up (%s) ends the run before CMD starts",
    async (_when, admitted) => {
      // A bwrap that, for the sandbox (not the probe), says it has started and waits to be let go.
      const gate = join(dir, `bwrap-gate-${admitted}`);
      spawnSync("mkfifo", [gate]);
      const held = join(dir, `held-bwrap-${admitted}`);
      const real = spawnSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" }).stdout.trim();
      writeFileSync(
        held,
        `#!/bin/sh\ncase " $* " in *" --info-fd "*) echo bwrap-held >&2; read _ < "${gate}";; esac\nexec "${real}" "$@"\n`,
        { mode: 0o755 },
      );
      const ran = join(ws, `cmd-ran-${admitted}`);
      const child = spawn(
        process.execPath,
        [CLI, "run", "--policy", policyFile, "--workspace", ws, "--", "touch", ran],
        { cwd: ws, env: { PATH: process.env.PATH ?? "", ...env, WARDEN_BWRAP: held } },
      );
      let stderr = "";
      await new Promise<void>((setUp) => {
        child.stderr.on("data", (c: Buffer) => {
          stderr += c.toString();
          if (stderr.includes("bwrap-held")) setUp();
        });
      });
      if (admitted) {
        const recorded = () =>
          events("exec.sandbox").some(
            (e) => e.context.phase === "start" && e.target.command.includes(ran),
          );
        await expect.poll(recorded, { timeout: 20_000 }).toBe(true);
      }
      child.kill("SIGTERM");
      writeFileSync(gate, "go\n");
      // "close": every holder of warden run's stdout and stderr is gone, no orphaned bwrap among them.
      const [code] = await once(child, "close");
      expect(code).toBe(128 + 15);
      expect(existsSync(ran)).toBe(false);
      expect(stderr.replace("bwrap-held\n", "")).not.toMatch(/error|SANDBOX_BRIDGE/i);
    },
  );

  it("scrubs credential variables and audits their names, never their values", async () => {
    const r = await wardenRun(["sh", "-c", 'echo "token=[${GITHUB_TOKEN:-}] path=${PATH:+set}"'], {
      GITHUB_TOKEN: "ghp_SUPERSECRETVALUE",
    });
    expect(r.stdout).toContain("token=[] path=set");
    const start = events("exec.sandbox").find(
      (e) => e.context.phase === "start" && e.target.command.includes("token=["),
    );
    expect(start.context.envRemoved).toContain("GITHUB_TOKEN");
    const all = cli(["audit", "search", "--json", "--limit", "1000"], env).stdout;
    expect(all).not.toContain("ghp_SUPERSECRETVALUE");
  });

  it("refuses to run when neither bubblewrap nor Landlock can start, with the install hint", async () => {
    const r = await wardenRun(["sh", "-c", "echo ran > sub/ran.txt"], {
      WARDEN_BWRAP: join(dir, "no-such-bwrap"),
      WARDEN_PYTHON: join(dir, "no-such-python3"),
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("SANDBOX_UNAVAILABLE");
    expect(r.stderr).toMatch(/bubblewrap: .*no-such-bwrap is not installed/);
    expect(r.stderr).toMatch(/Landlock: .*no-such-python3: not installed/);
    expect(r.stderr).toContain("apt-get install bubblewrap");
    expect(existsSync(join(ws, "sub", "ran.txt"))).toBe(false);
  });

  it("decides the command itself first: deny and ask refuse it with the rule (exit 126)", async () => {
    const denied = await wardenRun(["sh", "-c", "echo ran > sub/denied.txt; rm -f sub/x"]);
    expect(denied.status).toBe(126);
    expect(denied.stderr).toContain("is denied (rule no-deleting)");
    expect(denied.stderr).toContain("Deleting needs a human.");
    const asked = await wardenRun(["git", "push", "origin", "main"]);
    expect(asked.status).toBe(126);
    expect(asked.stderr).toContain("needs approval (rule push-asks)");
    expect(asked.stderr).toContain("cannot ask anyone");
    expect(existsSync(join(ws, "sub", "denied.txt"))).toBe(false);
    const decided = events("exec.sandbox").filter((e) => e.context.phase === "decide");
    // A policy can tell a command started contained from one asked for through a hook.
    expect(decided[0]?.context.via).toBe("warden run");
    expect(decided.find((e) => e.target.command.includes("denied.txt"))?.decision).toMatchObject({
      effect: "deny",
      rule: "no-deleting",
    });
    expect(
      decided.find((e) => e.target.command === "git push origin main")?.decision,
    ).toMatchObject({
      effect: "ask",
      rule: "push-asks",
    });
    // A refused command never starts a sandbox.
    expect(
      events("exec.sandbox").filter(
        (e) => e.context.phase === "start" && e.target.command.includes("denied.txt"),
      ),
    ).toEqual([]);
  });

  it("--report-only lets a denied command and a denied host through, and audits both as would-deny", async () => {
    const other = http.createServer((_req, res) => res.end("hello from 127.0.0.2\n"));
    other.listen(0, "127.0.0.2");
    await once(other, "listening");
    const port = (other.address() as AddressInfo).port;
    const curl = [
      "curl",
      "-H",
      "X-Probe:1",
      "-sS",
      "-i",
      "--max-time",
      "5",
      `http://127.0.0.2:${port}/`,
    ];
    try {
      const enforced = await wardenRun(curl);
      expect(enforced.status).toBe(126);
      expect(enforced.stderr).toContain("rule no-probes");

      const r = await wardenRun(curl, {}, ["--report-only"]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("hello from 127.0.0.2");
      expect(r.stderr).toContain("report-only");
      const decide = events("exec.sandbox").find(
        (e) => e.context.phase === "decide" && e.context.reportOnly === true,
      );
      expect(decide).toMatchObject({ decision: { effect: "deny", rule: "no-probes" } });
      const session = decide.principal.session as string;
      const conn = events("net.proxy").find(
        (e) => e.kind === "net.connect" && e.principal.session === session,
      );
      expect(conn).toMatchObject({
        target: { host: "127.0.0.2", port },
        decision: { effect: "deny" },
        context: { reportOnly: true },
      });
    } finally {
      other.close();
    }
  });
});
