/**
 * Prompts and resources, passed through under the same `mcp.call` policy as tools:
 *
 * - A prompt is served as `server__prompt` and decided as tool `prompts/get` with
 *   `args: { name, arguments }` (pattern `server/prompts/get`, `when: args.name == "…"`), so a
 *   prompt and a tool of the same name never share a rule by accident.
 * - A resource keeps its URI (URIs are already global) and a read is decided as tool
 *   `resources/read` with `args: { uri }`; it goes to the upstream that listed the URI, or whose
 *   template matches it. An unknown URI is an MCP error (-32002, resource not found).
 *
 * Lists leave out what the policy denies whatever the arguments: a listed resource's URI is known,
 * so its read is decided exactly; a prompt's name is known, its arguments are not; a template's
 * URI is not known at all.
 *
 * A subscription watches what a read would return, so it is decided (and audited) as a read of its
 * URI; updates reach only the sessions subscribed (subscriptions.ts). Completions of a prompt's or
 * a template's arguments are answered for what the lists show, like the lists themselves undecided
 * and unaudited.
 */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import {
  type CompleteRequest,
  CompleteRequestSchema,
  type CompleteResult,
  ErrorCode,
  GetPromptRequestSchema,
  type GetPromptResult,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  type Prompt,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Gateway } from "./gateway.js";
import { qualify, splitQualified, type ToolAddress } from "./names.js";
import type { Upstream } from "./upstream.js";
import { deniedWhateverArgs } from "./visibility.js";

export const PROMPTS_GET = "prompts/get";
export const RESOURCES_READ = "resources/read";
/** JSON-RPC error the MCP spec gives for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

/** The three lists passed through (the name is also the result's key), and what each needs. */
const LISTS = {
  prompts: { method: "prompts/list", capability: "prompts" },
  resources: { method: "resources/list", capability: "resources" },
  resourceTemplates: { method: "resources/templates/list", capability: "resources" },
} as const;

export function registerPassThrough(gateway: Gateway): void {
  const server = gateway.server;
  /** URI → the upstream that listed it, in this session. */
  const resourceRoutes = new Map<string, string>();
  const templates: { template: UriTemplate; source: string; server: string }[] = [];

  const hidden = (upstream: string, tool: string, known: Record<string, unknown>) =>
    deniedWhateverArgs(gateway.policy, gateway.principal(), upstream, tool, gateway.context, known);

  /** Every page of one list from every upstream that offers it; a failing upstream lists nothing. */
  async function collect<T>(
    key: keyof typeof LISTS,
  ): Promise<{ upstream: Upstream; items: T[] }[]> {
    const { method, capability } = LISTS[key];
    return Promise.all(
      [...gateway.pool.upstreams.values()].map(async (upstream) => {
        const items: T[] = [];
        try {
          await upstream.connect();
          if (upstream.capabilities()?.[capability] === undefined) return { upstream, items };
          let cursor: string | undefined;
          do {
            const page = await upstream.forward(method, cursor === undefined ? {} : { cursor }, {
              timeoutMs: gateway.options.callTimeoutMs,
            });
            items.push(...((page[key] as T[] | undefined) ?? []));
            cursor = typeof page.nextCursor === "string" ? page.nextCursor : undefined;
          } while (cursor !== undefined);
        } catch (error) {
          gateway.log(
            `[${upstream.name}] ${method} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        return { upstream, items };
      }),
    );
  }

  async function listResources(): Promise<Resource[]> {
    const shown: Resource[] = [];
    for (const { upstream, items } of await collect<Resource>("resources")) {
      for (const resource of items) {
        if (!resourceRoutes.has(resource.uri)) resourceRoutes.set(resource.uri, upstream.name);
        if (!hidden(upstream.name, RESOURCES_READ, { uri: resource.uri })) shown.push(resource);
      }
    }
    return shown;
  }

  async function listTemplates(): Promise<ResourceTemplate[]> {
    const shown: ResourceTemplate[] = [];
    templates.length = 0;
    for (const { upstream, items } of await collect<ResourceTemplate>("resourceTemplates")) {
      for (const template of items) {
        try {
          templates.push({
            template: new UriTemplate(template.uriTemplate),
            source: template.uriTemplate,
            server: upstream.name,
          });
        } catch {
          continue; // a template the SDK cannot parse can route nothing; do not offer it
        }
        if (!hidden(upstream.name, RESOURCES_READ, {})) shown.push(template);
      }
    }
    return shown;
  }

  /** The upstream for a URI: listed in this session, else matched by a template, else re-listed. */
  async function routeOf(uri: string): Promise<string | undefined> {
    const find = () =>
      resourceRoutes.get(uri) ?? templates.find((t) => t.template.match(uri) !== null)?.server;
    const known = find();
    if (known !== undefined) return known;
    await Promise.all([listResources(), listTemplates()]);
    return find();
  }

  server.setRequestHandler(ListPromptsRequestSchema, async () => {
    const prompts: Prompt[] = [];
    for (const { upstream, items } of await collect<Prompt>("prompts")) {
      for (const prompt of items) {
        if (hidden(upstream.name, PROMPTS_GET, { name: prompt.name })) continue;
        prompts.push({ ...prompt, name: qualify(upstream.name, prompt.name) });
      }
    }
    return { prompts };
  });

  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const parts = splitQualified(name);
    const upstream = parts === null ? undefined : gateway.upstream(parts.server);
    if (parts === null || upstream === undefined) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Warden: no prompt ${JSON.stringify(name)}; prompts are named server__prompt`,
      );
    }
    const params = {
      name: parts.tool,
      ...(request.params.arguments === undefined ? {} : { arguments: request.params.arguments }),
    };
    return governed<GetPromptResult>(
      { server: parts.server, tool: PROMPTS_GET },
      params,
      extra.signal,
      forwarding(upstream, "prompts/get", params),
    );
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: await listResources(),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: await listTemplates(),
  }));

  /** The upstream that serves a URI; an unknown URI is the MCP error "resource not found". */
  async function ownerOf(uri: string): Promise<{ owner: string; upstream: Upstream }> {
    const owner = await routeOf(uri);
    const upstream = owner === undefined ? undefined : gateway.upstream(owner);
    if (owner === undefined || upstream === undefined) {
      throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: no upstream lists ${uri}`, {
        uri,
      });
    }
    return { owner, upstream };
  }

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const uri = request.params.uri;
    const { owner, upstream } = await ownerOf(uri);
    return governed<ReadResourceResult>(
      { server: owner, tool: RESOURCES_READ },
      { uri },
      extra.signal,
      forwarding(upstream, "resources/read", { uri }),
    );
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const uri = request.params.uri;
    const { owner, upstream } = await ownerOf(uri);
    if (upstream.capabilities()?.resources?.subscribe !== true) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `Warden: upstream "${owner}" does not offer resource subscriptions`,
      );
    }
    await governed({ server: owner, tool: RESOURCES_READ }, { uri }, extra.signal, async () => {
      await gateway.pool.subscriptions.subscribe(owner, uri, gateway);
      return {};
    });
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    const uri = request.params.uri;
    const owner = await routeOf(uri);
    if (owner !== undefined) await gateway.pool.subscriptions.unsubscribe(owner, uri, gateway);
    return {};
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const target = await completionTarget(request.params.ref);
    if (target === undefined) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Warden: nothing to complete for ${JSON.stringify(request.params.ref)}`,
      );
    }
    if (target.upstream.capabilities()?.completions === undefined) {
      return { completion: { values: [] } };
    }
    return (await target.upstream.forward(
      "completion/complete",
      { ...request.params, ref: target.ref },
      { timeoutMs: gateway.options.callTimeoutMs, signal: extra.signal },
    )) as CompleteResult;
  });

  /** The upstream and its own reference for a prompt or template the agent can see. */
  async function completionTarget(
    ref: CompleteRequest["params"]["ref"],
  ): Promise<{ upstream: Upstream; ref: CompleteRequest["params"]["ref"] } | undefined> {
    if (ref.type === "ref/prompt") {
      const parts = splitQualified(ref.name);
      const upstream = parts === null ? undefined : gateway.upstream(parts.server);
      if (parts === null || upstream === undefined) return undefined;
      if (hidden(parts.server, PROMPTS_GET, { name: parts.tool })) return undefined;
      return { upstream, ref: { ...ref, name: parts.tool } };
    }
    const find = () => templates.find((t) => t.source === ref.uri)?.server;
    if (find() === undefined) await listTemplates();
    const owner = find() ?? (await routeOf(ref.uri));
    const upstream = owner === undefined ? undefined : gateway.upstream(owner);
    if (owner === undefined || upstream === undefined) return undefined;
    return hidden(owner, RESOURCES_READ, {}) ? undefined : { upstream, ref };
  }

  const forwarding =
    (upstream: Upstream, method: string, params: Record<string, unknown>) =>
    (signal?: AbortSignal) =>
      upstream.forward(method, params, {
        timeoutMs: gateway.options.callTimeoutMs,
        ...(signal ? { signal } : {}),
      });

  /** Decided and forwarded like a tool call; a refusal is an MCP error with the same text. */
  async function governed<T>(
    address: ToolAddress,
    params: Record<string, unknown>,
    signal: AbortSignal,
    forward: (signal?: AbortSignal) => Promise<Record<string, unknown>>,
  ): Promise<T> {
    const ruling = await gateway.govern(address, params, { signal }, forward, () => "ok");
    if ("refused" in ruling) throw new McpError(ErrorCode.InvalidRequest, ruling.refused);
    return ruling.result as T;
  }
}
