import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../audit/index.js";
import { compilePolicy, type Decision } from "../policy/index.js";
import { DEFAULT_OPTIONS } from "./config.js";
import { CredentialScanner, decideCredentials, withDetected } from "./dlp.js";
import { Gateway } from "./gateway.js";

const TINY = fileURLToPath(new URL("../../test/mcp/fixtures/tiny-server.mjs", import.meta.url));
// Credential-shaped test values, assembled so that no scanner mistakes this file for a leak.
const AWS = ["AKIA", "IOSFODNN7EXAMPLE"].join("");
const HELD = "held-value-93f1";
const held = {
  values: () =>
    new Map([
      ["crm", HELD],
      ["pin", "42"],
    ]),
};

const POLICY = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: dlp-test }
rules:
  - id: echo
    kind: mcp.call
    allow: ["tiny/echo"]
  - id: aws-to-echo
    kind: cred.use
    allow: ["aws_access_key:tiny/echo"]
  - id: crm-needs-a-look
    kind: cred.use
    ask: ["crm:tiny/*"]
    reason: The CRM token leaves Warden only with a human's yes.
`);
const policy = { problem: null, decide: POLICY.decide.bind(POLICY) };

describe("CredentialScanner", () => {
  const scanner = new CredentialScanner(held);

  it("finds held values and credential shapes in keys, strings and numbers, each once", () => {
    expect(
      scanner.scan({ a: [`x${HELD}y`, { [AWS]: 1 }], b: `${AWS} ${AWS}`, n: 7, s: "short 42" }),
    ).toEqual([{ detector: "held", name: "crm" }, { detector: "aws_access_key" }]);
    // "42" is too short to look for: it would match ordinary text.
    expect(scanner.scan({ text: "nothing here", list: [1, 2, null, true] })).toEqual([]);
  });

  it("redacts into a copy, and hands back the value itself when it is clean", () => {
    const clean = { content: [{ type: "text", text: "fine" }] };
    expect(scanner.redact(clean).value).toBe(clean);
    const dirty = { content: [{ type: "text", text: `${HELD} and ${AWS}` }] };
    const { value, found } = scanner.redact(dirty);
    expect(value).toEqual({
      content: [{ type: "text", text: "[REDACTED:secret] and [REDACTED:aws_access_key]" }],
    });
    expect(found).toHaveLength(2);
    expect(dirty.content[0]!.text).toContain(HELD); // the original is untouched
  });
});

describe("decideCredentials", () => {
  const request = (args: Record<string, unknown>) => {
    const scanner = new CredentialScanner(held);
    const detected = scanner.scan(args);
    const r = withDetected(
      {
        kind: "mcp.call" as const,
        principal: { agent: "t" },
        target: { server: "tiny", tool: "echo", args },
      },
      detected,
    );
    return decideCredentials(policy, r, detected, POLICY.decide(r));
  };

  it("keeps the call's decision when every credential may go there", () => {
    const d: Decision = request({ text: AWS });
    expect([d.effect, d.rule]).toEqual(["allow", "echo"]);
  });

  it("takes the stronger cred.use effect, with a reason naming the credential", () => {
    const asked = request({ text: HELD });
    expect([asked.effect, asked.rule]).toEqual(["ask", "crm-needs-a-look"]);
    expect(asked.reason).toBe(
      "the arguments carry Warden's secret crm (cred.use crm:tiny/echo): The CRM token leaves Warden only with a human's yes.",
    );
    const jwt = ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "c2lnbmF0dXJl"].join(".");
    const denied = request({ text: `${HELD} ${jwt}` });
    expect([denied.effect, denied.rule]).toEqual(["deny", null]);
    expect(denied.reason).toContain("a jwt credential (cred.use jwt:tiny/echo)");
    expect(denied.matched).toEqual(["echo", "crm-needs-a-look"]);
  });
});

it("withholds a result that carries a credential when credentialsInResults is block", async () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-dlp-"));
  const audit = AuditLog.open({ home: join(dir, "home"), autoCheckpoint: false });
  const gateway = new Gateway({
    upstreams: [
      { transport: "stdio", name: "tiny", command: process.execPath, args: [TINY], env: {} },
    ],
    options: { ...DEFAULT_OPTIONS, approvalTimeoutMs: 1000, credentialsInResults: "block" },
    policy,
    principal: { agent: "test" },
    audit,
    approvals: () => {
      throw new Error("no approvals in this test");
    },
    requester: null,
    secrets: held,
    log: () => {},
  });
  try {
    await gateway.start();
    const result = await gateway.callTool("tiny__echo", { text: `key ${AWS}` });
    expect(result).toEqual({
      content: [
        {
          type: "text",
          text: "Warden withheld the result of tiny/echo: it carries credentials (aws_access_key)",
        },
      ],
      isError: true,
    });
    expect((await gateway.callTool("tiny__echo", { text: "plain" })).content).toEqual([
      { type: "text", text: "tiny: plain" },
    ]);
    await audit.flush();
    const [event] = audit.search({ pep: "mcp.gateway", kind: "mcp.call", limit: 1 });
    expect(event?.context).toMatchObject({ resultDetected: [{ detector: "aws_access_key" }] });
  } finally {
    await gateway.close();
    audit.close();
  }
});
