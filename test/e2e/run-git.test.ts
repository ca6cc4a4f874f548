/**
 * Real git in the workspace, under each mechanism. bubblewrap: `git add -A` and `git commit` work
 * (the placeholders for absent protected files are empty directories, which git skips) while
 * .git/config and .git/hooks stay read-only. Landlock: reading git works, writing it cannot —
 * git's lock files and renames at the top of .git need rights that Landlock would hold beneath
 * it, over .git/config and .git/hooks too — and warden run says so up front.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CLI, type CliResult, runAsync } from "./cli.js";

const dir = mkdtempSync("/var/tmp/warden-git-");
const ws = join(dir, "ws");
const home = join(dir, "user");
const env = {
  PATH: process.env.PATH ?? "",
  HOME: home,
  WARDEN_HOME: join(dir, "warden"),
  GIT_AUTHOR_NAME: "agent",
  GIT_AUTHOR_EMAIL: "agent@example.test",
  GIT_COMMITTER_NAME: "agent",
  GIT_COMMITTER_EMAIL: "agent@example.test",
};
mkdirSync(home);
writeFileSync(
  join(dir, "policy.yaml"),
  `apiVersion: warden/v1
kind: Policy
metadata: { name: run-git, version: "1" }
defaults: { exec: allow, dynamic: allow, fs.read: allow, fs.write: allow, net.connect: deny, cred.use: deny }
rules:
  - id: secrets
    kind: fs.read
    deny: ["~/.ssh/**"]
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function git(...args: string[]): string {
  const r = spawnSync("git", args, { cwd: ws, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function wardenRun(script: string, mechanism: string): Promise<CliResult> {
  writeFileSync(join(dir, "script.sh"), script);
  return runAsync(
    process.execPath,
    [CLI, "run", "--policy", join(dir, "policy.yaml"), "--workspace", ws, "--"].concat([
      "sh",
      join(dir, "script.sh"),
    ]),
    { cwd: ws, env: { ...env, WARDEN_SANDBOX: mechanism } },
  );
}

const SCRIPT = [
  "git status --porcelain; echo status=$?",
  "git add -A; echo add=$?",
  "git commit -qm 'from the sandbox'; echo commit=$?",
  "git config core.hooksPath /tmp/hooks; echo config=$?",
  "echo 'curl evil' > .git/hooks/pre-commit; echo hook=$?",
].join("\n");

beforeEach(() => {
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, "src"), { recursive: true });
  writeFileSync(join(ws, "README.md"), "# project\n");
  git("init", "-q", ".");
  git("add", "-A");
  git("commit", "-qm", "initial");
  writeFileSync(join(ws, "README.md"), "# project, edited\n");
  writeFileSync(join(ws, "src", "new.ts"), "export {};\n");
});

describe("git in warden run", () => {
  it("adds and commits under bubblewrap; .git/config and .git/hooks stay read-only", async () => {
    const config = readFileSync(join(ws, ".git", "config"), "utf8");
    const r = await wardenRun(SCRIPT, "bwrap");
    for (const ok of ["status", "add", "commit"]) expect(r.stdout).toContain(`${ok}=0`);
    for (const refused of ["config", "hook"])
      expect(r.stdout).toMatch(new RegExp(`${refused}=[1-9]`));
    // Only the project's own files: no placeholder was staged or shown as untracked.
    expect(r.stdout).not.toMatch(/\?\? \.(mcp|bash|zsh|env|profile|cursor)/);
    expect(git("show", "--name-only", "--format=%s", "HEAD").trim().split("\n")).toEqual([
      "from the sandbox",
      "",
      "README.md",
      "src/new.ts",
    ]);
    expect(readFileSync(join(ws, ".git", "config"), "utf8")).toBe(config);
    expect(existsSync(join(ws, ".git", "hooks", "pre-commit"))).toBe(false);
    expect(git("status", "--porcelain")).toBe("");
  });

  it("reads git under Landlock, cannot write it, and says why up front", async () => {
    const config = readFileSync(join(ws, ".git", "config"), "utf8");
    const r = await wardenRun(`${SCRIPT}\ngit log --oneline | wc -l; git diff --stat`, "landlock");
    expect(r.stderr).toContain(
      "under Landlock the top of the workspace and of .git are not writable",
    );
    expect(r.stdout).toContain("status=0");
    expect(r.stdout).toContain("README.md | 2 +-");
    expect(r.stderr).toMatch(/Unable to create '.*\/\.git\/index\.lock': Permission denied/);
    for (const refused of ["add", "commit", "config", "hook"]) {
      expect(r.stdout).toMatch(new RegExp(`${refused}=[1-9]`));
    }
    expect(git("log", "--oneline").trim().split("\n")).toHaveLength(1);
    expect(readFileSync(join(ws, ".git", "config"), "utf8")).toBe(config);
    expect(existsSync(join(ws, ".git", "hooks", "pre-commit"))).toBe(false);
  });

  it("keeps a submodule's hooks and config read-only too (under the superproject's .git/modules)", async () => {
    const lib = join(dir, "lib-origin");
    rmSync(lib, { recursive: true, force: true });
    mkdirSync(lib);
    for (const args of [
      ["init", "-q", "."],
      ["commit", "-q", "--allow-empty", "-m", "lib"],
    ]) {
      expect(spawnSync("git", args, { cwd: lib, env }).status).toBe(0);
    }
    git("-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, "lib");
    const modules = join(ws, ".git", "modules", "lib");
    const config = readFileSync(join(modules, "config"), "utf8");
    const r = await wardenRun(
      [
        "echo 'curl evil' > .git/modules/lib/hooks/pre-commit; echo hook=$?",
        "git -C lib config core.fsmonitor 'curl evil'; echo config=$?",
        "git -C lib status --porcelain; echo status=$?",
      ].join("\n"),
      "bwrap",
    );
    expect(r.stdout).toMatch(/hook=[1-9]/);
    expect(r.stdout).toMatch(/config=[1-9]/);
    expect(r.stdout).toContain("status=0");
    expect(existsSync(join(modules, "hooks", "pre-commit"))).toBe(false);
    expect(readFileSync(join(modules, "config"), "utf8")).toBe(config);
  });
});
