import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadShellAnalyzer } from "../../shell/index.js";
import { type CompiledPolicy, compilePolicy } from "../compile.js";
import { runPolicyTests } from "../policy-tests.js";
import { requestFromFlags } from "../request.js";
import type { Effect } from "../types.js";
import { importCodex, shlexSplit } from "./codex.js";
import { ImportSyntaxError } from "./common.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/codex.rules", import.meta.url));
// The Codex CLI this repository installs (a devDependency): its own `execpolicy check` is the
// reference for what the rules decide.
const CODEX = fileURLToPath(
  new URL(
    "../../../node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex",
    import.meta.url,
  ),
);

const COMMANDS: string[][] = [
  ["git", "status"],
  ["git", "status", "--short"],
  ["git", "log", "-1"],
  ["git", "show", "HEAD"],
  ["git", "push", "origin", "main"],
  ["git", "push", "--force", "origin", "main"],
  ["git", "push", "-f"],
  ["git", "fetch"],
  ["git", "commit", "-m", "x"],
  ["git"],
  ["npm", "test"],
  ["npm", "run", "build"],
  ["npm", "install"],
  ["rm", "-rf", "/"],
  ["rm", "-fr", "dist"],
  ["rm", "file.txt"],
  ["python3", "-c", "print(1)"],
  ["python3", "script.py"],
  ["ls", "*.log"],
  ["ls", "app.log"],
  ["/usr/bin/git", "status"],
];

const FROM_CODEX: Record<string, Effect> = { allow: "allow", prompt: "ask", forbidden: "deny" };

describe("importCodex: the fixture rules", () => {
  let result: ReturnType<typeof importCodex>;
  let policy: CompiledPolicy;
  beforeAll(async () => {
    result = importCodex(readFileSync(FIXTURE, "utf8"), { file: "default.rules" });
    policy = compilePolicy(result.policy, { shell: await loadShellAnalyzer() });
  });

  const decide = (argv: string[]): Effect =>
    policy.decide(
      requestFromFlags({
        request: {
          kind: "exec",
          principal: { agent: "codex" },
          target: { command: argv.join(" "), argv },
        },
      }),
    ).effect;

  it("expands alternatives into one pattern each, names the source, keeps the justification", () => {
    expect(result.policy).toContain(
      '# default.rules:13 prefix_rule(pattern=["git", ["push", "fetch"]], decision="prompt")',
    );
    expect(result.policy).toMatch(/ask:\n {6}- "git push \*"\n {6}- "git fetch \*"/);
    expect(result.policy).toContain('reason: "Talking to the remote needs a human."');
    // A glob character in a Codex token is literal: quoted in the Warden pattern.
    expect(result.policy).toContain(`- "ls '*.log' *"`);
  });

  it("decides like `codex execpolicy check` for every command", () => {
    if (!existsSync(CODEX)) return; // the optional platform package is not installed
    for (const argv of COMMANDS) {
      const out = spawnSync(CODEX, ["execpolicy", "check", "--rules", FIXTURE, ...argv], {
        encoding: "utf8",
      });
      expect(out.status, out.stderr).toBe(0);
      const codex = JSON.parse(out.stdout) as { decision?: string };
      // No matching rule: Codex falls back to its approval policy; Warden's default asks.
      const expected = codex.decision === undefined ? "ask" : FROM_CODEX[codex.decision];
      // Warden's deny/ask patterns also see through a path (`/usr/bin/git`); allow ones do not.
      expect([argv.join(" "), decide(argv)]).toEqual([argv.join(" "), expected]);
    }
  });

  it("decides the same commands as expected without the codex binary", () => {
    const expected: [string[], Effect][] = [
      [["git", "status"], "allow"],
      [["git", "push", "origin", "main"], "ask"],
      [["git", "push", "--force", "origin", "main"], "deny"],
      [["rm", "-fr", "dist"], "deny"],
      [["npm", "install"], "ask"],
      [["ls", "app.log"], "ask"],
      [["ls", "*.log"], "allow"],
    ];
    for (const [argv, effect] of expected) expect([argv, decide(argv)]).toEqual([argv, effect]);
  });

  it("turns match / not_match examples into a test file that passes", async () => {
    expect(result.tests).toContain('exec: "git push --force origin main"\n    expect: deny');
    const report = runPolicyTests(policy, result.tests!, { file: "default.tests.yaml" });
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(16);
  });

  it("maps network rules and reports host_executable", () => {
    expect(policy.decide(requestFromFlags({ connect: "registry.npmjs.org:443" })).effect).toBe(
      "allow",
    );
    expect(policy.decide(requestFromFlags({ connect: "registry.npmjs.org:80" })).effect).toBe(
      "deny",
    );
    expect(policy.decide(requestFromFlags({ connect: "metadata.google.internal:80" })).effect).toBe(
      "deny",
    );
    expect(result.report).toEqual([
      expect.objectContaining({
        level: "info",
        line: 48,
        message: expect.stringMatching(/host_executable|deny and ask patterns/),
      }),
    ]);
  });
});

describe("importCodex: report and edge cases", () => {
  it("reports examples that contradict their rule, and auto_review", () => {
    const r = importCodex(
      'prefix_rule(pattern=["git", "push"], decision="prompt", reviewer="auto_review",\n  match=["git pull"], not_match=["git push x"])\n',
      { file: "r.rules" },
    );
    expect(r.report.map((n) => [n.level, n.line, n.source ?? ""])).toEqual([
      ["approximated", 1, 'prefix_rule(pattern=["git", "push"], decision="prompt")'],
      ["unmapped", 1, "git pull"],
      ["unmapped", 1, "git push x"],
    ]);
    expect(r.tests).toBe("# r.rules has no match / not_match examples.\ntests: []\n");
  });

  it("positional arguments, tuples, + and variables", () => {
    const r = importCodex('BASE = ("cargo",)\nprefix_rule(BASE + [["build", "check"]], "allow")\n');
    expect(r.policy).toContain('- "cargo build *"\n      - "cargo check *"');
  });

  it("shlex splitting of string examples", () => {
    expect(shlexSplit(`git commit -m "a b" 'c d' e\\ f`)).toEqual([
      "git",
      "commit",
      "-m",
      "a b",
      "c d",
      "e f",
    ]);
    expect(shlexSplit(`echo "x`)).toBeNull();
  });
});

describe("importCodex: bad input", () => {
  const error = (text: string): string => {
    try {
      importCodex(text, { file: "bad.rules" });
    } catch (e) {
      expect(e).toBeInstanceOf(ImportSyntaxError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };

  it("syntax errors carry line and column", () => {
    expect(error('prefix_rule(\n  pattern = ["git",\n')).toBe(
      "bad.rules:3:1: expected a value, found end of file",
    );
    expect(error('prefix_rule(pattern=["a"], decision="allow"\nprefix_rule(pattern=["b"])')).toBe(
      "bad.rules:2:1: expected `,` or `)`, found `prefix_rule`",
    );
    expect(error("prefix_rule(pattern=[\"it's])")).toMatch(/^bad\.rules:1:22: unterminated string/);
    expect(error("def f():\n  pass\n")).toMatch(/^bad\.rules:1:1: `def` is not supported/);
    expect(error('prefix_rule(pattern=[f"x{y}"])')).toMatch(/^bad\.rules:1:22: f-strings/);
    expect(error("prefix_rule(pattern=[X])")).toBe("bad.rules:1:22: `X` is not defined");
  });

  it("rule errors as Codex reports them", () => {
    expect(error('prefix_rule(pattern=["rm"], decision="block")')).toBe(
      'bad.rules:1:38: decision must be "allow", "prompt" or "forbidden" (got "block")',
    );
    expect(error("prefix_rule(pattern=[])")).toBe("bad.rules:1:21: pattern cannot be empty");
    expect(error('prefix_rule(pattern=["a"], colour="red")')).toMatch(/unknown argument `colour`/);
    expect(error('allow_rule(pattern=["a"])')).toMatch(
      /^bad\.rules:1:1: `allow_rule` is not a Codex/,
    );
    expect(error('network_rule(host="*.x.com", protocol="https", decision="allow")')).toMatch(
      /without wildcards/,
    );
  });
});
