/**
 * `warden mcp serve`: the MCP gateway on stdio. The agent starts it like any MCP server
 * (`claude mcp add warden -- warden mcp serve --config .mcp.json`); stdout carries the protocol,
 * so everything Warden has to say goes to stderr.
 */
import { userInfo } from "node:os";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { AuditLog, Redactor } from "../audit/index.js";
import { SecretStore } from "../creds/index.js";
import { WardenError } from "../errors.js";
import {
  ApprovalStore,
  FilePolicySource,
  failedPolicySource,
  Gateway,
  PinStore,
  type PolicySource,
  parseDuration,
  readGatewayConfig,
  requesterOf,
  splitQualified,
} from "../mcp/index.js";
import type { Principal } from "../policy/index.js";
import { locatePolicy } from "./locate.js";

interface ServeOptions {
  config: string;
  policy?: string;
  agent?: string;
  approvalTimeout?: string;
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

  const audit = AuditLog.open({ secrets: held });
  const pins = PinStore.open();
  const queue: { store: ApprovalStore | null } = { store: null };
  const principal: Principal = { agent: options.agent ?? "mcp", user: userInfo().username };
  const gateway = new Gateway({
    upstreams: config.upstreams,
    options: config.options,
    policy,
    principal,
    audit,
    approvals: () => {
      queue.store ??= ApprovalStore.open();
      return queue.store;
    },
    requester: requesterOf(),
    pins,
    secrets: {
      // Read afresh when an upstream (re)starts: a rotated value is then redacted too.
      values: () => {
        const values = store.values();
        for (const value of values.values()) {
          redactor.addSecret(value);
          audit.addSecret(value);
        }
        return values;
      },
    },
    log,
    context: { workspace: process.cwd() },
    ...(process.env.WARDEN_MCP_POLL_MS ? { pollMs: Number(process.env.WARDEN_MCP_POLL_MS) } : {}),
  });

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    let ending = false;
    const end = () => {
      if (ending) return;
      ending = true;
      done();
    };
    transport.onclose = end;
    process.stdin.on("end", end);
    process.stdin.on("close", end);
    process.on("SIGTERM", end);
    process.on("SIGINT", end);
  });
  await gateway.connect(transport);
  await gateway.start();
  await closed;

  await gateway.close();
  await audit.flush().catch(() => {});
  audit.close();
  queue.store?.close();
  pins.close();
  process.stdin.destroy();
  return 0;
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
