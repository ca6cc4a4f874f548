/**
 * The gateway's stdio transport: newline-delimited JSON-RPC on stdin/stdout, like the SDK's
 * `StdioServerTransport`, but one bad line never ends the session. The SDK's transport drops a
 * line that is not JSON without a word (the client waits for its timeout) and closes the whole
 * connection when a message outgrows its buffer. Here:
 *
 * - a line that is not JSON gets a Parse error (-32700, id null);
 * - JSON that is not a JSON-RPC message gets Invalid Request (-32600), with its id if it had one;
 * - a line over the size limit is skipped up to its newline without being buffered, and answered
 *   with Invalid Request carrying the id found at its end (the SDK writes `id` last), so the
 *   client's request fails at once instead of timing out.
 *
 * Unknown methods are the SDK `Server`'s to answer (-32601).
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { LineReader, readMessage } from "./json-lines.js";

const TRAILING_ID = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,200}")\s*\}\s*$/;

export interface LineTransportOptions {
  maxMessageBytes: number;
  log: (line: string) => void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /**
   * Takes a parsed message before the SDK's schema check and `onmessage`; true when it was the
   * taker's (agent-calls.ts answers plain tools/call requests itself).
   */
  claim: ((message: Record<string, unknown>) => boolean) | undefined;

  private readonly input: NodeJS.ReadableStream;
  private readonly output: NodeJS.WritableStream;
  private readonly reader: LineReader;
  private closed = false;
  /** Lines waiting for the end of this task, and the promise their write settles. */
  private outgoing: string[] = [];
  private written: Promise<void> | null = null;

  constructor(private readonly options: LineTransportOptions) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.reader = new LineReader(options.maxMessageBytes, {
      line: (line) => this.receive(line),
      skipped: (bytes, tail) => this.refuseOversize(bytes, tail),
    });
  }

  async start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("error", this.onInputError);
    this.input.on("end", this.onEnd);
  }

  /**
   * Messages sent in one run of the event loop's task (several answers read from one upstream
   * chunk, under load) go out in one write: each write to a pipe wakes the reader, and that
   * context switch, not the copy, is what a write costs.
   */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.outgoing.push(`${JSON.stringify(message)}\n`);
    this.written ??= new Promise<void>((done) => process.nextTick(() => this.writeOut(done)));
    return this.written;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.writeOut(() => {});
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("error", this.onInputError);
    this.input.off("end", this.onEnd);
    this.reader.reset();
    this.onclose?.();
  }

  private writeOut(done: () => void): void {
    const text = this.outgoing.join("");
    this.outgoing = [];
    this.written = null;
    if (this.closed || text === "" || this.output.write(text)) done();
    else this.output.once("drain", done);
  }

  private readonly onInputError = (error: Error) => this.onerror?.(error);
  private readonly onEnd = () => {
    this.close().catch(() => {});
  };

  private readonly onData = (data: Buffer | string) => {
    this.reader.feed(typeof data === "string" ? Buffer.from(data) : data);
  };

  private refuseOversize(bytes: number, tail: Buffer): void {
    const id = TRAILING_ID.exec(tail.toString("utf8"))?.[1];
    this.options.log(`refused a message of ${bytes} bytes (limit ${this.options.maxMessageBytes})`);
    this.refuse(
      ErrorCode.InvalidRequest,
      `message of ${bytes} bytes is over the gateway's limit of ${this.options.maxMessageBytes} bytes`,
      id === undefined ? null : (JSON.parse(id) as string | number),
    );
  }

  private receive(line: string): void {
    const read = readMessage(line, this.claim);
    if (read.kind === "message") this.onmessage?.(read.message);
    else if (read.kind === "not-json") {
      this.refuse(ErrorCode.ParseError, "Parse error: the line is not JSON", null);
    } else if (read.kind === "not-json-rpc") {
      const id = (read.json as { id?: unknown } | null)?.id;
      this.refuse(
        ErrorCode.InvalidRequest,
        "Invalid Request: not a JSON-RPC 2.0 message",
        typeof id === "string" || typeof id === "number" ? id : null,
      );
    }
  }

  private refuse(code: number, message: string, id: string | number | null): void {
    // A JSON-RPC error with id null is what the spec prescribes when the id cannot be known; the
    // SDK's types want an id, so it is written directly.
    const line = `${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`;
    if (!this.closed) this.output.write(line);
  }
}
