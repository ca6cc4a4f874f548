/**
 * The shape of a `tools/call` result from an upstream, checked by hand on the forwarded path
 * instead of by the SDK's schema (which costs more than the rest of the check-and-copy): the
 * members an agent's client relies on have their types, and every content block is one of the
 * five kinds MCP defines with its required fields. Extra members pass, as they do in the SDK's
 * (loose) schema; the agent's own client validates the rest.
 */

/** Why `result` is not a tools/call result, or null when it is one. */
export function malformedToolResult(result: Record<string, unknown>): string | null {
  const { content, structuredContent, isError } = result;
  if (content === undefined) {
    if (structuredContent === undefined) return "no content list";
  } else if (!Array.isArray(content)) {
    return "no content list";
  } else {
    for (let i = 0; i < content.length; i++) {
      const problem = malformedBlock(content[i]);
      if (problem !== null) return `content[${i}]: ${problem}`;
    }
  }
  if (structuredContent !== undefined && !isRecord(structuredContent)) {
    return "structuredContent is not an object";
  }
  if (isError !== undefined && typeof isError !== "boolean") return "isError is not a boolean";
  return null;
}

function malformedBlock(block: unknown): string | null {
  if (!isRecord(block)) return "not an object";
  switch (block.type) {
    case "text":
      return typeof block.text === "string" ? null : "a text block without text";
    case "image":
    case "audio":
      return typeof block.data === "string" && typeof block.mimeType === "string"
        ? null
        : `an ${block.type} block without data and mimeType`;
    case "resource_link":
      return typeof block.uri === "string" && typeof block.name === "string"
        ? null
        : "a resource_link without uri and name";
    case "resource": {
      const resource = block.resource;
      return isRecord(resource) &&
        typeof resource.uri === "string" &&
        (typeof resource.text === "string" || typeof resource.blob === "string")
        ? null
        : "a resource block without uri and text or blob";
    }
    default:
      return `unknown block type ${JSON.stringify(block.type)}`;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
