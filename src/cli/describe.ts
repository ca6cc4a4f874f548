/** Human-readable renderings of requests and decisions, shared by `explain`, `decide` and `audit`. */
import type { Decision, Request } from "../policy/index.js";

export function describeTarget(kind: string, target: unknown): string {
  if (typeof target !== "object" || target === null) return String(target ?? "");
  const t = target as Record<string, unknown>;
  switch (kind) {
    case "exec":
      return String(t.command ?? (Array.isArray(t.argv) ? t.argv.join(" ") : ""));
    case "fs.read":
    case "fs.write":
      return String(t.path ?? "");
    case "net.connect":
      return `${String(t.host ?? "")}:${String(t.port ?? "")}`;
    case "mcp.call": {
      const args = t.args === undefined ? "" : ` ${JSON.stringify(t.args)}`;
      return `${String(t.server ?? "")}/${String(t.tool ?? "")}${args}`;
    }
    case "cred.use":
      return `${String(t.name ?? "")}:${String(t.scope ?? "")}`;
    default:
      return JSON.stringify(target);
  }
}

export function describeRequest(request: Request): string {
  const who = [request.principal.agent, request.principal.user].filter(Boolean).join(" for ");
  return `${request.kind} ${describeTarget(request.kind, request.target)} (agent ${who})`;
}

export function describeDecision(decision: Decision): string {
  const by = decision.rule === null ? "by default" : `by rule ${decision.rule}`;
  return `${decision.effect.toUpperCase()} ${by}: ${decision.reason}`;
}

export function describePolicy(decision: Decision): string {
  const { name, version, digest } = decision.policy;
  return `${name}${version ? ` ${version}` : ""} ${digest.slice(0, 19)}`;
}
