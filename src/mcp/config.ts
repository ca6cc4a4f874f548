/**
 * The upstream servers, read from the `mcpServers` JSON that Claude Desktop
 * (`claude_desktop_config.json`), Claude Code (`.mcp.json`) and Cursor (`.cursor/mcp.json`)
 * already use, so that a user points Warden at the file they have. Warden's own options sit
 * beside it under `"warden"`; every other top-level key is left alone.
 *
 * ```json
 * {
 *   "mcpServers": {
 *     "files": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."] },
 *     "crm":   { "type": "http", "url": "https://crm.example/mcp", "headers": { "Authorization": "Bearer ${CRM_TOKEN}" } }
 *   },
 *   "warden": { "approvalTimeout": "5m", "callTimeout": "60s", "maxMessageSize": "4MiB",
 *               "credentialsInResults": "redact" }
 * }
 * ```
 *
 * `${VAR}` and `${VAR:-default}` are expanded in command, args, env, url and headers from the
 * environment, as Claude Code does for `.mcp.json`. `${secret:NAME}` in env values and headers
 * names a secret from Warden's store; it stays unresolved here (see secret-refs.ts).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { SEPARATOR } from "./names.js";
import { hasSecretRef, secretRefs } from "./secret-refs.js";

export interface StdioUpstream {
  transport: "stdio";
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export interface RemoteUpstream {
  transport: "http" | "sse";
  name: string;
  url: URL;
  headers: Record<string, string>;
}

export type UpstreamSpec = StdioUpstream | RemoteUpstream;

export interface GatewayOptions {
  /** How long an `ask` waits for an answer before it is denied (ms). */
  approvalTimeoutMs: number;
  /** How long a forwarded call may take upstream (ms). */
  callTimeoutMs: number;
  /** The largest JSON-RPC message accepted from the agent or from a stdio upstream (bytes). */
  maxMessageBytes: number;
  /** A result carrying a credential: replace it (the default), or withhold the whole result. */
  credentialsInResults?: "redact" | "block";
}

export interface GatewayConfig {
  upstreams: UpstreamSpec[];
  options: GatewayOptions;
}

export const DEFAULT_OPTIONS: Required<GatewayOptions> = {
  approvalTimeoutMs: 5 * 60_000,
  callTimeoutMs: 60_000,
  maxMessageBytes: 4 * 1024 * 1024,
  credentialsInResults: "redact",
};

const stringMap = z.record(z.string(), z.string());

const serverSchema = z
  .object({
    type: z.enum(["stdio", "http", "streamable-http", "streamableHttp", "sse"]).optional(),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: stringMap.optional(),
    cwd: z.string().optional(),
    url: z.string().min(1).optional(),
    headers: stringMap.optional(),
    disabled: z.boolean().optional(),
  })
  .loose();

const fileSchema = z
  .object({
    mcpServers: z.record(z.string(), serverSchema),
    warden: z
      .object({
        approvalTimeout: z.string().optional(),
        callTimeout: z.string().optional(),
        maxMessageSize: z.union([z.string(), z.number()]).optional(),
        credentialsInResults: z.enum(["redact", "block"]).optional(),
      })
      .strict()
      .optional(),
  })
  .loose();

/** Reads and checks a config file; every problem is a WardenError naming the file. */
export function readGatewayConfig(file: string, env = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new WardenError("MCP_CONFIG_UNREADABLE", `cannot read ${file}: ${messageOf(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WardenError("MCP_CONFIG_INVALID", `${file} is not JSON: ${messageOf(error)}`);
  }
  return parseGatewayConfig(json, file, env);
}

export function parseGatewayConfig(
  json: unknown,
  file = "config",
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    throw new WardenError("MCP_CONFIG_INVALID", `${file}${where}: ${issue?.message ?? "invalid"}`, {
      hint: 'expected { "mcpServers": { "<name>": { "command": …, "args": […] } | { "url": … } } }',
    });
  }
  const expand = (text: string) => expandVars(text, env);
  const upstreams: UpstreamSpec[] = [];
  for (const [name, server] of Object.entries(parsed.data.mcpServers)) {
    if (server.disabled === true) continue;
    const bad = (message: string): never => {
      throw new WardenError("MCP_CONFIG_INVALID", `${file}: server "${name}": ${message}`);
    };
    if (
      !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ||
      name.includes(SEPARATOR) ||
      name.endsWith("_")
    ) {
      bad(
        `names may use letters, digits, ".", "-" and single "_" (tools appear as ${name}${SEPARATOR}<tool>)`,
      );
    }
    if (server.command !== undefined && server.url !== undefined) bad("has both command and url");
    checkSecretRefs(server, bad);
    if (server.command !== undefined) {
      if (server.type !== undefined && server.type !== "stdio")
        bad(`type ${server.type} needs a url`);
      upstreams.push({
        transport: "stdio",
        name,
        command: expand(server.command),
        args: (server.args ?? []).map(expand),
        env: mapValues(server.env ?? {}, expand),
        ...(server.cwd === undefined ? {} : { cwd: expand(server.cwd) }),
      });
    } else if (server.url !== undefined) {
      if (server.type === "stdio") bad("type stdio needs a command");
      let url: URL;
      try {
        url = new URL(expand(server.url));
      } catch {
        return bad(`url "${server.url}" is not a URL`);
      }
      upstreams.push({
        transport: server.type === "sse" ? "sse" : "http",
        name,
        url,
        headers: mapValues(server.headers ?? {}, expand),
      });
    } else {
      bad("needs a command (stdio) or a url (http, sse)");
    }
  }
  const warden = parsed.data.warden ?? {};
  return {
    upstreams,
    options: {
      approvalTimeoutMs:
        warden.approvalTimeout === undefined
          ? DEFAULT_OPTIONS.approvalTimeoutMs
          : parseDuration(warden.approvalTimeout, "warden.approvalTimeout"),
      callTimeoutMs:
        warden.callTimeout === undefined
          ? DEFAULT_OPTIONS.callTimeoutMs
          : parseDuration(warden.callTimeout, "warden.callTimeout"),
      maxMessageBytes:
        warden.maxMessageSize === undefined
          ? DEFAULT_OPTIONS.maxMessageBytes
          : parseSize(warden.maxMessageSize, "warden.maxMessageSize"),
      credentialsInResults: warden.credentialsInResults ?? DEFAULT_OPTIONS.credentialsInResults,
    },
  };
}

/**
 * Secrets go only where a process list or a URL log will not show them: env values and headers.
 */
function checkSecretRefs(server: z.infer<typeof serverSchema>, bad: (message: string) => never) {
  const elsewhere = [server.command, ...(server.args ?? []), server.cwd, server.url];
  if (elsewhere.some((text) => text !== undefined && hasSecretRef(text))) {
    bad(
      "${secret:NAME} may appear only in env values and headers (command lines and URLs are visible to other processes and logs)",
    );
  }
  for (const text of [...Object.values(server.env ?? {}), ...Object.values(server.headers ?? {})]) {
    try {
      secretRefs(text);
    } catch (error) {
      bad((error as Error).message);
    }
  }
}

/** `500ms`, `30s`, `5m`, `2h`; a bare number is seconds. */
export function parseDuration(text: string, name = "duration"): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new WardenError("MCP_BAD_DURATION", `${name}: cannot read "${text}" as a duration`, {
      hint: "use 500ms, 30s, 5m or 2h",
    });
  }
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[(match[2] ?? "s") as "s"];
  return Math.round(Number(match[1]) * unit);
}

/** `4MiB`, `512KiB`, `1MB`, `65536` (bytes). */
export function parseSize(value: string | number, name = "size"): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i.exec(String(value).trim());
  const unit = match?.[2]?.toLowerCase() ?? "b";
  const factor = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 }[
    unit
  ];
  const bytes = match === null || factor === undefined ? Number.NaN : Number(match[1]) * factor;
  if (!Number.isFinite(bytes) || bytes < 1024) {
    throw new WardenError("MCP_CONFIG_INVALID", `${name}: cannot read "${value}" as a size`, {
      hint: "use bytes or a unit, at least 1KiB: 65536, 512KiB, 4MiB",
    });
  }
  return Math.floor(bytes);
}

function expandVars(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_, key: string, fallback) => {
      const value = env[key];
      return value !== undefined && value !== "" ? value : ((fallback as string | undefined) ?? "");
    },
  );
}

function mapValues(
  record: Record<string, string>,
  f: (value: string) => string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
