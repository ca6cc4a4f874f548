/**
 * What the gateway adds to a tools/call, measured in the same run: the SDK Client calling the
 * tiny fixture server directly, and through `warden mcp serve` (decide + audit append + forward).
 */
import { writeFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { connect, sandbox, TINY } from "./harness.js";

const N = 300;
const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: latency }
rules:
  - { id: echo, kind: mcp.call, allow: ["tiny/echo"] }
`;

async function timeCalls(call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await call(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

const at = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

describe("latency", () => {
  it("direct vs through the gateway", async () => {
    const box = sandbox(POLICY, {});
    writeFileSync(
      box.config,
      JSON.stringify({ mcpServers: { tiny: { command: process.execPath, args: [TINY] } } }),
    );
    const direct = new Client({ name: "direct", version: "1" });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [TINY] }));
    const gw = await connect(box);
    try {
      const d = await timeCalls(() => direct.callTool({ name: "echo", arguments: { text: "x" } }));
      const g = await timeCalls(() => gw.call("tiny__echo", { text: "x" }));
      const line = (name: string, s: number[]) =>
        `${name}: p50 ${at(s, 0.5).toFixed(3)} ms, p90 ${at(s, 0.9).toFixed(3)} ms, p99 ${at(s, 0.99).toFixed(3)} ms`;
      console.log(
        `tools/call latency over ${N} sequential calls\n  ${line("direct ", d)}\n  ${line("gateway", g)}\n  added p50: ${(at(g, 0.5) - at(d, 0.5)).toFixed(3)} ms`,
      );
      expect(at(g, 0.5)).toBeLessThan(at(d, 0.5) + 25);
    } finally {
      await gw.close();
      await direct.close();
    }
  });
});
