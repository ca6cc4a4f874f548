import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "./index.js";

/**
 * A writer is killed with SIGKILL in the middle of a stream of group-committed appends. Every
 * seq it acknowledged (printed after its append resolved) must be in the log, and the log must
 * verify. The child runs the audit module compiled from this source tree, so the test does not
 * depend on a prior build.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Inside the package, so that the child resolves better-sqlite3 from node_modules.
const outDir = join(root, "node_modules", ".cache", "warden-audit-durability");

const CHILD = `
const [moduleUrl, home, syncMs] = process.argv.slice(2);
const { AuditLog } = await import(moduleUrl);
const log = AuditLog.open({ home, autoCheckpoint: { events: 200, ms: 20 }, syncMs: Number(syncMs) });
const inflight = new Set();
for (let i = 0; ; i++) {
  const p = log
    .append({
      kind: "exec",
      pep: "test.durability",
      principal: { agent: "child", user: String(process.pid) },
      target: { command: "step " + i },
    })
    .then((r) => {
      inflight.delete(p);
      process.stdout.write(r.seq + "\\n");
    });
  inflight.add(p);
  if (inflight.size >= 64) await Promise.race(inflight);
}
`;

beforeAll(() => {
  mkdirSync(outDir, { recursive: true });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [
    tsc,
    join(root, "src", "audit", "index.ts"),
    ...["--outDir", outDir, "--rootDir", join(root, "src")],
    ...["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022"],
    ...["--types", "node", "--skipLibCheck", "--strict"],
  ]);
  writeFileSync(join(outDir, "child.mjs"), CHILD);
}, 120_000);

describe("durability", () => {
  // 0: fsync at every commit. 60000: acknowledged once on the WAL, fsync long after the kill;
  // a killed process must lose nothing either way (only a power loss may take that window).
  it.each([0, 60_000])(
    "keeps every acknowledged event when the writer is SIGKILLed mid-stream (syncMs %i)",
    async (syncMs) => {
      const home = mkdtempSync(join(tmpdir(), "warden-durability-"));
      const moduleUrl = pathToFileURL(join(outDir, "audit", "index.js")).href;
      const child = spawn(
        process.execPath,
        [join(outDir, "child.mjs"), moduleUrl, home, String(syncMs)],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      let out = "";
      const exited = new Promise<NodeJS.Signals | null>((done) => {
        child.on("close", (_code, signal) => done(signal));
      });
      await new Promise<void>((ready, fail) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          // Kill once a few hundred acks are out: mid-stream, with appends still in flight.
          if (out.split("\n").length > 600 && !child.killed) {
            child.kill("SIGKILL");
            ready();
          }
        });
        child.on("close", () => fail(new Error(`the writer exited early: ${stderr}`)));
      });
      expect(await exited).toBe("SIGKILL");

      const acked = out
        .split("\n")
        .filter((line) => /^\d+$/.test(line))
        .map(Number);
      expect(acked.length).toBeGreaterThanOrEqual(600);
      const log = AuditLog.open({ home, readonly: true });
      try {
        const size = log.size();
        expect(size).toBeGreaterThanOrEqual(Math.max(...acked) + 1);
        const stored = new Set([...log.events()].map((e) => e.seq));
        expect(acked.filter((seq) => !stored.has(seq))).toEqual([]);
        const result = log.verify();
        expect(result.problems).toEqual([]);
        expect(result).toMatchObject({ ok: true, events: size });
        expect(result.checkpoints).toBeGreaterThan(0);
      } finally {
        log.close();
      }
    },
  );
});
