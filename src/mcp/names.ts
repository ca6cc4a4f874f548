/**
 * How an upstream's tool is named to the agent: `server__tool`. Server names cannot contain the
 * separator (the config refuses them), so the first `__` always splits a name correctly.
 */
export const SEPARATOR = "__";

export interface ToolAddress {
  server: string;
  tool: string;
}

export function qualify(server: string, tool: string): string {
  return `${server}${SEPARATOR}${tool}`;
}

/** The server and tool a qualified name points at, or null if it has no separator. */
export function splitQualified(name: string): ToolAddress | null {
  const at = name.indexOf(SEPARATOR);
  if (at <= 0) return null;
  return { server: name.slice(0, at), tool: name.slice(at + SEPARATOR.length) };
}
