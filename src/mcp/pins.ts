/**
 * Tool pinning, against "rug pulls": the first time the gateway sees a tool, the sha256 of its
 * canonical definition (name, description, input schema) is stored in
 * `$WARDEN_HOME/mcp-pins.db`. If the upstream later serves a different definition, the new one
 * is kept aside as pending, the tool is withheld from `tools/list` and calls to it are denied,
 * until a human has read it (`warden mcp pins show server__tool`) and runs
 * `warden mcp pins approve server__tool`, which makes the pending definition the pin.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { canonicalize } from "../audit/index.js";
import { WardenError } from "../errors.js";

export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  inputSchema: unknown;
}

export type PinState =
  | { state: "new" }
  | { state: "pinned" }
  | { state: "changed"; pinned: string; seen: string };

export function definitionHash(tool: ToolDefinition): string {
  const text = canonicalize({
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? null,
  });
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/** One pinned tool, as `warden mcp pins list|show` report it. */
export interface Pin {
  server: string;
  tool: string;
  hash: string;
  pinnedAt: string;
  definition: ToolDefinition;
  /** The changed definition last served, withheld until approved. */
  pending: { hash: string; definition: ToolDefinition } | null;
}

interface PinRow {
  server: string;
  tool: string;
  hash: string;
  definition: string;
  pinned_ms: number;
  pending_hash: string | null;
  pending_definition: string | null;
}

export class PinStore {
  private readonly db: Database.Database;
  /** Read on every call (another process may trust a tool at any time): prepared once. */
  private readonly pinOf: Database.Statement<
    [string, string],
    { hash: string; pending_hash: string | null }
  >;
  /**
   * changed() per tool, while no other connection has committed (SQLite's data_version, one
   * cheap read instead of a lookup per call) and this one has not written.
   */
  private readonly changes = new Map<string, boolean>();
  private readonly dataVersion: Database.Statement<[], number>;
  private seenVersion = -1;

  private constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS pins (
      server TEXT NOT NULL,
      tool TEXT NOT NULL,
      hash TEXT NOT NULL,
      definition TEXT NOT NULL,
      pinned_ms INTEGER NOT NULL,
      pending_hash TEXT,
      pending_definition TEXT,
      PRIMARY KEY (server, tool)
    )`);
    this.pinOf = this.db.prepare(
      "SELECT hash, pending_hash FROM pins WHERE server = ? AND tool = ?",
    );
    this.dataVersion = this.db.prepare<[], number>("PRAGMA data_version").pluck();
  }

  static open(home?: string): PinStore {
    const dir = resolve(home ?? process.env.WARDEN_HOME ?? join(homedir(), ".warden"));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new PinStore(join(dir, "mcp-pins.db"));
  }

  /** Pins a tool seen for the first time; reports a definition that differs from its pin. */
  check(server: string, tool: ToolDefinition, now = Date.now()): PinState {
    this.changes.clear(); // it may write
    const hash = definitionHash(tool);
    const row = this.pinOf.get(server, tool.name);
    if (row === undefined) {
      this.db
        .prepare(
          "INSERT OR IGNORE INTO pins (server, tool, hash, definition, pinned_ms) VALUES (?, ?, ?, ?, ?)",
        )
        .run(server, tool.name, hash, JSON.stringify(tool), now);
      return { state: "new" };
    }
    if (row.hash === hash) {
      if (row.pending_hash !== null) {
        // Changed and changed back: nothing is pending any more.
        this.db
          .prepare(
            "UPDATE pins SET pending_hash = NULL, pending_definition = NULL WHERE server = ? AND tool = ?",
          )
          .run(server, tool.name);
      }
      return { state: "pinned" };
    }
    if (row.pending_hash !== hash) {
      this.db
        .prepare(
          "UPDATE pins SET pending_hash = ?, pending_definition = ? WHERE server = ? AND tool = ?",
        )
        .run(hash, JSON.stringify(tool), server, tool.name);
    }
    return { state: "changed", pinned: row.hash, seen: hash };
  }

  /** Whether the last definition seen of a tool differs from its pin (calls are then denied). */
  changed(server: string, tool: string): boolean {
    const version = this.dataVersion.get() as number;
    if (version !== this.seenVersion) {
      this.changes.clear();
      this.seenVersion = version;
    }
    const key = `${server}\u0000${tool}`;
    let changed = this.changes.get(key);
    if (changed === undefined) {
      const row = this.pinOf.get(server, tool);
      changed = row !== undefined && row.pending_hash !== null && row.pending_hash !== row.hash;
      this.changes.set(key, changed);
    }
    return changed;
  }

  /** Accepts the changed definition of a tool as its new pin. */
  trust(server: string, tool: string, now = Date.now()): { from: string; to: string } {
    this.changes.clear();
    const row = this.pinOf.get(server, tool);
    if (row === undefined) {
      throw new WardenError("MCP_PIN_NOT_FOUND", `no pinned tool ${server}/${tool}`);
    }
    if (row.pending_hash === null || row.pending_hash === row.hash) {
      throw new WardenError("MCP_PIN_UNCHANGED", `${server}/${tool} has not changed since pinned`);
    }
    this.db
      .prepare(
        `UPDATE pins SET hash = pending_hash, definition = pending_definition, pinned_ms = ?,
           pending_hash = NULL, pending_definition = NULL WHERE server = ? AND tool = ?`,
      )
      .run(now, server, tool);
    return { from: row.hash, to: row.pending_hash };
  }

  /** Every pin, or one server's, ordered by server and tool. */
  list(server?: string): Pin[] {
    const rows = (
      server === undefined
        ? this.db.prepare("SELECT * FROM pins ORDER BY server, tool").all()
        : this.db.prepare("SELECT * FROM pins WHERE server = ? ORDER BY tool").all(server)
    ) as PinRow[];
    return rows.map(toPin);
  }

  get(server: string, tool: string): Pin | undefined {
    const row = this.db
      .prepare("SELECT * FROM pins WHERE server = ? AND tool = ?")
      .get(server, tool);
    return row === undefined ? undefined : toPin(row as PinRow);
  }

  close(): void {
    this.db.close();
  }
}

function toPin(row: PinRow): Pin {
  const changed = row.pending_hash !== null && row.pending_hash !== row.hash;
  return {
    server: row.server,
    tool: row.tool,
    hash: row.hash,
    pinnedAt: new Date(row.pinned_ms).toISOString(),
    definition: JSON.parse(row.definition) as ToolDefinition,
    pending:
      changed && row.pending_definition !== null
        ? {
            hash: row.pending_hash as string,
            definition: JSON.parse(row.pending_definition) as ToolDefinition,
          }
        : null,
  };
}
