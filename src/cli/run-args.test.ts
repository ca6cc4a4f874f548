import { describe, expect, it } from "vitest";
import { parseRunArgs } from "./run-args.js";

describe("parseRunArgs", () => {
  it("reads the exact form: options once each, then -- and the command", () => {
    expect(parseRunArgs(["--", "true"])).toEqual({
      command: ["true"],
      options: { agent: "unknown" },
    });
    expect(
      parseRunArgs([
        "--policy",
        "p.yaml",
        "--workspace",
        "/w",
        "--agent",
        "claude-code",
        "--report-only",
        "--",
        "claude",
        "--resume",
        "--",
      ]),
    ).toEqual({
      command: ["claude", "--resume", "--"],
      options: { policy: "p.yaml", workspace: "/w", agent: "claude-code", reportOnly: true },
    });
  });

  it("leaves anything else to commander", () => {
    for (const args of [
      [],
      ["true"],
      ["--"],
      ["--help"],
      ["--help", "--", "true"],
      ["--policy=p.yaml", "--", "true"],
      ["--policy", "--", "true"],
      ["--policy", "a", "--policy", "b", "--", "true"],
      ["--report-only", "--report-only", "--", "true"],
      ["--bogus", "--", "true"],
      ["--agent"],
    ]) {
      expect(parseRunArgs(args), args.join(" ")).toBeNull();
    }
  });
});
