/**
 * The record comes before the act: with an audit log that can no longer be written (a real
 * SQLite store filled to its size cap), an allowed call is never forwarded to the real upstream.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { AuditLog } from "../audit/index.js";
import { compilePolicy } from "../policy/index.js";
import { DEFAULT_OPTIONS } from "./config.js";
import { Gateway } from "./gateway.js";

const TINY = fileURLToPath(new URL("../../test/mcp/fixtures/tiny-server.mjs", import.meta.url));
const POLICY = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: forward-test }
rules:
  - id: echo
    kind: mcp.call
    allow: ["tiny/echo"]
`);

async function fill(log: AuditLog): Promise<void> {
  for (const size of [4000, 400, 40, 1]) {
    for (let i = 0; i < 2000; i++) {
      const target = { pad: `${i}${"x".repeat(size)}` };
      const failed = await log
        .append({ kind: "exec", pep: "filler", principal: { agent: "f" }, target })
        .then(() => false)
        .catch(() => true);
      if (failed) break;
    }
  }
}

function gatewayTo(tinyLog: string, audit: Pick<AuditLog, "append">): Gateway {
  return new Gateway({
    upstreams: [
      {
        transport: "stdio",
        name: "tiny",
        command: process.execPath,
        args: [TINY],
        env: { TINY_LOG: tinyLog },
      },
    ],
    options: { ...DEFAULT_OPTIONS, approvalTimeoutMs: 1000, callTimeoutMs: 10_000 },
    policy: { problem: null, decide: (r) => POLICY.decide(r) },
    principal: { agent: "test" },
    audit,
    approvals: () => {
      throw new Error("no approvals in this test");
    },
    requester: null,
    log: () => {},
  });
}

it("does not forward an allowed call when its record cannot be written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-gw-"));
  const tinyLog = join(dir, "tiny.log");
  const audit = AuditLog.open({
    home: join(dir, "home"),
    maxBytes: 256 * 1024,
    autoCheckpoint: false,
  });
  const gateway = gatewayTo(tinyLog, audit);
  try {
    await gateway.start();
    const first = await gateway.callTool("tiny__echo", { text: "recorded" });
    expect(first.isError).not.toBe(true);
    expect(readFileSync(tinyLog, "utf8")).toContain("recorded");

    await fill(audit);
    const second = await gateway.callTool("tiny__echo", { text: "unrecorded" });
    expect(second.isError).toBe(true);
    const shown = JSON.stringify(second.content);
    expect(shown).toContain("not forwarded");
    expect(existsSync(tinyLog) && readFileSync(tinyLog, "utf8")).not.toContain("unrecorded");
    // And from then on nothing is forwarded at all.
    const third = await gateway.callTool("tiny__echo", { text: "later" });
    expect(third.isError).toBe(true);
    expect(readFileSync(tinyLog, "utf8")).not.toContain("later");
  } finally {
    await gateway.close();
    audit.close();
  }
});

it("answers a forwarded call before its outcome is committed, and refuses every call after an outcome cannot be", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-gw-"));
  const tinyLog = join(dir, "tiny.log");
  const home = join(dir, "home");
  const log = AuditLog.open({ home, autoCheckpoint: false });
  // The real log becomes unwritable (closed) as soon as the first call's mcp.forward is on disk,
  // so the outcome that follows it cannot be appended.
  let closeAfterForward = false;
  const gateway = gatewayTo(tinyLog, {
    append: (event, options) => {
      const receipt = log.append(event, options);
      if (closeAfterForward && event.kind === "mcp.forward") receipt.then(() => log.close());
      return receipt;
    },
  });
  try {
    await gateway.start();
    const first = await gateway.callTool("tiny__echo", { text: "one" });
    expect(first.content).toEqual([{ type: "text", text: "tiny: one" }]);
    closeAfterForward = true;
    const second = await gateway.callTool("tiny__echo", { text: "two" });
    // Its act is on record (mcp.forward), so its result is the upstream's.
    expect(second.content).toEqual([{ type: "text", text: "tiny: two" }]);
    const third = await gateway.callTool("tiny__echo", { text: "three" });
    expect(third.isError).toBe(true);
    expect(JSON.stringify(third.content)).toContain("audit log unavailable");
    expect(readFileSync(tinyLog, "utf8")).not.toContain("three");
  } finally {
    await gateway.close();
    log.close();
  }
  const reopened = AuditLog.open({ home, readonly: true });
  try {
    // The first call's outcome rode the second call's mcp.forward commit; the second's was lost
    // with the log, and no call was forwarded after that.
    const kinds = [...reopened.events()].map((e) => e.kind);
    expect(kinds).toEqual(["mcp.forward", "mcp.call", "mcp.forward"]);
  } finally {
    reopened.close();
  }
});
