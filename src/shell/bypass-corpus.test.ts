import { beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, type Effect } from "../policy/index.js";
import { BENIGN, BYPASSES } from "./bypass-corpus.js";
import { loadShellAnalyzer, type ShellAnalyzer } from "./index.js";

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

const policy = compilePolicy(POLICY);
const principal = { agent: "corpus" };
const context = { workspace: "/work/project", cwd: "/work/project", home: "/home/corpus" };
const RANK: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };

let shell: ShellAnalyzer;
beforeAll(async () => {
  shell = await loadShellAnalyzer();
});

/** Strongest effect over every extracted command and file; dynamic → ask; parse error → deny. */
function decideLine(line: string): { effect: Effect; why: string[] } {
  const analysis = shell.analyze(line, { cwd: context.cwd });
  if (analysis.error) return { effect: "deny", why: [analysis.error.message] };
  let effect: Effect = "allow";
  const why: string[] = [];
  const add = (e: Effect, what: string): void => {
    why.push(`${e}: ${what}`);
    if (RANK[e] > RANK[effect]) effect = e;
  };
  if (analysis.commands.length === 0) add("ask", "no command found");
  for (const c of analysis.commands) {
    if (c.dynamic) {
      add("ask", `dynamic ${c.text} (${c.reason})`);
      continue;
    }
    const d = policy.decide({
      kind: "exec",
      principal,
      target: { command: c.text, argv: c.argv },
      context,
    });
    add(d.effect, `exec ${JSON.stringify(c.argv)}`);
  }
  for (const f of analysis.files) {
    if (f.dynamic) {
      add("ask", `dynamic ${f.kind} ${f.path}`);
      continue;
    }
    const d = policy.decide({ kind: f.kind, principal, target: { path: f.path }, context });
    add(d.effect, `${f.kind} ${f.path}`);
  }
  return { effect, why };
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
