/**
 * Codex CLI, end to end, with Warden's real `warden hook codex` as its PreToolUse hook.
 *
 * Ran against: @openai/codex 0.169.0 — the native binary from its platform package
 * (`@openai/codex-linux-x64`, vendor/x86_64-unknown-linux-musl/bin/codex), run directly.
 *
 * Offline: `codex exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox
 * --dangerously-bypass-hook-trust --json -C WORKSPACE PROMPT`, with CODEX_HOME in a temporary
 * HOME whose config.toml names a custom provider (base_url http://127.0.0.1:PORT/v1,
 * wire_api "responses", env_key OPENAI_API_KEY=dummy, no retries), trusts the workspace (project
 * hooks in .codex/hooks.json only load for a trusted project), turns off update checks and
 * analytics, and disables the features that reach out at start-up (plugins, remote_plugin,
 * plugin_sharing, apps, in_app_updates, tool_suggest, api_key_model_discovery, …) — with
 * plugins on, Codex tries github.com and chatgpt.com to sync curated plugins. A run then only
 * makes `POST /v1/responses` calls to the model server (checked under strace) and takes about a
 * second. --dangerously-bypass-hook-trust runs the hook without the interactive /hooks review.
 *
 * Codex offers the model `exec_command` (unified exec); its hooks see it as tool `Bash`. Codex
 * has no separate file-read tool, so there is no read-tool scenario here.
 *
 * --dangerously-bypass-approvals-and-sandbox means Codex itself would run every command unsandboxed:
 * only Warden's hook stands in the way, which the control test shows.
 */
import { codexShell, runCodex, writeCodexConfig } from "./codex.js";
import { describeAgent } from "./scenarios.js";

describeAgent({
  agent: "codex",
  label: "Codex",
  shell: (command) => codexShell(command),
  setup: (machine, server) => writeCodexConfig(machine, server.url),
  run: (machine, _server, prompt) => runCodex(machine, prompt),
});
