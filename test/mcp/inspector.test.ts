/**
 * The MCP Inspector, in CLI mode, as the client: `mcp-inspector --cli` (0.15, the last release
 * that runs on Node 20) starts the built gateway from an mcpServers config, as a user trying a
 * server would, and calls it once per run. It sees the policy: a denied tool is absent from
 * tools/list and refused when called anyway, and a filesystem read outside the project is refused
 * by an argument condition while one inside it works.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, projectFiles, type Sandbox, sandbox, tinyServer } from "./harness.js";

const INSPECTOR = fileURLToPath(new URL("../../node_modules/.bin/mcp-inspector", import.meta.url));

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-inspector, version: "1" }
defaults: { mcp.call: deny }
rules:
  - id: everyday-tools
    kind: mcp.call
    allow: ["tiny/echo", "files/read_text_file"]
  - id: reads-in-project
    kind: mcp.call
    deny: ["files/read_text_file"]
    when: '!isWithin(args.path, context.workspace + "/project")'
    reason: Reads stay in the project.
`;

let box: Sandbox;
let inspectorConfig: string;

/** One Inspector CLI run against the gateway; its JSON output. */
function inspect(args: string[]): Record<string, unknown> {
  const r = spawnSync(
    INSPECTOR,
    ["--cli", "--config", inspectorConfig, "--server", "warden", ...args],
    { cwd: box.dir, encoding: "utf8", timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`inspector failed (${r.status}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const textOf = (result: Record<string, unknown>) =>
  (result.content as { text: string }[]).map((c) => c.text).join("");

beforeAll(() => {
  box = sandbox(POLICY, {});
  const files = projectFiles(box);
  writeFileSync(
    box.config,
    JSON.stringify({
      mcpServers: {
        files,
        tiny: tinyServer(box),
      },
    }),
  );
  inspectorConfig = join(box.dir, "inspector.json");
  const serve = ["mcp", "serve", "--config", box.config, "--policy", box.policy];
  writeFileSync(
    inspectorConfig,
    JSON.stringify({
      mcpServers: {
        warden: {
          command: process.execPath,
          args: [CLI, ...serve],
          env: {
            WARDEN_HOME: box.home,
            HOME: process.env.HOME ?? "",
            PATH: process.env.PATH ?? "",
          },
        },
      },
    }),
  );
});

describe("the MCP Inspector (CLI mode) through warden mcp serve", () => {
  it("lists only the tools the policy lets through", () => {
    const json = inspect(["--method", "tools/list"]);
    const names = (json.tools as { name: string }[]).map((t) => t.name).sort();
    expect(names).toEqual(["files__read_text_file", "tiny__echo"]);
  });

  it("calls an allowed tool, and gets a denied one refused with the policy's reason", () => {
    const echo = inspect([
      "--method",
      "tools/call",
      "--tool-name",
      "tiny__echo",
      "--tool-arg",
      "text=hi",
    ]);
    expect(textOf(echo)).toBe("tiny: hi");
    expect(echo.isError).toBeFalsy();

    const write = inspect([
      "--method",
      "tools/call",
      "--tool-name",
      "tiny__write_note",
      "--tool-arg",
      `path=${join(box.dir, "note.txt")}`,
      "text=x",
    ]);
    expect(write.isError).toBe(true);
    expect(textOf(write)).toContain("Warden denied tiny/write_note");
  });

  it("refuses a file read outside the project by its argument, and reads inside it", () => {
    const read = (path: string) =>
      inspect([
        "--method",
        "tools/call",
        "--tool-name",
        "files__read_text_file",
        "--tool-arg",
        `path=${path}`,
      ]);
    expect(textOf(read(join(box.dir, "project", "readme.txt")))).toBe("hello from the project");
    const outside = read(join(box.dir, "private", "secret.txt"));
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toContain("Reads stay in the project.");
    expect(textOf(outside)).not.toContain("the secret");
  });
});
