/**
 * `warden secrets set|list|rm`: the values the MCP gateway injects into upstreams
 * (`${secret:NAME}` in an mcpServers config). A value never travels as an argument, where `ps`
 * and shell history would keep it: `set` reads it from a pipe, a no-echo prompt or a named
 * environment variable. Every change is an audit event that names the secret, never its value;
 * the event is written before the store changes, so no change goes unrecorded.
 */
import { userInfo } from "node:os";
import { AuditLog } from "../audit/index.js";
import { checkSecretName, SecretStore } from "../creds/index.js";
import { WardenError } from "../errors.js";
import { EXIT, formatTable } from "./output.js";

const PEP = "cli.secrets";

export async function set(name: string, options: { fromEnv?: string }): Promise<number> {
  checkSecretName(name); // before asking for a value
  const value = options.fromEnv !== undefined ? fromEnv(options.fromEnv) : await readValue(name);
  const store = SecretStore.open();
  const created = changed(name, "set", () => store.set(name, value), {
    source:
      options.fromEnv !== undefined
        ? `env ${options.fromEnv}`
        : process.stdin.isTTY
          ? "prompt"
          : "stdin",
  });
  process.stderr.write(`${created ? "stored" : "replaced"} secret ${name}\n`);
  return EXIT.ok;
}

export function rm(name: string): number {
  checkSecretName(name);
  const store = SecretStore.open();
  changed(name, "rm", () => store.remove(name));
  process.stderr.write(`removed secret ${name}\n`);
  return EXIT.ok;
}

export function list(options: { json?: boolean }): number {
  const secrets = SecretStore.open().list();
  if (options.json) {
    for (const s of secrets) {
      process.stdout.write(
        `${JSON.stringify({ name: s.name, created: iso(s.createdMs), updated: iso(s.updatedMs) })}\n`,
      );
    }
    return EXIT.ok;
  }
  if (secrets.length === 0) {
    process.stdout.write("no secrets (add one with: warden secrets set NAME)\n");
    return EXIT.ok;
  }
  const rows = secrets.map((s) => [s.name, iso(s.createdMs), iso(s.updatedMs)]);
  process.stdout.write(`${formatTable(["NAME", "CREATED", "UPDATED"], rows)}\n`);
  return EXIT.ok;
}

/** Records the change, then makes it; a change that fails is recorded as failed too. */
function changed<T>(
  name: string,
  change: "set" | "rm",
  act: () => T,
  context: Record<string, unknown> = {},
): T {
  const log = AuditLog.open();
  const event = (outcome: Record<string, unknown>) =>
    log.appendSync({
      kind: "secret.change",
      pep: PEP,
      principal: { agent: "cli", user: userInfo().username },
      target: { name },
      context: { change, ...context, ...outcome },
    });
  try {
    event({});
    try {
      return act();
    } catch (error) {
      event({ outcome: "failed", error: error instanceof WardenError ? error.code : "internal" });
      throw error;
    }
  } finally {
    log.close();
  }
}

function fromEnv(variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value === "") {
    throw new WardenError("CREDS_EMPTY_VALUE", `environment variable ${variable} is not set`);
  }
  return value;
}

async function readValue(name: string): Promise<string> {
  const value = process.stdin.isTTY ? await prompt(`value for ${name}: `) : await readPipe();
  if (value === "") {
    throw new WardenError("CREDS_EMPTY_VALUE", `no value for ${name} was given`, {
      hint: "pipe it in (warden secrets set NAME < file), type it at the prompt, or use --from-env VAR",
    });
  }
  return value;
}

/** The whole of stdin, without the one line ending `echo` or a file adds. */
async function readPipe(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Reads one line from the terminal with echo off. */
function prompt(question: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows: whatever is typed once it is visible stays unseen.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n" || char === "\u0004") return done();
        if (char === "\u0003") {
          return done(new WardenError("CLI_ABORTED", "cancelled; nothing was stored"));
        }
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on("data", onData);
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
