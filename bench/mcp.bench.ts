/**
 * MCP gateway figures (issue 5), direct and through the gateway in the same run: the SDK's real
 * `Client` calls the `echo` tool of the tiny fixture server (an SDK `McpServer` on stdio) directly,
 * and through the built `warden mcp serve` as its own process (policy decision, `mcp.forward`
 * appended before the upstream acts, `mcp.call` after), which starts its own copy of the server.
 * - added latency: sequential calls, direct and gateway interleaved in blocks so that both see
 *   the same machine load; the difference of the medians;
 * - calls/s: a fixed number of calls with a window in flight, direct and through the gateway.
 * At the end the gateway's audit log must hold both events of every call: the figures are of
 * the audited path.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { AuditLog } from "../src/audit/index.js";
import { cpuMs, report, summarize } from "./report.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const TINY = fileURLToPath(new URL("../../test/mcp/fixtures/tiny-server.mjs", import.meta.url));
const ROUNDS = Number(process.env.BENCH_MCP_ROUNDS ?? 20);
const BLOCK = 100;
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 10_000);
const IN_FLIGHT = 32;

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: bench-mcp, version: "1" }
rules:
  - { id: tiny-echo, kind: mcp.call, allow: ["tiny/echo"] }
  - { id: no-crash, kind: mcp.call, deny: ["tiny/crash"] }
`;

type Call = () => Promise<unknown>;

async function timed(call: Call, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    into.push(performance.now() - t0);
  }
}

async function rate(call: Call, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next++ < n) await call();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function client(command: string, args: string[], env?: Record<string, string>) {
  const c = new Client({ name: "warden-bench", version: "1" });
  const transport = new StdioClientTransport({
    command,
    args,
    ...(env ? { env } : {}),
    stderr: "inherit",
  });
  await c.connect(transport);
  return Object.assign(c, { pid: transport.pid! });
}

function echo(c: Client, tool: string): Call {
  return async () => {
    const result = await c.callTool({ name: tool, arguments: { text: "x" } });
    if (result.isError) throw new Error(`${tool} failed: ${JSON.stringify(result.content)}`);
  };
}

export async function mcpBench(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-mcp-"));
  const home = join(dir, "home");
  const policy = join(dir, "policy.yaml");
  const config = join(dir, "mcp.json");
  writeFileSync(policy, POLICY);
  writeFileSync(
    config,
    JSON.stringify({ mcpServers: { tiny: { command: process.execPath, args: [TINY] } } }),
  );
  const direct = await client(process.execPath, [TINY]);
  const gateway = await client(
    process.execPath,
    [CLI, "mcp", "serve", "--config", config, "--policy", policy, "--agent", "bench"],
    { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", WARDEN_HOME: home },
  );
  let calls = 0;
  try {
    const d = echo(direct, "echo");
    const g0 = echo(gateway, "tiny__echo");
    const g: Call = () => {
      calls++;
      return g0();
    };
    await timed(d, 200, []); // warm up both paths
    await timed(g, 200, []);
    const ds: number[] = [];
    const gs: number[] = [];
    let gatewayCpu = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await timed(d, BLOCK, ds);
      const cpu0 = cpuMs(gateway.pid);
      await timed(g, BLOCK, gs);
      gatewayCpu += cpuMs(gateway.pid) - cpu0;
    }
    const dl = summarize(ds);
    const gl = summarize(gs);
    report({ name: "mcp: tools/call direct p50", value: dl.p50 * 1000, unit: "µs" });
    report({ name: "mcp: tools/call via gateway p50", value: gl.p50 * 1000, unit: "µs" });
    report({ name: "mcp: tools/call via gateway p99", value: gl.p99 * 1000, unit: "µs" });
    report({
      name: "mcp: CPU of the gateway process per call",
      value: (gatewayCpu / (ROUNDS * BLOCK)) * 1000,
      unit: "µs",
    });
    report({
      name: "mcp: latency added by the gateway at p50",
      value: gl.p50 - dl.p50,
      unit: "ms",
      target: { op: "<=", value: 0.5 },
    });

    const dRate = await rate(d, CALLS);
    const gRate = await rate(g, CALLS);
    report({ name: `mcp: calls/s direct (${IN_FLIGHT} in flight)`, value: dRate, unit: "calls/s" });
    report({
      name: `mcp: calls/s via gateway (${IN_FLIGHT} in flight)`,
      value: gRate,
      unit: "calls/s",
      target: { op: ">=", value: 2_000 },
    });
    report({ name: "mcp: via gateway / direct calls/s", value: gRate / dRate, unit: "x" });
  } finally {
    await gateway.close();
    await direct.close();
  }
  // The gateway flushes its log when its stdin closes; the client's close waits for its exit.
  const log = AuditLog.open({ home, readonly: true });
  try {
    const forwarded = log.search({ kind: "mcp.forward", limit: 1 }).length;
    const size = log.size();
    if (forwarded === 0 || size < 2 * calls) {
      throw new Error(`the gateway recorded ${size} events for ${calls} calls (expected 2 each)`);
    }
  } finally {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
