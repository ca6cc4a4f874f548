/** `warden policy import` as a user runs it: the built CLI on the importers' fixtures. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "./cli.js";

const FIXTURES = join(ROOT, "src", "policy", "import", "fixtures");

describe("warden policy import", () => {
  const home = tempDir();
  const env = { WARDEN_HOME: home };

  it("claude-code: YAML on stdout, the report on stderr, exit 0", () => {
    const r = cli(["policy", "import", "claude-code", join(FIXTURES, "claude-settings.json")], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# Imported from Claude Code settings/);
    expect(r.stdout).toContain('- "npm run test *"');
    expect(r.stderr).toContain("claude-settings.json:18: not mapped: Claude Code does not consult");
    expect(r.stderr).toMatch(/imported \d+ rules; 4 approximated, 4 not mapped \(see above\)\n$/);
    // The output is a policy Warden can use as is.
    const policy = join(home, "claude.yaml");
    writeFileSync(policy, r.stdout);
    const lint = cli(["policy", "lint", policy], env);
    expect(lint.stdout).toContain("0 errors");
    const d = cli(["policy", "explain", policy, "--exec", "curl https://x.io", "--json"], env);
    expect(JSON.parse(d.stdout)).toMatchObject({ effect: "deny", rule: "deny-bash-curl" });
  });

  it("codex: -o and --tests, and the tests pass with `warden policy test`", () => {
    const out = join(home, "codex.yaml");
    const tests = join(home, "codex.tests.yaml");
    const r = cli(
      ["policy", "import", "codex", join(FIXTURES, "codex.rules"), "-o", out, "--tests", tests],
      env,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/imported 9 rules; everything mapped\n$/);
    expect(readFileSync(out, "utf8")).toContain("kind: Policy");
    const t = cli(["policy", "test", out, tests], env);
    expect(t.stdout).toBe("16 passed, 0 failed\n");
    expect(t.status).toBe(0);
  });

  it("gemini --json: one object with the policy and the report", () => {
    const r = cli(
      [
        "policy",
        "import",
        "gemini",
        join(FIXTURES, "gemini-policy.toml"),
        "--json",
        "--name",
        "team",
      ],
      env,
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      policy: string;
      counts: Record<string, number>;
      report: { level: string; line?: number; message: string }[];
    };
    expect(j.policy).toContain('name: "team"');
    expect(j.counts).toEqual({ unmapped: 4, approximated: 6, info: 1 });
    expect(j.report).toContainEqual(
      expect.objectContaining({
        level: "approximated",
        line: 35,
        message: expect.stringMatching(/^priority:/),
      }),
    );
  });

  it("unparseable input: exit 1 with file:line:column", () => {
    const bad = join(home, "bad.toml");
    writeFileSync(bad, '[[rule]]\ntoolName = "run_shell_command"\ndecision = "allow"\n');
    const r = cli(["policy", "import", "gemini", bad], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `warden: IMPORT_PARSE: ${bad}:1: rule #1: \`priority\` is required and must be an integer\n`,
    );
    const json = join(home, "bad.json");
    writeFileSync(json, '{ "permissions": { "allow": [ "Bash(ls)" ] }');
    const j = cli(["policy", "import", "claude-code", json], env);
    expect(j.status).toBe(1);
    expect(j.stderr).toBe(
      `warden: IMPORT_PARSE: ${json}:1:45: expected \`,\` or \`}\`, found end of input\n`,
    );
  });

  it("unreadable file, unknown format, --tests for a format without examples", () => {
    const missing = cli(["policy", "import", "codex", join(home, "nope.rules")], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^warden: CLI_UNREADABLE: cannot read .*nope\.rules: ENOENT/);
    const format = cli(["policy", "import", "cursor", join(FIXTURES, "codex.rules")], env);
    expect(format.status).toBe(1);
    expect(format.stderr).toContain('unknown format "cursor"');
    const tests = cli(
      ["policy", "import", "gemini", join(FIXTURES, "gemini-policy.toml"), "--tests", "x.yaml"],
      env,
    );
    expect(tests.status).toBe(1);
  });

  it("--help shows an example per format", () => {
    const r = cli(["policy", "import", "--help"], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("warden policy import claude-code .claude/settings.json");
    expect(r.stdout).toContain("warden policy import codex ~/.codex/rules/default.rules");
    expect(r.stdout).toContain("warden policy import gemini ~/.gemini/policies/my-rules.toml");
  });
});
