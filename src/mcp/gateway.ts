/**
 * The MCP gateway: one MCP server for the agent, many governed upstreams behind it (issue 5).
 *
 * - `tools/list` aggregates the upstreams' tools as `server__tool`, leaving out the tools the
 *   policy denies whatever the arguments (see visibility.ts).
 * - `tools/call` builds an `mcp.call` request with the call's arguments, decides it, and then
 *   forwards it (allow), answers with a tool error naming the rule and reason (deny), or asks a
 *   human first (ask, see ask.ts). Every call is one audit event with the decision, the decision
 *   latency and the upstream's outcome.
 *
 * Denials are tool results with `isError: true`, not protocol errors, so the model reads why.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  type ElicitRequest,
  type ElicitResult,
  ListToolsRequestSchema,
  type ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { type AuditEventInput, type AuditLog, OUTCOME_WITHIN_MS } from "../audit/index.js";
import type { Decision, Principal, Request, RequestContext } from "../policy/index.js";
import { AgentCalls } from "./agent-calls.js";
import type { ApprovalStore, Requester } from "./approvals.js";
import { type AskOutcome, answeredReason, resolveAsk } from "./ask.js";
import type { GatewayOptions, UpstreamSpec } from "./config.js";
import { CredentialScanner, type Detected, decideCredentials, withDetected } from "./dlp.js";
import { LineTransport } from "./line-transport.js";
import { qualify, splitQualified, type ToolAddress } from "./names.js";
import { registerPassThrough } from "./passthrough.js";
import type { PinStore } from "./pins.js";
import { denial, type PolicySource } from "./policy-source.js";
import { type PoolSession, UpstreamPool } from "./pool.js";
import { resolveSecretRefs, type SecretSource } from "./secret-refs.js";
import type { ListKind, Tool, Upstream } from "./upstream.js";
import { deniedWhateverArgs } from "./visibility.js";

export const PEP = "mcp.gateway";

export interface GatewayInit {
  upstreams: UpstreamSpec[];
  /**
   * Upstream connections shared with other sessions (HTTP serves one Gateway per client); the
   * gateway then neither starts nor closes them, and `upstreams` is ignored.
   */
  pool?: UpstreamPool;
  options: GatewayOptions;
  policy: PolicySource;
  principal: Principal;
  audit: Pick<AuditLog, "append">;
  /** Opened on first use: most sessions never park a call. */
  approvals: () => ApprovalStore;
  requester: Requester | null;
  /** Diagnostics (stderr in the CLI: stdout carries the protocol). */
  log: (line: string) => void;
  context?: RequestContext;
  /** Warden's secrets: injected into upstreams, scanned for in calls. */
  secrets?: SecretSource;
  /** Tool pinning; without it definitions are not checked. */
  pins?: PinStore;
  /** Queue poll interval (ms). */
  pollMs?: number;
  version?: string;
}

type Outcome = "ok" | "tool-error" | "error" | "not-forwarded";

/** What a governed request came to: the upstream's result, or the text of the refusal. */
export type Ruling<T> = { result: T } | { refused: string };

export class Gateway implements PoolSession {
  readonly server: Server;
  readonly session = randomUUID();
  readonly pool: UpstreamPool;
  private readonly upstreams: Map<string, Upstream>;
  private readonly leavePool: () => void;
  private closed = false;
  /** Plain tools/call requests over stdio, answered without the SDK's Server. */
  private agentCalls: AgentCalls | null = null;
  private readonly routes = new Map<string, ToolAddress>();
  private auditProblem: string | null = null;
  /** Changed definitions already reported (audit event, log line), by `server/tool hash`. */
  private readonly reportedChanges = new Set<string>();
  /** Definitions already checked against their pins (the upstream's cached list objects). */
  private readonly checkedDefinitions = new WeakSet<Tool>();
  private readonly scanner: CredentialScanner;

  constructor(private readonly init: GatewayInit) {
    this.scanner = new CredentialScanner(init.secrets);
    this.server = new Server(
      { name: "warden", version: init.version ?? "0.1.0" },
      {
        capabilities: {
          tools: { listChanged: true },
          prompts: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          completions: {},
        },
        instructions:
          "Tools from several MCP servers, governed by Warden: each tool is named server__tool; " +
          "a call the policy refuses returns an error naming the rule and the reason.",
      },
    );
    this.pool =
      init.pool ??
      new UpstreamPool(init.upstreams, init.log, init.version, {
        maxMessageBytes: init.options.maxMessageBytes,
        prepare: (spec) => resolveSecretRefs(spec, this.scanner.source),
      });
    this.upstreams = this.pool.upstreams;
    this.leavePool = this.pool.join(this);
    this.server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: await this.listTools(),
    }));
    this.server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.callTool(request.params.name, request.params.arguments ?? {}, {
        signal: extra.signal,
        progressToken: request.params._meta?.progressToken,
        notify: (n) => extra.sendNotification(n),
      }),
    );
    registerPassThrough(this);
  }

  /** Connects every upstream, unless the pool is shared (its owner starts it). */
  async start(): Promise<void> {
    if (this.init.pool === undefined) await this.pool.start();
  }

  async connect(transport: Transport): Promise<void> {
    if (transport instanceof LineTransport) {
      // Over HTTP the SDK's transport ties each answer to its HTTP stream: calls stay on the SDK.
      this.agentCalls = new AgentCalls(this, transport);
      transport.claim = this.agentCalls.claim;
    }
    await this.server.connect(transport);
  }

  async close(): Promise<void> {
    if (this.closed) return; // the transport's onclose may call back in here
    this.closed = true;
    this.agentCalls?.close();
    this.leavePool();
    if (this.init.pool === undefined) await this.pool.close();
    await this.server.close().catch(() => {});
  }

  /** PoolSession: an upstream's list changed; the agent re-lists. */
  listChanged(_server: string, what: ListKind): void {
    const send =
      what === "tools"
        ? this.server.sendToolListChanged()
        : what === "prompts"
          ? this.server.sendPromptListChanged()
          : this.server.sendResourceListChanged();
    send.catch(() => {});
  }

  /** PoolSession: a resource this session subscribed to changed. */
  resourceUpdated(uri: string): void {
    this.server.sendResourceUpdated({ uri }).catch(() => {});
  }

  /**
   * PoolSession: an upstream asks the user something during one of this session's calls. It is
   * relayed to the agent's client if that declared elicitation (form mode), else declined; either
   * way one audit event records the question's server and the answer's action (not its content).
   */
  async elicit(server: string, params: ElicitRequest["params"]): Promise<ElicitResult> {
    const relayed = this.canElicit() && params.mode !== "url";
    let result: ElicitResult;
    let error: string | undefined;
    if (!relayed) {
      result = { action: "decline" };
    } else {
      try {
        result = await this.server.elicitInput(params, {
          timeout: this.init.options.approvalTimeoutMs,
        });
      } catch (caught) {
        error = messageOf(caught);
        result = { action: "cancel" };
      }
    }
    try {
      await this.init.audit.append({
        kind: "mcp.elicit",
        pep: PEP,
        principal: this.principal(),
        target: { server, message: params.message },
        context: {
          session: this.session,
          relayed,
          action: result.action,
          ...(error === undefined ? {} : { error }),
        },
      });
    } catch (caught) {
      // Nothing the user said may reach the upstream unrecorded.
      this.auditProblem = messageOf(caught);
      return { action: "decline" };
    }
    return result;
  }

  /** The upstream for a server name, if configured. */
  upstream(server: string): Upstream | undefined {
    return this.upstreams.get(server);
  }

  get options(): GatewayInit["options"] {
    return this.init.options;
  }

  get policy(): PolicySource {
    return this.init.policy;
  }

  get context(): RequestContext | undefined {
    return this.init.context;
  }

  log(line: string): void {
    this.init.log(line);
  }

  principal(): Principal {
    return this.init.principal;
  }

  private request(
    address: ToolAddress,
    args: Record<string, unknown>,
  ): Request & {
    kind: "mcp.call";
  } {
    return {
      kind: "mcp.call",
      principal: this.principal(),
      target: { server: address.server, tool: address.tool, args },
      ...(this.init.context === undefined ? {} : { context: this.init.context }),
    };
  }

  async listTools(): Promise<Tool[]> {
    const lists = await Promise.all(
      [...this.upstreams.values()].map(async (upstream) => {
        try {
          return { upstream, tools: await upstream.listTools() };
        } catch (error) {
          this.init.log(`[${upstream.name}] tools/list failed: ${messageOf(error)}`);
          return { upstream, tools: [] as Tool[] };
        }
      }),
    );
    const shown: Tool[] = [];
    for (const { upstream, tools } of lists) {
      for (const tool of tools) {
        const name = qualify(upstream.name, tool.name);
        this.routes.set(name, { server: upstream.name, tool: tool.name });
        if (this.init.pins !== undefined) {
          const pin = this.init.pins.check(upstream.name, tool);
          this.checkedDefinitions.add(tool);
          if (pin.state === "changed") {
            await this.reportChange(upstream.name, tool.name, pin.pinned, pin.seen);
            continue;
          }
        }
        if (
          deniedWhateverArgs(
            this.init.policy,
            this.principal(),
            upstream.name,
            tool.name,
            this.init.context,
          )
        ) {
          continue;
        }
        shown.push({ ...tool, name });
      }
    }
    return shown;
  }

  async callTool(
    name: string,
    args: Record<string, unknown>,
    io: CallIo = {},
  ): Promise<CallToolResult> {
    const started = performance.now();
    const address = this.routes.get(name) ?? splitQualified(name);
    const upstream = address === null ? undefined : this.upstreams.get(address.server);
    if (address === null || upstream === undefined) {
      return toolError(
        `Warden: no tool ${JSON.stringify(name)}; tools are named server__tool (servers: ${[...this.upstreams.keys()].join(", ")})`,
      );
    }
    if (this.init.pins !== undefined) await this.checkPin(upstream, address.tool);
    const ruling = await this.govern(
      address,
      args,
      io,
      (signal) => {
        const onProgress = progressRelay(io);
        return upstream.callTool(address.tool, args, {
          timeoutMs: this.init.options.callTimeoutMs,
          ...(signal ? { signal } : {}),
          ...(onProgress ? { onProgress } : {}),
        });
      },
      (result) => (result.isError === true ? "tool-error" : "ok"),
      started,
    );
    return "result" in ruling ? ruling.result : toolError(ruling.refused);
  }

  /**
   * Decides one request to an upstream as an `mcp.call` (`address.tool` is the tool, or
   * `prompts/get` / `resources/read` for the pass-through requests), asks a human when the policy
   * says ask, and forwards it only once the decision is on disk. Every path ends in one audit
   * event with the outcome.
   */
  async govern<T>(
    address: ToolAddress,
    args: Record<string, unknown>,
    io: CallIo,
    forward: (signal: AbortSignal | undefined) => Promise<T>,
    outcomeOf: (result: T) => Outcome,
    started = performance.now(),
  ): Promise<Ruling<T>> {
    const detected = this.scanner.scan(args);
    const request = withDetected(this.request(address, args), detected);
    let decision: Decision =
      this.auditProblem === null
        ? this.init.policy.decide(request)
        : denial(`audit log unavailable, so nothing is forwarded: ${this.auditProblem}`);
    if (detected.length > 0) {
      decision = decideCredentials(this.init.policy, request, detected, decision);
    }
    if (decision.effect !== "deny" && this.init.pins?.changed(address.server, address.tool)) {
      decision = {
        ...decision,
        effect: "deny",
        reason: `the definition of ${address.server}/${address.tool} changed since it was pinned; it is withheld until someone who has read it runs \`warden mcp pins approve ${qualify(address.server, address.tool)}\``,
      };
    }
    const latencyUs = Math.max(1, Math.round((performance.now() - started) * 1000));

    let ask: AskOutcome | undefined;
    if (decision.effect === "ask") {
      const asked = decision;
      try {
        ask = await resolveAsk(request, asked, {
          elicit: this.canElicit()
            ? async (message, timeoutMs) =>
                (
                  await this.server.elicitInput(
                    { mode: "form", message, requestedSchema: { type: "object", properties: {} } },
                    { timeout: timeoutMs, ...(io.signal ? { signal: io.signal } : {}) },
                  )
                ).action
            : null,
          approvals: this.init.approvals,
          requested: async ({ via, digest, approval }) => {
            await this.record({
              request,
              decision: asked,
              latencyUs,
              context: {
                approval: {
                  state: "requested",
                  via,
                  digest,
                  ...(approval
                    ? { id: approval.id, expires: new Date(approval.expiresMs).toISOString() }
                    : {}),
                },
              },
            });
            if (approval) {
              this.init.log(
                `approval ${approval.id} pending for ${address.server}/${address.tool}: warden approvals approve ${approval.id}`,
              );
            }
          },
          pep: PEP,
          timeoutMs: this.init.options.approvalTimeoutMs,
          requester: this.init.requester,
          ...(this.init.pollMs === undefined ? {} : { pollMs: this.init.pollMs }),
          ...(io.signal ? { signal: io.signal } : {}),
          onWait: this.progress(io),
        });
        decision = {
          ...asked,
          effect: ask.approved ? "allow" : "deny",
          reason: answeredReason(ask, asked, this.init.options.approvalTimeoutMs),
        };
      } catch (error) {
        decision = { ...asked, effect: "deny", reason: `could not ask: ${messageOf(error)}` };
      }
    }
    const approval = ask && {
      state: ask.answer,
      via: ask.via,
      digest: ask.digest,
      ...(ask.approval ? { id: ask.approval.id } : {}),
      ...(ask.approver ? { approver: ask.approver } : {}),
      ...(ask.answerReason ? { answerReason: ask.answerReason } : {}),
      waitedMs: ask.waitedMs,
    };

    if (decision.effect !== "allow") {
      await this.record({
        request,
        decision,
        latencyUs,
        context: { outcome: "not-forwarded", ...(approval ? { approval } : {}) },
      });
      return { refused: denialText(address, decision) };
    }

    // The record comes before the act: the upstream acts (sends the mail, deletes the record)
    // only once the decision to let it is on disk.
    const forwarding = await this.record({
      kind: "mcp.forward",
      request,
      decision,
      latencyUs,
      context: approval ? { approval } : {},
    });
    if (!forwarding) {
      return {
        refused: `Warden: not forwarded, the audit log cannot be written: ${this.auditProblem}`,
      };
    }
    const sent = performance.now();
    let ruling: Ruling<T>;
    let outcome: Outcome;
    let error: string | undefined;
    try {
      const result = await this.pool.during(address.server, this, () => forward(io.signal));
      outcome = outcomeOf(result);
      ruling = { result };
    } catch (caught) {
      outcome = "error";
      error = messageOf(caught);
      ruling = { refused: `Warden: upstream "${address.server}" failed: ${error}` };
    }
    const upstreamUs = Math.round((performance.now() - sent) * 1000);
    const screened = this.screen(address, ruling);
    ruling = screened.ruling;
    // The result does not wait for its outcome event: the act is on record already (mcp.forward),
    // the outcome is prepared once the result is on its way and commits with the next batch, and
    // a log that fails then refuses every later call. See docs/audit.md, "The outcome of a
    // forwarded call".
    void this.record(
      {
        request,
        decision,
        latencyUs,
        context: {
          outcome,
          upstreamUs,
          ...(error === undefined ? {} : { error }),
          ...(approval ? { approval } : {}),
          ...(screened.detected.length > 0 ? { resultDetected: screened.detected } : {}),
        },
      },
      { withinMs: OUTCOME_WITHIN_MS, prepareLater: true },
    );
    return ruling;
  }

  /**
   * Credentials in a result (a tool's content, a prompt's messages, a resource's contents) never
   * reach the agent: replaced, or the result withheld.
   */
  private screen<T>(
    address: ToolAddress,
    ruling: Ruling<T>,
  ): { ruling: Ruling<T>; detected: Detected[] } {
    if (!("result" in ruling)) return { ruling, detected: [] };
    const { value, found } = this.scanner.redact(ruling.result);
    if (found.length === 0 || this.init.options.credentialsInResults !== "block") {
      return { ruling: { result: value }, detected: found };
    }
    const what = found.map((d) => ("name" in d ? `secret ${d.name}` : d.detector)).join(", ");
    return {
      ruling: {
        refused: `Warden withheld the result of ${address.server}/${address.tool}: it carries credentials (${what})`,
      },
      detected: found,
    };
  }

  /** A call to a tool not yet listed in this session: its definition is checked first. */
  private async checkPin(upstream: Upstream, tool: string): Promise<void> {
    let tools = upstream.listedTools;
    if (tools === null) {
      try {
        tools = await upstream.listTools();
      } catch {
        return; // an unavailable upstream fails the call on its own
      }
    }
    const definition = tools.find((t) => t.name === tool);
    if (definition === undefined || this.checkedDefinitions.has(definition)) return;
    this.checkedDefinitions.add(definition);
    const pin = this.init.pins!.check(upstream.name, definition);
    if (pin.state === "changed") await this.reportChange(upstream.name, tool, pin.pinned, pin.seen);
  }

  /** A changed tool definition: one audit event and one log line per new definition. */
  private async reportChange(server: string, tool: string, pinned: string, seen: string) {
    const key = `${server}/${tool} ${seen}`;
    if (this.reportedChanges.has(key)) return;
    this.reportedChanges.add(key);
    this.init.log(
      `the definition of ${server}/${tool} changed since it was pinned: withheld until \`warden mcp pins approve ${qualify(server, tool)}\``,
    );
    try {
      await this.init.audit.append({
        kind: "mcp.pin",
        pep: PEP,
        principal: this.principal(),
        target: { server, tool },
        context: { session: this.session, change: "definition changed", pinned, seen },
      });
    } catch (error) {
      this.auditProblem = messageOf(error);
    }
  }

  private canElicit(): boolean {
    const elicitation = this.server.getClientCapabilities()?.elicitation as
      | { form?: object; url?: object }
      | undefined;
    return (
      elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined)
    );
  }

  /** Progress notifications while a call waits in the queue, so the client's timeout is reset. */
  private progress(io: CallIo): (() => void) | undefined {
    const { progressToken, notify } = io;
    if (progressToken === undefined || notify === undefined) return undefined;
    let last = Date.now();
    let progress = 0;
    return () => {
      if (Date.now() - last < 5_000) return;
      last = Date.now();
      progress += 1;
      notify({
        method: "notifications/progress",
        params: { progressToken, progress, message: "waiting for approval" },
      }).catch(() => {});
    };
  }

  /**
   * Appends one event; false if the log cannot be written. From then on every call is denied:
   * an action that cannot be recorded must not happen.
   */
  private async record(
    input: {
      kind?: "mcp.call" | "mcp.forward";
      request: Request;
      decision: Decision;
      latencyUs: number;
      context: Record<string, unknown>;
    },
    later?: { withinMs: number; prepareLater: boolean },
  ): Promise<boolean> {
    const event: AuditEventInput = {
      kind: input.kind ?? "mcp.call",
      pep: PEP,
      principal: input.request.principal,
      target: input.request.target,
      decision: input.decision,
      latencyUs: input.latencyUs,
      context: { ...(input.request.context ?? {}), session: this.session, ...input.context },
    };
    try {
      await this.init.audit.append(event, later ?? {});
      return true;
    } catch (error) {
      this.auditProblem = messageOf(error);
      this.init.log(`audit log unavailable: ${this.auditProblem}`);
      return false;
    }
  }
}

/** What a request handler passes on: cancellation, and progress for a call that waits. */
export interface CallIo {
  signal?: AbortSignal;
  progressToken?: string | number | undefined;
  notify?: (notification: ServerNotification) => Promise<void>;
}

/**
 * Relays an upstream's progress on a call to the agent under the agent's own token (the upstream
 * saw a token of the gateway's, raw-requests.ts); progress without a numeric `progress` is dropped.
 */
function progressRelay(io: CallIo): ((params: Record<string, unknown>) => void) | undefined {
  const { progressToken, notify } = io;
  if (progressToken === undefined || notify === undefined) return undefined;
  return ({ progress, total, message }) => {
    if (typeof progress !== "number") return;
    notify({
      method: "notifications/progress",
      params: {
        progressToken,
        progress,
        ...(typeof total === "number" ? { total } : {}),
        ...(typeof message === "string" ? { message } : {}),
      },
    }).catch(() => {});
  };
}

export function denialText(address: ToolAddress, decision: Decision): string {
  const by = decision.rule === null ? `the default for mcp.call` : `rule ${decision.rule}`;
  const policy = decision.policy.name === "(none)" ? "" : ` in policy ${decision.policy.name}`;
  return `Warden denied ${address.server}/${address.tool} (${by}${policy}): ${decision.reason}`;
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
