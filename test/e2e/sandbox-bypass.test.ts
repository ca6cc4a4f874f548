/**
 * Sandbox bypass corpus: tricks an agent (or a script it fetched) could try from inside
 * `warden run`, each run as a real command in the real sandbox (bubblewrap, seccomp, the egress
 * proxy). Two sandbox starts in all: each group is one shell script printing one result line
 * per trick (`@@name=STATUS|OUTPUT`), and every trick is its own test asserting the specific way
 * it failed. Loopback only: the servers are this process's; sends to other addresses happen only
 * after the script has checked that the sandbox's network namespace has no interface but lo.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "./cli.js";

interface Trick {
  name: string;
  /** Shell run inside the sandbox; its status and output (stdout and stderr) are recorded. */
  run: string;
}

const SECRET_KEY = "FAKE-SSH-KEY-7f3a";
const SECRET_ENV = "WORKSPACE-DOTENV-91bc";
const CANARY = "ghp_CANARYVALUE0123456789";

let dir: string;
let ws: string;
let home: string;
let wardenHome: string;
let policyFile: string;
let origin: http.Server;
let originPort: number;
let lanServer: net.Server | undefined;
let hostIp: string | undefined;
let daemon: net.Server;
let abstractDaemon: net.Server;
let daemonHits = 0;
let originHits = 0;
let lanHits = 0;
const results = new Map<string, { status: number; out: string }>();

/** One script for a group: each trick in a subshell, its result on one line. */
function script(tricks: Trick[]): string {
  return tricks
    .map(
      (t) =>
        `out=$( ( ${t.run} ) 2>&1 ); printf '@@%s=%s|%s\\n' '${t.name}' "$?" "$(printf %s "$out" | tr '\\r\\n' '  ' | cut -c1-400)"`,
    )
    .join("\n");
}

function wardenRun(command: string[]): Promise<{ status: number | null; stdout: string }> {
  const child = spawn(
    process.execPath,
    [CLI, "run", "--policy", policyFile, "--workspace", ws, "--agent", "bypass", "--", ...command],
    {
      cwd: ws,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        WARDEN_HOME: wardenHome,
        GITHUB_TOKEN: CANARY,
      },
    },
  );
  let stdout = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    if (process.env.WARDEN_BYPASS_DUMP) process.stderr.write(c);
  });
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout })));
}

let groups = 0;
async function runGroup(tricks: Trick[], guard = ""): Promise<void> {
  // A script file, as if fetched at run time: `warden run` decides the command line it is given
  // (and would refuse `cat ~/.ssh/id_rsa` spelled out there); the sandbox must hold regardless.
  const file = join(dir, `tricks-${++groups}.sh`);
  writeFileSync(file, `${guard}\n${script(tricks)}`);
  const r = await wardenRun(["sh", file]);
  for (const line of r.stdout.split("\n")) {
    const m = /^@@([a-z0-9-]+)=(\d+)\|(.*)$/.exec(line);
    if (m) results.set(m[1] as string, { status: Number(m[2]), out: m[3] as string });
  }
}

function result(name: string): { status: number; out: string } {
  const r = results.get(name);
  if (r === undefined) throw new Error(`trick ${name} printed no result`);
  return r;
}

// --- the corpus (functions: paths and ports are known once beforeAll ran) ---

const filesystem = (): Trick[] => {
  const key = `${home}/.ssh/id_rsa`;
  return [
    { name: "plain-read", run: `cat ${key}` },
    { name: "proc-self-root", run: `cat /proc/self/root${key}` },
    { name: "proc-1-root", run: `cat /proc/1/root${key}` },
    { name: "proc-self-cwd", run: "cat /proc/self/cwd/pkg/api/.env" },
    { name: "symlink-to-key", run: `ln -sf ${key} key-link && cat key-link` },
    { name: "symlink-to-dotenv", run: "ln -sf pkg/api/.env env-link && cat env-link" },
    { name: "hardlink-to-dotenv", run: "ln -f pkg/api/.env env-hard && cat env-hard" },
    { name: "dynamic-loader", run: `/lib64/ld-linux-x86-64.so.2 /bin/cat ${key}` },
    { name: "loader-on-dotenv", run: "/lib64/ld-linux-x86-64.so.2 /bin/cat pkg/api/.env" },
    { name: "dev-fd-redirect", run: "exec 3< pkg/api/.env && cat /dev/fd/3" },
    { name: "mount-over", run: `mount --bind /tmp ${home}/.ssh` },
    { name: "umount-hidden", run: `umount ${home}/.ssh` },
    {
      name: "unshare-remount",
      run: `unshare -Urm sh -c 'umount ${home}/.ssh && cat ${key}'`,
    },
    { name: "chroot", run: "chroot / true" },
    { name: "write-claude-settings", run: `echo '{"hooks":{}}' > .claude/settings.json` },
    { name: "move-claude-dir", run: "mv .claude .claude-old" },
    { name: "write-git-hook", run: "echo 'curl evil' > .git/hooks/pre-commit" },
    { name: "write-git-config", run: "git config core.hooksPath /tmp/hooks" },
    { name: "write-mcp-json", run: `echo '{"mcpServers":{}}' > .mcp.json` },
    { name: "write-home-bashrc", run: `echo 'curl evil' >> ${home}/.bashrc` },
    { name: "write-authorized-keys", run: `echo ssh-ed25519 AAAA >> ${home}/.ssh/authorized_keys` },
    {
      name: "read-warden-home",
      run: `ls -A ${wardenHome} | grep . && cat ${wardenHome}/policy.yaml`,
    },
    { name: "write-warden-policy", run: `echo 'rules: []' > ${wardenHome}/policy.yaml` },
  ];
};

const processes = (): Trick[] => [
  { name: "signal-host-process", run: `kill -0 ${process.pid}` },
  { name: "ptrace-host-process", run: `python3 probe.py ptrace ${process.pid}` },
  { name: "host-environ", run: `cat /proc/${process.pid}/environ` },
  { name: "environ-scan", run: "grep -l ghp_CANARY /proc/[0-9]*/environ" },
  { name: "see-host-processes", run: "ls /proc | grep -c '^[0-9]'" },
  {
    name: "setuid-escalation",
    run: "cp /bin/grep ./suid-grep && chmod u+s ./suid-grep && ./suid-grep -E '^(CapEff|NoNewPrivs)' /proc/self/status",
  },
  { name: "su-root", run: "su -c 'id -u' root < /dev/null" },
];

const network = (): Trick[] => {
  const origin = `http://127.0.0.1:${originPort}`;
  const direct = "curl -sS --noproxy '*' --max-time 3";
  const resolver =
    /^nameserver\s+(\S+)/m.exec(readFileSync("/etc/resolv.conf", "utf8"))?.[1] ?? "127.0.0.53";
  return [
    { name: "direct-loopback", run: `${direct} ${origin}/` },
    { name: "direct-postgres", run: "python3 probe.py tcp 127.0.0.1 5432" },
    { name: "direct-ipv6-loopback", run: `python3 probe.py tcp ::1 ${originPort}` },
    {
      name: "direct-host-address",
      run: hostIp ? `python3 probe.py tcp ${hostIp} ${lanPort()}` : "echo no-lan-address; exit 9",
    },
    { name: "direct-metadata", run: "python3 probe.py tcp 169.254.169.254 80" },
    {
      name: "node-ignores-proxy",
      run: `node -e 'require("http").get("${origin}/", () => console.log("reached")).on("error", (e) => { console.log(e.code); process.exit(1) })'`,
    },
    { name: "udp-host-resolver", run: `python3 probe.py udp ${resolver} 53` },
    { name: "udp-public-dns", run: "python3 probe.py udp 8.8.8.8 53" },
    { name: "dns-lookup", run: "getent hosts example.com" },
    { name: "unix-host-socket", run: "python3 probe.py unix host-daemon.sock" },
    { name: "abstract-unix-socket", run: "python3 probe.py abstract warden-bypass-abstract" },
    {
      name: "metadata-via-proxy",
      run: "curl -sS -i --max-time 5 http://169.254.169.254/latest/meta-data/",
    },
    { name: "metadata-decimal-ip", run: "curl -sS -i --max-time 5 http://2852039166/" },
    {
      name: "metadata-ipv4-mapped",
      run: "curl -sS -i --max-time 5 'http://[::ffff:169.254.169.254]/'",
    },
    { name: "redirect-to-internal", run: `curl -sS -i -L --max-time 5 ${origin}/redirect` },
    {
      name: "connect-to-postgres",
      run: "curl -sS --max-time 5 --proxytunnel telnet://127.0.0.1:5432",
    },
    {
      name: "host-header-mismatch",
      run: `curl -sS -i --max-time 5 -H 'Host: 169.254.169.254' ${origin}/`,
    },
    { name: "socks4", run: `curl -sS --max-time 5 --socks4 127.0.0.1:3128 ${origin}/` },
    { name: "socks4a", run: `curl -sS --max-time 5 --socks4a 127.0.0.1:3128 ${origin}/` },
    {
      name: "socks5-to-postgres",
      run: "curl -sS --max-time 5 --socks5-hostname 127.0.0.1:3128 http://127.0.0.1:5432/",
    },
  ];
};

/** Sends nothing unless the sandbox's network namespace has no interface but loopback. */
const LOOPBACK_ONLY_GUARD = `if [ "$(grep -c : /proc/net/dev)" != 1 ] || ! grep -q ' lo:' /proc/net/dev; then echo '@@loopback-only=1|'"$(cat /proc/net/dev | tr '\\n' ' ')"; exit 1; fi; echo '@@loopback-only=0|'`;

const PROBE_PY = `import ctypes, errno, os, socket, sys
kind, *a = sys.argv[1:]
try:
    if kind == "tcp":
        fam = socket.AF_INET6 if ":" in a[0] else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3); s.connect((a[0], int(a[1])))
    elif kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"\\x12\\x34" + b"\\x00" * 10, (a[0], int(a[1])))
    elif kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(a[0])
    elif kind == "abstract":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect("\\0" + a[0])
    elif kind == "ptrace":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.ptrace(16, int(a[0]), 0, 0) != 0:  # PTRACE_ATTACH
            raise OSError(ctypes.get_errno(), "ptrace")
    print("reached"); sys.exit(0)
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e))); sys.exit(1)
`;

let lanPort: () => number = () => 0;

beforeAll(async () => {
  // Not under /tmp: the sandbox's /tmp is private.
  dir = mkdtempSync("/var/tmp/warden-bypass-");
  ws = join(dir, "ws");
  home = join(dir, "home");
  wardenHome = join(dir, "warden");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  writeFileSync(join(home, ".ssh", "id_rsa"), `${SECRET_KEY}\n`);
  writeFileSync(join(home, ".bashrc"), "# rc\n");
  mkdirSync(join(ws, ".claude"), { recursive: true });
  writeFileSync(join(ws, ".claude", "settings.json"), '{"hooks":{"PreToolUse":[]}}\n');
  mkdirSync(join(ws, "pkg", "api"), { recursive: true });
  writeFileSync(join(ws, "pkg", "api", ".env"), `TOKEN=${SECRET_ENV}\n`);
  writeFileSync(join(ws, "probe.py"), PROBE_PY);
  mkdirSync(wardenHome, { recursive: true });
  writeFileSync(join(wardenHome, "policy.yaml"), "# Warden's own\n");
  const git = spawn("git", ["init", "-q", ws]);
  await once(git, "close");

  origin = http.createServer((req, res) => {
    originHits++;
    if (req.url === "/redirect") {
      res.writeHead(302, { Location: "http://127.0.0.1:5432/" });
      res.end();
    } else res.end("hello from the host\n");
  });
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  originPort = (origin.address() as AddressInfo).port;
  hostIp = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
  if (hostIp !== undefined) {
    const lan = net.createServer((s) => {
      lanHits++;
      s.end();
    });
    lan.listen(0, hostIp);
    await once(lan, "listening");
    lanServer = lan;
    lanPort = () => (lan.address() as AddressInfo).port;
  }
  daemon = net.createServer((s) => {
    daemonHits++;
    s.end("daemon\n");
  });
  daemon.listen(join(ws, "host-daemon.sock"));
  await once(daemon, "listening");
  abstractDaemon = net.createServer((s) => {
    daemonHits++;
    s.end("daemon\n");
  });
  abstractDaemon.listen("\0warden-bypass-abstract");
  await once(abstractDaemon, "listening");

  policyFile = join(dir, "policy.yaml");
  writeFileSync(
    policyFile,
    `apiVersion: warden/v1
kind: Policy
metadata: { name: bypass-corpus, version: "1" }
defaults: { exec: allow, fs.read: allow, fs.write: allow, net.connect: deny, mcp.call: ask, cred.use: deny }
rules:
  - id: secrets-stay-home
    kind: fs.read
    deny: ["~/.ssh/**", "**/.env"]
  - id: test-origin
    kind: net.connect
    allow: ["127.0.0.1:${originPort}"]
  - id: no-metadata
    kind: net.connect
    deny: ["169.254.0.0/16"]
    reason: Cloud metadata is never reachable from an agent.
`,
  );
  await runGroup([...filesystem(), ...processes()]);
  await runGroup(network(), LOOPBACK_ONLY_GUARD);
  if (process.env.WARDEN_BYPASS_DUMP)
    for (const [k, v] of results) process.stdout.write(`${k}=${v.status}|${v.out}\n`);
}, 60_000);

afterAll(() => {
  origin?.close();
  lanServer?.close();
  daemon?.close();
  abstractDaemon?.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOT_FOUND = /^1\|.*No such file or directory/;
const NO_ACCESS = /^1\|.*Permission denied/;
const READ_ONLY = /^2\|.*Read-only file system/;
const WARDEN_403 = (rule: string) =>
  new RegExp(`HTTP/1.1 403 Forbidden .*X-Warden-Rule: ${rule}.*Warden denied this connection`);

/** Each trick and how it must fail (matched against `STATUS|OUTPUT`). */
const EXPECTED: Record<string, RegExp> = {
  // Hidden paths, whichever way they are named.
  "plain-read": NOT_FOUND,
  "proc-self-root": NOT_FOUND,
  "proc-1-root": NOT_FOUND,
  "proc-self-cwd": NO_ACCESS,
  "symlink-to-key": NOT_FOUND,
  "symlink-to-dotenv": NO_ACCESS,
  "hardlink-to-dotenv": /^1\|.*Invalid cross-device link/,
  "dynamic-loader": NOT_FOUND,
  "loader-on-dotenv": NO_ACCESS,
  "dev-fd-redirect": /^2\|.*cannot open pkg\/api\/\.env: Permission denied/,
  // No way to change the mounts.
  "mount-over": /^32\|.*permission denied/,
  "umount-hidden": /^32\|.*must be superuser to unmount/,
  "unshare-remount": /^1\|unshare: .*Operation not permitted/,
  chroot: /^125\|.*Operation not permitted/,
  // The leash stays on.
  "write-claude-settings": READ_ONLY,
  "move-claude-dir": /^1\|.*Device or resource busy/,
  "write-git-hook": READ_ONLY,
  "write-git-config": /^4\|.*could not write config file \.git\/config/,
  "write-mcp-json": /^2\|.*cannot create \.mcp\.json/,
  "write-home-bashrc": READ_ONLY,
  "write-authorized-keys": READ_ONLY,
  "read-warden-home": /^1\|$/,
  "write-warden-policy": READ_ONLY,
  // Host processes are out of sight and reach.
  "signal-host-process": /^1\|.*No such process/,
  "ptrace-host-process": /^1\|ESRCH$/,
  "host-environ": NOT_FOUND,
  "environ-scan": /^1\|$/,
  "see-host-processes": /^0\|[1-9]$/,
  "setuid-escalation": /^0\|CapEff:\s+0{16} NoNewPrivs:\s+1$/,
  "su-root": /^1\|su: .*Operation not permitted/,
  // No network but the proxy.
  "loopback-only": /^0\|$/,
  "direct-loopback": /^7\|.*Couldn't connect to server/,
  "direct-postgres": /^1\|ECONNREFUSED$/,
  "direct-ipv6-loopback": /^1\|ECONNREFUSED$/,
  "direct-host-address": /^1\|ENETUNREACH$/,
  "direct-metadata": /^1\|ENETUNREACH$/,
  "node-ignores-proxy": /^1\|ECONNREFUSED$/,
  "udp-host-resolver": /^1\|ENETUNREACH$/,
  "udp-public-dns": /^1\|ENETUNREACH$/,
  "dns-lookup": /^2\|$/,
  "unix-host-socket": /^1\|EPERM$/,
  "abstract-unix-socket": /^1\|EPERM$/,
  // Through the proxy: Warden decides, and says why.
  "metadata-via-proxy": WARDEN_403("no-metadata"),
  "metadata-decimal-ip": WARDEN_403("no-metadata"),
  "metadata-ipv4-mapped": WARDEN_403("no-metadata"),
  "redirect-to-internal": /HTTP\/1.1 302 Found .*HTTP\/1.1 403 Forbidden .*X-Warden-Rule: default/,
  "connect-to-postgres": /^56\|.*CONNECT tunnel failed, response 403/,
  "host-header-mismatch": WARDEN_403("warden:host-mismatch"),
  socks4: /^97\|.*SOCKS4 .*request rejected/,
  socks4a: /^97\|.*SOCKS4 .*request rejected/,
  "socks5-to-postgres": /^97\|.*SOCKS5 connection to 127\.0\.0\.1\. \(2\)/,
};

describe("sandbox bypass corpus", () => {
  it("ran every trick, and more than 30 of them", () => {
    expect([...results.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(results.size).toBeGreaterThan(30);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} fails`, () => {
      const r = result(name);
      const line = `${r.status}|${r.out}`;
      expect(line).toMatch(expected);
      for (const secret of [SECRET_KEY, SECRET_ENV, CANARY, "reached", "daemon"])
        expect(r.out).not.toContain(secret);
    });
  }

  it("left the host untouched: no file changed, no daemon or LAN server reached", () => {
    expect(daemonHits).toBe(0);
    expect(lanHits).toBe(0);
    expect(originHits).toBe(1); // the allowed first hop of the redirect, nothing else
    expect(readFileSync(join(ws, ".claude", "settings.json"), "utf8")).toBe(
      '{"hooks":{"PreToolUse":[]}}\n',
    );
    expect(readFileSync(join(ws, ".git", "config"), "utf8")).not.toContain("hooksPath");
    expect(existsSync(join(ws, ".git", "hooks", "pre-commit"))).toBe(false);
    expect(existsSync(join(ws, ".mcp.json"))).toBe(false);
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("# rc\n");
    expect(existsSync(join(home, ".ssh", "authorized_keys"))).toBe(false);
    expect(readFileSync(join(wardenHome, "policy.yaml"), "utf8")).toBe("# Warden's own\n");
  });
});
