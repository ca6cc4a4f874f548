import { KINDS, type Kind, type Request } from "./types.js";

/**
 * A cheap structural check for the decision hot path (zod is for boundaries, see request.ts):
 * returns what is wrong with a request, or null when the engine can safely read it.
 */
const KIND_SET: ReadonlySet<string> = new Set(KINDS);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isString = (v: unknown): v is string => typeof v === "string";

export function requestProblem(value: unknown): string | null {
  if (!isObject(value)) return "request is not an object";
  const kind = value.kind;
  if (!isString(kind) || !KIND_SET.has(kind)) return `unknown request kind ${JSON.stringify(kind)}`;
  const principal = value.principal;
  if (!isObject(principal) || !isString(principal.agent) || principal.agent === "") {
    return "request.principal.agent must be a non-empty string";
  }
  if (principal.user !== undefined && !isString(principal.user)) {
    return "request.principal.user must be a string";
  }
  const groups = principal.groups;
  if (groups !== undefined && !(Array.isArray(groups) && groups.every(isString))) {
    return "request.principal.groups must be a list of strings";
  }
  if (value.context !== undefined && !isObject(value.context)) {
    return "request.context must be an object";
  }
  const t = value.target;
  if (!isObject(t)) return "request.target must be an object";
  return targetProblem(kind as Kind, t);
}

function targetProblem(kind: Kind, t: Record<string, unknown>): string | null {
  switch (kind) {
    case "exec":
      if (!isString(t.command)) return "request.target.command must be a string";
      if (t.argv !== undefined && !(Array.isArray(t.argv) && t.argv.every(isString))) {
        return "request.target.argv must be a list of strings";
      }
      return null;
    case "fs.read":
    case "fs.write":
      return isString(t.path) ? null : "request.target.path must be a string";
    case "net.connect":
      if (!isString(t.host)) return "request.target.host must be a string";
      if (!Number.isInteger(t.port) || (t.port as number) < 0 || (t.port as number) > 65535) {
        return "request.target.port must be an integer from 0 to 65535";
      }
      return t.ip === undefined || isString(t.ip) ? null : "request.target.ip must be a string";
    case "mcp.call":
      if (!isString(t.server) || !isString(t.tool)) {
        return "request.target.server and request.target.tool must be strings";
      }
      return t.args === undefined || isObject(t.args)
        ? null
        : "request.target.args must be an object";
    case "cred.use":
      return isString(t.name) && isString(t.scope)
        ? null
        : "request.target.name and request.target.scope must be strings";
  }
}

export type { Request };
