/**
 * `tools/call` from an agent on stdio, answered by the gateway without the SDK's `Server`: the
 * SDK validates each request and each result against its schemas on the way through, which cost
 * more than deciding and auditing the call. Here a request of the plain shape (a name, an
 * arguments object, perhaps a progress token; no task) goes straight to `Gateway.callTool`, and
 * its result goes back under the request's id. Anything else — another method, an odd shape, a
 * task-augmented call, a duplicate id — is left to the SDK, which answers it as before.
 *
 * What the SDK's Server does for a request is kept: `notifications/cancelled` for one of these
 * ids aborts it (the upstream is told, and no answer is sent), progress goes out under the
 * agent's token, and an unexpected failure is a JSON-RPC error, not silence. The upstream's
 * result is checked on its way in (tool-result.ts) and screened by the gateway (DLP).
 */
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { CallIo, Gateway } from "./gateway.js";
import type { LineTransport } from "./line-transport.js";
import { isRecord } from "./tool-result.js";

type RequestId = string | number;

export class AgentCalls {
  private readonly inFlight = new Map<RequestId, AbortController>();

  constructor(
    private readonly gateway: Pick<Gateway, "callTool">,
    private readonly transport: Pick<LineTransport, "send">,
  ) {}

  /** Takes a message from the agent if it is a plain tools/call or cancels one; else false. */
  readonly claim = (message: Record<string, unknown>): boolean => {
    if (message.jsonrpc !== "2.0") return false;
    if (message.method === "tools/call") return this.call(message);
    if (message.method === "notifications/cancelled") return this.cancel(message);
    return false;
  };

  /** Aborts every call in flight (the session ends). */
  close(): void {
    for (const controller of this.inFlight.values()) controller.abort(new Error("session closed"));
    this.inFlight.clear();
  }

  private call(message: Record<string, unknown>): boolean {
    const { id, params } = message;
    if (!isRequestId(id) || this.inFlight.has(id) || !isRecord(params)) return false;
    const { name, arguments: args, _meta: meta } = params;
    if (typeof name !== "string" || "task" in params) return false;
    if (args !== undefined && !isRecord(args)) return false;
    if (meta !== undefined && !isRecord(meta)) return false;
    const progressToken = meta?.progressToken;
    if (progressToken !== undefined && !isRequestId(progressToken)) return false;
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    void this.answer(id, name, args ?? {}, {
      signal: controller.signal,
      progressToken,
      notify: (notification) => this.transport.send({ jsonrpc: "2.0", ...notification }),
    });
    return true;
  }

  private async answer(
    id: RequestId,
    name: string,
    args: Record<string, unknown>,
    io: CallIo & { signal: AbortSignal },
  ): Promise<void> {
    let reply: JSONRPCMessage;
    try {
      reply = { jsonrpc: "2.0", id, result: await this.gateway.callTool(name, args, io) };
    } catch (error) {
      reply = {
        jsonrpc: "2.0",
        id,
        error: {
          code: ErrorCode.InternalError,
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
    if (this.inFlight.get(id)?.signal === io.signal) this.inFlight.delete(id);
    // A cancelled request gets no answer (MCP: the receiver SHOULD NOT respond).
    if (!io.signal.aborted) await this.transport.send(reply);
  }

  private cancel(message: Record<string, unknown>): boolean {
    const params = message.params;
    if (!isRecord(params) || !isRequestId(params.requestId)) return false;
    const controller = this.inFlight.get(params.requestId);
    if (controller === undefined) return false;
    this.inFlight.delete(params.requestId);
    const reason = typeof params.reason === "string" ? params.reason : "cancelled by the client";
    controller.abort(new Error(reason));
    return true;
  }
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || Number.isSafeInteger(value);
}
