import { beforeAll, describe, expect, it } from "vitest";
import { type CompiledPolicy, compilePolicy, type Effect } from "../../src/policy/index.js";
import { loadShellAnalyzer } from "../../src/shell/index.js";
import { BENIGN, BYPASSES } from "./corpus.js";

const POLICY = `
apiVersion: warden/v1
kind: Policy
metadata: { name: shell-bypass-corpus, version: "1" }
defaults: { exec: ask, fs.read: allow, fs.write: ask }
rules:
  - id: allowed-commands
    kind: exec
    allow: ["git status", "ls *", "cat README.md"]
`;

const principal = { agent: "corpus" };
const context = { workspace: "/work/project", cwd: "/work/project", home: "/home/corpus" };

// The policy engine itself decides each line, with the analyzer: every extracted command and
// file access is decided, dynamic ones by defaults.dynamic (ask), a parse error is a deny.
let policy: CompiledPolicy;
beforeAll(async () => {
  policy = compilePolicy(POLICY, { shell: await loadShellAnalyzer() });
});

function decideLine(line: string): { effect: Effect; why: string[] } {
  const explanation = policy.explain({
    kind: "exec",
    principal,
    target: { command: line, cwd: context.cwd },
    context,
  });
  const why = (explanation.parts ?? []).map((p) => `${p.decision.effect}: ${p.subject}`);
  return { effect: explanation.decision.effect, why: [...why, ...explanation.notes] };
}

describe("bypass corpus", () => {
  it("holds at least 80 bypasses and 20 benign commands", () => {
    expect(BYPASSES.length).toBeGreaterThanOrEqual(80);
    expect(BENIGN.length).toBeGreaterThanOrEqual(20);
    expect(new Set(BYPASSES.map((b) => b.command)).size).toBe(BYPASSES.length);
  });

  it.each(BYPASSES.map((b) => [b.why, b.command]))("%s: %s → deny or ask", (_why, command) => {
    const result = decideLine(command);
    expect(result.effect, result.why.join("\n")).not.toBe("allow");
  });

  it.each(BENIGN.map((b) => [b.why, b.command]))("%s: %s → allow", (_why, command) => {
    const result = decideLine(command);
    expect(result.effect, result.why.join("\n")).toBe("allow");
  });
});
