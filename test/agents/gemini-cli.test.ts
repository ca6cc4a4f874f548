/**
 * Gemini CLI, end to end, with Warden's real `warden hook gemini-cli` as its BeforeTool hook.
 *
 * Ran against: @google/gemini-cli 0.61.0 (a JavaScript bundle; its optional native helpers
 * keytar and node-pty are installed without their install scripts and are not needed here).
 *
 * Offline: `node bundle/gemini.js -p PROMPT --yolo -m gemini-2.5-flash --output-format json`,
 * HOME in a temporary directory, GEMINI_API_KEY=dummy, GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:PORT
 * (the scripted model server; requests go to /v1beta/models/MODEL:streamGenerateContent),
 * GEMINI_CLI_TRUST_WORKSPACE=true (project hooks only load in a trusted folder),
 * GEMINI_CLI_NO_RELAUNCH=true, and user settings with security.auth.selectedType gemini-api-key,
 * privacy.usageStatisticsEnabled false, telemetry off and auto-update off. A run then only talks
 * to the model server (checked under strace) and takes about two seconds.
 *
 * --yolo means Gemini CLI itself approves every tool: only Warden's hook stands in the way, which
 * the control test shows.
 */
import { runGemini, writeGeminiUserSettings } from "./gemini-cli.js";
import type { Reply } from "./model-server.js";
import { describeAgent } from "./scenarios.js";

describeAgent({
  agent: "gemini-cli",
  label: "Gemini CLI",
  shell: (command): Reply => ({
    tool: { name: "run_shell_command", input: { command, description: "step" } },
  }),
  readFile: (path): Reply => ({ tool: { name: "read_file", input: { file_path: path } } }),
  setup: (machine) => writeGeminiUserSettings(machine),
  run: (machine, server, prompt) => runGemini(machine, server.url, prompt),
});
