/** `warden audit …`: checkpoints, verification, proofs and search over the local audit log. */
import { createWriteStream, readFileSync } from "node:fs";
import {
  type AuditEvent,
  AuditLog,
  type AuditQuery,
  type ConsistencyProof,
  type InclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from "../audit/index.js";
import { WardenError } from "../errors.js";
import { describeTarget } from "./describe.js";
import { EXIT, formatTable, parseCount, parseTime, printJson, truncate } from "./output.js";

function withLog<T>(fn: (log: AuditLog) => T): T {
  const log = AuditLog.open();
  try {
    return fn(log);
  } finally {
    log.close();
  }
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new WardenError("CLI_UNREADABLE", `cannot read ${what} ${path}: ${message}`);
  }
}

export function checkpoint(options: { json?: boolean }): number {
  const cp = withLog((log) => log.checkpoint());
  if (options.json) printJson(cp);
  else process.stdout.write(cp.text);
  return EXIT.ok;
}

export function pubkey(): number {
  process.stdout.write(`${withLog((log) => log.verifierKey())}\n`);
  return EXIT.ok;
}

export function verify(options: {
  checkpoint?: string[];
  pubkey?: string;
  json?: boolean;
}): number {
  const checkpoints = (options.checkpoint ?? []).map((f) => readFile(f, "checkpoint"));
  const verifierKey = options.pubkey ? readFile(options.pubkey, "verifier key").trim() : undefined;
  const progress = !options.json && process.stderr.isTTY;
  const result = withLog((log) =>
    log.verify({
      checkpoints,
      ...(verifierKey ? { verifierKey } : {}),
      ...(progress
        ? {
            onProgress: (done: number, total: number) =>
              process.stderr.write(`\rverifying ${done}/${total} events`),
          }
        : {}),
    }),
  );
  if (progress) process.stderr.write("\r\x1b[K");
  if (options.json) {
    printJson(result);
    return result.ok ? EXIT.ok : EXIT.failure;
  }
  if (result.ok) {
    const rate =
      result.ms > 0 ? ` (${Math.round(result.events / (result.ms / 1000))} events/s)` : "";
    process.stdout.write(
      `ok: ${result.events} events, ${result.checkpoints} checkpoints verified in ${result.ms.toFixed(0)} ms${rate}\n`,
    );
    if (result.uncovered > 0) {
      process.stdout.write(
        `note: the last ${result.uncovered} events are not yet under a signed checkpoint; run \`warden audit checkpoint\`\n`,
      );
    }
    return EXIT.ok;
  }
  const [first] = result.problems;
  process.stdout.write(
    `TAMPERED: ${first?.seq !== undefined ? `first bad entry is seq ${first.seq}: ` : ""}${first?.message ?? "unknown problem"}\n`,
  );
  for (const p of result.problems.slice(1)) {
    process.stdout.write(
      `  also ${p.code}${p.seq !== undefined ? ` at seq ${p.seq}` : ""}: ${p.message}\n`,
    );
  }
  return EXIT.failure;
}

export function prove(
  seq: string | undefined,
  options: { consistency?: string[]; size?: string },
): number {
  const proof: InclusionProof | ConsistencyProof = withLog((log) => {
    if (options.consistency) {
      const [oldSize, newSize] = options.consistency;
      if (oldSize === undefined) {
        throw new WardenError("CLI_USAGE", "--consistency needs OLD [NEW] tree sizes");
      }
      return log.proveConsistency(
        parseCount(oldSize, "OLD"),
        newSize === undefined ? undefined : parseCount(newSize, "NEW"),
      );
    }
    if (seq === undefined) {
      throw new WardenError("CLI_USAGE", "name the event: `warden audit prove SEQ`", {
        hint: "or prove the log only grew: `warden audit prove --consistency OLD NEW`",
      });
    }
    const size = options.size === undefined ? undefined : parseCount(options.size, "--size");
    return log.proveInclusion(parseCount(seq, "SEQ"), size);
  });
  printJson(proof);
  return EXIT.ok;
}

/** Checks a proof with nothing but the proof, checkpoint(s) and verifier key: no store needed. */
export function checkProof(
  proofFile: string,
  options: { checkpoint: string[]; pubkey: string; json?: boolean },
): number {
  const proof = JSON.parse(readFile(proofFile, "proof")) as InclusionProof | ConsistencyProof;
  const key = readFile(options.pubkey, "verifier key").trim();
  const checkpoints = options.checkpoint.map((f) => readFile(f, "checkpoint"));
  if (proof.type === "inclusion") {
    const [cp] = checkpoints;
    if (cp === undefined)
      throw new WardenError("CLI_USAGE", "an inclusion proof needs --checkpoint");
    verifyInclusionProof(proof, cp, key);
    process.stdout.write(`ok: event ${proof.seq} is in the log of size ${proof.treeSize}\n`);
  } else if (proof.type === "consistency") {
    const [oldCp, newCp] = checkpoints;
    if (oldCp === undefined || newCp === undefined) {
      throw new WardenError("CLI_USAGE", "a consistency proof needs two --checkpoint (old, new)");
    }
    verifyConsistencyProof(proof, oldCp, newCp, key);
    process.stdout.write(
      `ok: the log of size ${proof.newSize} extends the one of size ${proof.oldSize}\n`,
    );
  } else {
    throw new WardenError(
      "CLI_BAD_PROOF",
      `${proofFile} is not a proof from \`warden audit prove\``,
    );
  }
  return EXIT.ok;
}

export interface SearchOptions {
  kind?: string;
  effect?: string;
  agent?: string;
  user?: string;
  rule?: string;
  pep?: string;
  since?: string;
  until?: string;
  text?: string;
  limit?: string;
  json?: boolean;
}

export function queryOf(options: SearchOptions): AuditQuery {
  const query: AuditQuery = { order: "asc" };
  for (const key of ["kind", "effect", "agent", "user", "rule", "pep", "text"] as const) {
    if (options[key] !== undefined) query[key] = options[key];
  }
  if (options.effect && !["allow", "ask", "deny"].includes(options.effect)) {
    throw new WardenError(
      "CLI_USAGE",
      `--effect must be allow, ask or deny, got "${options.effect}"`,
    );
  }
  if (options.since) query.since = parseTime(options.since);
  if (options.until) query.until = parseTime(options.until);
  if (options.limit) query.limit = parseCount(options.limit, "--limit");
  return query;
}

export function printEvents(events: AuditEvent[], json: boolean | undefined): void {
  if (json) {
    for (const e of events) process.stdout.write(`${JSON.stringify(e)}\n`);
    return;
  }
  const rows = events.map((e) => [
    String(e.seq),
    e.time.replace("T", " ").replace("Z", ""),
    e.kind,
    e.decision?.effect ?? "-",
    e.principal.agent + (e.principal.user ? `/${e.principal.user}` : ""),
    e.decision?.rule ?? "-",
    truncate(describeTarget(e.kind, e.target), 60),
  ]);
  process.stdout.write(
    `${formatTable(["SEQ", "TIME", "KIND", "EFFECT", "AGENT", "RULE", "TARGET"], rows)}\n`,
  );
}

export function search(options: SearchOptions): number {
  const query = queryOf(options);
  query.limit ??= 100;
  const events = withLog((log) => log.search(query));
  printEvents(events, options.json);
  if (!options.json && events.length === query.limit) {
    process.stderr.write(`(showing the first ${query.limit}; use --limit to see more)\n`);
  }
  return EXIT.ok;
}

export async function tail(
  options: SearchOptions & { lines?: string; follow?: boolean },
): Promise<number> {
  const log = AuditLog.open();
  try {
    const n = options.lines ? parseCount(options.lines, "--lines") : 20;
    if (n > 0) {
      const query = { ...queryOf(options), order: "desc" as const, limit: n };
      printEvents(log.search(query).reverse(), options.json);
    }
    if (!options.follow) return EXIT.ok;
    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    process.once("SIGTERM", () => stop.abort());
    const filter = queryOf(options);
    const from = log.size();
    process.stderr.write(`(following from event ${from}; Ctrl-C stops)\n`);
    for await (const event of log.follow(from, stop.signal)) {
      if (matches(event, filter)) printEvents([event], options.json);
    }
    return EXIT.ok;
  } finally {
    log.close();
  }
}

function matches(e: AuditEvent, q: AuditQuery): boolean {
  if (q.kind && e.kind !== q.kind) return false;
  if (q.effect && e.decision?.effect !== q.effect) return false;
  if (q.agent && e.principal.agent !== q.agent) return false;
  if (q.user && e.principal.user !== q.user) return false;
  if (q.rule && e.decision?.rule !== q.rule) return false;
  if (q.pep && e.pep !== q.pep) return false;
  if (q.text && !JSON.stringify(e).includes(q.text)) return false;
  return true;
}

export async function exportEvents(options: { format?: string; output?: string }): Promise<number> {
  if (options.format && options.format !== "jsonl") {
    throw new WardenError("CLI_USAGE", `unknown export format "${options.format}"`, {
      hint: "the export format is jsonl: one canonical event per line",
    });
  }
  const out = options.output ? createWriteStream(options.output) : process.stdout;
  const log = AuditLog.open();
  let count = 0;
  try {
    for (const event of log.events(0)) {
      if (!out.write(`${JSON.stringify(event)}\n`)) {
        await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      }
      count++;
    }
  } finally {
    log.close();
  }
  if (options.output) {
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      (out as ReturnType<typeof createWriteStream>).end(() => resolve());
    });
    process.stderr.write(`exported ${count} events to ${options.output}\n`);
  }
  return EXIT.ok;
}
