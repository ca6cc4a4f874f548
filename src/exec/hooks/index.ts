/**
 * Hook adapters for the coding agents Warden governs: one module per agent, loaded on demand so
 * that a hook process imports only its own agent's adapter.
 */
import type { AgentId, HookAdapter } from "./types.js";

export * from "./types.js";

export async function loadAdapter(agent: AgentId): Promise<HookAdapter> {
  switch (agent) {
    case "claude-code":
      return (await import("./claude-code.js")).claudeCode;
    case "cursor":
      return (await import("./cursor.js")).cursor;
    case "gemini-cli":
      return (await import("./gemini-cli.js")).geminiCli;
    case "codex":
      return (await import("./codex.js")).codex;
  }
}
