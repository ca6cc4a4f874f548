/**
 * Runs the real Gemini CLI non-interactively against the scripted model server, with a
 * BeforeTool hook that `warden install gemini-cli --scope project` put in `.gemini/settings.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, type Machine, NODE, packageFile, type RunResult, runProcess } from "./harness.js";

export function geminiEntry(): string {
  return packageFile("@google", "gemini-cli", "bundle", "gemini.js");
}

function writeJson(dir: string, value: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "settings.json"), `${JSON.stringify(value, null, 2)}\n`);
}

/** User settings (API-key auth; everything that would reach out turned off). */
export function writeGeminiUserSettings(machine: Machine): void {
  writeJson(join(machine.home, ".gemini"), {
    general: { disableAutoUpdate: true, disableUpdateNag: true, enableAutoUpdate: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
  });
}

export function geminiEnv(machine: Machine, baseUrl: string): NodeJS.ProcessEnv {
  return baseEnv(machine, {
    GEMINI_API_KEY: "warden-e2e-dummy-key",
    GOOGLE_GEMINI_BASE_URL: baseUrl,
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    GEMINI_CLI_NO_RELAUNCH: "true",
    GEMINI_TELEMETRY_ENABLED: "false",
  });
}

export function runGemini(machine: Machine, baseUrl: string, prompt: string): Promise<RunResult> {
  return runProcess(
    NODE,
    [geminiEntry(), "-p", prompt, "--yolo", "-m", "gemini-2.5-flash", "--output-format", "json"],
    { cwd: machine.workspace, env: geminiEnv(machine, baseUrl) },
  );
}
