/**
 * `warden mcp serve`: the MCP gateway on stdio, or over streamable HTTP with `--http`. On stdio
 * the agent starts it like any MCP server (`claude mcp add warden -- warden mcp serve --config
 * .mcp.json`); stdout carries the protocol, so everything Warden has to say goes to stderr.
 */
import { isIP } from "node:net";
import { userInfo } from "node:os";
import { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";
import {
  ApprovalStore,
  FilePolicySource,
  failedPolicySource,
  Gateway,
  GatewayHttpServer,
  PinStore,
  type PolicySource,
  parseDuration,
  readGatewayConfig,
  requesterOf,
  splitQualified,
  TokenStore,
  UpstreamPool,
} from "../mcp/index.js";
import { LineTransport } from "../mcp/line-transport.js";
import type { Principal } from "../policy/index.js";
import { locatePolicy } from "./locate.js";
import { openServerAuditLog } from "./server-audit.js";

interface ServeOptions {
  config: string;
  policy?: string;
  agent?: string;
  approvalTimeout?: string;
  http?: string;
  allowRemote?: boolean;
  allowedHost?: string[];
}

export async function serve(options: ServeOptions): Promise<number> {
  const log = (line: string) => process.stderr.write(`warden mcp: ${line}\n`);
  const config = readGatewayConfig(options.config);
  if (options.approvalTimeout !== undefined) {
    config.options.approvalTimeoutMs = parseDuration(options.approvalTimeout, "--approval-timeout");
  }

  // Fail closed, but stay up: without a policy every call is denied with the reason, so the agent
  // (and its human) see why instead of a server that would not start.
  let policy: PolicySource;
  try {
    policy = new FilePolicySource(locatePolicy(options.policy));
  } catch (error) {
    policy = failedPolicySource(error);
  }
  if (policy.problem !== null) log(`${policy.problem}; every call will be denied`);

  const listen = options.http === undefined ? null : parseListen(options.http, options);
  const tokens = listen === null ? null : new TokenStore();
  const tokenProblem = tokens?.check();
  if (tokenProblem) throw new WardenError("MCP_TOKENS_UNREADABLE", tokenProblem);

  const audit = openServerAuditLog();
  const pins = PinStore.open();
  const queue: { store: ApprovalStore | null } = { store: null };
  const pool = new UpstreamPool(config.upstreams, log, undefined, {
    maxMessageBytes: config.options.maxMessageBytes,
  });
  const gatewayFor = (principal: Principal, context: Record<string, unknown>, local: boolean) =>
    new Gateway({
      upstreams: config.upstreams,
      pool,
      options: config.options,
      policy,
      principal,
      audit,
      approvals: () => {
        queue.store ??= ApprovalStore.open();
        return queue.store;
      },
      // Over HTTP the agent is not a process of this machine: no process tree to keep out.
      requester: local ? requesterOf() : null,
      pins,
      log,
      context: { workspace: process.cwd(), ...context },
      ...(process.env.WARDEN_MCP_POLL_MS ? { pollMs: Number(process.env.WARDEN_MCP_POLL_MS) } : {}),
    });

  let closed: Promise<void>;
  let stop: () => Promise<void>;
  if (listen === null || tokens === null) {
    const gateway = gatewayFor(
      { agent: options.agent ?? "mcp", user: userInfo().username },
      {},
      true,
    );
    const transport = new LineTransport({ maxMessageBytes: config.options.maxMessageBytes, log });
    closed = ended((end) => {
      transport.onclose = end;
      process.stdin.on("end", end);
      process.stdin.on("close", end);
    });
    await gateway.connect(transport);
    stop = () => gateway.close();
  } else {
    if (tokens.list().every((t) => t.revoked !== undefined)) {
      log(
        "no active token: every request will be refused; add one with `warden mcp tokens add NAME`",
      );
    }
    const http = new GatewayHttpServer({
      ...listen,
      tokens,
      maxMessageBytes: config.options.maxMessageBytes,
      openSession: (client) => gatewayFor({ agent: client.agent }, { client: client.name }, false),
      log,
    });
    const url = await http.listen();
    log(`serving MCP over HTTP at ${url.href} (bearer tokens: warden mcp tokens list)`);
    closed = ended(() => {});
    stop = () => http.close();
  }
  await pool.start();
  await closed;

  await stop();
  await pool.close();
  await audit.flush().catch(() => {});
  audit.close();
  queue.store?.close();
  pins.close();
  process.stdin.destroy();
  return 0;
}

/** Resolves on SIGTERM or SIGINT, or when `wire` calls its end. */
function ended(wire: (end: () => void) => void): Promise<void> {
  return new Promise<void>((done) => {
    let ending = false;
    const end = () => {
      if (ending) return;
      ending = true;
      done();
    };
    wire(end);
    process.on("SIGTERM", end);
    process.on("SIGINT", end);
  });
}

/**
 * `HOST:PORT` (or a bare `PORT`) for `--http`. Loopback unless `--allow-remote`: the gateway holds the upstreams'
 * credentials, and a token is all that stands between the network and them.
 */
function parseListen(
  text: string,
  options: ServeOptions,
): { host: string; port: number; allowedHosts: string[] } {
  // A bare port listens on loopback.
  const spec = /^\d+$/.test(text.trim()) ? `127.0.0.1:${text.trim()}` : text.trim();
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(spec);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new WardenError("CLI_USAGE", `--http ${text}: expected HOST:PORT`, {
      hint: "for example --http 127.0.0.1:8765 (port 0 picks a free one)",
    });
  }
  const host = (match[1] ?? match[2])!;
  const loopback = host === "localhost" || host === "::1" || /^127\./.test(host);
  if (!loopback && options.allowRemote !== true) {
    throw new WardenError("CLI_USAGE", `--http ${text} listens beyond this machine`, {
      hint: "add --allow-remote if that is meant (and put TLS in front: tokens travel in clear)",
    });
  }
  if (!loopback) {
    process.stderr.write(
      `warden mcp: WARNING: listening on ${host}, reachable from the network; tokens and results travel unencrypted unless a TLS proxy is in front\n`,
    );
  }
  const named = isIP(host) === 6 ? `[${host}]` : host;
  return { host, port, allowedHosts: [named, ...(options.allowedHost ?? [])] };
}

/** `warden mcp trust server__tool`: accept a changed tool definition as its new pin. */
export function trust(name: string, options: { json?: boolean }): number {
  const address = splitQualified(name);
  if (address === null) {
    throw new WardenError("CLI_USAGE", `"${name}" is not a server__tool name`);
  }
  const pins = PinStore.open();
  let change: { from: string; to: string };
  try {
    change = pins.trust(address.server, address.tool);
  } finally {
    pins.close();
  }
  const log = AuditLog.open();
  try {
    log.appendSync({
      kind: "mcp.pin",
      pep: "cli.mcp",
      principal: { agent: "cli", user: userInfo().username },
      target: address,
      context: { change: "trusted", ...change },
    });
  } finally {
    log.close();
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ ...address, ...change })}\n`);
  else process.stdout.write(`trusted the new definition of ${address.server}/${address.tool}\n`);
  return 0;
}
