/**
 * What `warden run` does beyond the workspace, with real bubblewrap. Secrets deeper in HOME than
 * its top level are hidden (a bounded walk). And it binds writable, with real bubblewrap, the trees beyond the workspace that the
 * policy's fs.write allows whole — and loosens nothing beneath them: what fs.read denies there is
 * hidden, what fs.write denies stays read-only, the agents' settings get their read-only binds
 * or placeholders, and a pattern that cannot be bound is named in the start event.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, type CliResult, cli, runAsync } from "./cli.js";

let dir: string;
let ws: string;
let home: string;
let shared: string;
let env: Record<string, string>;

function wardenRun(command: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runAsync(
    process.execPath,
    [CLI, "run", "--policy", join(dir, "policy.yaml"), "--workspace", ws, "--", ...command],
    { cwd: ws, env: { PATH: process.env.PATH ?? "", ...env, ...extraEnv } },
  );
}

beforeAll(() => {
  // Not under /tmp: the sandbox's /tmp is private (and never bound from the host).
  dir = mkdtempSync("/var/tmp/warden-writable-");
  ws = join(dir, "ws");
  home = join(dir, "user");
  shared = join(dir, "shared");
  for (const d of ["builds/a/out", "builds/c/src", "cache/locked"]) {
    mkdirSync(join(home, d), { recursive: true });
  }
  writeFileSync(join(home, "cache", ".env"), "CACHE_SECRET=1\n");
  writeFileSync(join(home, ".npmrc"), "registry=x\n");
  mkdirSync(join(shared, ".claude"), { recursive: true });
  writeFileSync(join(shared, ".claude", "settings.json"), "{}\n");
  mkdirSync(join(ws, "vendor/lib/.git/hooks"), { recursive: true });
  writeFileSync(join(ws, "vendor/lib/.git/config"), "[core]\n");
  writeFileSync(join(ws, "vendor/lib/existing"), "");
  mkdirSync(join(home, "cache/sub"), { recursive: true });
  mkdirSync(join(home, ".local/share/keyrings"), { recursive: true });
  writeFileSync(join(home, ".local/share/keyrings/login.keyring"), "KEYRING-SECRET\n");
  mkdirSync(join(home, "code/proj"), { recursive: true });
  writeFileSync(join(home, "code/proj/.env"), "PROJ_SECRET=1\n");
  writeFileSync(join(home, "code/proj/README"), "readable\n");
  env = { WARDEN_HOME: join(dir, "warden"), HOME: home };
  writeFileSync(
    join(dir, "policy.yaml"),
    `apiVersion: warden/v1
kind: Policy
metadata: { name: run-writable, version: "1" }
defaults: { exec: allow, dynamic: allow, fs.read: allow, fs.write: deny, net.connect: deny, cred.use: deny }
rules:
  - id: secrets
    kind: fs.read
    deny: ["**/.env", "~/.local/share/keyrings/**"]
  - id: build-outputs
    kind: fs.write
    allow: ["~/builds/*/out/**", "~/cache/**", "${shared}/**", "~/.npmrc", "${dir}/nowhere/**", "**/dist/**"]
  - id: locked-cache
    kind: fs.write
    deny: ["~/cache/locked/**"]
`,
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("warden run and HOME", () => {
  it("hides secrets below HOME's top level; the rest of HOME stays readable", async () => {
    const r = await wardenRun([
      "sh",
      "-c",
      'cat "$HOME/.local/share/keyrings/login.keyring" "$HOME/code/proj/.env" "$HOME/code/proj/README"; ls "$HOME/.local/share/keyrings" | wc -l',
    ]);
    expect(r.stdout).toContain("readable\n");
    expect(r.stdout).not.toContain("KEYRING-SECRET");
    expect(r.stdout).not.toContain("PROJ_SECRET");
    // An empty directory over it: not even the names are there.
    expect(r.stdout).toMatch(/^0$/m);
  });
});

describe("warden run with fs.write beyond the workspace", () => {
  it("writes the allowed trees and nothing beneath them that the policy keeps", async () => {
    const script = [
      'echo o > "$HOME/builds/a/out/artifact"; echo "out=$?"',
      'echo s > "$HOME/builds/c/src/file"; echo "src=$?"',
      'echo c > "$HOME/cache/entry"; echo "cache=$?"',
      'echo l > "$HOME/cache/locked/entry"; echo "locked=$?"',
      'cat "$HOME/cache/.env"; echo "env=$?"',
      'echo n >> "$HOME/.npmrc"; echo "npmrc=$?"',
      'echo h > "$HOME/elsewhere"; echo "home=$?"',
      `echo x > ${shared}/file; echo "shared=$?"`,
      `echo '{"hooks":1}' > ${shared}/.claude/settings.json; echo "claude=$?"`,
      `echo '{}' > ${shared}/.mcp.json; echo "mcp=$?"`,
      'echo w > in-workspace; echo "ws=$?"',
      'echo x > vendor/lib/.git/hooks/pre-commit; echo "nestedhook=$?"',
      'echo x >> vendor/lib/.git/config; echo "nestedconfig=$?"',
      'echo x > vendor/lib/file; echo "nested=$?"',
    ].join("\n");
    // From a file: `warden run` decides a command line's own writes first (deny by default here).
    writeFileSync(join(ws, "probe.sh"), script);
    const r = await wardenRun(["sh", "probe.sh"]);
    expect(r.status).toBe(0);
    for (const ok of ["out", "cache", "npmrc", "shared", "ws", "nested"])
      expect(r.stdout).toContain(`${ok}=0`);
    for (const refused of [
      "src",
      "locked",
      "env",
      "home",
      "claude",
      "mcp",
      "nestedhook",
      "nestedconfig",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`${refused}=[1-9]`));
    }
    expect(r.stdout).not.toContain("CACHE_SECRET");
    expect(readFileSync(join(home, "builds/a/out/artifact"), "utf8")).toBe("o\n");
    expect(readFileSync(join(home, ".npmrc"), "utf8")).toBe("registry=x\nn\n");
    expect(readFileSync(join(shared, ".claude", "settings.json"), "utf8")).toBe("{}\n");
    for (const absent of ["builds/c/src/file", "cache/locked/entry", "elsewhere"]) {
      expect(existsSync(join(home, absent))).toBe(false);
    }
    // The placeholder that kept .mcp.json from being created is gone again.
    expect(existsSync(join(shared, ".mcp.json"))).toBe(false);

    const out = cli(["audit", "search", "--pep", "exec.sandbox", "--json", "--limit", "100"], env);
    const start = out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.context.phase === "start" && e.target.argv.includes("probe.sh"));
    expect(start.context.writable.sort()).toEqual(
      [join(home, "builds/a/out"), join(home, "cache"), join(home, ".npmrc"), shared].sort(),
    );
    expect(start.context.readOnly).toContain(join(home, "cache", "locked"));
    expect(start.context.hidden).toContain(join(home, "cache", ".env"));
    expect(start.context.homeScan).toMatchObject({ maxDepth: 5, truncated: false });
    expect(start.context.unbound).toEqual([
      { pattern: `${dir}/nowhere/**`, why: "does not exist (bwrap binds existing paths only)" },
      { pattern: "**/dist/**", why: "matches anywhere: no directory to bind" },
    ]);
  });

  it("does the same under Landlock, below the top of each writable tree", async () => {
    const script = [
      'echo c > "$HOME/cache/sub/entry"; echo "cache=$?"',
      'echo l > "$HOME/cache/locked/entry"; echo "locked=$?"',
      'cat "$HOME/cache/.env"; echo "env=$?"',
      'cat "$HOME/code/proj/.env"; echo "deepenv=$?"',
      'echo n >> "$HOME/.npmrc"; echo "npmrc=$?"',
      'echo h > "$HOME/elsewhere"; echo "home=$?"',
      'echo x > vendor/lib/.git/hooks/pre-commit; echo "nestedhook=$?"',
      'echo x >> vendor/lib/.git/config; echo "nestedconfig=$?"',
      'echo x >> vendor/lib/existing; echo "nested=$?"',
      'cat "$HOME/.local/share/keyrings/login.keyring"; echo "keyring=$?"',
      'echo "names=$(ls "$HOME/.local/share/keyrings")"',
    ].join("\n");
    writeFileSync(join(ws, "probe-landlock.sh"), script);
    const r = await wardenRun(["sh", "probe-landlock.sh"], { WARDEN_SANDBOX: "landlock" });
    expect(r.stderr).toContain("confining with Landlock");
    for (const ok of ["cache", "npmrc", "nested"]) expect(r.stdout).toContain(`${ok}=0`);
    // What Landlock cannot hide (docs/sandbox.md): a hidden directory's names, never its contents.
    expect(r.stdout).toContain("names=login.keyring\n");
    expect(r.stdout).not.toContain("KEYRING-SECRET");
    for (const refused of [
      "locked",
      "env",
      "deepenv",
      "home",
      "nestedhook",
      "nestedconfig",
      "keyring",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`${refused}=[1-9]`));
    }
    expect(r.stdout).not.toContain("CACHE_SECRET");
    expect(r.stdout).not.toContain("PROJ_SECRET");
    expect(readFileSync(join(home, "cache/sub/entry"), "utf8")).toBe("c\n");
    expect(readFileSync(join(ws, "vendor/lib/.git/config"), "utf8")).toBe("[core]\n");
    expect(existsSync(join(ws, "vendor/lib/.git/hooks/pre-commit"))).toBe(false);
  });
});
