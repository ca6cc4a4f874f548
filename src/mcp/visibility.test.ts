import { describe, expect, it } from "vitest";
import { compilePolicy } from "../policy/index.js";
import type { PolicySource } from "./policy-source.js";
import { deniedWhateverArgs } from "./visibility.js";

const source = (yaml: string): PolicySource => {
  const policy = compilePolicy(yaml);
  return { problem: null, decide: (r) => policy.decide(r) };
};

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: t }
defaults: { mcp.call: allow }
rules:
  - id: never
    kind: mcp.call
    deny: ["gmail/delete_*"]
  - id: outside
    kind: mcp.call
    deny: ["gmail/send_email"]
    when: '!args.to.all(r, r.endsWith("@acme.com"))'
  - id: alice-only
    kind: mcp.call
    deny: ["crm/*"]
    when: 'principal.user != "alice"'
  - id: maybe-later
    kind: mcp.call
    ask: ["gmail/draft"]
`;

describe("deniedWhateverArgs", () => {
  const policy = source(POLICY);
  const bob = { agent: "a", user: "bob" };
  it("withholds a tool denied without looking at args", () => {
    expect(deniedWhateverArgs(policy, bob, "gmail", "delete_thread")).toBe(true);
  });
  it("shows a tool whose deny depends on args", () => {
    expect(deniedWhateverArgs(policy, bob, "gmail", "send_email")).toBe(false);
  });
  it("judges conditions over the principal at list time", () => {
    expect(deniedWhateverArgs(policy, bob, "crm", "query")).toBe(true);
    expect(deniedWhateverArgs(policy, { agent: "a", user: "alice" }, "crm", "query")).toBe(false);
  });
  it("shows allowed and ask tools", () => {
    expect(deniedWhateverArgs(policy, bob, "gmail", "draft")).toBe(false);
    expect(deniedWhateverArgs(policy, bob, "other", "tool")).toBe(false);
  });
  it("withholds everything when the policy cannot decide", () => {
    const broken: PolicySource = {
      problem: "broken",
      decide: () => ({
        effect: "deny",
        rule: null,
        matched: [],
        reason: "broken",
        policy: { name: "", version: "", digest: "" },
      }),
    };
    expect(deniedWhateverArgs(broken, bob, "gmail", "draft")).toBe(true);
  });

  it("judges the known fields (a prompt's name, a resource's URI) and nothing more", () => {
    const known = source(`apiVersion: warden/v1
kind: Policy
metadata: { name: t }
defaults: { mcp.call: allow }
rules:
  - id: no-secrets
    kind: mcp.call
    deny: ["files/resources/read"]
    when: 'args.uri.startsWith("file:///secrets/")'
  - id: by-argument
    kind: mcp.call
    deny: ["docs/prompts/get"]
    when: 'args.name == "summary" && args.arguments.depth == "full"'
`);
    const read = (uri: string) =>
      deniedWhateverArgs(known, bob, "files", "resources/read", undefined, { uri });
    expect(read("file:///secrets/key")).toBe(true);
    expect(read("file:///project/readme")).toBe(false);
    // Without the URI (a template), the condition cannot be judged: shown, decided per read.
    expect(deniedWhateverArgs(known, bob, "files", "resources/read")).toBe(false);
    // The prompt's arguments are not known when listing: shown.
    expect(
      deniedWhateverArgs(known, bob, "docs", "prompts/get", undefined, { name: "summary" }),
    ).toBe(false);
  });
});
