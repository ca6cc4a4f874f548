/**
 * Bearer tokens for the gateway over HTTP, one per client. A token is shown once, when it is
 * made; the file keeps only its SHA-256 (a token is 256 random bits, so a fast hash is enough:
 * there is nothing to guess), with the client's name and the agent it speaks for, which is the
 * principal of its calls. The file is `$WARDEN_HOME/mcp-tokens.json`, mode 0600, replaced
 * atomically on every change; a running gateway rereads it when it changes, so a revoked token
 * stops working on its next request.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { writePrivateFile } from "../private-file.js";

export interface TokenEntry {
  name: string;
  agent: string;
  /** `sha256:<hex>` of the token. */
  hash: string;
  created: string;
  revoked?: string;
}

const PREFIX = "wdn_";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const fileSchema = z.object({
  version: z.literal(1),
  tokens: z.array(
    z.object({
      name: z.string(),
      agent: z.string(),
      hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
      created: z.string(),
      revoked: z.string().optional(),
    }),
  ),
});

export function tokenFile(home?: string): string {
  return join(
    resolve(home ?? process.env.WARDEN_HOME ?? join(homedir(), ".warden")),
    "mcp-tokens.json",
  );
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export class TokenStore {
  private entries: TokenEntry[] = [];
  private stamp: string | null = null;
  private problem: string | null = null;

  constructor(readonly path = tokenFile()) {}

  /** Reads the file if it changed since the last read; a missing file holds no tokens. */
  private load(): void {
    let stamp: string;
    try {
      const stat = statSync(this.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.fail(`cannot read ${this.path}: ${(error as Error).message}`);
        return;
      }
      this.entries = [];
      this.stamp = "missing";
      this.problem = null;
      return;
    }
    if (stamp === this.stamp) return;
    try {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(this.path, "utf8")));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "invalid");
      this.entries = parsed.data.tokens.map((t) => ({ ...t }));
      this.stamp = stamp;
      this.problem = null;
    } catch (error) {
      this.fail(`${this.path} is not a token file: ${(error as Error).message}`);
    }
  }

  /** A file that cannot be read holds no valid token: every request is refused. */
  private fail(problem: string): void {
    this.entries = [];
    this.stamp = null;
    this.problem = problem;
  }

  /** Why no token can be checked (the file is unreadable or corrupt), or null. */
  check(): string | null {
    this.load();
    return this.problem;
  }

  list(): TokenEntry[] {
    this.load();
    if (this.problem !== null) throw new WardenError("MCP_TOKENS_UNREADABLE", this.problem);
    return this.entries.map((e) => ({ ...e }));
  }

  /**
   * The active entry a presented token belongs to, or null. Every active hash is compared, in
   * constant time, whatever matched earlier: timing tells nothing about which bytes were right.
   */
  verify(token: string): TokenEntry | null {
    this.load();
    const presented = digest(token);
    let found: TokenEntry | null = null;
    for (const entry of this.entries) {
      const stored = Buffer.from(entry.hash.slice("sha256:".length), "hex");
      if (timingSafeEqual(stored, presented) && entry.revoked === undefined) found = entry;
    }
    return found;
  }

  /** Makes a token for a new client; the token itself is returned once and never stored. */
  add(name: string, agent = name, now = new Date()): { token: string; entry: TokenEntry } {
    for (const [what, value] of [
      ["name", name],
      ["agent", agent],
    ] as const) {
      if (!NAME.test(value)) {
        throw new WardenError("CLI_USAGE", `token ${what} "${value}" is not valid`, {
          hint: 'use letters, digits, ".", "_", "@" and "-", up to 64 characters',
        });
      }
    }
    const entries = this.list();
    if (entries.some((e) => e.name === name && e.revoked === undefined)) {
      throw new WardenError("MCP_TOKEN_EXISTS", `a token named "${name}" exists`, {
        hint: `revoke it first: warden mcp tokens revoke ${name}`,
      });
    }
    const token = PREFIX + randomBytes(32).toString("base64url");
    const entry: TokenEntry = {
      name,
      agent,
      hash: `sha256:${digest(token).toString("hex")}`,
      created: now.toISOString(),
    };
    this.save([...entries.filter((e) => e.name !== name), entry]);
    return { token, entry };
  }

  revoke(name: string, now = new Date()): TokenEntry {
    const entries = this.list();
    const entry = entries.find((e) => e.name === name && e.revoked === undefined);
    if (entry === undefined) {
      throw new WardenError("MCP_TOKEN_UNKNOWN", `no active token named "${name}"`, {
        hint: "see them with: warden mcp tokens list",
      });
    }
    entry.revoked = now.toISOString();
    this.save(entries);
    return entry;
  }

  private save(entries: TokenEntry[]): void {
    const dir = resolve(this.path, "..");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writePrivateFile(this.path, `${JSON.stringify({ version: 1, tokens: entries }, null, 2)}\n`);
    } catch (error) {
      throw new WardenError(
        "MCP_TOKENS_UNWRITABLE",
        `cannot write ${this.path}: ${(error as Error).message}`,
      );
    }
    this.stamp = null;
  }
}
