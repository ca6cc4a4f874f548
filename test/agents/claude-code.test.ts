/**
 * Claude Code, end to end, with Warden's real `warden hook claude-code` as its PreToolUse hook.
 *
 * Ran against: @anthropic-ai/claude-code 2.1.332 — the native linux binary from the platform
 * package `@anthropic-ai/claude-code-linux-x64`, run directly. The wrapper's postinstall only copies
 * that binary over a stub, so it is denied in package.json `allowScripts`.
 *
 * Offline: `claude -p PROMPT --output-format json --permission-mode bypassPermissions
 * --model claude-sonnet-4-5 --max-turns 8 --strict-mcp-config`, HOME and CLAUDE_CONFIG_DIR in a
 * temporary directory, ANTHROPIC_BASE_URL=http://127.0.0.1:PORT (the scripted model server),
 * ANTHROPIC_API_KEY=dummy, DISABLE_TELEMETRY=1, DISABLE_ERROR_REPORTING=1, DISABLE_AUTOUPDATER=1,
 * DISABLE_NON_ESSENTIAL_MODEL_CALLS=1, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, and IS_SANDBOX=1
 * (as root, Claude Code refuses bypassPermissions without it). A run then only makes
 * `POST /v1/messages` calls to the model server (checked under strace: no connect() to anything
 * but 127.0.0.1) and takes about a second.
 *
 * bypassPermissions means Claude Code itself would run every tool: only Warden's hook stands
 * between the model and the machine, which the control test shows.
 */
import { runClaude } from "./claude-code.js";
import type { Reply } from "./model-server.js";
import { describeAgent } from "./scenarios.js";

describeAgent({
  agent: "claude-code",
  label: "Claude Code",
  shell: (command): Reply => ({ tool: { name: "Bash", input: { command, description: "step" } } }),
  readFile: (path): Reply => ({ tool: { name: "Read", input: { file_path: path } } }),
  setup: () => {},
  run: (machine, server, prompt) => runClaude(machine, server.url, prompt),
});
