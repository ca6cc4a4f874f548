/**
 * `warden mcp tokens add|list|revoke`: the bearer tokens of the gateway's HTTP clients. The
 * token is printed once, by `add`; Warden keeps only its hash. Adding and revoking are audit
 * events (name and agent, never the token).
 */
import { userInfo } from "node:os";
import { AuditLog } from "../audit/index.js";
import { type TokenEntry, TokenStore } from "../mcp/index.js";
import { EXIT, formatTable } from "./output.js";

/**
 * Makes a change to the token file and records it. The log is opened first: a log that cannot be
 * written stops the change before it happens, rather than leaving a token nobody recorded.
 */
function recorded<T extends { entry: TokenEntry }>(
  change: "added" | "revoked",
  make: (store: TokenStore) => T,
): T {
  const log = AuditLog.open();
  try {
    const made = make(new TokenStore());
    log.appendSync({
      kind: "mcp.token",
      pep: "cli.mcp",
      principal: { agent: "cli", user: userInfo().username },
      target: { name: made.entry.name, agent: made.entry.agent },
      context: { change },
    });
    return made;
  } finally {
    log.close();
  }
}

/** What `list --json` shows: everything but the hash, which is of no use outside the file. */
function shown(entry: TokenEntry) {
  const { hash: _hash, ...rest } = entry;
  return rest;
}

export function add(name: string, options: { agent?: string; json?: boolean }): number {
  const { token, entry } = recorded("added", (store) => store.add(name, options.agent ?? name));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...shown(entry), token })}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    `token "${entry.name}" for agent "${entry.agent}": shown once, Warden keeps only its hash.\n` +
      `the client sends it as: Authorization: Bearer <token>\n`,
  );
  return EXIT.ok;
}

export function list(options: { all?: boolean; json?: boolean }): number {
  const entries = new TokenStore()
    .list()
    .filter((e) => options.all === true || e.revoked === undefined);
  if (options.json) {
    for (const entry of entries) process.stdout.write(`${JSON.stringify(shown(entry))}\n`);
    return EXIT.ok;
  }
  if (entries.length === 0) {
    process.stdout.write("no tokens; add one with: warden mcp tokens add NAME --agent AGENT\n");
    return EXIT.ok;
  }
  const rows = entries.map((e) => [e.name, e.agent, e.created, e.revoked ?? "active"]);
  process.stdout.write(`${formatTable(["NAME", "AGENT", "CREATED", "STATUS"], rows)}\n`);
  return EXIT.ok;
}

export function revoke(name: string, options: { json?: boolean }): number {
  const { entry } = recorded("revoked", (store) => ({ entry: store.revoke(name) }));
  if (options.json) process.stdout.write(`${JSON.stringify(shown(entry))}\n`);
  else process.stdout.write(`revoked token "${entry.name}"; its next request gets 401\n`);
  return EXIT.ok;
}
