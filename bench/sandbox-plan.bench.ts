/**
 * The `warden run` plan on a big workspace (issue 4, "hide secrets below the top level"): every
 * entry of the workspace is probed against fs.read before the sandbox starts. The figure is the
 * median time of planSandbox on a generated tree (monorepo-like: packages of sources, a
 * node_modules the walk skips) and HOME (dot-directories of tools and configs, projects beside
 * the workspace: walked to HOME's own bound) beside the median of a bare recursive readdir of the
 * same trees (node_modules skipped too), interleaved in the same run.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { planSandbox } from "../src/exec/sandbox/index.js";
import { compilePolicy } from "../src/policy/index.js";
import { median, report } from "./report.js";

const RUNS = Number(process.env.BENCH_SANDBOX_RUNS ?? 7);

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: bench-sandbox, version: "1" }
rules:
  - id: secrets
    kind: fs.read
    deny: ["~/.ssh/**", "~/.aws/**", "~/.config/hub/**", "**/.env", "**/.env.*", "**/*.pem", "**/*.key"]
`;

/** 20 packages x 25 modules x 40 files, plus 200 vendored packages: ~21,000 entries walked. */
function makeTree(ws: string): void {
  for (let p = 0; p < 20; p++) {
    for (let m = 0; m < 25; m++) {
      const dir = join(ws, "packages", `p${p}`, "src", `m${m}`);
      mkdirSync(join(dir, "deep"), { recursive: true });
      for (let f = 0; f < 20; f++) {
        writeFileSync(join(dir, `f${f}.ts`), "");
        writeFileSync(join(dir, "deep", `g${f}.ts`), "");
      }
    }
  }
  writeFileSync(join(ws, "packages", "p3", ".env"), "");
  for (let i = 0; i < 200; i++) {
    const dir = join(ws, "node_modules", `pkg${i}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(join(dir, `f${f}.js`), "");
  }
}

/** ~3,000 entries, 5 levels deep at most (inside HOME's walk bound), two secrets below the top. */
function makeHome(home: string): void {
  for (const tool of [".local/state/app", ".local/share/app", ".config/editor", ".npm/_logs"]) {
    for (let d = 0; d < 10; d++) {
      const dir = join(home, tool, `d${d}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 30; f++) writeFileSync(join(dir, `f${f}`), "");
    }
  }
  for (let p = 0; p < 10; p++) {
    const dir = join(home, "code", `proj${p}`, "src");
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 150; f++) writeFileSync(join(dir, `f${f}.ts`), "");
  }
  mkdirSync(join(home, ".config", "hub"), { recursive: true });
  writeFileSync(join(home, ".config", "hub", "token"), "");
  writeFileSync(join(home, "code", "proj7", ".env"), "");
}

function bareWalk(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    n++;
    if (e.isDirectory() && e.name !== "node_modules") n += bareWalk(join(dir, e.name));
  }
  return n;
}

export function sandboxPlanBench(): void {
  const root = mkdtempSync(join(tmpdir(), "warden-sandbox-bench-"));
  try {
    const ws = join(root, "ws");
    const home = join(root, "home");
    makeTree(ws);
    makeHome(home);
    const policy = compilePolicy(POLICY);
    const plan = () =>
      planSandbox({
        policy,
        principal: { agent: "bench", session: "s" },
        workspace: ws,
        cwd: ws,
        command: ["true"],
        env: { HOME: home, PATH: "/usr/bin" },
        home,
      });
    const bare: number[] = [];
    const planned: number[] = [];
    let entries = 0;
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      entries = bareWalk(ws) + bareWalk(home);
      bare.push(performance.now() - t0);
      t0 = performance.now();
      const p = plan();
      planned.push(performance.now() - t0);
      const expected = [
        join(ws, "packages", "p3", ".env"),
        join(home, ".config", "hub"),
        join(home, "code", "proj7", ".env"),
      ];
      if (!expected.every((path) => p.hidden.includes(path)))
        throw new Error(`sandbox bench: not every secret was found: ${p.hidden.join(" ")}`);
      if (p.workspaceScan.truncated || p.homeScan.truncated)
        throw new Error("sandbox bench: a walk was cut short");
    }
    report({
      name: `sandbox plan, workspace and HOME of ${entries} entries (bare readdir)`,
      value: median(bare),
      unit: "ms",
    });
    report({
      name: "sandbox plan, same trees walked and probed",
      value: median(planned),
      unit: "ms",
    });
    // A ratio to the bare walk in the same run holds up under machine load; milliseconds do not.
    report({
      name: "sandbox plan / bare readdir",
      value: median(planned) / median(bare),
      unit: "x",
      target: { op: "<=", value: 10 },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
