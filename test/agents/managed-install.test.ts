/**
 * `warden install <agent> --scope managed`, proved with the real agent CLIs: the hook is installed
 * ONLY in the agent's administrator location (nothing in the user's or the project's settings),
 * and the agent still asks Warden before it runs a shell command, so a denied `touch SENTINEL`
 * never runs. The hook line is the real one, `--no-daemon` included.
 *
 * Gemini CLI (@google/gemini-cli 0.61.0): the system settings file is redirected with its own
 * variable, GEMINI_CLI_SYSTEM_SETTINGS_PATH, and `warden install` (which reads the same variable)
 * writes it. The managed file sets `security.disableYoloMode`, so the run cannot use --yolo (a
 * second test shows --yolo is refused, which also proves Gemini read that file); the user's own
 * settings allow `run_shell_command` without confirmation (`tools.allowed`), so Gemini CLI itself
 * would run the command and only the hook stands in the way.
 *
 * Codex (@openai/codex 0.169.0): /etc/codex/requirements.toml has no override variable, so the
 * run happens in a private mount namespace (`unshare -m`, needs root) with an overlay on /etc:
 * `warden install codex --scope managed` writes the real path inside it, nothing reaches the
 * machine's /etc, and Codex reads it there. Managed hooks need no /hooks trust review, so the run
 * has no --dangerously-bypass-hook-trust; it also cannot use
 * --dangerously-bypass-approvals-and-sandbox (requirements forbid danger-full-access; a test shows
 * Codex refuses it). Skipped where unshare or overlayfs is not available.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { codexBinary, codexEnv, codexShell, writeCodexConfig } from "./codex.js";
import { geminiEntry, geminiEnv, writeGeminiUserSettings } from "./gemini-cli.js";
import {
  auditEvents,
  type Machine,
  makeMachine,
  NODE,
  type RunResult,
  report,
  runProcess,
  TEST_TIMEOUT_MS,
  WARDEN,
} from "./harness.js";
import {
  lastToolResult,
  type ModelServer,
  type ScriptStep,
  startModelServer,
} from "./model-server.js";

const TOUCH_REASON = "This test never lets the agent create files with touch.";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(label: string, step: (machine: Machine) => ScriptStep) {
  const machine = makeMachine(`managed-${label}`);
  const server = await startModelServer({ script: [step(machine), { text: "All done." }] });
  cleanups.push(
    () => server.close(),
    () => machine.cleanup(),
  );
  return { machine, server };
}

function why(run: RunResult, server: ModelServer): string {
  const after = server.mainRequests().find((r) => r.step === 1);
  return `${report(run, server.describe())}\n--- tool result\n${after ? lastToolResult(after) : ""}`;
}

async function expectDenied(machine: Machine, server: ModelServer, run: RunResult, pep: string) {
  const text = why(run, server);
  expect(run.timedOut, text).toBe(false);
  expect(existsSync(machine.sentinel), text).toBe(false);
  const after = server.mainRequests().find((r) => r.step === 1);
  expect(after ? lastToolResult(after) : "", text).toContain(TOUCH_REASON);
  const events = (await auditEvents(machine)).filter((e) => e.pep === pep);
  expect(events, text).toHaveLength(1);
  expect(events[0]?.decision).toMatchObject({ effect: "deny", rule: "no-touching" });
}

/** Can this process make a mount namespace with an overlay on /etc? (root, unshare, overlayfs) */
/**
 * These tests write the agents' real managed paths under /etc inside a private mount namespace
 * with an overlay on /etc, so nothing reaches the machine's /etc. That needs root, unshare and
 * overlayfs, which CI has (it runs as root); elsewhere they fail and say why rather than skip.
 */
beforeAll(() => {
  if (!canOverlayEtc()) {
    throw new Error(
      "managed-install tests need root, unshare(1) and overlayfs to overlay /etc privately",
    );
  }
});

function canOverlayEtc(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const probe = spawnSync(
    "unshare",
    [
      "-m",
      "sh",
      "-c",
      'd=$(mktemp -d) && mkdir "$d/u" "$d/w" && mount -t overlay overlay -o "lowerdir=/etc,upperdir=$d/u,workdir=$d/w" /etc; r=$?; rm -rf "$d"; exit $r',
    ],
    { encoding: "utf8" },
  );
  return probe.status === 0;
}

describe("Codex with Warden's hook only in /etc/codex/requirements.toml", () => {
  /** The user's config without the harness's danger-full-access, which requirements now forbid. */
  function userConfig(machine: Machine, server: ModelServer): void {
    writeCodexConfig(machine, server.url);
    const file = join(machine.home, ".codex", "config.toml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        'sandbox_mode = "danger-full-access"',
        'sandbox_mode = "workspace-write"',
      ),
    );
  }

  it(
    "never runs a denied command (touch SENTINEL), with no hook trust bypass",
    async () => {
      const { machine, server } = await setUp("codex-deny", (m) =>
        codexShell(`touch ${m.sentinel}`),
      );
      userConfig(machine, server);
      const env = codexEnv(machine);
      const run = await inPrivateEtc(
        machine,
        `${codexInstallLine()} && cat /etc/codex/requirements.toml >&2 && ${codexLine(machine)}`,
        env,
      );
      expect(
        existsSync("/etc/codex/requirements.toml") &&
          readFileSync("/etc/codex/requirements.toml", "utf8").includes(WARDEN),
        "nothing reached the real /etc",
      ).toBe(false);
      expect(run.stderr, why(run, server)).toContain("hook codex --no-daemon");
      await expectDenied(machine, server, run, "hook.codex");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses --dangerously-bypass-approvals-and-sandbox once requirements are installed",
    async () => {
      const { machine, server } = await setUp("codex-bypass", (m) =>
        codexShell(`touch ${m.sentinel}`),
      );
      userConfig(machine, server);
      const run = await inPrivateEtc(
        machine,
        `${codexInstallLine()} && ${codexLine(machine, "--dangerously-bypass-approvals-and-sandbox")}`,
        codexEnv(machine),
      );
      expect(existsSync(machine.sentinel), why(run, server)).toBe(false);
      expect(run.code, why(run, server)).not.toBe(0);
      expect(run.stderr, why(run, server)).toContain(
        'requirements do not allow `sandbox_mode = "danger-full-access"`',
      );
    },
    TEST_TIMEOUT_MS,
  );
});

/** Runs `script` in a private mount namespace whose /etc is an overlay kept under the machine. */
function inPrivateEtc(machine: Machine, script: string, env: NodeJS.ProcessEnv) {
  const up = join(machine.root, "etc-upper");
  const work = join(machine.root, "etc-work");
  mkdirSync(up, { recursive: true });
  mkdirSync(work, { recursive: true });
  const mount = `mount -t overlay overlay -o "lowerdir=/etc,upperdir=${up},workdir=${work}" /etc`;
  return runProcess("unshare", ["-m", "sh", "-c", `${mount} && ${script}`], {
    cwd: machine.workspace,
    env,
  });
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const codexInstallLine = (extra = "") =>
  `${q(NODE)} ${q(WARDEN)} install codex --scope managed --json >/dev/null${extra}`;
const codexLine = (machine: Machine, ...flags: string[]) =>
  [
    q(codexBinary()),
    "exec",
    "--skip-git-repo-check",
    ...flags,
    "--json",
    "-C",
    q(machine.workspace),
    q("Please run the scripted step."),
  ].join(" ");

describe("Gemini CLI with Warden's hook only in /etc/gemini-cli/settings.json", () => {
  function userSettings(machine: Machine): void {
    writeGeminiUserSettings(machine);
    const file = join(machine.home, ".gemini", "settings.json");
    const settings = JSON.parse(readFileSync(file, "utf8"));
    settings.tools = { allowed: ["run_shell_command"] };
    writeFileSync(file, JSON.stringify(settings, null, 2));
  }

  const geminiLine = (...flags: string[]) =>
    [
      q(NODE),
      q(geminiEntry()),
      "-p",
      q("Please run the scripted step."),
      ...flags,
      "-m",
      "gemini-2.5-flash",
    ].join(" ");
  const installLine = `${q(NODE)} ${q(WARDEN)} install gemini-cli --scope managed --json >/dev/null`;
  const shellStep = (m: Machine): ScriptStep => ({
    tool: {
      name: "run_shell_command",
      input: { command: `touch ${m.sentinel}`, description: "step" },
    },
  });

  it(
    "never runs a denied command (touch SENTINEL); control: without the managed file it runs",
    async () => {
      for (const managed of [true, false]) {
        const { machine, server } = await setUp(`gemini-${managed}`, shellStep);
        userSettings(machine);
        const env = geminiEnv(machine, server.url);
        const run = await inPrivateEtc(
          machine,
          managed
            ? `${installLine} && ${geminiLine("--output-format", "json")}`
            : geminiLine("--output-format", "json"),
          env,
        );
        expect(existsSync(join(machine.workspace, ".gemini")), "no project settings").toBe(false);
        expect(run.stderr, why(run, server)).not.toContain("Skipping system settings file");
        if (managed) await expectDenied(machine, server, run, "hook.gemini-cli");
        else expect(existsSync(machine.sentinel), why(run, server)).toBe(true);
      }
    },
    TEST_TIMEOUT_MS * 2,
  );

  it(
    "refuses --yolo once the managed file is installed",
    async () => {
      const { machine, server } = await setUp("gemini-yolo", shellStep);
      userSettings(machine);
      const run = await inPrivateEtc(
        machine,
        `${installLine} && ${geminiLine("--yolo")}`,
        geminiEnv(machine, server.url),
      );
      expect(run.code, why(run, server)).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`, why(run, server)).toMatch(/YOLO mode/i);
      expect(existsSync(machine.sentinel), why(run, server)).toBe(false);
      expect(server.mainRequests(), why(run, server)).toHaveLength(0);
    },
    TEST_TIMEOUT_MS,
  );
});
