import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PatternTree } from "./pattern-trees.js";
import { writableTrees } from "./writable-trees.js";

const root = realpathSync(mkdtempSync("/var/tmp/warden-writable-trees-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string): void {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), "x");
}
file("out/build/app.js");
file("out/.env");
file("out/locked/keep.txt");
file("out/node_modules/pkg/locked/index.js");
file("out/repo/.git/hooks/pre-commit");
file("out/repo/.git/config");
file("out/ws/inner.txt");
file("refused/a.txt");

const tree = (rel: string): PatternTree => ({
  pattern: `${root}/${rel}/**`,
  path: join(root, rel),
  isDirectory: true,
});
const probe = {
  denied: (path: string) => path.endsWith("/.env"),
  writeDenied: (path: string) => path.endsWith("/locked") || path.startsWith(join(root, "refused")),
};
const limits = { maxDepth: 16, maxEntries: 1000 };

describe("writableTrees", () => {
  const r = writableTrees(
    { candidates: [tree("out"), tree("refused")], unbound: [] },
    probe,
    limits,
    new Set([join(root, "out", "ws")]),
  );

  it("binds a tree the policy allows whole, keeping what it denies below", () => {
    expect(r.writable).toEqual([join(root, "out")]);
    expect(r.hidden).toEqual([join(root, "out", ".env")]);
    expect(r.readOnly.sort()).toEqual(
      [
        join(root, "out", "locked"),
        // Not taken on trust: node_modules is walked too when the tree is to be writable.
        join(root, "out", "node_modules", "pkg", "locked"),
        join(root, "out", "repo", ".git", "config"),
        join(root, "out", "repo", ".git", "hooks"),
      ].sort(),
    );
  });

  it("refuses a tree the policy does not allow writing whole", () => {
    expect(r.unbound).toEqual([
      {
        pattern: `${root}/refused/**`,
        why: `the policy does not allow writing all of ${join(root, "refused")} (a deny or ask, roles, when:)`,
      },
    ]);
  });

  it("does not bind a tree its walk could not finish: what lies past the bound is unchecked", () => {
    const cut = writableTrees(
      { candidates: [tree("out")], unbound: [] },
      probe,
      { maxDepth: 16, maxEntries: 3 },
      new Set(),
    );
    expect(cut.writable).toEqual([]);
    expect(cut.unbound[0]?.why).toMatch(/too large to check what lies below it \(3 entries/);
  });
});
