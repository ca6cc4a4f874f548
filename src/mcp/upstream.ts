/**
 * One upstream MCP server behind the gateway: an SDK `Client` over stdio (upstream-stdio.ts),
 * streamable HTTP or legacy SSE, its tool list cached (refreshed when it says
 * `notifications/tools/list_changed`), and reconnection with backoff after it goes away. Over
 * stdio the requests the gateway forwards are written and answered beside the SDK
 * (raw-requests.ts). A call to an upstream that is down fails at once with a clear error; a call
 * in flight when it dies is rejected (connection closed), so nothing waits forever.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type CallToolResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  type ListToolsResult,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { WardenError } from "../errors.js";
import { boundedFetch } from "./bounded-fetch.js";
import type { UpstreamSpec } from "./config.js";
import { type RawRequestOptions, RawRequests } from "./raw-requests.js";
import { malformedToolResult } from "./tool-result.js";
import { UpstreamStdio } from "./upstream-stdio.js";

export type Tool = ListToolsResult["tools"][number];

export type ListKind = "tools" | "prompts" | "resources";

export interface UpstreamHooks {
  /** A line the upstream wrote on stderr, or a note about its connection. */
  log(server: string, line: string): void;
  /** The upstream's tools (cache already dropped), prompts or resources changed. */
  listChanged(server: string, what: ListKind): void;
  /** A resource the gateway subscribed to changed (`notifications/resources/updated`). */
  resourceUpdated(server: string, uri: string): void;
  /** A new connection is up (the first, or one after a crash): subscriptions must be renewed. */
  connected(server: string): void;
  /** The upstream asks the user something (`elicitation/create`) during a call. */
  elicit(server: string, params: ElicitRequest["params"]): Promise<ElicitResult>;
  /** The spec as it is started, secrets put in (secret-refs.ts); may throw to keep it down. */
  prepare?(spec: UpstreamSpec): UpstreamSpec;
}

/** Room for the rest of a pipe read beside a message at the size limit. */
const READ_SLACK = 64 * 1024;

/** The SDK's own read limit, when the config sets none. */
const DEFAULT_MAX_LINE = 10 * 1024 * 1024;

const BACKOFF_MS = [250, 500, 1_000, 2_000, 5_000, 10_000, 30_000];

export class Upstream {
  readonly name: string;
  private client: Client | null = null;
  /** Requests written by the gateway itself, on a stdio connection (raw-requests.ts). */
  private raw: RawRequests | null = null;
  private connecting: Promise<Client> | null = null;
  private tools: Tool[] | null = null;
  private failures = 0;
  private retryAt = 0;
  private downReason: string | null = null;
  private closing = false;
  /** Set when the SDK refused a message over the size limit (it then drops the connection). */
  private oversize: string | null = null;

  constructor(
    readonly spec: UpstreamSpec,
    private readonly hooks: UpstreamHooks,
    private readonly version = "0.1.0",
    private readonly limits: { maxMessageBytes?: number } = {},
  ) {
    this.name = spec.name;
  }

  /** Why the upstream is unavailable, or null while it is connected. */
  get problem(): string | null {
    return this.client === null ? (this.downReason ?? "not connected") : null;
  }

  /** Connects (or reconnects once the backoff has passed); throws UPSTREAM_UNAVAILABLE. */
  async connect(): Promise<Client> {
    if (this.client !== null) return this.client;
    if (this.connecting !== null) return this.connecting;
    if (Date.now() < this.retryAt) throw this.unavailable();
    this.connecting = this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** The tools listed and cached, if they are (null: listTools() has to ask the upstream). */
  get listedTools(): Tool[] | null {
    return this.client === null ? null : this.tools;
  }

  /** The upstream's tools, listed once and cached until it announces a change. */
  async listTools(): Promise<Tool[]> {
    const client = await this.connect();
    if (this.tools !== null) return this.tools;
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    this.tools = tools;
    return tools;
  }

  async callTool(
    tool: string,
    args: Record<string, unknown>,
    options: RawRequestOptions,
  ): Promise<CallToolResult> {
    const result = await this.forward("tools/call", { name: tool, arguments: args }, options);
    const problem = malformedToolResult(result);
    if (problem !== null) {
      throw new WardenError(
        "MCP_UPSTREAM_MALFORMED",
        `upstream "${this.name}" returned a malformed tools/call result (${problem})`,
      );
    }
    // The SDK's schema defaults a missing content list (a result with structuredContent only).
    return (result.content === undefined ? { ...result, content: [] } : result) as CallToolResult;
  }

  /**
   * One request passed through as it is: the gateway does not reshape results, the agent's own
   * client validates them. Over stdio the gateway writes it and reads its answer itself
   * (raw-requests.ts); otherwise the SDK's client carries it.
   */
  async forward(
    method: string,
    params: Record<string, unknown>,
    options: RawRequestOptions,
  ): Promise<Record<string, unknown>> {
    const client = this.client ?? (await this.connect());
    try {
      if (this.raw !== null) return await this.raw.request(method, params, options);
      const { onProgress } = options;
      return await client.request(
        { method, params },
        // A permissive schema: any object the upstream returns goes back as it is.
        PASS_THROUGH,
        {
          timeout: options.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(onProgress ? { onprogress: (progress) => onProgress({ ...progress }) } : {}),
        },
      );
    } catch (error) {
      if (this.oversize === null) throw error;
      throw new WardenError("MCP_MESSAGE_TOO_LARGE", this.oversize, { cause: error });
    }
  }

  /** What the upstream said it offers (prompts, resources…); null while it is not connected. */
  capabilities(): ReturnType<Client["getServerCapabilities"]> | null {
    return this.client?.getServerCapabilities() ?? null;
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    this.client = null;
    await client?.close().catch(() => {});
  }

  private async open(): Promise<Client> {
    // Elicitation is declared to every upstream; the gateway declines when the agent cannot answer.
    const client = new Client(
      { name: "warden-gateway", version: this.version },
      { capabilities: { elicitation: { form: {} } } },
    );
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.tools = null;
      this.hooks.listChanged(this.name, "tools");
    });
    client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
      this.hooks.listChanged(this.name, "prompts"),
    );
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
      this.hooks.listChanged(this.name, "resources"),
    );
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) =>
      this.hooks.resourceUpdated(this.name, notification.params.uri),
    );
    client.setRequestHandler(ElicitRequestSchema, (request) =>
      this.hooks.elicit(this.name, request.params),
    );
    client.onerror = (error) => {
      // The stdio reader reports this and then closes the connection.
      if (/exceeded maximum size/.test(error.message)) {
        this.refuseOversize();
      } else {
        this.hooks.log(this.name, `protocol error: ${error.message}`);
      }
    };
    let transport: Transport;
    try {
      transport = this.transport(this.hooks.prepare?.(this.spec) ?? this.spec);
    } catch (error) {
      this.markDown(messageOf(error));
      throw this.unavailable();
    }
    const raw =
      transport instanceof UpstreamStdio
        ? new RawRequests(
            this.name,
            (line) => transport.write(line),
            (line) => this.hooks.log(this.name, line),
          )
        : null;
    if (raw !== null && transport instanceof UpstreamStdio) transport.claim = raw.claim;
    client.onclose = () => {
      raw?.failAll(new McpError(ErrorCode.ConnectionClosed, "Connection closed"));
      if (this.client === client) {
        this.client = null;
        this.raw = null;
        this.tools = null;
        if (!this.closing) {
          this.markDown("the server closed the connection (exited or crashed)");
          this.hooks.log(this.name, `disconnected: ${this.downReason}`);
        }
      }
    };
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => {});
      this.markDown(`could not connect: ${messageOf(error)}`);
      throw this.unavailable();
    }
    this.client = client;
    this.raw = raw;
    this.failures = 0;
    this.downReason = null;
    this.oversize = null;
    this.hooks.connected(this.name);
    return client;
  }

  private transport(spec: UpstreamSpec): Transport {
    if (spec.transport === "stdio") {
      const transport = new UpstreamStdio({
        command: spec.command,
        args: spec.args,
        env: spec.env,
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
        maxLineBytes: (this.limits.maxMessageBytes ?? DEFAULT_MAX_LINE) + READ_SLACK,
      });
      let pending = "";
      transport.stderr.on("data", (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.trim() !== "") this.hooks.log(this.name, line);
      });
      return transport;
    }
    const limit = this.limits.maxMessageBytes;
    const options = {
      requestInit: { headers: spec.headers },
      // Over the limit, the stream errors and the connection is dropped, as over stdio.
      ...(limit === undefined
        ? {}
        : {
            fetch: boundedFetch(limit, () => {
              this.refuseOversize();
              void this.client?.close();
            }),
          }),
    };
    return spec.transport === "sse"
      ? new SSEClientTransport(spec.url, options)
      : new StreamableHTTPClientTransport(spec.url, options);
  }

  /** The upstream sent a message over the limit: its calls fail saying so until it reconnects. */
  private refuseOversize(): void {
    this.oversize = `upstream "${this.name}" sent a message over the ${this.limits.maxMessageBytes} byte limit; the connection was dropped and is reopened`;
    this.hooks.log(this.name, this.oversize);
  }

  private markDown(reason: string): void {
    this.downReason = reason;
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
    this.failures += 1;
    this.retryAt = Date.now() + delay;
  }

  private unavailable(): WardenError {
    return new WardenError(
      "MCP_UPSTREAM_UNAVAILABLE",
      `upstream "${this.name}" is unavailable: ${this.downReason ?? "not connected"}`,
    );
  }
}

const PASS_THROUGH = z.object({}).loose();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
