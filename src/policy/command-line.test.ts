import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadShellAnalyzer, type ShellAnalyzer } from "../shell/index.js";
import { type CompiledPolicy, compilePolicy } from "./index.js";

const POLICY = `
apiVersion: warden/v1
kind: Policy
metadata: { name: command-lines, version: "1" }
defaults: { exec: ask, fs.read: allow, fs.write: ask }
rules:
  - id: everyday
    kind: exec
    allow: ["git status *", "ls *", "cat *", "echo *", "npm test *"]
  - id: never-rm
    kind: exec
    deny: ["rm *", "sudo *"]
    reason: No deleting.
  - id: secrets
    kind: fs.read
    deny: ["~/.ssh/**"]
    reason: Keys stay home.
  - id: workspace
    kind: fs.write
    allow: ["\${workspace}/**"]
`;

let shell: ShellAnalyzer;
let policy: CompiledPolicy;
const workspace = realpathSync(mkdtempSync(join(tmpdir(), "warden-cmdline-")));
const context = { workspace, home: "/home/dev" };

beforeAll(async () => {
  shell = await loadShellAnalyzer();
  policy = compilePolicy(POLICY, { shell });
});

function decide(command: string, p = policy) {
  return p.decide({
    kind: "exec",
    principal: { agent: "test" },
    target: { command, cwd: workspace },
    context,
  });
}

describe("a command line decided per command and file access", () => {
  it("allows a compound line whose every part is allowed", () => {
    expect(decide("git status && ls -la | cat")).toMatchObject({
      effect: "allow",
      rule: "everyday",
    });
    expect(decide("echo ok > out.txt")).toMatchObject({ effect: "allow" });
  });

  it("denies a line when any command in it is denied, naming that command", () => {
    const d = decide("ls; rm -rf ~");
    expect(d).toMatchObject({ effect: "deny", rule: "never-rm" });
    expect(d.reason).toBe("`rm -rf ~`: No deleting.");
    expect(d.matched).toEqual(expect.arrayContaining(["everyday", "never-rm"]));
  });

  it("turns reads and writes into file requests decided by the fs rules", () => {
    expect(decide("cat ~/.ssh/id_rsa")).toMatchObject({ effect: "deny", rule: "secrets" });
    expect(decide("ls < ~/.ssh/id_rsa")).toMatchObject({ effect: "deny", rule: "secrets" });
    expect(decide("echo x > /etc/profile")).toMatchObject({ effect: "ask", rule: null });
    expect(decide("echo ok | tee ../outside.txt")).toMatchObject({ effect: "ask" });
  });

  it("folds quoting tricks before matching", () => {
    expect(decide("r''m -rf /")).toMatchObject({ effect: "deny", rule: "never-rm" });
    expect(decide("$'\\x72m' x")).toMatchObject({ effect: "deny", rule: "never-rm" });
  });

  it("sees commands inside wrappers, substitutions and shells", () => {
    expect(decide("ls $(rm -rf ~)")).toMatchObject({ effect: "deny", rule: "never-rm" });
    expect(decide("bash -c 'rm -rf /'")).toMatchObject({ effect: "deny" });
    expect(decide("find . -exec rm {} \\;")).toMatchObject({ effect: "deny" });
    expect(decide("sudo ls")).toMatchObject({ effect: "deny", rule: "never-rm" });
  });

  it("lets transparent wrappers be decided by the command they run", () => {
    expect(decide("timeout 30 npm test")).toMatchObject({ effect: "allow", rule: "everyday" });
    expect(decide("env CI=1 npm test")).toMatchObject({ effect: "allow" });
    // ssh adds power of its own: it takes the default unless a rule names it.
    expect(decide("ssh prod ls")).toMatchObject({ effect: "ask", rule: null });
  });

  it("decides commands and paths only known at run time by defaults.dynamic", () => {
    const d = decide("$CMD --force");
    expect(d).toMatchObject({ effect: "ask", rule: null });
    expect(d.reason).toContain("defaults.dynamic");
    expect(decide('echo hi > "$OUT"')).toMatchObject({ effect: "ask" });
    const strict = compilePolicy(POLICY.replace("defaults: {", "defaults: { dynamic: deny,"), {
      shell,
    });
    expect(decide("$CMD --force", strict)).toMatchObject({ effect: "deny" });
    // A dynamic argument is no literal: `cat $F` is not `cat README.md`, but `cat *` covers it.
    const narrow = compilePolicy(POLICY.replace('"cat *"', '"cat README.md"'), { shell });
    expect(decide("cat $F", narrow).effect).not.toBe("allow");
  });

  it("denies a line that does not parse, with the parse error", () => {
    const d = decide("ls 'unterminated");
    expect(d).toMatchObject({ effect: "deny", rule: null });
    expect(d.reason).toMatch(/^could not parse command/);
    expect(decide("# only a comment")).toMatchObject({ effect: "deny" });
  });

  it("explains each part with its own decision", () => {
    const e = policy.explain({
      kind: "exec",
      principal: { agent: "test" },
      target: { command: "cat ~/.ssh/id_rsa", cwd: workspace },
      context,
    });
    expect(e.parts?.map((p) => [p.kind, p.decision.effect, p.decision.rule])).toEqual([
      ["exec", "allow", "everyday"],
      ["fs.read", "deny", "secrets"],
    ]);
    expect(e.matched.map((m) => m.id)).toEqual(["everyday", "secrets"]);
  });

  it("decides an argv request as given, without a shell", () => {
    const d = policy.decide({
      kind: "exec",
      principal: { agent: "test" },
      target: { command: "ls; rm -rf /", argv: ["ls", ";", "rm"] },
      context,
    });
    expect(d).toMatchObject({ effect: "allow", rule: "everyday" });
  });

  it("rejects an unknown effect for defaults.dynamic with its position", () => {
    expect(() =>
      compilePolicy(
        "apiVersion: warden/v1\nkind: Policy\nmetadata: { name: x }\ndefaults: { dynamic: maybe }\n",
      ),
    ).toThrow(/4:22: error POLICY_UNKNOWN_EFFECT: defaults.dynamic must be allow, ask or deny/);
  });
});
