/**
 * tools/call on the gateway's own JSON-RPC path (agent-calls.ts, raw-requests.ts): the answers
 * of an upstream are believed only when they are well-formed answers to the call, a cancelled
 * call is cancelled upstream too, progress reaches the agent under its own token, and results
 * are screened for credentials as on every other path. The agent is the SDK's real Client; the
 * upstream is the odd fixture server.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, connect, events, ODD, sandbox, text } from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: fast, version: "1" }
defaults: { mcp.call: deny }
rules:
  - { id: odd, kind: mcp.call, allow: ["odd/*"] }
`;

describe("tools/call on the gateway's own path", () => {
  let box: ReturnType<typeof sandbox>;
  let oddLog: string;
  let gw: Connected;

  beforeAll(async () => {
    oddLog = join(mkdtempSync(join(tmpdir(), "warden-odd-")), "odd.log");
    box = sandbox(
      POLICY,
      { odd: { command: process.execPath, args: [ODD], env: { ODD_LOG: oddLog } } },
      { callTimeout: "1500ms" },
    );
    gw = await connect(box);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("ignores an answer under another id: the call times out, the stray answer never shows", async () => {
    const result = await gw.call("odd__wrong_id");
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/timed out/i);
    expect(text(result)).not.toContain("under the wrong id");
    expect(text(await gw.call("odd__echo", { text: "next" }))).toBe("odd: next");
  });

  it("fails a call whose answer is not a JSON-RPC result at once, and keeps serving", async () => {
    const result = await gw.call("odd__bad_answer");
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('upstream "odd" failed');
    expect(text(result)).toContain("malformed answer: the result is not an object");
    expect(text(await gw.call("odd__echo", { text: "after" }))).toBe("odd: after");
  });

  it("fails a call whose upstream dies halfway through the answer, then reopens it", async () => {
    const result = await gw.call("odd__torn");
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/upstream "odd" (failed: .*Connection closed|is unavailable)/);
    await expect
      .poll(async () => text(await gw.call("odd__echo", { text: "back" })), { timeout: 10_000 })
      .toBe("odd: back");
  });

  it("passes the upstream's progress to the agent under the agent's own token", async () => {
    const seen: Progress[] = [];
    const controller = new AbortController();
    const call = gw.client.callTool({ name: "odd__progress", arguments: {} }, undefined, {
      signal: controller.signal,
      onprogress: (progress) => {
        seen.push(progress);
        if (seen.length === 2) controller.abort("seen enough");
      },
    });
    await expect(call).rejects.toThrow(/seen enough/);
    expect(seen).toEqual([
      { progress: 1, total: 2, message: "half" },
      { progress: 2, total: 2, message: "all" },
    ]);
  });

  it("cancels the upstream's call when the agent cancels, and records the call as failed", async () => {
    const controller = new AbortController();
    const call = gw.client.callTool({ name: "odd__wait_cancel", arguments: {} }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort("the user pressed stop"),
    });
    await expect(call).rejects.toThrow(/the user pressed stop/);
    await expect
      .poll(() => (existsSync(oddLog) ? readFileSync(oddLog, "utf8") : ""))
      .toContain("cancelled: the user pressed stop");
    expect(text(await gw.call("odd__echo", { text: "still" }))).toBe("odd: still");
  });

  it("redacts a credential in a result", async () => {
    expect(text(await gw.call("odd__leak"))).toBe("key [REDACTED:aws_access_key] here");
  });

  it("audits each of them with its outcome", async () => {
    const outcome = (tool: string) =>
      events(box).then((all) =>
        all
          .filter((e) => (e.target as { tool: string }).tool === tool)
          .map((e) => e.context?.outcome),
      );
    for (const tool of ["wrong_id", "bad_answer", "torn", "progress", "wait_cancel"]) {
      expect(await outcome(tool)).toEqual(["error"]);
    }
    const leak = (await events(box)).find((e) => (e.target as { tool: string }).tool === "leak");
    expect(leak?.context).toMatchObject({
      outcome: "ok",
      resultDetected: [{ detector: "aws_access_key" }],
    });
  });
});
