/**
 * Runs the real Codex CLI (`codex exec`) non-interactively against the scripted model server,
 * with the PreToolUse hook that `warden install codex --scope project` put in `.codex/hooks.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, type Machine, packageFile, type RunResult, runProcess } from "./harness.js";
import type { Reply, ScriptContext } from "./model-server.js";

const TRIPLES: Record<string, string> = {
  "linux-x64": "x86_64-unknown-linux-musl",
  "linux-arm64": "aarch64-unknown-linux-musl",
};

/** The native binary from the platform package that `@openai/codex` depends on. */
export function codexBinary(): string {
  const key = `${process.platform}-${process.arch}`;
  const triple = TRIPLES[key];
  if (!triple) throw new Error(`no Codex binary for ${key} in these tests`);
  return packageFile("@openai", `codex-${key}`, "vendor", triple, "bin", "codex");
}

/** A shell call in whichever shape this Codex offers its shell tool. */
export function codexShell(command: string): (context: ScriptContext) => Reply {
  return ({ tools }) => {
    if (tools.includes("exec_command")) {
      return { tool: { name: "exec_command", input: { cmd: command } } };
    }
    if (tools.includes("shell_command")) {
      return { tool: { name: "shell_command", input: { command } } };
    }
    return { tool: { name: "shell", input: { command: ["bash", "-lc", command] } } };
  };
}

/** `$CODEX_HOME/config.toml`: the loopback provider, no update checks, no analytics. */
export function writeCodexConfig(machine: Machine, baseUrl: string): void {
  const dir = join(machine.home, ".codex");
  mkdirSync(dir, { recursive: true });
  const toml = `model = "gpt-5-codex"
model_provider = "scripted"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[model_providers.scripted]
name = "scripted"
base_url = "${baseUrl}/v1"
wire_api = "responses"
env_key = "OPENAI_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[features]
plugins = false
remote_plugin = false
plugin_sharing = false
apps = false
in_app_updates = false
tool_suggest = false
skill_mcp_dependency_install = false
daemon_auto_start = false
api_key_model_discovery = false
image_generation = false
browser_use = false
computer_use = false

[analytics]
enabled = false

[feedback]
enabled = false

[projects."${machine.workspace}"]
trust_level = "trusted"
`;
  writeFileSync(join(dir, "config.toml"), toml);
}

export function codexEnv(machine: Machine): NodeJS.ProcessEnv {
  return baseEnv(machine, {
    CODEX_HOME: join(machine.home, ".codex"),
    OPENAI_API_KEY: "sk-warden-e2e-dummy",
    RUST_LOG: "warn",
  });
}

export function runCodex(machine: Machine, prompt: string): Promise<RunResult> {
  return runProcess(
    codexBinary(),
    [
      "exec",
      "--skip-git-repo-check",
      "--dangerously-bypass-approvals-and-sandbox",
      "--dangerously-bypass-hook-trust",
      "--json",
      "-C",
      machine.workspace,
      prompt,
    ],
    { cwd: machine.workspace, env: codexEnv(machine) },
  );
}
