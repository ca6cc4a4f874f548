/**
 * `warden proxy`: the egress proxy on its own — HTTP forward, CONNECT and SOCKS5 on one TCP port
 * and/or a unix socket, each connection decided by the policy and recorded in the audit log.
 * Prints where it listens (port 0 picks a free port), one line per decision (or JSON lines), and
 * on SIGINT/SIGTERM stops, waits for the open connections' events and closes the log.
 */

import { WardenError } from "../errors.js";
import { type ConnectionRecord, EgressProxy } from "../net/index.js";
import { loadPolicy } from "../policy/index.js";
import { locatePolicy } from "./locate.js";
import { EXIT, reportError } from "./output.js";
import { openServerAuditLog } from "./server-audit.js";

interface ProxyOptions {
  listen?: string;
  socket?: string;
  policy?: string;
  reportOnly?: boolean;
  agent?: string;
  session?: string;
  json?: boolean;
}

export async function proxy(options: ProxyOptions): Promise<number> {
  const policyPath = locatePolicy(options.policy);
  const policy = loadPolicy(policyPath);
  const listen = options.listen ?? (options.socket === undefined ? "127.0.0.1:3128" : undefined);
  const tcp = listen === undefined ? undefined : parseListen(listen);
  const audit = openServerAuditLog();
  const server = new EgressProxy({
    policy,
    audit,
    agent: options.agent ?? "unknown",
    ...(options.session === undefined ? {} : { session: options.session }),
    reportOnly: options.reportOnly === true,
  });
  const write = (line: string) => process.stdout.write(`${line}\n`);
  // One line per decision, written a batch per turn of the event loop once the connection is
  // under way: a write per connection to a pipe or terminal was on the connection's own path.
  const lines: string[] = [];
  const flushLines = (): void => {
    if (lines.length > 0) write(lines.join("\n"));
    lines.length = 0;
  };
  server.on("decision", (r: ConnectionRecord) => {
    if (lines.push(options.json ? json(r) : line(r)) === 1) setTimeout(flushLines, 0);
  });
  server.on("auditError", (e: unknown) => reportError(e));

  const addresses: string[] = [];
  try {
    if (tcp !== undefined) addresses.push(await server.listen(tcp));
    if (options.socket !== undefined) addresses.push(await server.listen({ path: options.socket }));
  } catch (error) {
    await server.close();
    audit.close();
    const e = error as NodeJS.ErrnoException;
    throw new WardenError("PROXY_LISTEN", `cannot listen: ${e.code ?? e.message}`, {
      hint: "pick another --listen port (0 picks a free one) or --socket path",
      cause: error,
    });
  }
  const mode = options.reportOnly ? " (report-only: denials are logged, not enforced)" : "";
  for (const a of addresses) {
    if (options.json) write(JSON.stringify({ listening: a, policy: policyPath }));
    else write(`warden proxy listening on ${a}${mode}, policy ${policyPath}`);
  }

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  flushLines();
  audit.close();
  return EXIT.ok;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new WardenError("CLI_BAD_LISTEN", `cannot read --listen "${text}" as HOST:PORT`, {
      hint: "for example 127.0.0.1:3128, [::1]:3128, or 127.0.0.1:0 for a free port",
    });
  }
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

function line(r: ConnectionRecord): string {
  const who = r.principal.session
    ? `${r.principal.agent}/${r.principal.session}`
    : r.principal.agent;
  const ip = r.ip === undefined || r.ip === r.host ? "" : ` (${r.ip})`;
  const effect = r.reportOnly ? `would-${r.decision.effect}` : r.decision.effect;
  const rule = r.decision.rule ?? "default";
  const why = r.decision.effect === "allow" ? "" : `: ${r.decision.reason}`;
  return `${effect} ${r.protocol} ${who} ${r.host}:${r.port}${ip} rule ${rule}${why}`;
}

function json(r: ConnectionRecord): string {
  return JSON.stringify({
    effect: r.decision.effect,
    enforced: r.enforced,
    reportOnly: r.reportOnly,
    protocol: r.protocol,
    principal: r.principal,
    host: r.host,
    port: r.port,
    ip: r.ip,
    rule: r.decision.rule,
    reason: r.decision.reason,
    latencyUs: r.latencyUs,
  });
}
