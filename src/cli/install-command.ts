/**
 * `warden install <agent>` / `warden uninstall <agent>`: put Warden's hook into an agent's
 * settings file, and take it out again.
 *
 * Install merges one Warden entry into the file (removing any earlier Warden entry first, so that
 * running it twice leaves one), keeps the original as `<file>.warden-backup` (once: a second
 * install never overwrites the original), and records the digest of what it wrote in
 * `<file>.warden-installed`. Uninstall restores the backup when the file is still exactly what
 * install wrote, and otherwise removes only Warden's entries, leaving the user's later edits.
 *
 * The hook line calls this CLI by absolute path (node + dist/cli/main.js), so it works without
 * PATH. The agent's own hook timeout (30 s) is longer than Warden's internal deadline (5 s), so
 * Warden answers deny before the agent gives up on it (which Claude Code, Gemini CLI and Codex
 * would treat as "proceed").
 *
 * A managed install's hook line carries `--no-daemon`: the warm daemon (`warden daemon`) listens
 * in the user's $WARDEN_HOME, where anything running as the user could put its own listener in
 * its place; a managed policy must not depend on anything the user can write.
 *
 * `--scope managed` writes each agent's administrator location, which user and project settings
 * cannot override, and there also closes the agent's own escape hatches where it has any:
 *
 * - Claude Code: /etc/claude-code/managed-settings.json; `permissions.disableBypassPermissionsMode:
 *   "disable"`, `sandbox.allowUnsandboxedCommands: false`.
 * - Gemini CLI (built against @google/gemini-cli 0.61.0, commit cc0107ed2,
 *   packages/cli/src/config/settings.ts `getSystemSettingsPath`): the system settings file,
 *   $GEMINI_CLI_SYSTEM_SETTINGS_PATH, else /etc/gemini-cli/settings.json (Linux),
 *   /Library/Application Support/GeminiCli/settings.json (macOS),
 *   C:\ProgramData\gemini-cli\settings.json (Windows). System settings merge last, so they win
 *   over user and workspace (`mergeSettings`); `hooks.BeforeTool` concatenates across scopes.
 *   Escape hatches closed: `security.disableYoloMode: true` (--yolo becomes a fatal config
 *   error) and `hooksConfig.enabled: true` (a user's `hooksConfig.enabled: false` would turn every
 *   hook off). Not closable from there: `hooksConfig.disabled` is a union across scopes, so a user
 *   can still list the hook's name, and Gemini CLI runs no configured hooks at all (system ones
 *   included) in a folder it does not trust (`HookRegistry.processHooksFromConfig`), where it
 *   instead forces the default approval mode (every tool asks the user).
 * - Codex (built against @openai/codex 0.169.0; codex-rs/config/src/hook_config.rs
 *   `ManagedHooksRequirementsToml`, codex-rs/hooks/src/engine/discovery.rs): the requirements
 *   file /etc/codex/requirements.toml, whose `[hooks]` table declares managed hooks (event lists
 *   flattened in, as in hooks.json). Managed hooks are always enabled and trusted: a user's
 *   `[hooks.state]` cannot turn them off and no /hooks review is needed (`hook_enabled`,
 *   `hook_trust_status`). Escape hatch closed: `allowed_sandbox_modes` without
 *   "danger-full-access" (so --dangerously-bypass-approvals-and-sandbox and
 *   `sandbox_mode = "danger-full-access"` are refused). The file is TOML; Warden rewrites it with
 *   smol-toml, so comments in an existing requirements.toml are not kept (the backup has them).
 * - Cursor (closed source; https://cursor.com/docs/hooks, "Configuration": "Global
 *   (Enterprise-managed)"): /etc/cursor/hooks.json (Linux/WSL), /Library/Application
 *   Support/Cursor/hooks.json (macOS), C:\ProgramData\Cursor\hooks.json (Windows); hooks from
 *   every level run, enterprise first. Cursor's auto-run ("YOLO") switches live in its team admin
 *   dashboard, not in a file, so there are no escape-hatch keys to write.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, platform } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { WardenError } from "../errors.js";
import { CLAUDE_TOOLS } from "../exec/hooks/claude-code.js";
import { CODEX_TOOLS } from "../exec/hooks/codex.js";
import { CURSOR_EVENTS } from "../exec/hooks/cursor.js";
import { GEMINI_TOOLS } from "../exec/hooks/gemini-cli.js";
import { AGENTS, type AgentId } from "../exec/hooks/types.js";
import { printJson } from "./output.js";

export type Scope = "user" | "project" | "managed";
type Json = Record<string, unknown>;

export interface InstallOptions {
  scope?: string;
  settingsDir?: string;
  json?: boolean;
  sandboxCommands?: boolean;
}

/** Agent hook timeout, seconds; Warden's own deadline (`warden hook --timeout`) is 5 s. */
const AGENT_TIMEOUT_S = 30;

const FILES: Record<AgentId, Partial<Record<Scope, (home: string, cwd: string) => string>>> = {
  "claude-code": {
    user: (home) => join(home, ".claude", "settings.json"),
    project: (_, cwd) => join(cwd, ".claude", "settings.json"),
    managed: () => "/etc/claude-code/managed-settings.json",
  },
  cursor: {
    user: (home) => join(home, ".cursor", "hooks.json"),
    project: (_, cwd) => join(cwd, ".cursor", "hooks.json"),
    managed: () =>
      ({
        darwin: "/Library/Application Support/Cursor/hooks.json",
        win32: "C:\\ProgramData\\Cursor\\hooks.json",
      })[platform() as string] ?? "/etc/cursor/hooks.json",
  },
  "gemini-cli": {
    user: (home) => join(home, ".gemini", "settings.json"),
    project: (_, cwd) => join(cwd, ".gemini", "settings.json"),
    // The same lookup as Gemini CLI's getSystemSettingsPath, environment variable first.
    managed: () =>
      process.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH ||
      {
        darwin: "/Library/Application Support/GeminiCli/settings.json",
        win32: "C:\\ProgramData\\gemini-cli\\settings.json",
      }[platform() as string] ||
      "/etc/gemini-cli/settings.json",
  },
  codex: {
    user: (home) => join(home, ".codex", "hooks.json"),
    project: (_, cwd) => join(cwd, ".codex", "hooks.json"),
    managed: () => {
      if (platform() === "win32") {
        throw new WardenError(
          "INSTALL_SCOPE",
          "Warden does not know where Codex reads its requirements file on Windows",
          {
            hint: "declare the hook in your Codex managed requirements ([hooks] PreToolUse) by hand, or use --scope user",
          },
        );
      }
      return "/etc/codex/requirements.toml";
    },
  },
};

/** Codex sandbox modes a managed install leaves allowed: everything but danger-full-access. */
const CODEX_SAFE_SANDBOX_MODES = ["read-only", "workspace-write"];

export function settingsPath(agent: AgentId, scope: Scope, settingsDir?: string): string {
  const locate = FILES[agent][scope];
  if (locate === undefined) {
    throw new WardenError(
      "INSTALL_SCOPE",
      `${agent} has no ${scope} settings file Warden can write`,
      {
        hint: `use --scope ${Object.keys(FILES[agent]).join(" or --scope ")}`,
      },
    );
  }
  const path = locate(homedir(), process.cwd());
  return settingsDir ? join(resolve(settingsDir), basename(path)) : path;
}

/** The hook line written into settings: this CLI by absolute path. */
export function hookCommand(agent: AgentId, sandbox = false, daemon = true): string {
  const cli = fileURLToPath(new URL("./main.js", import.meta.url));
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const flags = `${sandbox ? " --sandbox-commands" : ""}${daemon ? "" : " --no-daemon"}`;
  return `${quote(process.execPath)} ${quote(cli)} hook ${agent}${flags}`;
}

function isWardenCommand(command: unknown, agent: AgentId): boolean {
  return (
    typeof command === "string" &&
    new RegExp(` hook ${agent}( |$)`).test(command) &&
    /warden|main\.js/.test(command)
  );
}

/** Removes Warden's entries from a `hooks.<event>: [{ matcher, hooks: [...] }]` list. */
function withoutGroupEntries(groups: unknown, agent: AgentId): unknown[] {
  if (!Array.isArray(groups)) return [];
  const kept: unknown[] = [];
  for (const group of groups) {
    if (group && typeof group === "object" && Array.isArray((group as Json).hooks)) {
      const hooks = ((group as Json).hooks as Json[]).filter(
        (h) => !isWardenCommand(h?.command, agent),
      );
      if (hooks.length > 0) kept.push({ ...(group as Json), hooks });
    } else kept.push(group);
  }
  return kept;
}

function hooksOf(settings: Json): Json {
  const hooks = settings.hooks;
  if (hooks === undefined) return {};
  if (hooks === null || typeof hooks !== "object" || Array.isArray(hooks)) {
    throw new WardenError("INSTALL_BAD_SETTINGS", `"hooks" in the settings file is not an object`);
  }
  return hooks as Json;
}

function setEvent(hooks: Json, event: string, list: unknown[]): void {
  if (list.length > 0) hooks[event] = list;
  else delete hooks[event];
}

/** The settings with Warden's entries removed (and, when `add`, one Warden entry appended). */
export function mergeHooks(
  agent: AgentId,
  settings: Json,
  add: { command: string; scope: Scope } | null,
): Json {
  const out: Json = structuredClone(settings);
  const hooks = { ...hooksOf(out) };
  if (agent === "cursor") {
    if (add && out.version === undefined) out.version = 1;
    for (const event of CURSOR_EVENTS) {
      const list = (Array.isArray(hooks[event]) ? (hooks[event] as Json[]) : []).filter(
        (h) => !isWardenCommand(h?.command, agent),
      );
      if (add) list.push({ command: add.command, timeout: AGENT_TIMEOUT_S, failClosed: true });
      setEvent(hooks, event, list);
    }
  } else {
    const event = agent === "gemini-cli" ? "BeforeTool" : "PreToolUse";
    const list = withoutGroupEntries(hooks[event], agent);
    if (add) {
      const tools =
        agent === "claude-code" ? CLAUDE_TOOLS : agent === "codex" ? CODEX_TOOLS : GEMINI_TOOLS;
      const entry =
        agent === "gemini-cli"
          ? {
              name: "warden",
              type: "command",
              command: add.command,
              timeout: AGENT_TIMEOUT_S * 1000,
            }
          : { type: "command", command: add.command, timeout: AGENT_TIMEOUT_S };
      list.push({ matcher: tools.join("|"), hooks: [entry] });
    }
    setEvent(hooks, event, list);
  }
  if (Object.keys(hooks).length > 0) out.hooks = hooks;
  else delete out.hooks;
  if (add && agent === "claude-code" && add.scope === "managed") {
    // Managed settings cannot be overridden by users: also close Claude Code's escape hatches.
    const permissions = { ...((out.permissions as Json | undefined) ?? {}) };
    permissions.disableBypassPermissionsMode = "disable";
    out.permissions = permissions;
    const sandbox = { ...((out.sandbox as Json | undefined) ?? {}) };
    sandbox.allowUnsandboxedCommands = false;
    out.sandbox = sandbox;
  }
  if (add && agent === "gemini-cli" && add.scope === "managed") {
    const security = { ...((out.security as Json | undefined) ?? {}) };
    security.disableYoloMode = true;
    out.security = security;
    const hooksConfig = { ...((out.hooksConfig as Json | undefined) ?? {}) };
    hooksConfig.enabled = true;
    out.hooksConfig = hooksConfig;
  }
  if (add && agent === "codex" && add.scope === "managed") {
    const modes = Array.isArray(out.allowed_sandbox_modes)
      ? out.allowed_sandbox_modes.filter((m) => m !== "danger-full-access")
      : [];
    out.allowed_sandbox_modes = modes.length > 0 ? modes : [...CODEX_SAFE_SANDBOX_MODES];
  }
  return out;
}

const isToml = (file: string) => file.endsWith(".toml");

/**
 * Gemini CLI skips a system settings file unless the file and every directory above it are owned
 * by root and not writable by group or others (POSIX; `isFileAndDirectorySecureSync` in
 * packages/core, 0.61.0): it prints a warning and runs without it. Installing there would report
 * success for a hook Gemini never loads, so this says what is wrong instead, before writing.
 */
function geminiSystemFileProblem(file: string): string | null {
  if (platform() === "win32") return null;
  const uid = process.getuid?.() ?? 0;
  const problems: string[] = [];
  let dir = dirname(file);
  const check = (path: string) => {
    const st = statSync(path);
    if (st.uid !== 0) problems.push(`${path} is owned by uid ${st.uid}, not root`);
    if ((st.mode & 0o022) !== 0) {
      problems.push(
        `${path} is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`,
      );
    }
  };
  if (existsSync(file)) check(file);
  else if (uid !== 0) problems.push(`${file} would be created owned by uid ${uid}, not root`);
  for (;;) {
    if (existsSync(dir)) check(dir);
    else if (uid !== 0) problems.push(`${dir} would be created owned by uid ${uid}, not root`);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return problems.length > 0 ? problems.join("; ") : null;
}

function readSettings(file: string): Json {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, "utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = isToml(file) ? parseToml(text) : JSON.parse(text);
  } catch (error) {
    throw new WardenError(
      "INSTALL_BAD_SETTINGS",
      `${file} is not valid ${isToml(file) ? "TOML" : "JSON"}: ${(error as Error).message}`,
      {
        hint: "fix the file by hand; Warden does not rewrite a settings file it cannot read",
      },
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WardenError("INSTALL_BAD_SETTINGS", `${file} does not hold an object`);
  }
  return value as Json;
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");
const render = (settings: Json, file: string) =>
  isToml(file) ? `${stringifyToml(settings)}\n` : `${JSON.stringify(settings, null, 2)}\n`;

function parseAgent(agent: string): AgentId {
  if (!(AGENTS as readonly string[]).includes(agent)) {
    throw new WardenError("INSTALL_AGENT", `unknown agent "${agent}"`, {
      hint: `one of ${AGENTS.join(", ")}`,
    });
  }
  return agent as AgentId;
}

function parseScope(scope: string | undefined): Scope {
  const s = scope ?? "user";
  if (s !== "user" && s !== "project" && s !== "managed") {
    throw new WardenError("INSTALL_SCOPE", `--scope must be user, project or managed, got "${s}"`);
  }
  return s;
}

export function install(agentArg: string, options: InstallOptions): number {
  const agent = parseAgent(agentArg);
  const scope = parseScope(options.scope);
  const file = settingsPath(agent, scope, options.settingsDir);
  if (agent === "gemini-cli" && scope === "managed" && !options.settingsDir) {
    const problem = geminiSystemFileProblem(file);
    if (problem) {
      throw new WardenError(
        "INSTALL_INSECURE",
        `Gemini CLI ignores a system settings file that is not root-owned and root-only writable all the way up: ${problem}`,
        {
          hint: "run the install as root into a root-owned directory (the default /etc/gemini-cli/settings.json), or set GEMINI_CLI_SYSTEM_SETTINGS_PATH to such a place for both Warden and Gemini CLI",
        },
      );
    }
  }
  const backup = `${file}.warden-backup`;
  const marker = `${file}.warden-installed`;
  const existed = existsSync(file);
  const current = readSettings(file);
  const command = hookCommand(agent, options.sandboxCommands === true, scope !== "managed");
  const text = render(mergeHooks(agent, current, { command, scope }), file);
  mkdirSync(dirname(file), { recursive: true });
  // Back up the user's file, never our own earlier install (a second install of a new file).
  const ours =
    existed &&
    existsSync(marker) &&
    readFileSync(marker, "utf8").trim() === digest(readFileSync(file, "utf8"));
  if (existed && !ours && !existsSync(backup)) copyFileSync(file, backup);
  writeFileSync(file, text);
  writeFileSync(marker, `${digest(text)}\n`);
  const result = {
    agent,
    scope,
    file,
    backup: existsSync(backup) ? backup : null,
    command,
    action: "installed",
  };
  if (options.json) printJson(result);
  else {
    process.stdout.write(`installed Warden's ${agent} hook in ${file}\n  hook: ${command}\n`);
    if (result.backup) process.stdout.write(`  backup of the original: ${result.backup}\n`);
    if (agent === "codex" && scope !== "managed") {
      process.stdout.write(
        "  Codex asks you to trust new hooks once: review it with /hooks in Codex\n",
      );
    }
  }
  return 0;
}

export function uninstall(agentArg: string, options: InstallOptions): number {
  const agent = parseAgent(agentArg);
  const scope = parseScope(options.scope);
  const file = settingsPath(agent, scope, options.settingsDir);
  const backup = `${file}.warden-backup`;
  const marker = `${file}.warden-installed`;
  let action: string;
  const text = existsSync(file) ? readFileSync(file, "utf8") : null;
  const recorded = existsSync(marker) ? readFileSync(marker, "utf8").trim() : null;
  if (text !== null && recorded !== null && digest(text) === recorded) {
    if (existsSync(backup)) {
      copyFileSync(backup, file);
      rmSync(backup);
      action = "restored";
    } else {
      rmSync(file);
      action = "removed";
    }
  } else if (text !== null) {
    const before = readSettings(file);
    const after = mergeHooks(agent, before, null);
    if (render(after, file) !== render(before, file)) {
      writeFileSync(file, render(after, file));
      action = "entries-removed";
    } else action = "not-installed";
  } else action = "not-installed";
  rmSync(marker, { force: true });
  const result = { agent, scope, file, action, backup: existsSync(backup) ? backup : null };
  if (options.json) printJson(result);
  else {
    const said = {
      restored: `restored ${file} from its backup`,
      removed: `removed ${file} (Warden had created it)`,
      "entries-removed": `removed Warden's entries from ${file} (it changed since install, so the rest is kept)`,
      "not-installed": `Warden's ${agent} hook is not in ${file}`,
    }[action];
    process.stdout.write(`${said}\n`);
    if (result.backup) process.stdout.write(`  the original is still in ${result.backup}\n`);
  }
  return 0;
}
