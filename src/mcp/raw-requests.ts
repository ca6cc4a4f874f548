/**
 * Requests the gateway writes to a stdio upstream itself, beside the SDK `Client` that owns the
 * rest of the connection (initialize, lists, notifications, the upstream's own requests): the
 * hot path of a forwarded call, without the SDK's per-message schema checks.
 *
 * Each request gets an id of its own (`w<n>`, never one the SDK's numbering uses), and a progress
 * token of its own when the caller wants progress, so that two sessions' tokens never meet at
 * the upstream. What the SDK does for a request is kept: a timeout, `notifications/cancelled`
 * sent upstream when the caller gives up (aborted or timed out), and every pending request
 * failed with ConnectionClosed when the connection ends. An answer is checked before it is
 * believed: one that is neither a result object nor a well-formed error fails its request
 * (MCP_UPSTREAM_MALFORMED); one for an id that is not pending is reported and dropped.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { WardenError } from "../errors.js";

export interface RawRequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with the params of each `notifications/progress` the upstream sends for this request. */
  onProgress?: (params: Record<string, unknown>) => void;
}

interface Pending {
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onProgress: RawRequestOptions["onProgress"];
}

export class RawRequests {
  private next = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly server: string,
    /** Writes one line to the upstream; false when it is not connected. */
    private readonly write: (line: string) => boolean,
    private readonly log: (line: string) => void,
  ) {}

  request(
    method: string,
    params: Record<string, unknown>,
    options: RawRequestOptions,
  ): Promise<Record<string, unknown>> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    this.next += 1;
    const id = `w${this.next}`;
    const sent =
      options.onProgress === undefined
        ? params
        : { ...params, _meta: { ...metaOf(params), progressToken: id } };
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(
          () =>
            this.giveUp(
              id,
              new McpError(ErrorCode.RequestTimeout, "Request timed out", {
                timeout: options.timeoutMs,
              }),
            ),
          options.timeoutMs,
        ),
        signal,
        onAbort: undefined,
        onProgress: options.onProgress,
      };
      if (signal) {
        entry.onAbort = () => this.giveUp(id, abortError(signal));
        signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      if (!this.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params: sent })}\n`)) {
        this.settle(id)?.reject(new McpError(ErrorCode.ConnectionClosed, "Not connected"));
      }
    });
  }

  /**
   * Takes a message read from the upstream if it answers, or reports progress on, one of these
   * requests; false leaves it to the SDK.
   */
  readonly claim = (message: Record<string, unknown>): boolean => {
    if ("method" in message) {
      if (message.method !== "notifications/progress") return false;
      const params = message.params as Record<string, unknown> | undefined;
      const token = params?.progressToken;
      const entry = typeof token === "string" ? this.pending.get(token) : undefined;
      if (entry?.onProgress === undefined || params === undefined) return false;
      entry.onProgress(params);
      return true;
    }
    const id = message.id;
    if (typeof id !== "string" || !/^w\d+$/.test(id)) return false; // the SDK's (numbers)
    const entry = this.settle(id);
    if (entry === undefined) {
      this.log(
        `dropped an answer to ${id}, which is not waiting (answered, timed out or cancelled)`,
      );
      return true;
    }
    const problem = malformed(message);
    if (problem !== null) {
      entry.reject(
        new WardenError(
          "MCP_UPSTREAM_MALFORMED",
          `upstream "${this.server}" sent a malformed answer: ${problem}`,
        ),
      );
    } else if ("error" in message) {
      const error = message.error as { code: number; message: string; data?: unknown };
      entry.reject(new McpError(error.code, error.message, error.data));
    } else {
      entry.resolve(message.result as Record<string, unknown>);
    }
    return true;
  };

  /** Fails every pending request: the connection ended. */
  failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
  }

  /** The caller stopped waiting: the upstream is told, as the SDK tells it. */
  private giveUp(id: string, reason: Error): void {
    const entry = this.settle(id);
    if (entry === undefined) return;
    this.write(
      `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: reason.message } })}\n`,
    );
    entry.reject(reason);
  }

  private settle(id: string): Pending | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener("abort", entry.onAbort);
    return entry;
  }
}

/** Why an answer is not a JSON-RPC response, or null when it is one. */
function malformed(message: Record<string, unknown>): string | null {
  if (message.jsonrpc !== "2.0") return 'no "jsonrpc": "2.0"';
  const hasResult = "result" in message;
  const hasError = "error" in message;
  if (hasResult === hasError) return "it must carry exactly one of result and error";
  if (hasResult) {
    const result = message.result;
    return typeof result === "object" && result !== null && !Array.isArray(result)
      ? null
      : "the result is not an object";
  }
  const error = message.error as { code?: unknown; message?: unknown } | null;
  return typeof error === "object" &&
    error !== null &&
    Number.isSafeInteger(error.code) &&
    typeof error.message === "string"
    ? null
    : "the error is not an object with an integer code and a message";
}

function metaOf(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  return typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>) : {};
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new Error(String(reason ?? "This operation was aborted"));
}
