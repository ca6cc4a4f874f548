import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findDenied } from "./secret-walk.js";

const root = realpathSync(mkdtempSync(join(tmpdir(), "warden-walk-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string): void {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), "x");
}
file("packages/api/.env");
file("packages/api/src/index.ts");
file("certs/deep/er/server.pem");
file("secrets/a/b/c.txt");
file("node_modules/pkg/.env");
file(".git/objects/ab/.env");
file(".git/hooks/pre-commit");
symlinkSync(join(root, "secrets"), join(root, "packages", "link-to-secrets"));

const probed: { path: string; real: boolean }[] = [];
const probe = (path: string, isDir: boolean, real: boolean) => {
  probed.push({ path, real });
  return /\/\.env$|\.pem$/.test(path) || (isDir && path.endsWith("/secrets"));
};

describe("findDenied", () => {
  const result = findDenied(root, probe);

  it("finds denied files at any depth and a denied directory whole", () => {
    expect(result.denied.sort()).toEqual(
      [
        join(root, "certs/deep/er/server.pem"),
        join(root, "packages/api/.env"),
        join(root, "secrets"),
      ].sort(),
    );
    expect(result.truncated).toBe(false);
  });

  it("does not enter a denied directory, node_modules or Git's objects", () => {
    const paths = probed.map((p) => p.path);
    expect(paths).not.toContain(join(root, "secrets/a"));
    expect(paths).toContain(join(root, "node_modules"));
    expect(paths).not.toContain(join(root, "node_modules/pkg"));
    expect(paths).toContain(join(root, ".git/objects"));
    expect(paths).not.toContain(join(root, ".git/objects/ab"));
    expect(paths).toContain(join(root, ".git/hooks/pre-commit"));
  });

  it("probes a symlink as not real (to be resolved) and does not follow it", () => {
    const link = probed.find((p) => p.path === join(root, "packages/link-to-secrets"));
    expect(link).toEqual({ path: join(root, "packages/link-to-secrets"), real: false });
    expect(probed.filter((p) => p.path.startsWith(`${link?.path}/`))).toEqual([]);
    expect(probed.filter((p) => p !== link).every((p) => p.real)).toBe(true);
  });

  it("says when the depth bound cut the walk short", () => {
    const r = findDenied(root, probe, { maxDepth: 2, maxEntries: 1000 });
    expect(r).toMatchObject({ truncated: true, denied: [join(root, "secrets")] });
  });

  it("says when the entry bound cut the walk short, with the shallow entries probed", () => {
    const r = findDenied(root, probe, { maxDepth: 16, maxEntries: 5 });
    expect(r).toMatchObject({ truncated: true, entries: 5 });
    expect(r.denied).toEqual([join(root, "secrets")]);
  });
});
