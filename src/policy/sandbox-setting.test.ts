import { describe, expect, it } from "vitest";
import { compilePolicy, lintPolicy } from "./index.js";

const policy = (extra: string) => `apiVersion: warden/v1
kind: Policy
metadata: { name: s, version: "1" }
${extra}
rules: []
`;

describe("sandbox: in the policy", () => {
  it("is required unless the policy says optional", () => {
    expect(compilePolicy(policy("")).sandbox).toBe("required");
    expect(compilePolicy(policy("sandbox: optional")).sandbox).toBe("optional");
    expect(compilePolicy(policy("sandbox: required")).sandbox).toBe("required");
  });

  it("refuses any other value, with the nearest valid one", () => {
    const { diagnostics, policy: compiled } = lintPolicy(policy("sandbox: optinal"), {
      file: "p.yaml",
    });
    expect(compiled).toBeNull();
    expect(diagnostics[0]).toMatchObject({
      code: "POLICY_BAD_SANDBOX",
      line: 4,
      hint: "did you mean `optional`?",
    });
    expect(lintPolicy(policy("sandbox: [optional]")).diagnostics[0]?.code).toBe(
      "POLICY_BAD_SANDBOX",
    );
  });
});
