/** Runs the built `warden` CLI as a user would, in a throwaway WARDEN_HOME. */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const EXAMPLES = join(ROOT, "examples", "policies");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = "warden-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cli(args: string[], env: Record<string, string>, cwd = ROOT): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? process.env.HOME ?? "", ...env },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts a long-running command (`audit tail -f`) and hands back its process. */
export function cliSpawn(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs a command without blocking this process's event loop (servers the test runs live here). */
export function runAsync(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string> },
): Promise<CliResult> {
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((done) => child.on("close", (status) => done({ status, stdout, stderr })));
}

/**
 * `warden run … -- sh` with a TERM trap, sent SIGTERM once the shell says it is ready (however
 * long a loaded machine takes to start it): what the shell printed and warden run's exit code.
 */
export async function termWhenReady(
  runArgs: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ out: string; code: number | null }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "run",
      ...runArgs,
      "--",
      "sh",
      "-c",
      'trap "echo got-term; exit 5" TERM; echo ready; sleep 10 & wait',
    ],
    options,
  );
  let out = "";
  await new Promise<void>((ready) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("ready")) ready();
    });
  });
  child.kill("SIGTERM");
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  return { out, code };
}
