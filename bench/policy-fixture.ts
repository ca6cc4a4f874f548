/**
 * A generated policy of N rules in two languages — Warden YAML and the equivalent Cedar policy
 * set — and a mix of requests that hit, miss and fall through to defaults, so both engines do the
 * same matching work.
 */
import type { Request } from "../src/policy/index.js";

export interface PolicyFixture {
  yaml: string;
  cedar: string;
  requests: Request[];
}

const EFFECTS = ["allow", "ask", "deny"] as const;
const CEDAR_EFFECT = { allow: "permit", ask: "forbid", deny: "forbid" } as const;

export function policyFixture(ruleCount: number): PolicyFixture {
  const rules: string[] = [];
  const cedar: string[] = [];
  for (let i = 0; i < ruleCount; i++) {
    const effect = EFFECTS[i % 3] as (typeof EFFECTS)[number];
    const cedarEffect = CEDAR_EFFECT[effect];
    switch (i % 5) {
      case 0:
      case 1:
        rules.push(rule(i, "exec", effect, [`tool${i} run *`, `tool${i} status`]));
        cedar.push(
          `${cedarEffect}(principal, action == Action::"exec", resource) when { context.command like "tool${i} run*" || context.command == "tool${i} status" };`,
        );
        break;
      case 2:
        rules.push(rule(i, "fs.read", effect, [`/srv/data${i}/**`]));
        cedar.push(
          `${cedarEffect}(principal, action == Action::"fs.read", resource) when { context.path like "/srv/data${i}/*" };`,
        );
        break;
      case 3:
        rules.push(
          rule(i, "net.connect", effect, [`api${i}.example.com:443`, `*.svc${i}.example.net`]),
        );
        cedar.push(
          `${cedarEffect}(principal, action == Action::"net.connect", resource) when { (context.host == "api${i}.example.com" && context.port == 443) || context.host like "*.svc${i}.example.net" };`,
        );
        break;
      default:
        rules.push(rule(i, "mcp.call", effect, [`server${i}/get_*`, `server${i}/query`]));
        cedar.push(
          `${cedarEffect}(principal, action == Action::"mcp.call", resource) when { context.server == "server${i}" && (context.tool like "get_*" || context.tool == "query") };`,
        );
    }
  }
  const yaml = [
    "apiVersion: warden/v1",
    "kind: Policy",
    `metadata: { name: bench-${ruleCount}, version: "1" }`,
    "rules:",
    ...rules,
  ].join("\n");
  return { yaml, cedar: cedar.join("\n"), requests: requests(ruleCount) };
}

function rule(i: number, kind: string, effect: string, patterns: string[]): string {
  const list = patterns.map((p) => JSON.stringify(p)).join(", ");
  return `  - id: r${i}\n    kind: ${kind}\n    ${effect}: [${list}]`;
}

function requests(ruleCount: number): Request[] {
  const principal = { agent: "bench", user: "alice" };
  const out: Request[] = [];
  for (let k = 0; k < 200; k++) {
    const i = (k * 7919) % ruleCount;
    const base = i - (i % 5);
    out.push(
      { kind: "exec", principal, target: { command: `tool${base} run --fast x` } },
      { kind: "exec", principal, target: { command: `unknown${k} --flag` } },
      { kind: "fs.read", principal, target: { path: `/srv/data${base + 2}/a/b.txt` } },
      { kind: "net.connect", principal, target: { host: `api${base + 3}.example.com`, port: 443 } },
      {
        kind: "net.connect",
        principal,
        target: { host: `x.svc${base + 3}.example.net`, port: 80 },
      },
      {
        kind: "mcp.call",
        principal,
        target: { server: `server${base + 4}`, tool: "get_record", args: {} },
      },
    );
  }
  return out;
}

/** The Cedar request for a Warden request: the target's fields become the context. */
export function cedarContext(request: Request): Record<string, string | number> {
  const t = request.target as unknown as Record<string, unknown>;
  const context: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(t)) {
    if (typeof value === "string" || typeof value === "number") context[key] = value;
  }
  return context;
}
