import { describe, expect, it } from "vitest";
import { isProtectedName } from "./protected.js";

describe("isProtectedName", () => {
  it("knows the agents' settings, the rc files and a repository's hooks and config at any depth", () => {
    for (const path of [
      "/w/.claude",
      "/w/pkg/.cursor",
      "/w/pkg/.mcp.json",
      "/w/sub/.envrc",
      "/w/.git/hooks",
      "/w/vendor/lib/.git/config",
      // A submodule's repository lives under the superproject's .git/modules.
      "/w/.git/modules/lib/hooks",
      "/w/.git/modules/lib/modules/inner/config",
    ]) {
      expect(isProtectedName(path), path).toBe(true);
    }
  });

  it("leaves alike names elsewhere alone", () => {
    for (const path of [
      "/w/src/config",
      "/w/hooks",
      "/w/.git/logs/refs/heads/config",
      "/w/.git/modules/lib/logs/hooks",
      "/w/.claude-notes",
    ]) {
      expect(isProtectedName(path), path).toBe(false);
    }
  });
});
