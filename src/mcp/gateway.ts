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
  ListToolsRequestSchema,
  type ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import type { AuditEventInput, AuditLog } from "../audit/index.js";
import type { Decision, Principal, Request, RequestContext } from "../policy/index.js";
import type { ApprovalStore, Requester } from "./approvals.js";
import { type AskOutcome, answeredReason, resolveAsk } from "./ask.js";
import type { GatewayOptions, UpstreamSpec } from "./config.js";
import { CredentialScanner, decideCredentials, withDetected } from "./dlp.js";
import { qualify, splitQualified, type ToolAddress } from "./names.js";
import type { PinStore } from "./pins.js";
import { denial, type PolicySource } from "./policy-source.js";
import { resolveSecretRefs, type SecretSource } from "./secret-refs.js";
import { type Tool, Upstream } from "./upstream.js";
import { deniedWhateverArgs } from "./visibility.js";

export const PEP = "mcp.gateway";

export interface GatewayInit {
  upstreams: UpstreamSpec[];
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

export class Gateway {
  readonly server: Server;
  readonly session = randomUUID();
  private readonly upstreams = new Map<string, Upstream>();
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
        capabilities: { tools: { listChanged: true } },
        instructions:
          "Tools from several MCP servers, governed by Warden: each tool is named server__tool; " +
          "a call the policy refuses returns an error naming the rule and the reason.",
      },
    );
    for (const spec of init.upstreams) {
      this.upstreams.set(
        spec.name,
        new Upstream(
          spec,
          {
            log: (server, line) => init.log(`[${server}] ${line}`),
            toolsChanged: () => {
              this.server.sendToolListChanged().catch(() => {});
            },
            prepare: (spec) => resolveSecretRefs(spec, this.scanner.source),
          },
          init.version,
        ),
      );
    }
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
  }

  /** Connects every upstream (failures are logged; their calls fail until they come back). */
  async start(): Promise<void> {
    await Promise.all(
      [...this.upstreams.values()].map((u) =>
        u.connect().then(
          () => {},
          (error: unknown) => this.init.log(`[${u.name}] ${messageOf(error)}`),
        ),
      ),
    );
  }

  async connect(transport: Transport): Promise<void> {
    await this.server.connect(transport);
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
    await this.server.close().catch(() => {});
  }

  private principal(): Principal {
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
    io: {
      signal?: AbortSignal;
      progressToken?: string | number | undefined;
      notify?: (notification: ServerNotification) => Promise<void>;
    } = {},
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
        reason: `the definition of ${address.server}/${address.tool} changed since it was pinned; it is withheld until someone who has read it runs \`warden mcp trust ${name}\``,
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
      return toolError(denialText(address, decision));
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
      return toolError(
        `Warden: not forwarded, the audit log cannot be written: ${this.auditProblem}`,
      );
    }
    const sent = performance.now();
    let result: CallToolResult;
    let outcome: Outcome;
    let error: string | undefined;
    try {
      result = await upstream.callTool(address.tool, args, {
        timeoutMs: this.init.options.callTimeoutMs,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      outcome = result.isError === true ? "tool-error" : "ok";
    } catch (caught) {
      outcome = "error";
      error = messageOf(caught);
      result = toolError(`Warden: upstream "${address.server}" failed: ${error}`);
    }
    const upstreamUs = Math.round((performance.now() - sent) * 1000);
    const screened = this.screenResult(address, result);
    result = screened.result;
    const recorded = await this.record({
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
    });
    return recorded ? result : toolError(`Warden: result withheld: ${this.auditProblem}`);
  }

  /** Credentials in a result never reach the agent: replaced, or the result withheld. */
  private screenResult(address: ToolAddress, result: CallToolResult) {
    const { value, found } = this.scanner.redact(result);
    if (found.length === 0 || this.init.options.credentialsInResults !== "block") {
      return { result: value, detected: found };
    }
    const what = found.map((d) => ("name" in d ? `secret ${d.name}` : d.detector)).join(", ");
    return {
      result: toolError(
        `Warden withheld the result of ${address.server}/${address.tool}: it carries credentials (${what})`,
      ),
      detected: found,
    };
  }

  /** A call to a tool not yet listed in this session: its definition is checked first. */
  private async checkPin(upstream: Upstream, tool: string): Promise<void> {
    let tools: Tool[];
    try {
      tools = await upstream.listTools();
    } catch {
      return; // an unavailable upstream fails the call on its own
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
      `the definition of ${server}/${tool} changed since it was pinned: withheld until \`warden mcp trust ${qualify(server, tool)}\``,
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
  private progress(io: {
    progressToken?: string | number | undefined;
    notify?: (notification: ServerNotification) => Promise<void>;
  }): (() => void) | undefined {
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
  private async record(input: {
    kind?: "mcp.call" | "mcp.forward";
    request: Request;
    decision: Decision;
    latencyUs: number;
    context: Record<string, unknown>;
  }): Promise<boolean> {
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
      await this.init.audit.append(event);
      return true;
    } catch (error) {
      this.auditProblem = messageOf(error);
      this.init.log(`audit log unavailable: ${this.auditProblem}`);
      return false;
    }
  }
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
