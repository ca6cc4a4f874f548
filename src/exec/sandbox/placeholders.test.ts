import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordPlaceholders, sweepPlaceholders } from "./placeholders.js";

const dir = mkdtempSync(join(tmpdir(), "warden-placeholders-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that existed and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

describe("placeholders", () => {
  it("records this run's placeholders and removes them and the record when released", () => {
    const runDir = join(dir, "a", "run");
    const empty = join(dir, "a", ".cursor");
    mkdirSync(empty, { recursive: true });
    const release = recordPlaceholders(runDir, [empty]);
    const record = JSON.parse(readFileSync(join(runDir, `sandbox-${process.pid}.json`), "utf8"));
    expect(record).toMatchObject({ pid: process.pid, paths: [empty] });
    // A live owner's record is not swept.
    expect(sweepPlaceholders(runDir).removed).toEqual([]);
    expect(existsSync(empty)).toBe(true);
    release();
    expect(existsSync(empty)).toBe(false);
    expect(existsSync(join(runDir, `sandbox-${process.pid}.json`))).toBe(false);
  });

  it("sweeps a dead run's placeholders that are still empty, and keeps what was written", () => {
    const runDir = join(dir, "b", "run");
    const ws = join(dir, "b", "ws");
    mkdirSync(join(ws, ".cursor"), { recursive: true });
    mkdirSync(join(ws, ".codex"), { recursive: true });
    writeFileSync(join(ws, ".codex", "config.toml"), "user's own\n");
    writeFileSync(join(ws, ".mcp.json"), "");
    writeFileSync(join(ws, ".envrc"), "export A=1\n");
    mkdirSync(runDir, { recursive: true });
    const pid = deadPid();
    const paths = [".cursor", ".codex", ".mcp.json", ".envrc"].map((p) => join(ws, p));
    writeFileSync(
      join(runDir, `sandbox-${pid}.json`),
      JSON.stringify({ pid, started: "1", paths }),
    );
    expect(sweepPlaceholders(runDir)).toEqual({
      removed: [join(ws, ".cursor"), join(ws, ".mcp.json")],
      unreadable: [],
    });
    expect(existsSync(join(ws, ".codex", "config.toml"))).toBe(true);
    expect(existsSync(join(ws, ".envrc"))).toBe(true);
    expect(existsSync(join(runDir, `sandbox-${pid}.json`))).toBe(false);
  });

  it("reports a record it cannot read and leaves it alone", () => {
    const runDir = join(dir, "c", "run");
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, "sandbox-1.json"), "{not json");
    writeFileSync(
      join(runDir, "sandbox-2.json"),
      JSON.stringify({ pid: 2, started: "", paths: ["rel"] }),
    );
    expect(sweepPlaceholders(runDir).unreadable.sort()).toEqual([
      join(runDir, "sandbox-1.json"),
      join(runDir, "sandbox-2.json"),
    ]);
    expect(existsSync(join(runDir, "sandbox-1.json"))).toBe(true);
  });

  it("refuses to start when the record cannot be written", () => {
    const home = join(dir, "d");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "run"), "a file where the run directory belongs\n");
    expect(() => recordPlaceholders(join(home, "run"), [join(home, ".cursor")])).toThrow(
      expect.objectContaining({ code: "SANDBOX_STATE" }),
    );
  });
});
