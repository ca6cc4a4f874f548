/**
 * Files shipped in Warden's package (the sandbox bridge, example policies), found from the package
 * root rather than from the calling module: the `warden` command is bundled (scripts/bundle-cli.mjs),
 * so a module's import.meta.url may name a bundle chunk in dist/cli/ instead of its own file.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The folder holding Warden's package.json: the nearest one above this module. */
function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  root = dir;
  return dir;
}

/** A file of the package, by its path from the package root (`dist/exec/sandbox/bridge.js`). */
export function packageFile(path: string): string {
  return join(packageRoot(), path);
}
