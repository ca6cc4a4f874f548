/**
 * `warden run -- true` side by side (issue 4, "Performance"): the median wall time of the built
 * `warden run -- true` against Anthropic's sandbox-runtime (`srt true`) with an equivalent
 * configuration — the same workspace writable, `~/.ssh` unreadable, network to one allowed host
 * through the runtime's own proxy — and against a bare `bwrap … true` (the floor both build on).
 * The runs are interleaved so that all see the same machine load. `warden run` with the Landlock
 * fallback is shown for comparison. srt needs socat and ripgrep (apt-get install socat ripgrep).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { median, report } from "./report.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const SRT = fileURLToPath(
  new URL("../../node_modules/@anthropic-ai/sandbox-runtime/dist/cli.js", import.meta.url),
);
const RUNS = Math.max(5, Number(process.env.BENCH_SANDBOX_RUNS ?? 15));
const ALLOWED_HOST = "registry.npmjs.org";

interface Timed {
  ms: number;
  status: number | null;
  stderr: string;
}

function timed(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Timed {
  const t0 = performance.now();
  const r = spawnSync(file, args, { env, cwd, encoding: "utf8" });
  return { ms: performance.now() - t0, status: r.status, stderr: r.stderr ?? String(r.error) };
}

export async function sandboxBench(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  // Not under /tmp: every sandbox here gives the command a private /tmp, which would hide HOME.
  const root = realpathSync(mkdtempSync("/var/tmp/warden-sandbox-bench-"));
  try {
    const ws = join(root, "ws");
    const home = join(root, "home");
    mkdirSync(ws);
    mkdirSync(join(home, ".ssh"), { recursive: true });
    writeFileSync(join(home, ".ssh", "id_rsa"), "not a key\n");
    const policy = join(root, "policy.yaml");
    writeFileSync(
      policy,
      `apiVersion: warden/v1
kind: Policy
metadata: { name: sandbox-bench, version: "1" }
defaults: { exec: allow, fs.read: allow, fs.write: allow, net.connect: deny, cred.use: deny }
rules:
  - id: secrets
    kind: fs.read
    deny: ["~/.ssh/**"]
  - id: registry
    kind: net.connect
    allow: ["${ALLOWED_HOST}:443"]
`,
    );
    const srtSettings = join(root, "srt.json");
    writeFileSync(
      srtSettings,
      JSON.stringify({
        network: { allowedDomains: [ALLOWED_HOST], deniedDomains: [] },
        filesystem: { denyRead: [join(home, ".ssh")], allowWrite: [ws], denyWrite: [] },
      }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      WARDEN_HOME: join(root, "warden"),
    };
    const variants: { name: string; file: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
      {
        name: "warden run -- true (bwrap)",
        file: process.execPath,
        args: [CLI, "run", "--policy", policy, "--workspace", ws, "--", "true"],
        env,
      },
      {
        name: "srt true",
        file: process.execPath,
        args: [SRT, "--settings", srtSettings, "true"],
        env,
      },
      {
        name: "bwrap … true (bare)",
        file: process.env.WARDEN_BWRAP ?? "bwrap",
        args: [
          ...["--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/"],
          ...["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--bind", ws, ws, "true"],
        ],
        env,
      },
      {
        name: "warden run -- true (Landlock)",
        file: process.execPath,
        args: [CLI, "run", "--policy", policy, "--workspace", ws, "--", "true"],
        env: { ...env, WARDEN_SANDBOX: "landlock" },
      },
    ];
    const samples = variants.map(() => [] as number[]);
    const broken = new Map<string, string>();
    for (let i = 0; i < RUNS; i++) {
      variants.forEach((v, k) => {
        if (broken.has(v.name)) return;
        const r = timed(v.file, v.args, v.env, ws);
        if (r.status !== 0)
          broken.set(v.name, r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`);
        else samples[k]?.push(r.ms);
      });
    }
    const medians = variants.map((_, k) => median(samples[k] ?? []));
    variants.forEach((v, k) => {
      if (broken.has(v.name))
        process.stdout.write(`${v.name.padEnd(52)} cannot run: ${broken.get(v.name)}\n`);
      else report({ name: `${v.name}, median`, value: medians[k] ?? Number.NaN, unit: "ms" });
    });
    const [warden, srt, bwrap, landlock] = medians as [number, number, number, number];
    if (!broken.has(variants[0]!.name) && !broken.has(variants[1]!.name)) {
      report({
        name: "warden run / srt (same run)",
        value: warden / srt,
        unit: "x",
        target: { op: "<=", value: 1 },
      });
    }
    if (!broken.has(variants[0]!.name) && !broken.has(variants[2]!.name)) {
      report({ name: "warden run / bare bwrap (same run)", value: warden / bwrap, unit: "x" });
    }
    if (!broken.has(variants[3]!.name) && !broken.has(variants[1]!.name)) {
      report({ name: "warden run (Landlock) / srt (same run)", value: landlock / srt, unit: "x" });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
