import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompiledPolicy, compilePolicy } from "./compile.js";
import type { Request } from "./types.js";

// A fake home and workspace on disk, so symlinks are real and nothing depends on the test user.
let root: string;
let home: string;
let workspace: string;
let policy: CompiledPolicy;

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "warden-fs-")));
  home = join(root, "home");
  workspace = join(home, "project");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  mkdirSync(join(workspace, "src"), { recursive: true });
  writeFileSync(join(home, ".ssh", "id_ed25519"), "secret");
  writeFileSync(join(workspace, "src", "main.ts"), "");
  symlinkSync(join(home, ".ssh"), join(workspace, "keys"));
  symlinkSync(join(home, ".ssh", "id_ed25519"), join(workspace, "innocent.txt"));
  symlinkSync(join(root, "outside"), join(workspace, "dangling")); // target does not exist
  policy = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: fs-test }
defaults: { fs.read: allow, fs.write: ask }
rules:
  - id: secrets
    kind: fs.read
    deny: ["~/.ssh/**", "**/.env", "**/*.pem"]
  - id: secrets-write
    kind: fs.write
    deny: ["~/.ssh/**"]
  - id: workspace
    kind: fs.write
    allow: ["\${workspace}/**"]
  - id: etc
    kind: fs.write
    deny: ["/etc/**"]
  - id: tilde-only
    kind: fs.read
    ask: ["~"]
  - id: literal
    kind: fs.read
    ask: ["//opt/./data/file.txt"]
`);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const fsReq = (
  kind: "fs.read" | "fs.write",
  path: string,
  context: Record<string, unknown> = {},
): Request => ({
  kind,
  principal: { agent: "t" },
  target: { path },
  context: { home, ...context },
});

describe("fs matching", () => {
  it("expands ~ from context.home", () => {
    expect(policy.decide(fsReq("fs.read", "~/.ssh/id_ed25519"))).toMatchObject({
      effect: "deny",
      rule: "secrets",
    });
    expect(policy.decide(fsReq("fs.read", join(home, ".ssh/id_ed25519"))).effect).toBe("deny");
    expect(policy.decide(fsReq("fs.read", "~")).effect).toBe("ask");
  });

  it("matches dot-files with ** and *", () => {
    expect(policy.decide(fsReq("fs.read", "/srv/app/.env")).effect).toBe("deny");
    expect(policy.decide(fsReq("fs.read", "/srv/.hidden/key.pem")).effect).toBe("deny");
    expect(policy.decide(fsReq("fs.read", "/srv/app/env")).effect).toBe("allow");
  });

  it("lets `/**/` match zero directories, at the workspace root and under ~ too", () => {
    const p = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: fs-zero-dirs }
rules:
  - id: env
    kind: fs.read
    deny: ["\${workspace}/**/.env", "~/**/.netrc", "/**/id_rsa"]
`);
    const ctx = { workspace };
    for (const path of [
      join(workspace, ".env"),
      join(workspace, "a/b/.env"),
      join(home, ".netrc"),
      join(home, "x/.netrc"),
      "/id_rsa",
      "/srv/id_rsa",
    ]) {
      expect(p.decide(fsReq("fs.read", path, ctx)).effect, path).toBe("deny");
    }
    expect(p.decide(fsReq("fs.read", join(workspace, "env"), ctx)).effect).toBe("allow");
  });

  it("normalises `.`, `..` and duplicate slashes", () => {
    expect(policy.decide(fsReq("fs.read", `${workspace}/../.ssh//./id_ed25519`)).effect).toBe(
      "deny",
    );
    expect(
      policy.decide(
        fsReq("fs.write", `${workspace}/../../../../../../../../../../etc/passwd`, { workspace }),
      ).effect,
    ).toBe("deny");
    expect(policy.decide(fsReq("fs.read", "/opt//data/../data/file.txt")).effect).toBe("ask");
  });

  it("resolves relative paths against cwd, else the workspace", () => {
    expect(policy.decide(fsReq("fs.write", "src/main.ts", { workspace })).effect).toBe("allow");
    expect(policy.decide(fsReq("fs.write", "../.ssh/x", { workspace })).effect).toBe("deny");
    expect(policy.decide(fsReq("fs.read", ".ssh/id_ed25519", { cwd: home })).effect).toBe("deny");
  });

  it("denies a relative path it cannot resolve", () => {
    const d = policy.decide({ kind: "fs.read", principal: { agent: "t" }, target: { path: "x" } });
    expect(d.effect).toBe("deny");
    expect(d.reason).toMatch(/relative path `x` cannot be resolved/);
  });

  it("judges a symlink inside the workspace by where it points", () => {
    const viaDir = policy.decide(fsReq("fs.read", `${workspace}/keys/id_ed25519`, { workspace }));
    expect(viaDir).toMatchObject({ effect: "deny", rule: "secrets" });
    const viaFile = policy.decide(fsReq("fs.write", "innocent.txt", { workspace }));
    expect(viaFile).toMatchObject({ effect: "deny", rule: "secrets-write" });
    // New file under a linked directory: the longest existing parent is resolved.
    const newFile = policy.decide(
      fsReq("fs.write", `${workspace}/keys/authorized_keys`, { workspace }),
    );
    expect(newFile).toMatchObject({ effect: "deny", rule: "secrets-write" });
  });

  it("does not let an allow pattern match through a symlink that leaves the workspace", () => {
    const d = policy.decide(fsReq("fs.write", "dangling/new.txt", { workspace }));
    expect(d.effect).toBe("ask");
    expect(d.rule).toBeNull();
  });

  it("matches a path vouched as real (realPath) as written, and refuses a relative one", () => {
    const real = { realPath: true };
    expect(policy.decide(fsReq("fs.read", `${home}/.ssh/id_ed25519`), real).effect).toBe("deny");
    expect(policy.decide(fsReq("fs.read", `${workspace}/src/.env`), real).effect).toBe("deny");
    expect(policy.decide(fsReq("fs.read", `${workspace}//src/../x.pem`), real).effect).toBe("deny");
    // The contract: no resolving. A symlink is the caller's to resolve (the walk never vouches).
    expect(policy.decide(fsReq("fs.read", `${workspace}/innocent.txt`), real).effect).toBe("allow");
    const relative = policy.decide(fsReq("fs.read", "src/.env", { workspace }), real);
    expect(relative).toMatchObject({ effect: "deny", rule: null });
    expect(relative.reason).toMatch(/not absolute/);
  });

  it("explains the symlink", () => {
    const e = policy.explain(fsReq("fs.read", `${workspace}/keys/id_ed25519`, { workspace }));
    expect(e.notes.join("\n")).toContain("symlink");
    expect(e.matched[0]?.why).toContain(`${home}/.ssh/id_ed25519`);
  });

  it("fails closed on ${workspace} when no workspace is known", () => {
    const d = policy.decide(fsReq("fs.write", `${workspace}/src/main.ts`));
    expect(d.effect).toBe("ask");
    const strict = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: ws }
defaults: { fs.write: allow }
rules:
  - id: protect-ci
    kind: fs.write
    deny: ["\${workspace}/.github/**"]
`);
    const noWs = strict.decide({
      kind: "fs.write",
      principal: { agent: "t" },
      target: { path: "/x/y" },
    });
    expect(noWs).toMatchObject({ effect: "deny", rule: "protect-ci" });
    const withWs = strict.decide(fsReq("fs.write", "/x/y", { workspace }));
    expect(withWs.effect).toBe("allow");
  });

  it("rejects NUL bytes", () => {
    expect(policy.decide(fsReq("fs.read", "/tmp/a\0b")).effect).toBe("deny");
  });
});
