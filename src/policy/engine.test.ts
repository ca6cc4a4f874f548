import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "./compile.js";
import { BUILTIN_DEFAULTS } from "./defaults.js";
import { requestFromFlags } from "./request.js";
import { KINDS, type Request } from "./types.js";

const SAMPLE = readFileSync(new URL("./fixtures/acme-default.yaml", import.meta.url), "utf8");
const sample = compilePolicy(SAMPLE, { file: "acme-default.yaml" });

describe("the DESIGN.md sample policy", () => {
  it("has its identity and digest", () => {
    expect(sample.identity.name).toBe("acme-default");
    expect(sample.identity.version).toBe("2026-11-24.1");
    expect(sample.identity.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(sample.ruleCount).toBe(8);
    expect(sample.warnings).toEqual([]);
  });

  it.each([
    [{ exec: "git status" }, "allow", "everyday-git"],
    [{ exec: "npm run build" }, "allow", "everyday-git"],
    [{ exec: "git push origin main" }, "ask", "push-needs-review"],
    [{ exec: "make" }, "ask", null],
    [{ read: "~/.aws/credentials" }, "deny", "secrets-stay-home"],
    [{ read: "/etc/hosts" }, "allow", null],
    [{ write: "/ws/x.ts", workspace: "/ws" }, "allow", "workspace-edits"],
    [{ connect: "registry.npmjs.org:443" }, "allow", "package-registries"],
    [{ connect: "example.com:443" }, "deny", null],
    [{ connect: "[fd00:ec2::254]:80" }, "deny", "cloud-metadata"],
    [{ mcp: "salesforce/get_account" }, "allow", "crm-read-only"],
    [{ mcp: "salesforce/delete_account" }, "deny", "crm-read-only"],
    [{ mcp: "slack/post" }, "ask", null],
    [{ cred: "github:read" }, "deny", null],
  ] as const)("%j -> %s by %s", (flags, effect, rule) => {
    const d = sample.decide(requestFromFlags(flags));
    expect(d.effect).toBe(effect);
    expect(d.rule).toBe(rule);
    expect(d.policy).toEqual(sample.identity);
  });

  it("uses the rule's reason text", () => {
    expect(sample.decide(requestFromFlags({ read: "~/.ssh/id_rsa" })).reason).toBe(
      "Credentials are brokered by Warden, never read from disk.",
    );
  });

  it("says when the default decided", () => {
    const d = sample.decide(requestFromFlags({ exec: "make" }));
    expect(d).toMatchObject({ rule: null, matched: [] });
    expect(d.reason).toBe("no rule matched; the default for exec is ask");
  });
});

describe("defaults", () => {
  it("applies the documented built-in defaults for kinds the policy leaves out", () => {
    const p = compilePolicy("apiVersion: warden/v1\nkind: Policy\nmetadata: { name: empty }\n");
    expect(BUILTIN_DEFAULTS).toEqual({
      exec: "ask",
      "fs.read": "allow",
      "fs.write": "ask",
      "net.connect": "deny",
      "mcp.call": "ask",
      "cred.use": "deny",
    });
    const requests: Record<(typeof KINDS)[number], Request["target"]> = {
      exec: { command: "ls" },
      "fs.read": { path: "/x" },
      "fs.write": { path: "/x" },
      "net.connect": { host: "x.test", port: 1 },
      "mcp.call": { server: "s", tool: "t" },
      "cred.use": { name: "n", scope: "s" },
    };
    for (const kind of KINDS) {
      const d = p.decide({ kind, principal: { agent: "a" }, target: requests[kind] } as Request);
      expect(d.effect, kind).toBe(BUILTIN_DEFAULTS[kind]);
    }
  });
});

const mixed = `
apiVersion: warden/v1
kind: Policy
metadata: { name: mixed, version: "1" }
roles:
  admins: { users: ["alice*"], groups: [ops], agents: [root-bot] }
rules:
  - id: a-allow
    kind: mcp.call
    allow: ["db/*"]
  - id: b-ask
    kind: mcp.call
    ask: ["db/write_*"]
  - id: c-deny
    kind: mcp.call
    deny: ["db/write_prod"]
  - id: d-both
    kind: mcp.call
    allow: ["db/read"]
    deny: ["db/drop"]
`;

function shuffled(text: string, seed: number): string {
  const [head, body] = text.split("rules:\n") as [string, string];
  const rules = body.split(/(?= {2}- id:)/).filter((r) => r.trim() !== "");
  let s = seed;
  for (let i = rules.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [rules[i], rules[j]] = [rules[j]!, rules[i]!];
  }
  return `${head}rules:\n${rules.join("")}`;
}

describe("combining", () => {
  const mcp = (tool: string) => requestFromFlags({ mcp: `db/${tool}` });

  it("is deny > ask > allow", () => {
    const p = compilePolicy(mixed);
    expect(p.decide(mcp("query"))).toMatchObject({
      effect: "allow",
      rule: "a-allow",
      matched: ["a-allow"],
    });
    expect(p.decide(mcp("write_dev"))).toMatchObject({
      effect: "ask",
      rule: "b-ask",
      matched: ["a-allow", "b-ask"],
    });
    expect(p.decide(mcp("write_prod"))).toMatchObject({
      effect: "deny",
      rule: "c-deny",
      matched: ["a-allow", "b-ask", "c-deny"],
    });
    expect(p.decide(mcp("drop"))).toMatchObject({ effect: "deny", rule: "d-both" });
  });

  it("names the most specific rule with the winning effect", () => {
    const p = compilePolicy(mixed);
    expect(p.decide(mcp("read"))).toMatchObject({
      effect: "allow",
      rule: "d-both",
      matched: ["a-allow", "d-both"],
    });
  });

  it("does not depend on rule order", () => {
    const p = compilePolicy(mixed);
    for (let seed = 1; seed <= 12; seed++) {
      const q = compilePolicy(shuffled(mixed, seed));
      for (const tool of ["query", "write_dev", "write_prod", "drop", "read", "other"]) {
        const a = p.decide(mcp(tool));
        const b = q.decide(mcp(tool));
        expect(b.effect, `${tool} seed ${seed}`).toBe(a.effect);
        expect(b.rule).toBe(a.rule);
        expect([...b.matched].sort()).toEqual([...a.matched].sort());
      }
    }
  });
});

describe("roles", () => {
  const p = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: roles }
defaults: { cred.use: deny }
roles:
  admins: { users: ["alice*"], groups: [ops], agents: [root-bot] }
  nobody: { users: [zed] }
rules:
  - id: admin-creds
    kind: cred.use
    allow: ["github:*"]
    roles: [nobody, admins]
`);
  const cred = (principal: Request["principal"]) =>
    p.decide({ kind: "cred.use", principal, target: { name: "github", scope: "push" } }).effect;

  it("puts a principal in a role when any criterion matches", () => {
    expect(cred({ agent: "x", user: "alice.smith" })).toBe("allow");
    expect(cred({ agent: "x", groups: ["dev", "ops"] })).toBe("allow");
    expect(cred({ agent: "root-bot" })).toBe("allow");
    expect(cred({ agent: "x", user: "bob", groups: ["dev"] })).toBe("deny");
    expect(cred({ agent: "x" })).toBe("deny");
  });

  it("explains a rule skipped for roles", () => {
    const e = p.explain({
      kind: "cred.use",
      principal: { agent: "x" },
      target: { name: "github", scope: "x" },
    });
    expect(e.notes.join("\n")).toContain("none of its roles (nobody, admins)");
  });
});

describe("when: conditions", () => {
  const p = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: cel }
defaults: { mcp.call: ask }
rules:
  - id: small-queries
    kind: mcp.call
    allow: ["db/query"]
    when: args.limit <= 100
  - id: no-prod
    kind: mcp.call
    deny: ["db/*"]
    when: has(args.env) && args.env == "prod"
  - id: by-agent
    kind: mcp.call
    allow: ["db/ping"]
    when: principal.agent == "claude-code" && request.kind == "mcp.call" && target.tool == "ping" && context.workspace == "/ws"
  - id: not-bool
    kind: mcp.call
    deny: ["db/weird"]
    when: args.limit
`);
  const call = (tool: string, args: Record<string, unknown>, agent = "x", workspace?: string) =>
    p.decide(
      requestFromFlags({
        mcp: `db/${tool}`,
        args,
        agent,
        ...(workspace === undefined ? {} : { workspace }),
      }),
    );

  it("applies a rule when true and skips it when false", () => {
    expect(call("query", { limit: 10 })).toMatchObject({ effect: "allow", rule: "small-queries" });
    expect(call("query", { limit: 1000 })).toMatchObject({ effect: "ask", rule: null });
    expect(call("query", { limit: 10, env: "prod" })).toMatchObject({
      effect: "deny",
      rule: "no-prod",
    });
  });

  it("sees request, principal, target and context", () => {
    expect(call("ping", {}, "claude-code", "/ws").effect).toBe("allow");
    expect(call("ping", {}, "claude-code", "/other").effect).toBe("ask");
  });

  it("compares paths in arguments after cleaning them (isWithin, cleanPath)", () => {
    const files = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: paths }
rules:
  - id: project-only
    kind: mcp.call
    allow: ["files/read_file"]
    when: isWithin(args.path, "/work/project")
  - id: no-escape
    kind: mcp.call
    deny: ["files/*"]
    when: cleanPath(args.path).startsWith("/etc/")
`);
    const read = (path: string) =>
      files.decide(requestFromFlags({ mcp: "files/read_file", args: { path } })).effect;
    expect(read("/work/project/src/a.ts")).toBe("allow");
    expect(read("/work/project")).toBe("allow");
    expect(read("/work/project/../private/secret.txt")).toBe("ask");
    expect(read("/work/project-other/x")).toBe("ask");
    expect(read("project/a.ts")).toBe("ask");
    expect(read("/work/project/../../etc/passwd")).toBe("deny");
  });

  it("fails closed: an erroring condition does not allow", () => {
    const d = call("query", {});
    expect(d).toMatchObject({ effect: "ask", rule: null });
  });

  it("fails closed: an erroring condition does deny, and says so", () => {
    const d = call("weird", { limit: 5 });
    expect(d).toMatchObject({ effect: "deny", rule: "not-bool" });
    expect(d.reason).toContain(
      "condition of rule not-bool failed: result is a number, not bool; treated as matching for deny",
    );
  });

  it("treats a missing field as failure for deny rules", () => {
    const q = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: x }
rules:
  - id: big-deletes
    kind: mcp.call
    deny: ["db/delete"]
    when: args.rows > 100
`);
    const d = q.decide(requestFromFlags({ mcp: "db/delete", args: {} }));
    expect(d.effect).toBe("deny");
    expect(d.reason).toMatch(
      /condition of rule big-deletes failed: .*; treated as matching for deny/,
    );
    expect(q.explain(requestFromFlags({ mcp: "db/delete", args: {} })).matched[0]?.why).toMatch(
      /when: failed/,
    );
  });
});

describe("malformed requests", () => {
  it.each([
    [null, "request is not an object"],
    [{ kind: "exec" }, "principal.agent"],
    [{ kind: "teleport", principal: { agent: "a" }, target: {} }, "unknown request kind"],
    [{ kind: "exec", principal: { agent: "a" }, target: { command: 1 } }, "target.command"],
    [
      { kind: "net.connect", principal: { agent: "a" }, target: { host: "h", port: 70000 } },
      "port",
    ],
  ])("denies %j without throwing", (request, reason) => {
    const d = sample.decide(request as unknown as Request);
    expect(d.effect).toBe("deny");
    expect(d.reason).toContain(reason);
    expect(sample.explain(request as unknown as Request).decision.effect).toBe("deny");
  });
});

describe("explain", () => {
  it("lists each matched rule with its pattern and why", () => {
    const e = sample.explain(requestFromFlags({ exec: "git push origin main" }));
    expect(e.decision.effect).toBe("ask");
    expect(e.matched).toEqual([
      {
        id: "push-needs-review",
        effect: "ask",
        pattern: "git push *",
        why: "pattern `git push *` matched argv [git push origin main]; no when",
      },
    ]);
  });

  it("reports the condition outcome", () => {
    const e = sample.explain(
      requestFromFlags({ mcp: "gmail/send_email", args: { to: ["x@evil.test"] }, group: ["eng"] }),
    );
    expect(e.matched[0]?.why).toBe(
      "pattern `gmail/send_email` matched tool gmail/send_email; when: true",
    );
  });
});
