import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "./compile.js";
import { PolicyError } from "./diagnostics.js";
import { runPolicyTests } from "./policy-tests.js";

const policy = compilePolicy(
  readFileSync(new URL("./fixtures/acme-default.yaml", import.meta.url), "utf8"),
);

describe("runPolicyTests", () => {
  it("passes cases that hold and reports them", () => {
    const report = runPolicyTests(
      policy,
      `tests:
  - name: git status is fine
    exec: git status
    agent: claude-code
    expect: allow
    rule: everyday-git
  - name: keys stay home
    read: ~/.ssh/id_rsa
    expect: deny
  - name: workspace write
    write: /ws/a.ts
    workspace: /ws
    expect: allow
  - name: metadata blocked
    connect: "[::ffff:169.254.169.254]:80"
    expect: deny
  - name: mail out needs review
    mcp: gmail/send_email
    args: { to: [eve@evil.test] }
    groups: [eng]
    expect: ask
  - name: full request
    request: { kind: cred.use, principal: { agent: a }, target: { name: github, scope: read } }
    expect: deny
`,
    );
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(6);
    expect(report.cases[0]).toMatchObject({
      name: "git status is fine",
      line: 2,
      expect: "allow",
      rule: "everyday-git",
      passed: true,
    });
    expect(report.cases[0]?.decision?.rule).toBe("everyday-git");
  });

  it("explains failures with line, expectation and what happened", () => {
    const report = runPolicyTests(
      policy,
      `tests:
  - name: ok
    exec: git status
    expect: allow
  - name: push to main
    exec: git push origin main
    expect: deny
    rule: push-needs-review
  - name: default
    exec: make
    expect: allow
`,
      { file: "t.yaml" },
    );
    expect(report).toMatchObject({ passed: 1, failed: 2 });
    expect(report.cases[1]?.message).toBe(
      'line 5: "push to main" expected deny (rule push-needs-review), got ask by rule push-needs-review: needs approval by rule push-needs-review (pattern `git push *`)',
    );
    expect(report.cases[2]?.message).toBe(
      'line 9: "default" expected allow, got ask by default: no rule matched; the default for exec is ask',
    );
  });

  it("fails a case whose effect matches but whose rule does not", () => {
    const report = runPolicyTests(
      policy,
      "tests:\n  - name: r\n    exec: git status\n    expect: allow\n    rule: other\n",
    );
    expect(report.cases[0]?.passed).toBe(false);
  });

  it("rejects a malformed test file with positioned diagnostics", () => {
    let error: unknown;
    try {
      runPolicyTests(
        policy,
        `tests:
  - name: a
    exce: ls
    expect: allow
  - name: b
    exec: ls
    expect: maybe
  - exec: ls
  - name: c
    exec: ls
    read: /x
    expect: deny
`,
        { file: "t.yaml" },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const ds = (error as PolicyError).diagnostics;
    expect(ds.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual([
      "t.yaml:3:5 POLICY_UNKNOWN_KEY",
      "t.yaml:2:5 POLICY_TEST_REQUEST",
      "t.yaml:7:13 POLICY_UNKNOWN_EFFECT",
      "t.yaml:8:5 POLICY_MISSING_KEY",
      "t.yaml:8:5 POLICY_MISSING_KEY",
      "t.yaml:9:5 POLICY_TEST_REQUEST",
    ]);
    expect(ds[0]?.hint).toBe("did you mean `exec`?");
  });

  it("rejects a file without tests", () => {
    expect(() => runPolicyTests(policy, "cases: []\n")).toThrow(PolicyError);
    expect(() => runPolicyTests(policy, "")).toThrow(PolicyError);
  });
});
