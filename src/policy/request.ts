import { createRequire } from "node:module";
import { WardenError } from "../errors.js";
import type { Request } from "./types.js";

/**
 * Requests at the boundary: `parseRequest` validates a full Request (JSON from a hook, a test
 * file, `--request`), `requestFromFlags` builds one from the shorthands shared by
 * `warden policy explain`, `warden decide` and policy test files.
 */

/** Builds the zod schema of a full Request on first use: zod costs tens of ms to load. */
function buildRequestSchema() {
  const z = (createRequire(import.meta.url)("zod") as typeof import("zod")).z;
  const principal = z.object({
    agent: z.string().min(1),
    user: z.string().optional(),
    groups: z.array(z.string()).optional(),
    session: z.string().optional(),
    device: z.string().optional(),
  });
  const context = z.looseObject({ workspace: z.string().optional() }).optional();
  const common = { principal, context };

  return z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("exec"),
      target: z.object({
        command: z.string(),
        argv: z.array(z.string()).optional(),
        cwd: z.string().optional(),
      }),
      ...common,
    }),
    z.object({
      kind: z.literal("fs.read"),
      target: z.object({ path: z.string().min(1) }),
      ...common,
    }),
    z.object({
      kind: z.literal("fs.write"),
      target: z.object({ path: z.string().min(1) }),
      ...common,
    }),
    z.object({
      kind: z.literal("net.connect"),
      target: z.object({
        host: z.string().min(1),
        port: z.number().int().min(0).max(65535),
        ip: z.string().optional(),
      }),
      ...common,
    }),
    z.object({
      kind: z.literal("mcp.call"),
      target: z.object({
        server: z.string().min(1),
        tool: z.string().min(1),
        args: z.record(z.string(), z.unknown()).optional(),
      }),
      ...common,
    }),
    z.object({
      kind: z.literal("cred.use"),
      target: z.object({ name: z.string().min(1), scope: z.string().min(1) }),
      ...common,
    }),
  ]);
}

let requestSchema: ReturnType<typeof buildRequestSchema> | undefined;

function invalid(message: string, hint?: string): WardenError {
  return new WardenError("REQUEST_INVALID", message, hint === undefined ? undefined : { hint });
}

/** Validates a full Request; the error names the first bad field path. */
export function parseRequest(value: unknown): Request {
  requestSchema ??= buildRequestSchema();
  const result = requestSchema.safeParse(value);
  if (result.success) return result.data as Request;
  const issue = result.error.issues[0]!;
  const path = issue.path.length === 0 ? "request" : `request.${issue.path.map(String).join(".")}`;
  throw invalid(`invalid request: ${path}: ${issue.message}`);
}

export interface RequestFlags {
  exec?: string;
  read?: string;
  write?: string;
  connect?: string;
  mcp?: string;
  args?: string | Record<string, unknown>;
  cred?: string;
  request?: string | object;
  agent?: string;
  user?: string;
  group?: string[];
  workspace?: string;
  cwd?: string;
  session?: string;
}

/** The shorthands whose value is plain text (args and request may also be objects). */
export const STRING_REQUEST_FLAGS = [
  "exec",
  "read",
  "write",
  "connect",
  "mcp",
  "cred",
  "agent",
  "user",
  "session",
  "workspace",
  "cwd",
] as const;

const TARGET_FLAGS = ["exec", "read", "write", "connect", "mcp", "cred", "request"] as const;

/** `host:port` or `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (m === null) {
    throw invalid(
      `--connect takes HOST:PORT or [IPV6]:PORT, not \`${text}\``,
      "e.g. --connect registry.npmjs.org:443 or --connect [::1]:8080",
    );
  }
  const port = Number(m[2]);
  if (port > 65535) throw invalid(`port ${m[2]} is out of range`);
  return { host: m[1]!, port };
}

function parseArgs(args: RequestFlags["args"]): Record<string, unknown> {
  if (args === undefined) return {};
  let value: unknown = args;
  if (typeof args === "string") {
    try {
      value = JSON.parse(args);
    } catch (error) {
      throw invalid(`--args is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("--args must be a JSON object", `e.g. --args '{"to": ["bob@example.com"]}'`);
  }
  return value as Record<string, unknown>;
}

function split(text: string, separator: string, flag: string, shape: string): [string, string] {
  const at = text.indexOf(separator);
  if (at <= 0 || at === text.length - 1) throw invalid(`--${flag} takes ${shape}, not \`${text}\``);
  return [text.slice(0, at), text.slice(at + 1)];
}

export function requestFromFlags(flags: RequestFlags): Request {
  const given = TARGET_FLAGS.filter((f) => flags[f] !== undefined);
  if (given.length !== 1) {
    throw invalid(
      given.length === 0
        ? "no request given"
        : `give exactly one of --${TARGET_FLAGS.join(", --")}; got --${given.join(" and --")}`,
      "e.g. --exec 'git status', --read ~/.ssh/id_rsa, --connect github.com:443, --mcp gmail/send_email --args '{}'",
    );
  }
  if (flags.args !== undefined && flags.mcp === undefined) throw invalid("--args goes with --mcp");
  if (flags.request !== undefined) {
    let value: unknown = flags.request;
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch (error) {
        throw invalid(`--request is not valid JSON: ${(error as Error).message}`);
      }
    }
    return parseRequest(value);
  }
  const principal: Request["principal"] = { agent: flags.agent ?? "cli" };
  if (principal.agent === "") throw invalid("--agent must not be empty");
  if (flags.user !== undefined) principal.user = flags.user;
  if (flags.group !== undefined && flags.group.length > 0) principal.groups = [...flags.group];
  if (flags.session !== undefined) principal.session = flags.session;
  const context: NonNullable<Request["context"]> = {};
  if (flags.workspace !== undefined) context.workspace = flags.workspace;
  if (flags.cwd !== undefined) context.cwd = flags.cwd;
  const withContext = Object.keys(context).length > 0 ? { context } : {};

  if (flags.exec !== undefined) {
    if (flags.exec.trim() === "") throw invalid("--exec needs a command");
    const target =
      flags.cwd === undefined ? { command: flags.exec } : { command: flags.exec, cwd: flags.cwd };
    return { kind: "exec", principal, target, ...withContext };
  }
  if (flags.read !== undefined || flags.write !== undefined) {
    const path = (flags.read ?? flags.write)!;
    if (path === "") throw invalid(`--${flags.read !== undefined ? "read" : "write"} needs a path`);
    return {
      kind: flags.read !== undefined ? "fs.read" : "fs.write",
      principal,
      target: { path },
      ...withContext,
    };
  }
  if (flags.connect !== undefined) {
    return { kind: "net.connect", principal, target: parseHostPort(flags.connect), ...withContext };
  }
  if (flags.mcp !== undefined) {
    const [server, tool] = split(flags.mcp, "/", "mcp", "SERVER/TOOL");
    return {
      kind: "mcp.call",
      principal,
      target: { server, tool, args: parseArgs(flags.args) },
      ...withContext,
    };
  }
  const [name, scope] = split(flags.cred!, ":", "cred", "NAME:SCOPE");
  return { kind: "cred.use", principal, target: { name, scope }, ...withContext };
}
