/**
 * Newline-delimited JSON-RPC as the gateway reads it, from the agent (line-transport.ts) and from
 * stdio upstreams (upstream-stdio.ts): lines cut from chunks without ever buffering one past the
 * size limit, then each message offered to a taker (the gateway's own tools/call path) before the
 * SDK's schema check. What to do with a line over the limit, or one that is not JSON-RPC, is each
 * side's own: the agent gets an error answer, an upstream's connection is dropped.
 */
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

const NEWLINE = 0x0a;
/** How much of an oversized line's end is kept (the SDK writes a request's `id` last). */
const TAIL = 256;

export interface LineEvents {
  line(text: string): void;
  /** The line being read has just grown past the limit; its bytes are dropped from here on. */
  overflow?(): void;
  /** The end of a line over the limit: its size, and its last bytes. */
  skipped(bytes: number, tail: Buffer): void;
}

export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private skipping: { bytes: number; tail: Buffer } | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly on: LineEvents,
  ) {}

  feed(data: Buffer): void {
    let chunk = data;
    for (;;) {
      const at = chunk.indexOf(NEWLINE);
      const piece = at === -1 ? chunk : chunk.subarray(0, at);
      if (this.skipping !== null) {
        this.skipping.bytes += piece.length;
        this.skipping.tail = Buffer.concat([this.skipping.tail, piece]).subarray(-TAIL);
      } else if (this.size + piece.length > this.maxBytes) {
        const head = Buffer.concat([...this.chunks, piece]);
        this.skipping = { bytes: head.length, tail: head.subarray(-TAIL) };
        this.reset();
        this.on.overflow?.();
      } else if (piece.length > 0) {
        this.chunks.push(piece);
        this.size += piece.length;
      }
      if (at === -1) return;
      this.endLine();
      chunk = chunk.subarray(at + 1);
    }
  }

  /** Forgets the line being read (the connection is going away). */
  reset(): void {
    this.chunks = [];
    this.size = 0;
  }

  private endLine(): void {
    if (this.skipping !== null) {
      const { bytes, tail } = this.skipping;
      this.skipping = null;
      this.on.skipped(bytes, tail);
      return;
    }
    const text =
      this.chunks.length === 1
        ? (this.chunks[0] as Buffer).toString("utf8")
        : Buffer.concat(this.chunks).toString("utf8");
    this.reset();
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (line.trim() !== "") this.on.line(line);
  }
}

export type ReadMessage =
  | { kind: "claimed" }
  | { kind: "message"; message: JSONRPCMessage }
  | { kind: "not-json"; error: Error }
  | { kind: "not-json-rpc"; json: unknown; error: string };

/** One line read: taken by `claim`, a JSON-RPC message for the SDK, or why it is neither. */
export function readMessage(
  line: string,
  claim: ((message: Record<string, unknown>) => boolean) | undefined,
): ReadMessage {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { kind: "not-json", error: error instanceof Error ? error : new Error(String(error)) };
  }
  if (
    claim !== undefined &&
    typeof json === "object" &&
    json !== null &&
    !Array.isArray(json) &&
    claim(json as Record<string, unknown>)
  ) {
    return { kind: "claimed" };
  }
  const parsed = JSONRPCMessageSchema.safeParse(json);
  return parsed.success
    ? { kind: "message", message: parsed.data }
    : { kind: "not-json-rpc", json, error: parsed.error.message };
}
