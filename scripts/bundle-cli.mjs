/**
 * Bundles the `warden` command after `tsc`: dist/cli/main.js becomes one entry module plus a chunk
 * per lazily imported command (chunk-*.js beside it), so that a command loads a few files instead
 * of a few hundred. Resolving, reading and linking ~230 modules was a third of the CPU time of
 * `warden run -- true`. The modules tsc wrote stay in dist/ for the library (`import "warden"`).
 *
 * The bundle sits where main.js was, two folders below the package root like every compiled
 * module, so paths a module builds from import.meta.url (examples/, the sandbox bridge, main.js)
 * resolve the same from either. Native and file-loading packages stay outside: better-sqlite3
 * (its .node addon), web-tree-sitter and tree-sitter-bash (their .wasm files).
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const cli = fileURLToPath(new URL("../dist/cli/", import.meta.url));
// Stale chunks of an earlier build, and tsc's map of the main.js the bundle replaces.
for (const name of readdirSync(cli)) {
  if (name.startsWith("chunk-") || name === "main.js.map") rmSync(join(cli, name));
}

await build({
  input: join(cli, "main.js"),
  platform: "node",
  external: [/^node:/, "better-sqlite3", "web-tree-sitter", "tree-sitter-bash"],
  logLevel: "warn",
  output: {
    dir: cli,
    format: "esm",
    entryFileNames: "main.js",
    chunkFileNames: "chunk-[name]-[hash].js",
  },
});
