/**
 * `ask` through the gateway: elicitation when the client can be asked, the approval queue
 * (`warden approvals …` from another process) when it cannot, expiry, self-approval, and grants
 * that cover one exact request only.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  allEvents,
  connect,
  events,
  pending,
  type Sandbox,
  sandbox,
  text,
  tinyServer,
  warden,
} from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: mcp-ask, version: "1" }
defaults: { mcp.call: deny }
rules:
  - id: echo
    kind: mcp.call
    allow: ["tiny/echo"]
  - id: notes-need-a-human
    kind: mcp.call
    ask: ["tiny/write_note"]
    reason: Writing files needs a human.
`;

function setup(warden?: object): Sandbox {
  const box = sandbox(POLICY, {});
  const servers = { tiny: tinyServer(box) };
  const config = { mcpServers: servers, ...(warden ? { warden } : {}) };
  writeFileSync(box.config, JSON.stringify(config));
  return box;
}

const calls = (box: Sandbox, tool: string) =>
  existsSync(box.tinyLog)
    ? readFileSync(box.tinyLog, "utf8")
        .split("\n")
        .filter((l) => l.includes(`"tool":"${tool}"`)).length
    : 0;

/** The rows the poll saw: listing again could find them expired already on a loaded machine. */
async function waitForPending(box: Sandbox, count = 1) {
  let rows: ReturnType<typeof pending> = [];
  const seen = () => {
    rows = pending(box);
    return rows.length;
  };
  await expect.poll(seen, { timeout: 10_000, interval: 25 }).toBe(count);
  return rows;
}

describe("ask through elicitation", () => {
  it("accept forwards the call; decline refuses it; both recorded with the answer", async () => {
    const box = setup();
    const prompts: string[] = [];
    let answer: "accept" | "decline" = "accept";
    const gw = await connect(box, {
      elicit: (message) => {
        prompts.push(message);
        return answer;
      },
    });
    try {
      const note = join(box.dir, "note.txt");
      const ok = await gw.call("tiny__write_note", { path: note, text: "yes" });
      expect(ok.isError).toBeFalsy();
      expect(readFileSync(note, "utf8")).toBe("yes");
      expect(prompts[0]).toContain("tiny/write_note");
      expect(prompts[0]).toContain("Writing files needs a human.");

      answer = "decline";
      const other = join(box.dir, "other.txt");
      const refused = await gw.call("tiny__write_note", { path: other, text: "no" });
      expect(refused.isError).toBe(true);
      expect(text(refused)).toContain("declined by the user");
      expect(text(refused)).toContain("rule notes-need-a-human");
      expect(existsSync(other)).toBe(false);

      const log = (await events(box)).filter(
        (e) => (e.target as { tool: string }).tool === "write_note",
      );
      const states = log.map((e) => [
        e.decision?.effect,
        (e.context as { approval: { state: string } }).approval.state,
      ]);
      expect(states).toEqual([
        ["ask", "requested"],
        ["allow", "accept"],
        ["ask", "requested"],
        ["deny", "decline"],
      ]);
      const digests = log.map(
        (e) => (e.context as { approval: { digest: string } }).approval.digest,
      );
      expect(digests[0]).toBe(digests[1]);
      expect(digests[2]).toBe(digests[3]);
      expect(digests[0]).not.toBe(digests[2]);
    } finally {
      await gw.close();
    }
  });
});

describe("ask through the approval queue", () => {
  it("waits until a human approves from another process, then forwards", async () => {
    const box = setup();
    const gw = await connect(box, { viaShell: true });
    try {
      const note = join(box.dir, "queued.txt");
      const call = gw.call("tiny__write_note", { path: note, text: "approved" });
      const [row] = await waitForPending(box);
      expect(existsSync(note)).toBe(false);
      expect(calls(box, "write_note")).toBe(0);

      const listed = warden(box, ["approvals", "list"]);
      expect(listed.stdout).toContain(row!.id);
      expect(listed.stdout).toContain("tiny/write_note");

      const answered = warden(box, ["approvals", "approve", row!.id, "--json"]);
      expect(answered.stderr).toBe("");
      expect(answered.status).toBe(0);
      expect(JSON.parse(answered.stdout)).toMatchObject({ status: "approved" });

      const result = await call;
      expect(result.isError).toBeFalsy();
      expect(readFileSync(note, "utf8")).toBe("approved");

      // request, answer, forwarding and outcome: four events linked by the digest.
      const linked = (await allEvents(box)).filter((e) => JSON.stringify(e).includes(row!.digest));
      expect(linked.map((e) => `${e.pep} ${e.kind}`)).toEqual([
        "mcp.gateway mcp.call",
        "cli.approvals approval",
        "mcp.gateway mcp.forward",
        "mcp.gateway mcp.call",
      ]);
      linked.splice(2, 1);
      const answer = linked[1]!;
      expect(answer.principal.user).toBe(userInfo().username);
      expect(answer.context).toMatchObject({ answer: "approved" });
      expect(linked[2]?.decision?.effect).toBe("allow");
      expect(linked[2]?.context).toMatchObject({ outcome: "ok", approval: { via: "queue" } });

      // Answered already: a second answer is refused.
      expect(warden(box, ["approvals", "deny", row!.id]).stderr).toContain("APPROVAL_ANSWERED");
    } finally {
      await gw.close();
    }
  });

  it("refuses a self-approval, and an unanswered call expires as deny", async () => {
    const box = setup({ approvalTimeout: "1500ms" });
    // Started directly by this test process: the test process is the requesting agent.
    const gw = await connect(box);
    try {
      const note = join(box.dir, "self.txt");
      const call = gw.call("tiny__write_note", { path: note, text: "self" });
      const [row] = await waitForPending(box);
      const self = warden(box, ["approvals", "approve", row!.id]);
      expect(self.status).toBe(1);
      expect(self.stderr).toContain("APPROVAL_SELF");

      const result = await call;
      expect(result.isError).toBe(true);
      expect(text(result)).toContain("no answer within");
      expect(existsSync(note)).toBe(false);
      expect(pending(box)).toEqual([]);
      const final = (await events(box)).at(-1);
      expect(final?.decision?.effect).toBe("deny");
      expect(final?.context).toMatchObject({ approval: { state: "expired" } });
      expect(warden(box, ["approvals", "approve", row!.id]).stderr).toContain("APPROVAL_");
    } finally {
      await gw.close();
    }
  });

  it("a grant covers the exact request only: an edited call is asked again", async () => {
    const box = setup();
    const gw = await connect(box, { viaShell: true });
    try {
      const note = join(box.dir, "granted.txt");
      const first = gw.call("tiny__write_note", { path: note, text: "same" });
      const [row] = await waitForPending(box);
      expect(warden(box, ["approvals", "approve", row!.id, "--uses", "2"]).status).toBe(0);
      expect((await first).isError).toBeFalsy();

      // The identical call again: granted by the earlier approval, no new request.
      const again = await gw.call("tiny__write_note", { path: note, text: "same" });
      expect(again.isError).toBeFalsy();
      expect(calls(box, "write_note")).toBe(2);
      expect(pending(box)).toEqual([]);

      // An edited call is a new request, even with a use left on the grant.
      const edited = gw.call("tiny__write_note", { path: note, text: "edited" });
      const [second] = await waitForPending(box);
      expect(second!.id).not.toBe(row!.id);
      expect(second!.digest).not.toBe(row!.digest);
      const denied = warden(box, ["approvals", "deny", second!.id, "--reason", "not this text"]);
      expect(denied.status).toBe(0);
      const refused = await edited;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toContain("not this text");
      expect(readFileSync(note, "utf8")).toBe("same");
      expect(calls(box, "write_note")).toBe(2);
    } finally {
      await gw.close();
    }
  });
});
