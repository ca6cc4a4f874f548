/**
 * The stdio connection to an upstream server: the process started as the SDK's
 * `StdioClientTransport` starts it (the SDK's default environment plus the spec's, stderr piped,
 * the same close sequence: end stdin, SIGTERM, SIGKILL), newline-delimited JSON-RPC both ways.
 *
 * What differs: each line read is offered, parsed, to `claim` first — the answers to the requests
 * the gateway writes itself (raw-requests.ts) — and only the rest is validated by the SDK's schema
 * and handed to its `Client`. A line that is not JSON, or not JSON-RPC, is reported on `onerror`
 * and skipped, as the SDK does; a line growing past `maxLineBytes` is reported and the connection
 * is dropped (the upstream is then reopened), as the SDK does with its buffer limit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { LineReader, readMessage } from "./json-lines.js";

/** How long close() waits for the process at each step (stdin ended, SIGTERM). */
const CLOSE_STEP_MS = 2_000;

export interface UpstreamStdioParams {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** A line longer than this drops the connection. */
  maxLineBytes: number;
}

export class UpstreamStdio implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Takes a parsed message before the SDK sees it; true when it was the taker's. */
  claim: ((message: Record<string, unknown>) => boolean) | undefined;

  private process: ChildProcess | undefined;
  private readonly stderrStream = new PassThrough();
  private outgoing: string[] = [];
  private readonly reader: LineReader;

  constructor(private readonly params: UpstreamStdioParams) {
    this.reader = new LineReader(params.maxLineBytes, {
      line: (line) => this.receive(line),
      overflow: () => {
        this.onerror?.(new Error(`a line exceeded maximum size of ${params.maxLineBytes} bytes`));
        this.close().catch(() => {});
      },
      skipped: () => {}, // reported, and the connection dropped, when it overflowed
    });
  }

  /** The upstream's stderr, available before start() so that no early line is lost. */
  get stderr(): NodeJS.ReadableStream {
    return this.stderrStream;
  }

  start(): Promise<void> {
    if (this.process) throw new Error("the upstream's stdio transport is already started");
    return new Promise<void>((resolve, reject) => {
      const child = spawn(this.params.command, this.params.args, {
        env: { ...getDefaultEnvironment(), ...this.params.env },
        stdio: ["pipe", "pipe", "pipe"],
        shell: false,
        ...(this.params.cwd === undefined ? {} : { cwd: this.params.cwd }),
      });
      this.process = child;
      child.on("error", (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on("spawn", () => resolve());
      child.on("close", () => {
        this.process = undefined;
        this.onclose?.();
      });
      child.stdin?.on("error", (error) => this.onerror?.(error));
      child.stdout?.on("data", this.onData);
      child.stdout?.on("error", (error) => this.onerror?.(error));
      child.stderr?.pipe(this.stderrStream);
    });
  }

  /**
   * Queues one line; false when the process is gone. Lines queued in one run of the event loop's
   * task (a batch of calls decided together) go out in one write: each write to a pipe wakes the
   * reader, and that, not the copy, is what a write costs.
   */
  write(line: string): boolean {
    const stdin = this.process?.stdin;
    if (!stdin || stdin.destroyed) return false;
    this.outgoing.push(line);
    if (this.outgoing.length === 1) process.nextTick(this.writeOut, stdin);
    return true;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.write(`${JSON.stringify(message)}\n`)) throw new Error("Not connected");
  }

  async close(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    this.reader.reset();
    if (!child) return;
    const closed = new Promise<void>((done) => child.once("close", () => done()));
    const step = () =>
      Promise.race([closed, new Promise<void>((done) => setTimeout(done, CLOSE_STEP_MS).unref())]);
    try {
      child.stdin?.end();
    } catch {
      // already gone
    }
    await step();
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      if (signal === "SIGTERM") await step();
    }
  }

  private readonly writeOut = (stdin: NodeJS.WritableStream) => {
    const text = this.outgoing.length === 1 ? this.outgoing[0]! : this.outgoing.join("");
    this.outgoing = [];
    if (this.process?.stdin === stdin) stdin.write(text);
  };

  private readonly onData = (chunk: Buffer) => {
    if (this.process !== undefined) this.reader.feed(chunk);
  };

  private receive(line: string): void {
    if (this.process === undefined) return; // closing: nothing more is taken from it
    const read = readMessage(line, this.claim);
    if (read.kind === "message") this.onmessage?.(read.message);
    else if (read.kind === "not-json") this.onerror?.(read.error);
    else if (read.kind === "not-json-rpc") {
      this.onerror?.(new Error(`not a JSON-RPC message: ${read.error}`));
    }
  }
}
