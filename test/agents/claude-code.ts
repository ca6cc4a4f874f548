/**
 * Runs the real Claude Code CLI non-interactively against the scripted model server, with a
 * PreToolUse hook that `warden install claude-code --scope project` put in `.claude/settings.json`.
 */
import { join } from "node:path";
import { baseEnv, type Machine, packageFile, type RunResult, runProcess } from "./harness.js";

/** The native binary from the platform package (the wrapper's postinstall only copies it). */
export function claudeBinary(): string {
  return packageFile("@anthropic-ai", `claude-code-${process.platform}-${process.arch}`, "claude");
}

export function claudeEnv(machine: Machine, baseUrl: string): NodeJS.ProcessEnv {
  return baseEnv(machine, {
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: "sk-ant-warden-e2e-dummy",
    CLAUDE_CONFIG_DIR: join(machine.home, ".claude"),
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_BUG_COMMAND: "1",
    DISABLE_COST_WARNINGS: "1",
    DISABLE_NON_ESSENTIAL_MODEL_CALLS: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: "1",
    // Claude Code refuses to bypass permissions as root unless told it runs in a sandbox.
    IS_SANDBOX: "1",
  });
}

export function runClaude(machine: Machine, baseUrl: string, prompt: string): Promise<RunResult> {
  return runProcess(
    claudeBinary(),
    [
      "-p",
      prompt,
      "--output-format",
      "json",
      "--permission-mode",
      "bypassPermissions",
      "--model",
      "claude-sonnet-4-5",
      "--max-turns",
      "8",
      "--strict-mcp-config",
    ],
    { cwd: machine.workspace, env: claudeEnv(machine, baseUrl) },
  );
}
