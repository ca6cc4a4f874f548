import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FS, planLandlock, READ, WRITE } from "./landlock.js";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "warden-landlock-plan-")));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("planLandlock", () => {
  const home = join(dir, "home");
  const ws = join(dir, "ws");
  const tmp = join(dir, "tmp");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  writeFileSync(join(home, "notes.txt"), "\n");
  symlinkSync(join(home, ".ssh"), join(home, "keys"));
  mkdirSync(join(ws, ".claude"), { recursive: true });
  mkdirSync(join(ws, "src"));
  mkdirSync(tmp);
  writeFileSync(join(ws, "README.md"), "\n");
  const plan = planLandlock({
    workspace: ws,
    hidden: [join(home, ".ssh")],
    readOnly: [join(ws, ".claude"), join(ws, ".mcp.json")],
    tmpDir: tmp,
  });
  /** What Landlock grants on a path: the union of the rules on it and on its ancestors. */
  const rights = (path: string) =>
    plan.rules
      .filter(([p]) => p === path || path.startsWith(p === "/" ? "/" : `${p}/`))
      .reduce((all, [, r]) => all | r, 0);

  it("reads everything but the hidden path: its siblings and theirs on the way are granted instead", () => {
    expect(plan.rules).toContainEqual(["/", FS.readDir]);
    expect(rights(home)).toBe(FS.readDir);
    expect(rights(join(home, "notes.txt"))).toBe(READ);
    expect(rights("/usr/bin/env")).toBe(READ);
    // The listing right on the way down reaches the hidden directory too: names, never contents.
    expect(rights(join(home, ".ssh", "id_rsa"))).toBe(FS.readDir);
    // A symlink gets no rule of its own: access is checked where it points (here, hidden).
    expect(plan.rules.some(([p]) => p === join(home, "keys"))).toBe(false);
  });

  it("writes the workspace's entries but not its protected ones, nor its top directory", () => {
    expect(rights(join(ws, "src"))).toBe(WRITE);
    expect(rights(join(ws, "README.md"))).toBe(WRITE);
    expect(rights(join(ws, ".claude", "settings.json"))).toBe(READ);
    // Absent, yet it splits the workspace: creating .mcp.json needs a right on ws, never granted.
    expect(rights(ws)).toBe(READ);
    expect(rights(tmp)).toBe(WRITE);
    expect(rights("/dev/null") & FS.writeFile).toBe(FS.writeFile);
  });
});
