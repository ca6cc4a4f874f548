import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../policy/index.js";
import { PYTHON_BRIDGE } from "./bridge-python.js";
import { planSandbox, SANDBOX_BRIDGE, scanWarnings, scrubEnv } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "warden-sandbox-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policy = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: plan, version: "1" }
defaults: { exec: allow, fs.read: allow, fs.write: allow, net.connect: deny, mcp.call: ask, cred.use: deny }
rules:
  - id: secrets
    kind: fs.read
    deny: ["~/.ssh/**", "~/.netrc", "**/.env"]
  - id: npm-token-ok
    kind: cred.use
    allow: ["NPM_TOKEN:env"]
`);

describe("planSandbox", () => {
  const home = join(dir, "home");
  const ws = join(dir, "ws");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  writeFileSync(join(home, ".netrc"), "machine x\n");
  writeFileSync(join(home, ".profile"), "\n");
  mkdirSync(join(ws, ".claude"), { recursive: true });
  writeFileSync(join(ws, ".env"), "A=1\n");
  writeFileSync(join(home, ".ssh", "id_rsa"), "k\n");
  mkdirSync(join(ws, "sub"), { recursive: true });
  symlinkSync(join(home, ".ssh", "id_rsa"), join(ws, "sub", "key-link"));
  symlinkSync(join(ws, ".env"), join(ws, "sub", "env-link"));
  mkdirSync(join(ws, "vendor", "lib", ".git", "hooks"), { recursive: true });
  writeFileSync(join(ws, "vendor", "lib", ".git", "config"), "[core]\n");
  mkdirSync(join(ws, "sub", ".cursor"));
  const plan = planSandbox({
    policy,
    principal: { agent: "claude-code", session: "s1" },
    workspace: ws,
    cwd: ws,
    command: ["true"],
    env: { PATH: "/usr/bin", HOME: home, GITHUB_TOKEN: "v", NPM_TOKEN: "n", HTTP_PROXY: "x" },
    wardenHome: join(home, ".warden"),
    home,
  });
  const args = plan.args.join(" ");

  it("isolates every namespace and binds the workspace writable after the read-only root", () => {
    expect(plan.args.slice(0, 4)).toEqual([
      "--unshare-all",
      "--unshare-net",
      "--die-with-parent",
      "--new-session",
    ]);
    expect(args).toContain("--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run");
    expect(args.indexOf(`--bind ${ws} ${ws}`)).toBeGreaterThan(args.indexOf("--ro-bind / /"));
    expect(args).toContain("--cap-drop ALL --seccomp 5");
    expect(plan.seccomp.length % 8).toBe(0);
    // No unix socket is bound in: the bridge hands its own listener out over the IPC channel.
    expect(args).not.toMatch(/\.sock\b/);
  });

  it("runs the bridge with Python where one can start inside, else with this Node", () => {
    const base = {
      policy,
      principal: { agent: "a", session: "s" },
      workspace: ws,
      cwd: ws,
      command: ["true"],
      env: { PATH: "/usr/bin" },
      home,
    };
    const python = "/usr/bin/python3.11";
    const withPython = planSandbox({ ...base, python }).args;
    expect(withPython.slice(-8)).toEqual([
      python,
      "-I",
      "-S",
      "-c",
      PYTHON_BRIDGE,
      "3128",
      "--",
      "true",
    ]);
    expect(withPython.join(" ")).toContain(`--ro-bind ${python} ${python}`);
    expect(withPython).not.toContain(SANDBOX_BRIDGE);
    const withNode = planSandbox({ ...base, python: null }).args;
    expect(withNode.slice(-5)).toEqual([process.execPath, SANDBOX_BRIDGE, "3128", "--", "true"]);
    expect(withNode.join(" ")).toContain(`--ro-bind ${process.execPath} ${process.execPath}`);
    // An interpreter under a hidden path could not start: the Node bridge runs instead.
    const hiddenPython = join(home, ".ssh", "bin", "python3");
    expect(planSandbox({ ...base, python: hiddenPython }).args).toContain(SANDBOX_BRIDGE);
  });

  it("hides what fs.read denies and keeps agent settings read-only inside the workspace", () => {
    expect(plan.hidden.sort()).toEqual([
      join(home, ".netrc"),
      join(home, ".ssh"),
      join(ws, ".env"),
    ]);
    expect(args).toContain(`--tmpfs ${join(home, ".ssh")} --remount-ro`);
    expect(args).toContain(`--ro-bind /dev/null ${join(home, ".netrc")}`);
    expect(args.indexOf(`--ro-bind ${join(ws, ".claude")}`)).toBeGreaterThan(
      args.indexOf(`--bind ${ws} ${ws}`),
    );
    expect(plan.readOnly).toContain(join(ws, ".mcp.json"));
  });

  it("keeps settings and hooks below the workspace's top read-only too (a nested repository)", () => {
    for (const rel of ["vendor/lib/.git/hooks", "vendor/lib/.git/config", "sub/.cursor"]) {
      expect(plan.readOnly).toContain(join(ws, rel));
      expect(args).toContain(`--ro-bind ${join(ws, rel)} ${join(ws, rel)}`);
    }
    // Only at the top do absent ones get placeholders.
    expect(plan.created.filter((p) => p.includes("/vendor/") || p.includes("/sub/"))).toEqual([]);
  });

  it("hides a link's target, never the link (bwrap could not mount through a hidden directory)", () => {
    expect(plan.hidden).not.toContain(join(ws, "sub", "key-link"));
    expect(plan.hidden).not.toContain(join(ws, "sub", "env-link"));
    expect(args).not.toContain("link");
  });

  it("scrubs credentials unless cred.use allows them and points every proxy variable at the bridge", () => {
    expect(plan.envRemoved).toEqual(["GITHUB_TOKEN"]);
    expect(plan.env.NPM_TOKEN).toBe("n");
    expect(plan.env.GITHUB_TOKEN).toBeUndefined();
    expect(plan.env.HTTP_PROXY).toBe("http://claude-code:s1@127.0.0.1:3128");
    expect(plan.env.https_proxy).toBe(plan.env.HTTP_PROXY);
  });
});

describe("planSandbox on a bad workspace", () => {
  it("refuses a workspace that is not a directory", () => {
    for (const workspace of [join(dir, "missing"), join(dir, "home", ".netrc")]) {
      expect(() =>
        planSandbox({
          policy,
          principal: { agent: "a", session: "s" },
          workspace,
          cwd: dir,
          command: ["true"],
          env: { PATH: "/usr/bin" },
          home: join(dir, "home"),
        }),
      ).toThrow(expect.objectContaining({ code: "SANDBOX_WORKSPACE" }));
    }
  });
});

describe("scrubEnv", () => {
  it("removes credential-looking names, case-insensitively, and keeps the rest", () => {
    const { env, removed } = scrubEnv(
      { AWS_PROFILE: "p", db_password: "x", MY_API_KEY: "k", HOME: "/h", EDITOR: "vi" },
      policy,
      { agent: "a" },
      [],
    );
    expect(removed).toEqual(["AWS_PROFILE", "MY_API_KEY", "db_password"]);
    expect(env).toEqual({ HOME: "/h", EDITOR: "vi" });
  });
});

describe("planSandbox in HOME", () => {
  // Not under /tmp, which the sandbox has its own of: nothing there is bound or hidden by name.
  const home = mkdtempSync("/var/tmp/warden-deep-home-");
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const ws = join(home, "code", "ws");
  const put = (rel: string) => {
    mkdirSync(join(home, rel, ".."), { recursive: true });
    writeFileSync(join(home, rel), "secret\n");
  };
  put(".local/share/keyrings/login.keyring");
  put("code/other/.env");
  put("code/ws/.env");
  put("a/b/c/d/e/f/.env");
  put(".warden/audit.db");
  put(".cache/tool/token");
  for (let i = 0; i < 30; i++) put(`.cache/pip/wheels/w${i}`);
  const deep = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: deep, version: "1" }
rules:
  - id: secrets
    kind: fs.read
    deny: ["~/.local/share/keyrings/**", "**/.env", "~/.warden/**", "~/.cache/tool/**"]
`);
  const plan = (homeWalkLimits?: { maxDepth: number; maxEntries: number }) =>
    planSandbox({
      policy: deep,
      principal: { agent: "a", session: "s" },
      workspace: ws,
      cwd: ws,
      command: ["true"],
      env: { PATH: "/usr/bin", HOME: home },
      home,
      ...(homeWalkLimits === undefined ? {} : { homeWalkLimits }),
    });

  it("hides what fs.read denies below HOME's top level, down to the walk's depth", () => {
    const p = plan();
    expect(p.hidden.sort()).toEqual(
      [
        join(home, ".cache/tool"),
        join(home, ".local/share/keyrings"),
        join(home, ".warden"),
        join(home, "code/other/.env"),
        join(home, "code/ws/.env"),
      ].sort(),
    );
    // Deeper than HOME's bound: not probed, and said so (the bound is the walk's reach).
    expect(p.hidden).not.toContain(join(home, "a/b/c/d/e/f/.env"));
    expect(p.homeScan).toMatchObject({ maxDepth: 5, truncated: false });
    // The workspace inside HOME is walked on its own, not twice; caches are not entered (what a
    // rule names there is hidden all the same: ~/.cache/tool above).
    expect(p.homeScan.entries).toBeLessThan(20);
    expect(p.workspaceScan.entries).toBe(1);
  });

  it("says when the entry bound cut HOME's walk short", () => {
    const p = plan({ maxDepth: 5, maxEntries: 3 });
    expect(p.homeScan).toEqual({ entries: 3, maxDepth: 5, truncated: true });
    expect(scanWarnings(p)).toEqual([
      "HOME is large: files denied to fs.read outside the workspace were looked for in the first 3 entries only",
    ]);
    // The depth bound is the walk's stated reach, not a cut: no warning for it.
    expect(scanWarnings(plan())).toEqual([]);
  });
});

describe("planSandbox and deny rules that name a path", () => {
  it("hides what an fs.read rule names outside HOME and the workspace", () => {
    // Not under /tmp: the sandbox's /tmp is its own, nothing there is bound or hidden.
    const root = mkdtempSync("/var/tmp/warden-named-");
    try {
      mkdirSync(join(root, "srv", "app", "keys"), { recursive: true });
      writeFileSync(join(root, "srv", "app", ".env"), "A=1\n");
      writeFileSync(join(root, "srv", "app", "keys", "tls.pem"), "k\n");
      mkdirSync(join(root, "ws"));
      mkdirSync(join(root, "home"));
      const named = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: named, version: "1" }
rules:
  - id: app-secrets
    kind: fs.read
    deny: ["${root}/srv/app/.env", "${root}/srv/*/keys/**", "${root}/srv/**/*.crt"]
`);
      const p = planSandbox({
        policy: named,
        principal: { agent: "a", session: "s" },
        workspace: join(root, "ws"),
        cwd: join(root, "ws"),
        command: ["true"],
        env: { PATH: "/usr/bin" },
        home: join(root, "home"),
      });
      expect(p.hidden).toContain(join(root, "srv", "app", ".env"));
      expect(p.hidden).toContain(join(root, "srv", "app", "keys"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
