import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, EXAMPLES, tempDir } from "./cli.js";

const CODING = join(EXAMPLES, "coding-agent.yaml");
const BUSINESS = join(EXAMPLES, "business-agent.yaml");
let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = tempDir();
  env = { WARDEN_HOME: join(dir, "home"), HOME: join(dir, "user") };
});

describe("warden policy lint", () => {
  it("passes the starter policies", () => {
    const r = cli(["policy", "lint", CODING, BUSINESS], env);
    expect(r.stdout).toContain("2 files: 0 errors");
    expect(r.status).toBe(0);
  });

  it("fails with file:line:column and a hint for an unknown key", () => {
    const file = join(dir, "typo.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: warden/v1",
        "kind: Policy",
        "metadata: { name: t, version: '1' }",
        "rules:",
        "  - id: r1",
        "    kind: exec",
        "    allow: ['ls *']",
        "    reasn: typo",
        "",
      ].join("\n"),
    );
    const r = cli(["policy", "lint", file], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${file}:8:5: error`));
    expect(r.stdout).toContain("reason");
  });

  it("fails on an invalid CIDR, a bad CEL condition and a duplicate id, each with a position", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: warden/v1",
        "kind: Policy",
        "metadata: { name: t, version: '1' }",
        "rules:",
        "  - id: nets",
        "    kind: net.connect",
        "    deny: ['10.0.0.0/33']",
        "  - id: cond",
        "    kind: mcp.call",
        "    allow: ['a/b']",
        "    when: 'args.to.all(r, '",
        "  - id: nets",
        "    kind: exec",
        "    allow: ['ls']",
        "",
      ].join("\n"),
    );
    const r = cli(["policy", "lint", "--json", file], env);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as {
      files: { diagnostics: { line: number; severity: string; code: string }[] }[];
    };
    const errors = out.files[0]?.diagnostics.filter((d) => d.severity === "error") ?? [];
    expect(errors.map((d) => d.line).sort((a, b) => a - b)).toEqual([7, 11, 12]);
  });

  it("treats warnings as failures only with --strict", () => {
    const file = join(dir, "shadowed.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: warden/v1",
        "kind: Policy",
        "metadata: { name: t, version: '1' }",
        "rules:",
        "  - id: open",
        "    kind: exec",
        "    allow: ['curl *']",
        "  - id: closed",
        "    kind: exec",
        "    deny: ['curl *']",
        "",
      ].join("\n"),
    );
    const plain = cli(["policy", "lint", file], env);
    expect(plain.stdout).toMatch(/warning/);
    expect(plain.status).toBe(0);
    expect(cli(["policy", "lint", "--strict", file], env).status).toBe(1);
  });

  it("says so when the file does not exist", () => {
    const r = cli(["policy", "lint", join(dir, "missing.yaml")], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("missing.yaml");
  });
});

describe("warden policy explain", () => {
  it("names the determining rule and every matched rule", () => {
    const r = cli(["policy", "explain", CODING, "--exec", "git push --force origin main"], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^DENY by rule destructive-commands/);
    expect(r.stdout).toContain("publishing-needs-review");
    expect(r.stdout).toContain("destructive-commands");
  });

  it("prints the Decision object with --json", () => {
    const r = cli(
      [
        "policy",
        "explain",
        BUSINESS,
        "--json",
        "--mcp",
        "gmail/send_email",
        "--args",
        '{"to":["a@customer.example"]}',
      ],
      env,
    );
    const decision = JSON.parse(r.stdout);
    expect(decision).toMatchObject({
      effect: "ask",
      rule: "external-mail",
      policy: { name: "business-agent-starter", version: "2026-11-25.1" },
    });
    expect(decision.policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("falls to the kind's default when nothing matches, and says so", () => {
    const r = cli(["policy", "explain", CODING, "--exec", "terraform apply"], env);
    expect(r.stdout).toMatch(/^ASK by default/);
  });

  it("refuses a request with two kinds of target", () => {
    const r = cli(["policy", "explain", CODING, "--exec", "ls", "--read", "/etc/hosts"], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("REQUEST_INVALID");
  });

  it("applies principal flags: groups unlock role-bound rules", () => {
    const args = [
      "policy",
      "explain",
      BUSINESS,
      "--json",
      "--mcp",
      "salesforce/update_opportunity",
    ];
    expect(JSON.parse(cli(args, env).stdout).effect).toBe("ask");
    expect(JSON.parse(cli([...args, "--group", "sales"], env).stdout).effect).toBe("allow");
  });
});

describe("warden policy test", () => {
  it("passes the starter policies' own test files", () => {
    for (const name of ["coding-agent", "business-agent"]) {
      const r = cli(
        ["policy", "test", join(EXAMPLES, `${name}.yaml`), join(EXAMPLES, `${name}.tests.yaml`)],
        env,
      );
      expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
      expect(r.status).toBe(0);
    }
  });

  it("prints one line per failing case and the tally, and exits 1", () => {
    const tests = join(dir, "wrong.tests.yaml");
    writeFileSync(
      tests,
      [
        "tests:",
        "  - name: status",
        "    exec: git status",
        "    expect: allow",
        "  - name: push is not allowed",
        "    exec: git push origin main",
        "    expect: allow",
        "  - name: wrong rule",
        "    read: ~/.ssh/id_rsa",
        "    expect: deny",
        "    rule: some-other-rule",
        "",
      ].join("\n"),
    );
    const r = cli(["policy", "test", CODING, tests], env);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(2);
    expect(r.stdout).toContain(`${tests}:5`);
    expect(lines.at(-1)).toBe("1 passed, 2 failed");
  });
});
