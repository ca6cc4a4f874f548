import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { type CompiledPolicy, compilePolicy } from "../compile.js";
import { type RequestFlags, requestFromFlags } from "../request.js";
import type { Effect } from "../types.js";
import { ImportSyntaxError } from "./common.js";
import { importGemini, regexPrefixes } from "./gemini.js";

const FIXTURE = new URL("./fixtures/gemini-policy.toml", import.meta.url);
const WS = "/work/project";

function decide(policy: CompiledPolicy, flags: RequestFlags): Effect {
  return policy.decide(requestFromFlags({ workspace: WS, cwd: WS, ...flags })).effect;
}

describe("importGemini: the fixture policy", () => {
  let result: ReturnType<typeof importGemini>;
  let policy: CompiledPolicy;
  beforeAll(() => {
    result = importGemini(readFileSync(FIXTURE, "utf8"), { file: "team.toml" });
    policy = compilePolicy(result.policy, { file: "imported.yaml" });
  });

  it("compiles; each rule names its [[rule]] and priority", () => {
    expect(result.policy).toContain(
      '# team.toml:15 toolName="run_shell_command" commandPrefix="rm -rf" decision="deny" (priority 500)',
    );
    expect(result.policy).toContain('reason: "Deletion is permanent"');
  });

  // What Gemini CLI answers in its default mode (highest priority wins), and Warden after import.
  const cases: [string, RequestFlags, Effect, Effect?][] = [
    ["commandPrefix list", { exec: "git status" }, "allow"],
    ["prefix with arguments", { exec: "git diff --stat" }, "allow"],
    ["prefix is whole words", { exec: "git statusx" }, "ask"],
    ["git push asks", { exec: "git push origin main" }, "ask"],
    ["rm -rf denied", { exec: "rm -rf /tmp/x" }, "deny"],
    ["commandRegex alternatives", { exec: "npm test" }, "allow"],
    ["commandRegex alternatives (2)", { exec: "npm run lint -- --fix" }, "allow"],
    ["other npm asks", { exec: "npm publish" }, "ask"],
    // The priority carve-out: Gemini allows (300 > 100), Warden denies (deny > allow). Reported.
    ["docker ps: the carve-out", { exec: "docker ps -a" }, "allow", "deny"],
    ["docker run denied", { exec: "docker run alpine" }, "deny"],
    ["write tools ask", { write: `${WS}/src/a.ts` }, "ask"],
    ["grep argsPattern → paths containing .env", { read: `${WS}/.env` }, "deny"],
    ["grep argsPattern → id_rsa", { read: "/home/u/.ssh/id_rsa" }, "deny"],
    ["other reads allowed", { read: `${WS}/src/a.ts` }, "allow"],
    ["mcpName + toolName", { mcp: "my-jira-server/search" }, "allow"],
    ["mcpName alone: the whole server", { mcp: "untrusted-server/anything" }, "deny"],
    ["mcp_github_* wildcard", { mcp: "github/create_issue" }, "ask"],
    ["other MCP tools ask", { mcp: "slack/post" }, "ask"],
    // web_fetch asks in Gemini; Warden's net.connect of a rule-less host is the ask rule too.
    ["web_fetch asks", { connect: "example.com:443" }, "ask"],
  ];
  for (const [name, flags, gemini, warden] of cases) {
    it(`${name}: Gemini ${gemini}${warden === undefined ? "" : `, Warden ${warden} (reported)`}`, () => {
      expect(decide(policy, flags)).toBe(warden ?? gemini);
    });
  }

  it("reports the priority conflict, in the report and in the YAML", () => {
    const conflict = result.report.find((n) => n.message.startsWith("priority:"));
    expect(conflict).toMatchObject({ level: "approximated", line: 35 });
    expect(conflict!.message).toBe(
      "priority: in Gemini CLI this allow (priority 300) outranks the deny at line 41 (priority 100) for calls both match, such as `docker ps`; Warden combines deny > ask > allow, so those get deny",
    );
    expect(result.policy).toContain("# ~ priority: in Gemini CLI this allow (priority 300)");
    // A higher-priority rule that is also stronger is no conflict: git push (ask, 200) vs none.
    expect(result.report.filter((n) => n.message.startsWith("priority:"))).toHaveLength(1);
  });

  it("reports what did not map", () => {
    expect(
      result.report
        .filter((n) => n.level === "unmapped")
        .map((n) => [n.line, n.message.slice(0, 40)]),
    ).toEqual([
      [97, "safety checkers run Gemini CLI's own cod"],
      [28, "regular expression `curl .*\\| *(ba)?sh` "],
      [86, "applies only in Gemini CLI's yolo mode; "],
      [92, "`codebase_investigator` is not a tool Wa"],
    ]);
  });
});

describe("importGemini: edge cases", () => {
  it("toolName * and mcpName *", () => {
    const r = importGemini(
      '[[rule]]\ntoolName = "*"\ndecision = "deny"\npriority = 1\n[[rule]]\nmcpName = "*"\ntoolName = "*"\ndecision = "allow"\npriority = 2\n',
    );
    const p = compilePolicy(r.policy);
    expect(decide(p, { exec: "ls" })).toBe("deny");
    expect(decide(p, { mcp: "a/b" })).toBe("deny");
    expect(r.report.some((n) => n.message.includes("outranks the deny at line 1"))).toBe(true);
  });

  it("regular expressions that become prefixes, and those that cannot", () => {
    expect(regexPrefixes("git (commit|push)\\b")).toEqual({
      prefixes: ["git commit", "git push"],
      approximations: [],
    });
    expect(regexPrefixes("ls\\s+-la.*")).toMatchObject({ prefixes: ["ls -la"] });
    expect(regexPrefixes("^git")).toEqual({ unmapped: expect.stringMatching(/never matches/) });
    expect(regexPrefixes("git [a-z]+")).toEqual({ unmapped: expect.stringMatching(/not literal/) });
  });
});

describe("importGemini: bad input", () => {
  const error = (text: string): string => {
    try {
      importGemini(text, { file: "p.toml" });
    } catch (e) {
      expect(e).toBeInstanceOf(ImportSyntaxError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };

  it("TOML syntax errors with line and column", () => {
    expect(error('[[rule]]\ntoolName = "x\ndecision = "allow"\n')).toMatch(
      /^p\.toml:2:\d+: TOML: /,
    );
  });

  it("schema errors name the rule", () => {
    expect(error('[[rule]]\ntoolName = "read_file"\ndecision = "allow"\n')).toBe(
      "p.toml:1: rule #1: `priority` is required and must be an integer",
    );
    expect(error('\n[[rule]]\ntoolName = "x"\ndecision = "maybe"\npriority = 1\n')).toBe(
      'p.toml:2: rule #1: `decision` must be "allow", "deny" or "ask_user"',
    );
    expect(
      error(
        '[[rule]]\ntoolName = "read_file"\ncommandPrefix = "git"\ndecision = "allow"\npriority = 1\n',
      ),
    ).toMatch(
      /commandPrefix and commandRegex can only be used with toolName = "run_shell_command"/,
    );
    expect(error('[[rule]]\ntoolName = "x"\ndecision = "allow"\npriority = 1000\n')).toMatch(
      /from 0 to 999/,
    );
    expect(error('title = "x"\n')).toMatch(/unknown top-level key `title`/);
  });
});
