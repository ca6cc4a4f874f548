import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WardenError } from "../errors.js";
import { compilePolicy, lintPolicy, loadPolicy } from "./compile.js";
import { formatDiagnostic, levenshtein, nearest, PolicyError } from "./diagnostics.js";

const HEAD = "apiVersion: warden/v1\nkind: Policy\nmetadata: { name: p }\n";

/** `line:column code` of each diagnostic, the way a user reads them. */
function where(text: string): string[] {
  return lintPolicy(text).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
}

describe("policy diagnostics", () => {
  it("reports an unknown key with the nearest valid key", () => {
    const text = `${HEAD}rules:\n  - id: r1\n    kind: exec\n    allow: ["ls"]\n    reasn: because\n`;
    const [d] = lintPolicy(text, { file: "policy.yaml" }).diagnostics;
    expect(d).toMatchObject({
      line: 8,
      column: 5,
      code: "POLICY_UNKNOWN_KEY",
      hint: "did you mean `reason`?",
    });
    expect(formatDiagnostic(d!)).toBe(
      "policy.yaml:8:5: error POLICY_UNKNOWN_KEY: unknown key `reasn` in rule\n  hint: did you mean `reason`?",
    );
  });

  it("recognises a policy test file given where a policy belongs", () => {
    const text = "# cases\ntests:\n  - name: x\n    exec: ls\n    expect: allow\n";
    const diagnostics = lintPolicy(text, { file: "p.tests.yaml" }).diagnostics;
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ line: 2, column: 1, code: "POLICY_IS_TEST_FILE" });
    expect(diagnostics[0]?.hint).toContain("warden policy test POLICY p.tests.yaml");
  });

  it("lists valid keys when nothing is close", () => {
    const [d] = lintPolicy(`${HEAD}frobnicate: 1\n`).diagnostics;
    expect(d?.hint).toBe("valid keys: apiVersion, kind, metadata, defaults, sandbox, roles, rules");
  });

  it.each([
    [
      "wrong type",
      `${HEAD}rules:\n  - id: r1\n    kind: exec\n    allow: "ls"\n`,
      ["7:12 POLICY_TYPE"],
    ],
    [
      "bad apiVersion",
      "apiVersion: warden/v2\nkind: Policy\nmetadata: { name: p }\n",
      ["1:13 POLICY_API_VERSION"],
    ],
    [
      "bad document kind",
      "apiVersion: warden/v1\nkind: Rules\nmetadata: { name: p }\n",
      ["2:7 POLICY_DOCUMENT_KIND"],
    ],
    [
      "unknown kind",
      `${HEAD}rules:\n  - id: r1\n    kind: fs.reed\n    allow: ["/x"]\n`,
      ["6:11 POLICY_UNKNOWN_KIND"],
    ],
    [
      "duplicate rule id",
      `${HEAD}rules:\n  - id: r1\n    kind: exec\n    allow: ["ls"]\n  - id: r1\n    kind: exec\n    deny: ["rm"]\n`,
      ["8:9 POLICY_DUPLICATE_RULE"],
    ],
    [
      "unknown role",
      `${HEAD}roles:\n  engineers: { groups: [eng] }\nrules:\n  - id: r1\n    kind: exec\n    allow: ["ls"]\n    roles: [engineer]\n`,
      ["10:13 POLICY_UNKNOWN_ROLE"],
    ],
    ["yaml syntax", `${HEAD}rules: [\n`, ["5:1 POLICY_YAML_SYNTAX"]],
    ["duplicate key", `${HEAD}kind: Policy\n`, ["4:1 POLICY_DUPLICATE_KEY"]],
    [
      "unknown effect and kind in defaults",
      `${HEAD}defaults: { exec: alow, fs.wrte: ask }\n`,
      ["4:19 POLICY_UNKNOWN_EFFECT", "4:25 POLICY_UNKNOWN_KIND"],
    ],
    ["empty file", "", ["1:1 POLICY_EMPTY"]],
    ["not a mapping", "- a\n", ["1:1 POLICY_TYPE"]],
    [
      "missing keys",
      'apiVersion: warden/v1\nkind: Policy\nmetadata: { version: 1 }\nrules:\n  - kind: exec\n  - id: x\n    allow: ["ls"]\n',
      [
        "3:11 POLICY_MISSING_KEY",
        "5:5 POLICY_MISSING_KEY",
        "5:5 POLICY_EMPTY_RULE",
        "6:5 POLICY_MISSING_KEY",
      ],
    ],
    ["no metadata", "apiVersion: warden/v1\nkind: Policy\n", ["1:1 POLICY_MISSING_KEY"]],
  ])("%s", (_name, text, expected) => {
    expect(where(text)).toEqual(expected);
  });

  it("positions CEL errors inside the expression", () => {
    const text = `${HEAD}rules:
  - id: r1
    kind: exec
    allow: ["ls"]
    when: 'principal.agent == '
  - id: r2
    kind: exec
    allow: ["ls"]
    when: principal.agent + 1
  - id: r3
    kind: exec
    deny: ["rm"]
    when: |
      principal.agent == "x" &&
        nope
`;
    const ds = lintPolicy(text).diagnostics;
    expect(ds.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual([
      "8:31 POLICY_BAD_CEL",
      "12:11 POLICY_BAD_CEL",
      "18:9 POLICY_BAD_CEL",
    ]);
    expect(ds[1]?.message).toContain("must be a bool, not int");
    expect(ds[2]?.message).toContain("Unknown variable: nope");
  });

  it("reports each invalid pattern at its own position", () => {
    const text = `${HEAD}rules:
  - id: r1
    kind: net.connect
    deny: ["10.0.0.0/33", "host:99999", "[fd00::1", "fe80::1%eth0"]
  - id: r2
    kind: fs.read
    deny: ["relative/path", "/a/[b", "\${home}/x"]
  - id: r3
    kind: mcp.call
    deny: ["noslash"]
  - id: r4
    kind: cred.use
    deny: ["github"]
  - id: r5
    kind: exec
    deny: ["a && b", "'x", "ls [a"]
`;
    const ds = lintPolicy(text).diagnostics;
    expect(ds.every((d) => d.code === "POLICY_BAD_PATTERN")).toBe(true);
    expect(ds.map((d) => `${d.line}:${d.column}`)).toEqual([
      "7:12",
      "7:27",
      "7:41",
      "7:53",
      "10:12",
      "10:29",
      "10:38",
      "13:12",
      "16:12",
      "19:12",
      "19:22",
      "19:28",
    ]);
    expect(ds[0]?.message).toContain("invalid CIDR range `10.0.0.0/33`");
    expect(ds[8]?.message).toContain("name:scope");
  });

  it("warns about allow patterns a deny always covers", () => {
    const text = `${HEAD}rules:
  - id: all
    kind: exec
    deny: ["rm *"]
  - id: fsd
    kind: fs.read
    deny: ["/etc/**", "~/.ssh/**", "/same"]
  - id: narrowed
    kind: fs.read
    deny: ["/var/**"]
    when: principal.agent == "x"
  - id: allows
    kind: fs.read
    allow: ["/etc/ssh/*", "~/.ssh/config", "/var/x", "/same", "/etcetera"]
  - id: ex
    kind: exec
    allow: ["rm foo", "rmdir x"]
  - id: everything
    kind: mcp.call
    deny: ["*/*"]
  - id: tools
    kind: mcp.call
    allow: ["a/b"]
`;
    const { diagnostics, policy } = lintPolicy(text);
    expect(policy).not.toBeNull();
    expect(policy!.warnings).toEqual(diagnostics);
    expect(diagnostics.map((d) => `${d.severity} ${d.line}:${d.column} ${d.code}`)).toEqual([
      "warning 17:13 POLICY_SHADOWED_ALLOW",
      "warning 17:27 POLICY_SHADOWED_ALLOW",
      "warning 17:54 POLICY_SHADOWED_ALLOW",
      "warning 20:13 POLICY_SHADOWED_ALLOW",
      "warning 26:13 POLICY_SHADOWED_ALLOW",
    ]);
    expect(diagnostics[0]?.message).toBe(
      "allow pattern `/etc/ssh/*` of rule allows can never decide: deny pattern `/etc/**` of rule fsd always covers it",
    );
  });

  it("warns about empty roles", () => {
    const { diagnostics } = lintPolicy(`${HEAD}roles:\n  ghosts: {}\n`);
    expect(diagnostics).toMatchObject([
      { severity: "warning", code: "POLICY_EMPTY_ROLE", line: 5, column: 3 },
    ]);
  });

  it("throws PolicyError from compilePolicy with every error", () => {
    const text = `${HEAD}rules:\n  - id: r1\n    kind: exec\n    alow: ["ls"]\n`;
    let error: unknown;
    try {
      compilePolicy(text, { file: "team.yaml" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toBeInstanceOf(WardenError);
    const pe = error as PolicyError;
    expect(pe.code).toBe("POLICY_INVALID");
    expect(pe.diagnostics.map((d) => d.code)).toEqual(["POLICY_UNKNOWN_KEY", "POLICY_EMPTY_RULE"]);
    expect(pe.message).toContain(
      "team.yaml:7:5: error POLICY_UNKNOWN_KEY: unknown key `alow` in rule",
    );
    expect(pe.message).toContain("hint: did you mean `allow`?");
  });
});

describe("loadPolicy", () => {
  it("reads a file and names it in diagnostics", () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-load-"));
    try {
      const file = join(dir, "p.yaml");
      writeFileSync(file, `${HEAD}defaults: { exec: deny }\n`);
      expect(loadPolicy(file).identity.name).toBe("p");
      writeFileSync(file, `${HEAD}rulez: []\n`);
      expect(() => loadPolicy(file)).toThrow(`${file}:4:1: error POLICY_UNKNOWN_KEY`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails with POLICY_UNREADABLE for a missing file", () => {
    expect(() => loadPolicy("/nonexistent/warden.yaml")).toThrow(
      expect.objectContaining({ code: "POLICY_UNREADABLE" }),
    );
  });

  it("digests the source text", () => {
    const a = compilePolicy(`${HEAD}`);
    const b = compilePolicy(`${HEAD}# comment\n`);
    expect(a.identity.digest).not.toBe(b.identity.digest);
    expect(a.identity.digest).toBe(compilePolicy(`${HEAD}`).identity.digest);
  });
});

describe("suggestions", () => {
  it("measures edit distance and picks near misses only", () => {
    expect(levenshtein("reasn", "reason")).toBe(1);
    expect(nearest("reasn", ["id", "reason", "roles"])).toBe("reason");
    expect(nearest("zzzzzz", ["id", "reason"])).toBeUndefined();
  });
});
