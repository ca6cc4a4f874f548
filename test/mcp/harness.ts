/**
 * Runs the built `warden mcp serve` as an agent would: the SDK's real `Client` over
 * `StdioClientTransport`, in a throwaway WARDEN_HOME, with real upstream servers from npm and the
 * tiny fixture server.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { type AuditEvent, AuditLog } from "../../src/audit/index.js";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TINY = fileURLToPath(new URL("./fixtures/tiny-server.mjs", import.meta.url));
/** Misbehaves on request: malformed and huge results, junk, hangs, elicitation, new tools. */
export const ODD = fileURLToPath(new URL("./fixtures/odd-server.mjs", import.meta.url));
const require = createRequire(import.meta.url);
export const EVERYTHING = join(
  dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")),
  "dist/index.js",
);
export const FILESYSTEM = join(
  dirname(require.resolve("@modelcontextprotocol/server-filesystem/package.json")),
  "dist/index.js",
);

export interface Sandbox {
  dir: string;
  home: string;
  tinyLog: string;
  policy: string;
  config: string;
}

/** A temp dir with WARDEN_HOME, a policy and an mcpServers config. */
export function sandbox(
  policy: string,
  servers: Record<string, unknown>,
  warden?: object,
): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "warden-mcp-"));
  const home = join(dir, "home");
  mkdirSync(home);
  const tinyLog = join(dir, "tiny.log");
  const policyFile = join(dir, "policy.yaml");
  writeFileSync(policyFile, policy);
  const config = join(dir, "mcp.json");
  writeFileSync(config, JSON.stringify({ mcpServers: servers, ...(warden ? { warden } : {}) }));
  return { dir, home, tinyLog, policy: policyFile, config };
}

/**
 * A project the filesystem server may read (project/readme.txt) beside a private folder it must
 * not (private/secret.txt, "the secret"); the filesystem server is given the whole sandbox and the
 * policy narrows it. Returns that server's spec.
 */
export function projectFiles(box: Sandbox) {
  mkdirSync(join(box.dir, "project"));
  mkdirSync(join(box.dir, "private"));
  writeFileSync(join(box.dir, "project", "readme.txt"), "hello from the project");
  writeFileSync(join(box.dir, "private", "secret.txt"), "the secret");
  return { command: process.execPath, args: [FILESYSTEM, box.dir] };
}

export const tinyServer = (box: Sandbox, env: Record<string, string> = {}) => ({
  command: process.execPath,
  args: [TINY],
  env: { TINY_LOG: box.tinyLog, ...env },
});

export interface Connected {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  agent?: string;
  /** Answers elicitation requests (declares the capability). */
  elicit?: (message: string) => ElicitResult["action"];
  /**
   * Start the gateway under `/bin/sh` so that the shell is the "agent" process: approvals given
   * from the test process are then not self-approvals.
   */
  viaShell?: boolean;
  extraArgs?: string[];
}

export async function connect(box: Sandbox, options: ConnectOptions = {}): Promise<Connected> {
  const args = [
    CLI,
    "mcp",
    "serve",
    "--config",
    box.config,
    "--policy",
    box.policy,
    "--agent",
    options.agent ?? "test-agent",
    ...(options.extraArgs ?? []),
  ];
  const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(" ");
  const transport = new StdioClientTransport({
    command: options.viaShell ? "/bin/sh" : process.execPath,
    args: options.viaShell ? ["-c", `${quoted}; exit $?`] : args,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      WARDEN_HOME: box.home,
      WARDEN_MCP_POLL_MS: "20",
    },
    cwd: box.dir,
    stderr: "pipe",
  });
  const client = await openClient("warden-test", transport, options.elicit);
  return { client, call: caller(client), close: () => client.close() };
}

/** The SDK's real Client on `transport`, declaring elicitation when it has an answer to give. */
async function openClient(
  name: string,
  transport: Parameters<Client["connect"]>[0],
  elicit: ConnectOptions["elicit"],
): Promise<Client> {
  const client = new Client(
    { name, version: "1.0.0" },
    elicit ? { capabilities: { elicitation: {} } } : {},
  );
  if (elicit) answerElicitation(client, elicit);
  await client.connect(transport);
  return client;
}

const caller =
  (client: Client): Connected["call"] =>
  async (name, a = {}) =>
    (await client.callTool({ name, arguments: a })) as unknown as CallToolResult;

function answerElicitation(client: Client, answer: NonNullable<ConnectOptions["elicit"]>) {
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    const action = answer(request.params.message);
    return { action, ...(action === "accept" ? { content: {} } : {}) };
  });
}

export function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("\n");
}

/** The gateway's per-call outcome events (an allowed call also has an earlier `mcp.forward`). */
export async function events(box: Sandbox): Promise<AuditEvent[]> {
  return (await gatewayEvents(box)).filter((e) => e.kind !== "mcp.forward");
}

export async function gatewayEvents(box: Sandbox): Promise<AuditEvent[]> {
  return (await settled(box)).filter((e) => e.pep === "mcp.gateway");
}

export async function allEvents(box: Sandbox): Promise<AuditEvent[]> {
  return settled(box);
}

/**
 * The log once every forwarded call has its outcome event: the gateway answers before that
 * event commits (it rides the next commit, within 10 ms; docs/audit.md), and it is written by
 * another process, so the log is read again until it is there (at most 5 s).
 */
async function settled(box: Sandbox): Promise<AuditEvent[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const log = AuditLog.open({ home: box.home, readonly: true });
    let all: AuditEvent[];
    try {
      all = log.search({ limit: 1000 });
    } finally {
      log.close();
    }
    if (outcomesMissing(all) === 0 || Date.now() > deadline) return all;
    await new Promise((retry) => setTimeout(retry, 5));
  }
}

/** Forwarded calls without an outcome event yet (same session and target). */
function outcomesMissing(all: AuditEvent[]): number {
  const open = new Map<string, number>();
  for (const e of all) {
    if (e.pep !== "mcp.gateway" || (e.kind !== "mcp.forward" && e.kind !== "mcp.call")) continue;
    const outcome = e.context?.outcome;
    if (e.kind === "mcp.call" && (outcome === undefined || outcome === "not-forwarded")) continue;
    const key = `${String(e.context?.session)} ${JSON.stringify(e.target)}`;
    open.set(key, (open.get(key) ?? 0) + (e.kind === "mcp.forward" ? 1 : -1));
  }
  let missing = 0;
  for (const n of open.values()) missing += Math.max(0, n);
  return missing;
}

export function warden(box: Sandbox, args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: box.dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WARDEN_HOME: box.home },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The pending approvals, read through the CLI as a person would. */
export function pending(box: Sandbox): { id: string; digest: string; status: string }[] {
  const out = warden(box, ["approvals", "list", "--json"]);
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

export interface Served {
  url: URL;
  /** Everything the gateway wrote on stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the built `warden mcp serve --http 127.0.0.1:0` and waits for the URL it prints. */
export async function serveHttp(box: Sandbox, extraArgs: string[] = []): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "mcp",
      "serve",
      "--config",
      box.config,
      "--policy",
      box.policy,
      "--http",
      "127.0.0.1:0",
      ...extraArgs,
    ],
    {
      cwd: box.dir,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WARDEN_HOME: box.home },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = await new Promise<URL>((done, fail) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const match = /serving MCP over HTTP at (\S+)/.exec(stderr);
      if (match) done(new URL(match[1]!));
    });
    exited.then(() => fail(new Error(`warden mcp serve exited: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The SDK's real Client over its real streamable HTTP transport, with a bearer token. */
export async function connectHttp(
  url: URL,
  token: string,
  options: { elicit?: ConnectOptions["elicit"] } = {},
): Promise<Connected> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = await openClient("warden-http-test", transport, options.elicit);
  return {
    client,
    call: caller(client),
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/** Makes a token through the CLI, as a person would; returns the token printed once. */
export function addToken(box: Sandbox, name: string, agent: string): string {
  const out = warden(box, ["mcp", "tokens", "add", name, "--agent", agent]);
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout.trim();
}
