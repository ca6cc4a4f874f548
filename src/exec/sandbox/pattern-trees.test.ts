import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { patternTrees } from "./pattern-trees.js";

// Not under /tmp: the sandbox has a /tmp of its own, never bound from the host.
const dir = realpathSync(mkdtempSync("/var/tmp/warden-writable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const home = join(dir, "home");
const ws = join(dir, "ws");
mkdirSync(join(home, "builds", "a", "out"), { recursive: true });
mkdirSync(join(home, "builds", "b", "out"), { recursive: true });
mkdirSync(join(home, "builds", "c", "src"), { recursive: true });
mkdirSync(join(home, "cache"), { recursive: true });
mkdirSync(join(dir, "real-data"));
symlinkSync(join(dir, "real-data"), join(home, "data"));
writeFileSync(join(home, ".npmrc"), "\n");
mkdirSync(ws);

describe("patternTrees", () => {
  const { candidates, unbound } = patternTrees(
    [
      "~/cache/**",
      "~/builds/*/out/**",
      "~/data/**",
      "~/.npmrc",
      "${workspace}/**",
      `${ws}/sub/**`,
      "**/dist/**",
      "~/notes/*.md",
      "~/projects/**/build/**",
      "~/missing/**",
      "/tmp/**",
      "~/.npmrc/**",
    ],
    home,
    ws,
  );
  const bound = (pattern: string) =>
    candidates.filter((c) => c.pattern === pattern).map((c) => c.path);
  const why = (pattern: string) => unbound.find((u) => u.pattern === pattern)?.why;

  it("binds exact paths and DIR/** trees, globs in DIR expanded to what exists", () => {
    expect(bound("~/cache/**")).toEqual([join(home, "cache")]);
    expect(bound("~/builds/*/out/**").sort()).toEqual([
      join(home, "builds", "a", "out"),
      join(home, "builds", "b", "out"),
    ]);
    expect(candidates.find((c) => c.pattern === "~/.npmrc")).toEqual({
      pattern: "~/.npmrc",
      path: join(home, ".npmrc"),
      isDirectory: false,
    });
  });

  it("binds a link's target, never the link", () => {
    expect(bound("~/data/**")).toEqual([join(dir, "real-data")]);
  });

  it("leaves the workspace's own patterns alone: it is writable already", () => {
    expect(bound("${workspace}/**")).toEqual([]);
    expect(bound(`${ws}/sub/**`)).toEqual([]);
    expect(why("${workspace}/**")).toBeUndefined();
  });

  it("says why each other pattern is not bound", () => {
    expect(why("**/dist/**")).toMatch(/anywhere/);
    expect(why("~/notes/*.md")).toMatch(/glob in the last segment/);
    expect(why("~/projects/**/build/**")).toMatch(/`\*\*` before the last segment/);
    expect(why("~/missing/**")).toMatch(/does not exist/);
    expect(why("/tmp/**")).toMatch(/system path/);
    expect(why("~/.npmrc/**")).toMatch(/not a directory|does not exist/);
  });

  it("reports a glob that matches too many paths instead of binding them", () => {
    const many = join(dir, "many");
    for (let i = 0; i < 70; i++) mkdirSync(join(many, `d${i}`), { recursive: true });
    const r = patternTrees([`${many}/*/**`], home, ws);
    expect(r.candidates).toEqual([]);
    expect(r.unbound[0]?.why).toMatch(/more than 64 paths/);
  });
});
