import { describe, expect, it } from "vitest";
import { canonicalize } from "./canonical.js";
import { type AuditEventInput, encodeEvent, prepareEvent } from "./event.js";
import { Redactor } from "./redact.js";

/** The encoding as first written: redact the whole event, then canonicalize it with its seq. */
function reference(input: AuditEventInput, redactor: Redactor, seq: number): string {
  const safe = redactor.value({
    kind: input.kind,
    pep: input.pep,
    principal: input.principal,
    target: input.target ?? null,
    context: input.context,
    decision: input.decision,
    latencyUs: input.latencyUs === undefined ? undefined : Math.round(input.latencyUs),
  }) as object;
  return canonicalize({ v: 1, time: input.time!.toISOString(), ...safe, seq });
}

const time = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
const base: AuditEventInput = {
  kind: "exec",
  pep: "hook.claude-code",
  principal: { agent: "claude-code", user: "alice" },
  target: { command: "git status", cwd: "/w" },
  time,
};

const cases: Array<[string, AuditEventInput]> = [
  ["a plain event", base],
  [
    "every member",
    {
      ...base,
      context: { workspace: "/w", z: [1, 2.5, -0, 1e21, 1e-7], a: { y: true, x: null } },
      decision: {
        effect: "deny",
        rule: "r",
        matched: ["r"],
        reason: "no",
        policy: { name: "p", version: "1", digest: "sha256:00" },
      },
      latencyUs: 12.6,
    },
  ],
  ["no target", { ...base, target: undefined }],
  ["a target whose toJSON is undefined", { ...base, target: { toJSON: () => undefined } }],
  ["a string target", { ...base, target: 'line\n"quoted" \\ \u0001 \u2028 é 😀' }],
  ["array-index keys", { ...base, target: { 10: "a", 9: "b", a: 1, "-1": 2, "01": 3 } }],
  [
    "keys in UTF-16 order, not code-point order",
    { ...base, context: { "\ufb33": 1, "\ud83d\ude00": 2, "\u20ac": 3, "\r": 4, Z: 5, a: 6 } },
  ],
  ["a lone surrogate", { ...base, target: { "k\ud800": "v\udc00" } }],
  ["dates and nested toJSON", { ...base, context: { at: time, list: [time, { b: 1, a: 2 }] } }],
  ["credential-named keys", { ...base, target: { headers: { Cookie: "x", Accept: "y" } } }],
  ["a value a secret redacts", { ...base, context: { x: "a-tar-ball" } }],
];

describe("event encoding", () => {
  it.each(cases)("is the canonical JSON of the redacted event: %s", (_, input) => {
    for (const secrets of [[], ["ontext"], ["ecision"], ["arg"], ["tar"], ["alice", "status"]]) {
      const redactor = new Redactor(secrets);
      const prepared = prepareEvent(input, redactor);
      for (const seq of [0, 7, 123_456_789]) {
        expect(encodeEvent(prepared, seq)).toBe(reference(input, new Redactor(secrets), seq));
      }
    }
  });

  it("keeps the last of two keys that redact to the same text, as assignment would", () => {
    const input = { ...base, context: { zz: 0, x_opensesame: 1, x_hunter22: 2, a: 3 } };
    const secrets = ["_opensesame", "_hunter22"];
    const body = encodeEvent(prepareEvent(input, new Redactor(secrets)), 1);
    expect(body).toBe(reference(input, new Redactor(secrets), 1));
    expect(body).toContain('"x[REDACTED:secret]":2');
  });
});
