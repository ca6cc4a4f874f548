/**
 * Hook start-up (issue 3, "Performance"): a hook call is a process start per agent tool call, so
 * the figure is the median wall time of the built `warden hook claude-code` on a typical payload
 * against the median of `node -e 0` in the same run, the runs interleaved so that both see the
 * same machine load. Payloads: a Bash call (`git status`, decided through the bash grammar) and
 * a Read call. The warm path is what an agent session sees after its first call (the daemon the
 * first call starts); the in-process path (WARDEN_DAEMON=0) is shown for comparison.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { median, report } from "./report.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const RUNS = Math.max(20, Number(process.env.BENCH_HOOK_RUNS ?? 30));
const IN_PROCESS_RUNS = Number(process.env.BENCH_HOOK_IN_PROCESS_RUNS ?? 10);

interface Run {
  ms: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv, input = "", cwd?: string): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, input, cwd, encoding: "utf8" });
  const ms = performance.now() - t0;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectAllow(r: Run, what: string): void {
  if (r.status !== 0 || !r.stdout.includes('"permissionDecision":"allow"'))
    throw new Error(`${what}: expected allow, got exit ${r.status}: ${r.stdout}${r.stderr}`);
}

export async function hookBench(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const root = realpathSync(mkdtempSync(join(tmpdir(), "warden-hook-bench-")));
  try {
    const home = join(root, "home");
    const work = join(root, "work");
    mkdirSync(work);
    const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_HOME: home, HOME: join(root, "user") };
    for (const key of ["WARDEN_POLICY", "WARDEN_DAEMON", "WARDEN_TEST_HOOK_FAULT"]) delete env[key];
    const init = run([CLI, "init"], env);
    if (init.status !== 0) throw new Error(`warden init failed: ${init.stderr}`);

    const payload = (tool_name: string, tool_input: unknown) =>
      JSON.stringify({
        session_id: "s",
        transcript_path: "/tmp/t",
        cwd: work,
        hook_event_name: "PreToolUse",
        tool_name,
        tool_input,
      });
    const bash = payload("Bash", { command: "git status" });
    const read = payload("Read", { file_path: join(work, "README.md") });
    const hook = [CLI, "hook", "claude-code"];

    // The first call starts the daemon; wait until it answers (WARDEN_DAEMON=required denies
    // when it does not).
    expectAllow(run(hook, env, bash, work), "first hook call");
    const ready = performance.now() + 30_000;
    for (;;) {
      const r = run(hook, { ...env, WARDEN_DAEMON: "required" }, bash, work);
      if (r.status === 0) break;
      if (performance.now() > ready) throw new Error(`the daemon never answered: ${r.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const node: number[] = [];
    const warmBash: number[] = [];
    const warmRead: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(run(["-e", "0"], env).ms);
      const b = run(hook, env, bash, work);
      expectAllow(b, "Bash hook call");
      warmBash.push(b.ms);
      const r = run(hook, env, read, work);
      expectAllow(r, "Read hook call");
      warmRead.push(r.ms);
    }
    const coldEnv = { ...env, WARDEN_DAEMON: "0" };
    const coldNode: number[] = [];
    const coldBash: number[] = [];
    const coldRead: number[] = [];
    for (let i = 0; i < IN_PROCESS_RUNS; i++) {
      coldNode.push(run(["-e", "0"], env).ms);
      const b = run(hook, coldEnv, bash, work);
      expectAllow(b, "in-process Bash hook call");
      coldBash.push(b.ms);
      const r = run(hook, coldEnv, read, work);
      expectAllow(r, "in-process Read hook call");
      coldRead.push(r.ms);
    }

    const base = median(node);
    report({ name: `node -e 0 (${RUNS} runs, interleaved)`, value: base, unit: "ms" });
    for (const [tool, samples] of [
      ["Bash git status", warmBash],
      ["Read", warmRead],
    ] as const) {
      const m = median(samples);
      report({ name: `warden hook claude-code, ${tool}`, value: m, unit: "ms" });
      report({
        name: `  ${tool} / node -e 0 (ratio of medians)`,
        value: m / base,
        unit: "×",
        target: { op: "<=", value: 1.5 },
      });
    }
    if (IN_PROCESS_RUNS > 0) {
      const coldBase = median(coldNode);
      for (const [tool, samples] of [
        ["Bash", coldBash],
        ["Read", coldRead],
      ] as const) {
        report({
          name: `  in process (no daemon), ${tool} / node -e 0`,
          value: median(samples) / coldBase,
          unit: "×",
        });
      }
    }
  } finally {
    // The daemon exits within seconds once its socket is gone.
    rmSync(root, { recursive: true, force: true });
  }
}
