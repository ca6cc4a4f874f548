import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
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
    const reason = `Warden denied this call: Destructive or privileged commands are never run by an agent. [rule destructive-commands, ${STARTER}]`;
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
      command: `${process.execPath} ${CLI} run -- bash -c 'git status'`,
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
