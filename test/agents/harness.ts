/**
 * Shared pieces of the end-to-end agent tests: an isolated machine layout per test (fake HOME
 * with a secret key, a workspace, a WARDEN_HOME, a sentinel path), the policy they run under,
 * a process runner with a timeout that keeps all output for failure messages, and the audit log
 * read back through the real `warden audit search --json`.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WARDEN = join(REPO, "dist", "cli", "main.js");
export const NODE = process.execPath;

/** Generous: a loaded 2-core machine starts these CLIs slowly. */
export const AGENT_TIMEOUT_MS = 90_000;
export const TEST_TIMEOUT_MS = 150_000;

export interface Machine {
  root: string;
  home: string;
  workspace: string;
  wardenHome: string;
  policyPath: string;
  /** A file the denied command would create; it must never exist. */
  sentinel: string;
  /** A private key under the fake HOME; its marker must never reach the model. */
  secretPath: string;
  secretMarker: string;
  /** A credentials file inside the workspace holding the same marker (agents that only read there). */
  envPath: string;
  cleanup(): void;
}

/** The policy the tests run under: everyday commands run; `touch` and the secrets are denied. */
export function policyYaml(machine: Pick<Machine, "home" | "workspace" | "root">): string {
  return `apiVersion: warden/v1
kind: Policy
metadata: { name: agents-e2e, version: "1" }
defaults: { exec: deny, fs.read: allow, fs.write: deny, net.connect: deny, mcp.call: deny, cred.use: deny }
rules:
  - id: everyday-commands
    kind: exec
    allow: ["echo *", "ls *", "cat *", "pwd", "mkdir *"]
    reason: Everyday commands run.
  - id: no-touching
    kind: exec
    deny: ["touch *"]
    reason: This test never lets the agent create files with touch.
  - id: workspace-writes
    kind: fs.write
    allow: ["${machine.workspace}/**"]
    reason: The agent may write inside its workspace.
  - id: secrets-stay-home
    kind: fs.read
    deny: ["~/.ssh/**", "${machine.home}/.ssh/**", "**/credentials.txt"]
    reason: Credentials are brokered by Warden, never read from disk.
`;
}

export function makeMachine(label: string): Machine {
  const root = realpathSync(mkdtempSync(join(tmpdir(), `warden-agent-${label}-`)));
  const home = join(root, "home");
  const workspace = join(root, "workspace");
  const wardenHome = join(root, "warden");
  for (const dir of [home, workspace, wardenHome, join(home, ".ssh")]) {
    mkdirSync(dir, { recursive: true });
  }
  const secretMarker = `WARDEN-E2E-SECRET-${randomBytes(8).toString("hex")}`;
  const secretPath = join(home, ".ssh", "id_rsa");
  writeFileSync(
    secretPath,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${secretMarker}\n-----END OPENSSH PRIVATE KEY-----\n`,
    { mode: 0o600 },
  );
  const envPath = join(workspace, "credentials.txt");
  writeFileSync(envPath, `API_TOKEN=${secretMarker}\n`, { mode: 0o600 });
  const policyPath = join(wardenHome, "policy.yaml");
  const machine: Machine = {
    root,
    home,
    workspace,
    wardenHome,
    policyPath,
    sentinel: join(root, "SENTINEL"),
    secretPath,
    secretMarker,
    envPath,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  writeFileSync(policyPath, policyYaml(machine));
  return machine;
}

/** An environment built from nothing: no proxy, no real credentials, no real HOME leak in. */
export function baseEnv(machine: Machine, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: machine.home,
    USER: "agent",
    LANG: "C.UTF-8",
    TERM: "dumb",
    NO_COLOR: "1",
    CI: "1",
    TMPDIR: join(machine.root, "tmp"),
    SHELL: "/bin/bash",
    XDG_CONFIG_HOME: join(machine.home, ".config"),
    XDG_CACHE_HOME: join(machine.home, ".cache"),
    XDG_DATA_HOME: join(machine.home, ".local", "share"),
    XDG_STATE_HOME: join(machine.home, ".local", "state"),
    WARDEN_HOME: machine.wardenHome,
    WARDEN_POLICY: machine.policyPath,
    NO_PROXY: "127.0.0.1,localhost",
    ...extra,
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string;
}

/** Runs a command to its end (or kills its process group at the timeout), keeping all output. */
export function runProcess(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<RunResult> {
  mkdirSync(String(options.env.TMPDIR ?? tmpdir()), { recursive: true });
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, options.timeoutMs ?? AGENT_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        durationMs: Date.now() - started,
        timedOut,
      });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Everything a failure message needs: the run, the requests the model server saw. */
export function report(run: RunResult, serverLog: string): string {
  return [
    `exit ${run.code} signal ${run.signal} after ${run.durationMs} ms${run.timedOut ? " (TIMED OUT)" : ""}`,
    `--- stdout\n${run.stdout.slice(-6000)}`,
    `--- stderr\n${run.stderr.slice(-6000)}`,
    `--- model server requests\n${serverLog}`,
  ].join("\n");
}

export interface AuditEvent {
  [key: string]: unknown;
}

/** The audit log, read back through the real CLI in the same WARDEN_HOME. */
export async function auditEvents(machine: Machine): Promise<AuditEvent[]> {
  const run = await runProcess(NODE, [WARDEN, "audit", "search", "--json", "--limit", "1000"], {
    cwd: machine.workspace,
    env: baseEnv(machine, {}),
    timeoutMs: 30_000,
  });
  if (run.code !== 0) throw new Error(`warden audit search failed\n${report(run, "")}`);
  return run.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditEvent);
}

/**
 * `warden install <agent> --scope project`, run in the workspace under the fake HOME, as a user
 * would; returns the settings file it wrote, which must now carry the hook command line.
 */
export async function wardenInstall(machine: Machine, agent: string): Promise<string> {
  const run = await runProcess(NODE, [WARDEN, "install", agent, "--scope", "project", "--json"], {
    cwd: machine.workspace,
    env: baseEnv(machine, {}),
    timeoutMs: 30_000,
  });
  if (run.code !== 0) throw new Error(`warden install ${agent} failed\n${report(run, "")}`);
  const written = JSON.stringify(JSON.parse(run.stdout));
  const settings = /"(\/[^"]+\.json)"/.exec(written)?.[1];
  if (!settings || !existsSync(settings) || !readFileSync(settings, "utf8").includes("hook")) {
    throw new Error(`warden install ${agent} wrote no hook that can be found\n${run.stdout}`);
  }
  return settings;
}

/** Resolves a file inside an installed package, or throws with what to install. */
export function packageFile(...parts: string[]): string {
  const path = join(REPO, "node_modules", ...parts);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run npm install (the agent CLIs are devDependencies)`);
  }
  return path;
}
