/**
 * `warden mcp serve`: the MCP gateway on stdio, or over streamable HTTP with `--http`. On stdio
 * the agent starts it like any MCP server (`claude mcp add warden -- warden mcp serve --config
 * .mcp.json`); stdout carries the protocol, so everything Warden has to say goes to stderr.
 */
import { isIP } from "node:net";
import { userInfo } from "node:os";
import { AuditLog, Redactor } from "../audit/index.js";
import { SecretStore } from "../creds/index.js";
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
  qualify,
  type Requester,
  readGatewayConfig,
  requesterOf,
  resolveSecretRefs,
  type SecretSource,
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
  const config = readGatewayConfig(options.config);
  // A store that cannot be read (tampered, foreign key) stops the gateway here: it could neither
  // inject nor recognise the secrets it holds.
  const store = SecretStore.open();
  const held = [...store.values().values()];
  // Upstreams write what they like on stderr (some print their environment): no held value
  // reaches Warden's own diagnostics.
  const redactor = new Redactor(held);
  const log = (line: string) => process.stderr.write(`warden mcp: ${redactor.string(line)}\n`);
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

  const audit = openServerAuditLog(held);
  const secrets: SecretSource = {
    // Read afresh when an upstream (re)starts: a rotated value is then redacted too.
    values: () => {
      const values = store.values();
      for (const value of values.values()) {
        redactor.addSecret(value);
        audit.addSecret(value);
      }
      return values;
    },
  };
  const pins = PinStore.open();
  const queue: { store: ApprovalStore | null } = { store: null };
  const pool = new UpstreamPool(config.upstreams, log, undefined, {
    maxMessageBytes: config.options.maxMessageBytes,
    prepare: (spec) => resolveSecretRefs(spec, secrets),
  });
  const gatewayFor = (
    principal: Principal,
    context: Record<string, unknown>,
    requester: Requester | null,
  ) =>
    new Gateway({
      upstreams: config.upstreams,
      pool,
      options: config.options,
      policy,
      principal,
      audit,
      approvals: () => {
        queue.store ??= ApprovalStore.open(undefined, held);
        return queue.store;
      },
      requester,
      pins,
      secrets,
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
      requesterOf(),
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
      // The agent behind a loopback connection, when this user can see it (peer-process.ts).
      openSession: (client, requester) =>
        gatewayFor({ agent: client.agent }, { client: client.name }, requester),
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

function toolAddress(name: string): { server: string; tool: string } {
  const address = splitQualified(name);
  if (address === null) {
    throw new WardenError("CLI_USAGE", `"${name}" is not a server__tool name`, {
      hint: "name the tool as the agent sees it, e.g. github__create_issue",
    });
  }
  return address;
}

function withPins<T>(use: (pins: PinStore) => T): T {
  const pins = PinStore.open();
  try {
    return use(pins);
  } finally {
    pins.close();
  }
}

/** `warden mcp pins list [--server NAME] [--changed] [--json]` */
export function pinsList(options: { server?: string; changed?: boolean; json?: boolean }): number {
  const all = withPins((pins) => pins.list(options.server));
  const shown = options.changed ? all.filter((p) => p.pending !== null) : all;
  if (options.json) {
    const rows = shown.map((p) => ({
      server: p.server,
      tool: p.tool,
      hash: p.hash,
      pinnedAt: p.pinnedAt,
      changed: p.pending !== null,
      ...(p.pending === null ? {} : { pendingHash: p.pending.hash }),
    }));
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  if (shown.length === 0) {
    process.stdout.write(options.changed ? "no changed tools\n" : "no pinned tools\n");
    return 0;
  }
  for (const p of shown) {
    const state = p.pending === null ? "pinned " : "CHANGED";
    process.stdout.write(
      `${state}  ${qualify(p.server, p.tool)}  ${p.hash.slice(0, 19)}  ${p.pinnedAt}\n`,
    );
  }
  const changed = shown.filter((p) => p.pending !== null).length;
  if (changed > 0) {
    process.stdout.write(
      `${changed} changed: read one with \`warden mcp pins show server__tool\`, accept it with \`warden mcp pins approve server__tool\`\n`,
    );
  }
  return 0;
}

/** `warden mcp pins show server__tool [--json]`: the pinned definition and the changed one. */
export function pinsShow(name: string, options: { json?: boolean }): number {
  const address = toolAddress(name);
  const pin = withPins((pins) => pins.get(address.server, address.tool));
  if (pin === undefined) {
    throw new WardenError("MCP_PIN_NOT_FOUND", `no pinned tool ${address.server}/${address.tool}`);
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(pin)}\n`);
    return 0;
  }
  const block = (title: string, hash: string, definition: unknown) =>
    `${title} (${hash})\n${JSON.stringify(definition, null, 2)}\n`;
  process.stdout.write(block(`pinned ${pin.pinnedAt}`, pin.hash, pin.definition));
  if (pin.pending === null) {
    process.stdout.write("unchanged since pinned\n");
  } else {
    process.stdout.write(
      block("\nchanged, withheld until approved", pin.pending.hash, pin.pending.definition),
    );
  }
  return 0;
}

/** `warden mcp pins approve server__tool`: accept a changed tool definition as its new pin. */
export function pinsApprove(name: string, options: { json?: boolean }): number {
  const address = toolAddress(name);
  // The log first: an approval that cannot be recorded is not made.
  const log = AuditLog.open();
  try {
    const change = withPins((pins) => pins.trust(address.server, address.tool));
    log.appendSync({
      kind: "mcp.pin",
      pep: "cli.mcp",
      principal: { agent: "cli", user: userInfo().username },
      target: address,
      context: { change: "trusted", ...change },
    });
    if (options.json) process.stdout.write(`${JSON.stringify({ ...address, ...change })}\n`);
    else process.stdout.write(`approved the new definition of ${address.server}/${address.tool}\n`);
  } finally {
    log.close();
  }
  return 0;
}
