import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, ROOT, tempDir } from "./cli.js";

let dir: string;
let env: Record<string, string>;

function hook(
  agent: string,
  input: unknown,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
) {
  const r = spawnSync(process.execPath, [CLI, "hook", agent, ...args], {
    cwd: ROOT,
    input: typeof input === "string" ? input : JSON.stringify(input),
    env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? "", ...env, ...extraEnv },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function events(...filters: string[]) {
  const r = cli(["audit", "search", "--json", "--limit", "1000", ...filters], env);
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const claude = (tool_name: string, tool_input: unknown, session = "cc-1") => ({
  session_id: session,
  transcript_path: "/tmp/t.jsonl",
  cwd: "/work/proj",
  permission_mode: "default",
  hook_event_name: "PreToolUse",
  tool_name,
  tool_input,
  tool_use_id: "toolu_1",
});
const claudeOut = (permissionDecision: string, permissionDecisionReason: string, extra = {}) =>
  `${JSON.stringify({
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision,
      permissionDecisionReason,
      ...extra,
    },
  })}\n`;
const STARTER = "policy coding-agent-starter";

beforeAll(() => {
  dir = tempDir("warden-hooks-");
  env = { WARDEN_HOME: join(dir, "home"), HOME: join(dir, "user") };
  expect(cli(["init"], env).status).toBe(0);
});

afterAll(() => {
  // The hook daemons these calls started exit once their WARDEN_HOME is gone.
  rmSync(dir, { recursive: true, force: true });
});

describe("warden hook claude-code", () => {
  it("allows, asks and denies with Claude Code's answers and exit codes", () => {
    const allow = hook("claude-code", claude("Bash", { command: "git status" }));
    expect(allow).toEqual({
      status: 0,
      stdout: claudeOut(
        "allow",
        `Warden allowed this call: Reading and testing the project is everyday work. [rule everyday-commands, ${STARTER}]`,
      ),
      stderr: "",
    });
    const ask = hook("claude-code", claude("Bash", { command: "git push origin main" }));
    expect(ask.status).toBe(0);
    expect(ask.stdout).toBe(
      claudeOut(
        "ask",
        `Warden needs your approval for this call: Publishing changes leaves the laptop; a human confirms it. [rule publishing-needs-review, ${STARTER}]`,
      ),
    );
    const deny = hook("claude-code", claude("Bash", { command: "rm -rf /" }));
    // `rm -rf /` is two parts (the command, and the write to `/`): the reason names the one that decided.
    const reason = `Warden denied this call: \`rm -rf /\`: Destructive or privileged commands are never run by an agent. [rule destructive-commands, ${STARTER}]`;
    expect(deny).toEqual({ status: 2, stdout: claudeOut("deny", reason), stderr: `${reason}\n` });
  });

  it("decides file tools, WebFetch and MCP tools", () => {
    expect(
      hook("claude-code", claude("Read", { file_path: `${env.HOME}/.ssh/id_rsa` })).status,
    ).toBe(2);
    expect(hook("claude-code", claude("Read", { file_path: "/work/proj/README.md" })).status).toBe(
      0,
    );
    const web = hook(
      "claude-code",
      claude("WebFetch", { url: "https://169.254.169.254/x", prompt: "p" }),
    );
    expect(web.status).toBe(2);
    const mcp = hook("claude-code", claude("mcp__gmail__send_email", { to: ["a@b.c"] }, "cc-mcp"));
    expect(JSON.parse(mcp.stdout).hookSpecificOutput.permissionDecision).toMatch(/ask|deny/);
    const [event] = events("--agent", "claude-code", "--kind", "mcp.call", "--text", "cc-mcp");
    expect(event).toMatchObject({
      pep: "hook.claude-code",
      principal: { agent: "claude-code", session: "cc-mcp" },
      target: { server: "gmail", tool: "send_email", args: { to: ["a@b.c"] } },
      context: { workspace: "/work/proj", cwd: "/work/proj", tool: "mcp__gmail__send_email" },
    });
  });

  it("records one audit event per answer with agent, session, cwd, tool, decision and latency", () => {
    hook("claude-code", claude("Bash", { command: "git status" }, "cc-audit"));
    const recorded = events("--pep", "hook.claude-code", "--text", "cc-audit");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      kind: "exec",
      pep: "hook.claude-code",
      principal: { agent: "claude-code", session: "cc-audit" },
      target: { command: "git status", cwd: "/work/proj" },
      context: { workspace: "/work/proj", cwd: "/work/proj", tool: "Bash", event: "PreToolUse" },
      decision: { effect: "allow", rule: "everyday-commands" },
    });
    expect(recorded[0].latencyUs).toBeGreaterThan(0);
  });

  it("denies payloads it does not understand, and records them", () => {
    for (const [input, why] of [
      ["not json", "is not valid JSON"],
      [
        JSON.stringify(claude("Task", { prompt: "x" }, "cc-bad")),
        `does not know Claude Code's tool "Task"`,
      ],
      [JSON.stringify(claude("Bash", {}, "cc-bad")), "tool_input.command is missing"],
      ["", "Unexpected end of JSON input"],
    ] as const) {
      const r = hook("claude-code", input);
      expect(r.status).toBe(2);
      const answer = JSON.parse(r.stdout).hookSpecificOutput;
      expect(answer.permissionDecision).toBe("deny");
      expect(answer.permissionDecisionReason).toContain(why);
      expect(r.stderr).toContain(why);
    }
    const invalid = events("--pep", "hook.claude-code", "--kind", "invalid");
    expect(invalid.length).toBeGreaterThanOrEqual(4);
    expect(invalid[0].decision.effect).toBe("deny");
  });

  it("rewrites allowed Bash commands with --sandbox-commands", () => {
    const r = hook("claude-code", claude("Bash", { command: "git status", timeout: 9 }), {}, [
      "--sandbox-commands",
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout).hookSpecificOutput;
    expect(out.permissionDecision).toBe("allow");
    expect(out.updatedInput).toEqual({
      command: `${process.execPath} ${CLI} run --agent 'claude-code' -- bash -c 'git status'`,
      timeout: 9,
    });
  });
});

describe("warden hook fails closed when Warden breaks", () => {
  const call = claude("Bash", { command: "git status" });
  const expectDenied = (
    r: { status: number | null; stdout: string; stderr: string },
    why: string,
  ) => {
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(why);
    if (r.stdout) {
      const answer = JSON.parse(r.stdout).hookSpecificOutput;
      expect(answer.permissionDecision).toBe("deny");
      expect(answer.permissionDecisionReason).toContain(why);
    }
  };

  it("denies when no policy can be found, saying how to add one", () => {
    const r = hook("claude-code", call, { WARDEN_HOME: join(dir, "empty-home") });
    expectDenied(r, "no policy found");
    expect(r.stdout).toContain("warden init");
  });

  it("denies on a corrupt policy and on a policy path that is a directory", () => {
    const broken = join(dir, "broken.yaml");
    writeFileSync(
      broken,
      "apiVersion: warden/v1\nkind: Policy\nrules: [ {id: x, kind: exec, allow: \n",
    );
    expectDenied(hook("claude-code", call, { WARDEN_POLICY: broken }), "policy unavailable");
    const asDir = join(dir, "policy-dir");
    mkdirSync(asDir, { recursive: true });
    expectDenied(hook("claude-code", call, {}, ["--policy", asDir]), "EISDIR");
  });

  it("denies when the audit store cannot be opened (WARDEN_HOME is a regular file)", () => {
    const file = join(dir, "home-is-a-file");
    writeFileSync(file, "not a directory");
    const r = hook("claude-code", call, {
      WARDEN_HOME: file,
      WARDEN_POLICY: join(env.WARDEN_HOME!, "policy.yaml"),
    });
    expectDenied(r, "audit log unavailable");
  });

  it("denies on a thrown error and on an uncaught crash", () => {
    expectDenied(hook("claude-code", call, { WARDEN_TEST_HOOK_FAULT: "throw" }), "injected fault");
    expectDenied(hook("claude-code", call, { WARDEN_TEST_HOOK_FAULT: "crash" }), "Warden crashed");
  });

  it("denies when no decision is made in time (stdin never closes)", async () => {
    const child = spawn(process.execPath, [CLI, "hook", "claude-code", "--timeout", "0.5"], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.write('{"hook_event_name":'); // and never finish
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.stdin.destroy();
    expectDenied({ status, stdout, stderr }, "did not decide within 0.5 s");
  });

  it("denies on usage errors instead of exiting with a code the agent reads as proceed", () => {
    expectDenied(hook("claude-code", call, {}, ["--no-such-option"]), "unknown option");
    expectDenied(hook("copilot", call), 'unknown agent "copilot"');
  });
});

describe("warden hook gemini-cli, cursor and codex", () => {
  const gemini = (tool_name: string, tool_input: unknown, extra: object = {}) => ({
    session_id: "gm-1",
    transcript_path: "/tmp/g.json",
    cwd: "/work/proj",
    hook_event_name: "BeforeTool",
    timestamp: "2026-11-25T10:00:00Z",
    tool_name,
    tool_input,
    ...extra,
  });
  const cursorPayload = (hook_event_name: string, fields: object) => ({
    hook_event_name,
    conversation_id: "cu-1",
    generation_id: "g-1",
    workspace_roots: ["/work/proj"],
    user_email: "dev@example.com",
    ...fields,
  });
  const codexPayload = (tool_name: string, tool_input: unknown) => ({
    session_id: "cx-1",
    turn_id: "t-1",
    transcript_path: null,
    cwd: "/work/proj",
    hook_event_name: "PreToolUse",
    model: "gpt-5",
    permission_mode: "default",
    tool_name,
    tool_input,
    tool_use_id: "call-1",
  });

  it("gemini-cli: allow, ask, deny, MCP, malformed", () => {
    expect(hook("gemini-cli", gemini("run_shell_command", { command: "git status" }))).toEqual({
      status: 0,
      stdout: '{"decision":"allow"}\n',
      stderr: "",
    });
    const ask = hook(
      "gemini-cli",
      gemini("run_shell_command", { command: "git push origin main" }),
    );
    const askReason = `Warden needs your approval for this call: Publishing changes leaves the laptop; a human confirms it. [rule publishing-needs-review, ${STARTER}]`;
    expect(ask.status).toBe(0);
    expect(JSON.parse(ask.stdout)).toEqual({
      decision: "ask",
      reason: askReason,
      systemMessage: askReason,
    });
    const deny = hook("gemini-cli", gemini("read_file", { file_path: `${env.HOME}/.ssh/id_rsa` }));
    expect(deny.status).toBe(2);
    expect(JSON.parse(deny.stdout)).toMatchObject({ decision: "deny" });
    expect(deny.stderr).toContain("Credentials are brokered by Warden");
    const mcp = hook(
      "gemini-cli",
      gemini(
        "mcp_gmail_send_email",
        { to: ["x@y.z"] },
        {
          mcp_context: { server_name: "gmail", tool_name: "send_email", command: "gmail-mcp" },
        },
      ),
    );
    expect(JSON.parse(mcp.stdout).decision).toMatch(/ask|deny/);
    const [event] = events("--pep", "hook.gemini-cli", "--kind", "mcp.call");
    expect(event).toMatchObject({
      principal: { agent: "gemini-cli", session: "gm-1" },
      target: { server: "gmail", tool: "send_email" },
    });
    const bad = hook("gemini-cli", gemini("write_todos", { todos: [] }));
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout).reason).toContain(
      `does not know Gemini CLI's tool "write_todos"`,
    );
    const rewritten = hook(
      "gemini-cli",
      gemini("run_shell_command", { command: "git status", dir_path: "sub" }),
      {},
      ["--sandbox-commands"],
    );
    expect(JSON.parse(rewritten.stdout)).toEqual({
      decision: "allow",
      hookSpecificOutput: {
        hookEventName: "BeforeTool",
        tool_input: {
          command: `${process.execPath} ${CLI} run --agent 'gemini-cli' -- bash -c 'git status'`,
          dir_path: "sub",
        },
      },
    });
  });

  it("cursor: shell allow/ask/deny, MCP, file reads (ask → deny), malformed", () => {
    const allow = hook(
      "cursor",
      cursorPayload("beforeShellExecution", { command: "git status", cwd: "/work/proj" }),
    );
    const allowReason = `Warden allowed this call: Reading and testing the project is everyday work. [rule everyday-commands, ${STARTER}]`;
    expect(allow).toEqual({
      status: 0,
      stdout: `${JSON.stringify({ permission: "allow", user_message: allowReason, agent_message: allowReason })}\n`,
      stderr: "",
    });
    const ask = hook(
      "cursor",
      cursorPayload("beforeShellExecution", { command: "git push origin main", cwd: "/work/proj" }),
    );
    expect(ask.status).toBe(0);
    expect(JSON.parse(ask.stdout).permission).toBe("ask");
    const deny = hook(
      "cursor",
      cursorPayload("beforeShellExecution", { command: "rm -rf /", cwd: "/" }),
    );
    expect(deny.status).toBe(2);
    expect(JSON.parse(deny.stdout).permission).toBe("deny");
    const mcp = hook(
      "cursor",
      cursorPayload("beforeMCPExecution", {
        tool_name: "send_email",
        tool_input: JSON.stringify({ to: ["x@y.z"] }),
        command: "npx -y gmail",
      }),
    );
    expect(JSON.parse(mcp.stdout).permission).toMatch(/ask|deny/);
    const [event] = events("--pep", "hook.cursor", "--kind", "mcp.call");
    expect(event).toMatchObject({
      principal: { agent: "cursor", user: "dev@example.com", session: "cu-1" },
      target: { server: "gmail", tool: "send_email", args: { to: ["x@y.z"] } },
    });
    const secret = hook(
      "cursor",
      cursorPayload("beforeReadFile", { file_path: `${env.HOME}/.aws/credentials`, content: "" }),
    );
    expect(secret.status).toBe(2);
    const write = hook(
      "cursor",
      cursorPayload("beforeReadFile", { file_path: "README.md", content: "" }),
    );
    expect(write.status).toBe(0);
    expect(JSON.parse(write.stdout).permission).toBe("allow");
    const bad = hook("cursor", cursorPayload("afterFileEdit", { file_path: "/x" }));
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout).user_message).toContain(
      `does not handle Cursor's "afterFileEdit" hook`,
    );
  });

  it("cursor: ask on a file read becomes deny, saying a human must approve", () => {
    const strict = join(dir, "ask-reads.yaml");
    writeFileSync(
      strict,
      "apiVersion: warden/v1\nkind: Policy\nmetadata: { name: ask-reads, version: '1' }\n" +
        "defaults: { fs.read: ask }\n",
    );
    const r = hook(
      "cursor",
      cursorPayload("beforeReadFile", { file_path: "/work/proj/a.txt", content: "" }),
      {
        WARDEN_POLICY: strict,
      },
    );
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.permission).toBe("deny");
    expect(out.user_message).toContain("a human must approve it, and Cursor cannot ask");
  });

  it("codex: allow is silent, ask becomes deny, deny exits 2, apply_patch and MCP", () => {
    expect(hook("codex", codexPayload("Bash", { command: "git status" }))).toEqual({
      status: 0,
      stdout: "",
      stderr: "",
    });
    const ask = hook("codex", codexPayload("Bash", { command: "git push origin main" }));
    expect(ask.status).toBe(2);
    const out = JSON.parse(ask.stdout).hookSpecificOutput;
    expect(out.permissionDecision).toBe("deny");
    expect(out.permissionDecisionReason).toContain("a human must approve it, and Codex cannot ask");
    expect(ask.stderr).toContain("a human must approve it");
    const patch =
      "*** Begin Patch\n*** Add File: src/new.ts\n+x\n*** Update File: ../../etc/hosts\n@@\n-a\n+b\n*** End Patch\n";
    const p = hook("codex", codexPayload("apply_patch", { command: patch }));
    const [event] = events("--pep", "hook.codex", "--kind", "fs.write");
    expect(p.status).toBe(2); // writing /etc/hosts is outside the workspace
    expect(event.context.alsoDecided).toHaveLength(1);
    const mcp = hook("codex", codexPayload("mcp__linear__create_issue", { title: "t" }));
    expect(mcp.status).toBe(2); // mcp.call defaults to ask, and Codex cannot ask
    const bad = hook("codex", codexPayload("web_search", { query: "x" }));
    expect(JSON.parse(bad.stdout).hookSpecificOutput.permissionDecisionReason).toContain(
      `does not know Codex's tool "web_search"`,
    );
  });
});

describe("warden install / uninstall", () => {
  const install = (agent: string, settingsDir: string, ...args: string[]) =>
    cli(["install", agent, "--settings-dir", settingsDir, "--json", ...args], env);
  const uninstall = (agent: string, settingsDir: string, ...args: string[]) =>
    cli(["uninstall", agent, "--settings-dir", settingsDir, "--json", ...args], env);
  const read = (file: string) => JSON.parse(readFileSync(file, "utf8"));
  const command = (agent: string) => `${process.execPath} ${CLI} hook ${agent}`;

  it("claude-code: merges idempotently, keeps a backup, and restores it", () => {
    const d = tempDir("warden-install-");
    const file = join(d, "settings.json");
    const original = {
      model: "opus",
      hooks: {
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "my-check" }] }],
      },
    };
    writeFileSync(file, JSON.stringify(original));
    const originalText = readFileSync(file, "utf8");
    expect(install("claude-code", d).status).toBe(0);
    expect(install("claude-code", d).status).toBe(0);
    const settings = read(file);
    expect(settings.model).toBe("opus");
    expect(settings.hooks.PreToolUse).toEqual([
      original.hooks.PreToolUse[0],
      {
        matcher:
          "Bash|Read|Write|Edit|MultiEdit|NotebookEdit|Glob|Grep|LS|WebFetch|WebSearch|mcp__.*",
        hooks: [{ type: "command", command: command("claude-code"), timeout: 30 }],
      },
    ]);
    expect(readFileSync(`${file}.warden-backup`, "utf8")).toBe(originalText);
    const r = uninstall("claude-code", d);
    expect(JSON.parse(r.stdout).action).toBe("restored");
    expect(readFileSync(file, "utf8")).toBe(originalText);
    expect(existsSync(`${file}.warden-backup`)).toBe(false);
  });

  it("claude-code: uninstall after the user edited the file removes only Warden's entries", () => {
    const d = tempDir("warden-install-");
    const file = join(d, "settings.json");
    install("claude-code", d);
    const edited = read(file);
    edited.theme = "dark";
    writeFileSync(file, JSON.stringify(edited));
    expect(JSON.parse(uninstall("claude-code", d).stdout).action).toBe("entries-removed");
    expect(read(file)).toEqual({ theme: "dark" });
  });

  it("claude-code managed scope also disables bypass mode and unsandboxed commands", () => {
    const d = tempDir("warden-install-");
    const r = install("claude-code", d, "--scope", "managed");
    expect(JSON.parse(r.stdout).file).toBe(join(d, "managed-settings.json"));
    const settings = read(join(d, "managed-settings.json"));
    expect(settings.permissions).toEqual({ disableBypassPermissionsMode: "disable" });
    expect(settings.sandbox).toEqual({ allowUnsandboxedCommands: false });
    // A managed hook never trusts the daemon's socket in the user's own $WARDEN_HOME.
    expect(settings.hooks.PreToolUse[0].hooks[0].command).toBe(
      `${command("claude-code")} --no-daemon`,
    );
    expect(JSON.parse(uninstall("claude-code", d, "--scope", "managed").stdout).action).toBe(
      "removed",
    );
    expect(existsSync(join(d, "managed-settings.json"))).toBe(false);
  });

  it("cursor: one failClosed entry per hook event, idempotent", () => {
    const d = tempDir("warden-install-");
    install("cursor", d);
    install("cursor", d);
    const entry = { command: command("cursor"), timeout: 30, failClosed: true };
    expect(read(join(d, "hooks.json"))).toEqual({
      version: 1,
      hooks: {
        beforeShellExecution: [entry],
        beforeMCPExecution: [entry],
        beforeReadFile: [entry],
      },
    });
  });

  it("managed scope for cursor, gemini-cli and codex: escape hatches closed, idempotent, restored", () => {
    const d = tempDir("warden-install-");
    // Cursor: its enterprise hooks.json; no escape-hatch keys exist in that file.
    expect(install("cursor", d, "--scope", "managed").status).toBe(0);
    expect(install("cursor", d, "--scope", "managed").status).toBe(0);
    const cursor = read(join(d, "hooks.json"));
    expect(cursor.hooks.beforeShellExecution).toEqual([
      { command: `${command("cursor")} --no-daemon`, timeout: 30, failClosed: true },
    ]);
    // Gemini CLI: its system settings, with YOLO off and hooks forced on.
    const gemini = join(d, "settings.json");
    writeFileSync(gemini, JSON.stringify({ security: { folderTrust: { enabled: true } } }));
    const geminiOriginal = readFileSync(gemini, "utf8");
    install("gemini-cli", d, "--scope", "managed");
    install("gemini-cli", d, "--scope", "managed");
    const g = read(gemini);
    expect(g.security).toEqual({ folderTrust: { enabled: true }, disableYoloMode: true });
    expect(g.hooksConfig).toEqual({ enabled: true });
    expect(g.hooks.BeforeTool).toHaveLength(1);
    expect(g.hooks.BeforeTool[0].hooks[0].command).toBe(`${command("gemini-cli")} --no-daemon`);
    expect(readFileSync(`${gemini}.warden-backup`, "utf8")).toBe(geminiOriginal);
    // Codex: requirements.toml, hooks under [hooks], danger-full-access no longer allowed.
    const codex = join(d, "requirements.toml");
    const codexOriginal = `# set by IT\nallowed_sandbox_modes = ["read-only", "danger-full-access"]\n`;
    writeFileSync(codex, codexOriginal);
    install("codex", d, "--scope", "managed");
    const r = install("codex", d, "--scope", "managed");
    expect(JSON.parse(r.stdout).file).toBe(codex);
    const toml = readFileSync(codex, "utf8");
    expect(toml).toContain('allowed_sandbox_modes = [ "read-only" ]');
    expect(toml.match(/\[\[hooks\.PreToolUse\]\]/g)).toHaveLength(1);
    expect(toml).toContain(`command = "${command("codex")} --no-daemon"`);
    expect(toml).toContain("timeout = 30");
    expect(readFileSync(`${codex}.warden-backup`, "utf8")).toBe(codexOriginal);
    for (const [agent, file, original] of [
      ["gemini-cli", gemini, geminiOriginal],
      ["codex", codex, codexOriginal],
    ] as const) {
      expect(JSON.parse(uninstall(agent, d, "--scope", "managed").stdout).action).toBe("restored");
      expect(readFileSync(file, "utf8")).toBe(original);
    }
    expect(JSON.parse(uninstall("cursor", d, "--scope", "managed").stdout).action).toBe("removed");
  });

  it("managed scope fails clearly where the agent would ignore the file, and on bad input", () => {
    const d = tempDir("warden-install-");
    // Gemini CLI skips a system settings file under a group/other-writable directory (/tmp).
    const file = join(d, "etc", "settings.json");
    const r = cli(["install", "gemini-cli", "--scope", "managed"], {
      ...env,
      GEMINI_CLI_SYSTEM_SETTINGS_PATH: file,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Gemini CLI ignores a system settings file");
    expect(existsSync(file)).toBe(false);
    writeFileSync(join(d, "requirements.toml"), "allowed_sandbox_modes = [\n");
    const bad = install("codex", d, "--scope", "managed");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("is not valid TOML");
    expect(install("codex", d, "--scope", "global").status).toBe(1);
  });

  it("gemini-cli and codex: hooks in their settings files, removed again", () => {
    const d = tempDir("warden-install-");
    install("gemini-cli", d);
    install("gemini-cli", d);
    expect(read(join(d, "settings.json")).hooks.BeforeTool).toEqual([
      {
        matcher:
          "run_shell_command|read_file|write_file|replace|glob|grep_search|search_file_content|list_directory|read_many_files|web_fetch|google_web_search|mcp_.*",
        hooks: [
          { name: "warden", type: "command", command: command("gemini-cli"), timeout: 30000 },
        ],
      },
    ]);
    install("codex", d);
    expect(read(join(d, "hooks.json")).hooks.PreToolUse).toEqual([
      {
        matcher: "Bash|apply_patch|mcp__.*",
        hooks: [{ type: "command", command: command("codex"), timeout: 30 }],
      },
    ]);
    expect(JSON.parse(uninstall("gemini-cli", d).stdout).action).toBe("removed");
    expect(JSON.parse(uninstall("codex", d).stdout).action).toBe("removed");
    expect(JSON.parse(uninstall("codex", d).stdout).action).toBe("not-installed");
  });
});
