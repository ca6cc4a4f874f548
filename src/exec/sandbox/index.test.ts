import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../policy/index.js";
import { PYTHON_BRIDGE } from "./bridge-python.js";
import { planSandbox, SANDBOX_BRIDGE, scrubEnv } from "./index.js";

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
