/**
 * A scripted model server on loopback for the end-to-end agent tests. It speaks just enough of
 * three providers' APIs for a real agent CLI to run a turn:
 *
 * - Anthropic Messages (`POST /v1/messages`, streaming SSE or plain JSON) — Claude Code;
 * - Gemini (`…:generateContent`, `…:streamGenerateContent?alt=sse`) — Gemini CLI;
 * - OpenAI Responses (`POST /v1/responses`, SSE) — Codex.
 *
 * A script is a list of replies. The server is stateless per request: it counts the tool calls
 * the assistant already made in the conversation the client sends back, and answers with that
 * step of the script (the last reply once the script is exhausted). So retries and side requests
 * cannot shift the script. A request that does not offer the agent's shell tool (titles, summaries,
 * classifiers, "next speaker" checks) gets a short generic answer instead.
 *
 * Every request is recorded with its raw body, so a test can assert what the model was shown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ToolCall {
  /** The tool's name as the agent declares it (`Bash`, `run_shell_command`, `exec_command`…). */
  name: string;
  /** The tool's arguments. */
  input: Record<string, unknown>;
}

export type Reply = { tool: ToolCall } | { text: string };

export type Provider = "anthropic" | "gemini" | "openai" | "other";

export interface RecordedRequest {
  provider: Provider;
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The step of the script this request was answered with; null for side requests. */
  step: number | null;
  /** The names of the tools the request offered the model. */
  tools: string[];
}

export interface ScriptContext {
  provider: Provider;
  /** The tools the request offered, by name. */
  tools: string[];
}

/** A script step, or a function that builds it from what the agent offered. */
export type ScriptStep = Reply | ((context: ScriptContext) => Reply);

export interface ModelServerOptions {
  /** The replies, one per step; a step advances each time the assistant made a tool call. */
  script: ScriptStep[];
  /** Is this request the agent's main loop? Default: it offers a tool named like a shell. */
  isMainRequest?: (context: ScriptContext) => boolean;
}

export interface ModelServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests answered from the script (the agent's main loop), in order. */
  mainRequests(): RecordedRequest[];
  /** Every request body, joined: for "the model never saw X" assertions. */
  allBodies(): string;
  /** A readable log of the requests, for failure messages. */
  describe(): string;
  close(): Promise<void>;
}

const SHELL_TOOLS = /^(bash|run_shell_command|shell|shell_command|exec_command|local_shell)$/i;

function defaultIsMain(context: ScriptContext): boolean {
  return context.tools.some((name) => SHELL_TOOLS.test(name));
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The tool names a request offers, whatever the provider's shape. */
function toolNames(provider: Provider, body: Json): string[] {
  const names: string[] = [];
  for (const tool of asArray(body.tools)) {
    if (!isObject(tool)) continue;
    if (provider === "gemini") {
      for (const declaration of asArray(tool.functionDeclarations)) {
        if (isObject(declaration) && typeof declaration.name === "string") {
          names.push(declaration.name);
        }
      }
    } else if (typeof tool.name === "string") {
      names.push(tool.name);
    } else if (isObject(tool.function) && typeof tool.function.name === "string") {
      names.push(tool.function.name);
    } else if (typeof tool.type === "string") {
      names.push(tool.type);
    }
  }
  return names;
}

/** How many tool calls the assistant already made in the conversation sent back. */
function stepOf(provider: Provider, body: Json): number {
  let calls = 0;
  if (provider === "anthropic") {
    for (const message of asArray(body.messages)) {
      if (!isObject(message) || message.role !== "assistant") continue;
      if (asArray(message.content).some((b) => isObject(b) && b.type === "tool_use")) calls++;
    }
  } else if (provider === "gemini") {
    for (const content of asArray(body.contents)) {
      if (!isObject(content) || content.role !== "model") continue;
      if (asArray(content.parts).some((p) => isObject(p) && isObject(p.functionCall))) calls++;
    }
  } else if (provider === "openai") {
    for (const item of asArray(body.input)) {
      if (!isObject(item)) continue;
      if (["function_call", "local_shell_call", "custom_tool_call"].includes(String(item.type))) {
        calls++;
      }
    }
  }
  return calls;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
}

function sseEvent(res: ServerResponse, event: string | null, data: unknown): void {
  res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
}

let counter = 0;
function id(prefix: string): string {
  counter++;
  return `${prefix}_${Date.now().toString(36)}${counter.toString(36).padStart(4, "0")}`;
}

// ---------------------------------------------------------------- Anthropic Messages

function anthropicMessage(reply: Reply, model: string): Json {
  const content =
    "tool" in reply
      ? [{ type: "tool_use", id: id("toolu"), name: reply.tool.name, input: reply.tool.input }]
      : [{ type: "text", text: reply.text }];
  return {
    id: id("msg"),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: "tool" in reply ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 8 },
  };
}

function anthropicStream(res: ServerResponse, reply: Reply, model: string): void {
  const message = anthropicMessage(reply, model);
  const block = (message.content as Json[])[0]!;
  startSse(res);
  sseEvent(res, "message_start", {
    type: "message_start",
    message: {
      ...message,
      content: [],
      stop_reason: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    },
  });
  if (block.type === "tool_use") {
    sseEvent(res, "content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
    });
    sseEvent(res, "content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
    });
  } else {
    sseEvent(res, "content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    sseEvent(res, "content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: block.text },
    });
  }
  sseEvent(res, "content_block_stop", { type: "content_block_stop", index: 0 });
  sseEvent(res, "message_delta", {
    type: "message_delta",
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: 8 },
  });
  sseEvent(res, "message_stop", { type: "message_stop" });
  res.end();
}

// ---------------------------------------------------------------- Gemini

function geminiResponse(reply: Reply): Json {
  const part =
    "tool" in reply
      ? { functionCall: { name: reply.tool.name, args: reply.tool.input } }
      : { text: reply.text };
  return {
    candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 8, totalTokenCount: 20 },
    modelVersion: "scripted",
  };
}

/** Side requests that ask for JSON (routers, "next speaker" checks) get a plausible object. */
const GEMINI_SIDE_JSON = JSON.stringify({
  reasoning: "scripted model server",
  next_speaker: "user",
  model_choice: "flash",
  complexity_reasoning: "simple",
  complexity_score: 1,
});

// ---------------------------------------------------------------- OpenAI Responses

function openaiStream(res: ServerResponse, reply: Reply, model: string): void {
  const responseId = id("resp");
  const base = { id: responseId, object: "response", created_at: 0, model };
  let item: Json;
  if ("tool" in reply) {
    item = {
      type: "function_call",
      id: id("fc"),
      call_id: id("call"),
      name: reply.tool.name,
      arguments: JSON.stringify(reply.tool.input),
      status: "completed",
    };
  } else {
    item = {
      type: "message",
      id: id("msg"),
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: reply.text, annotations: [] }],
    };
  }
  startSse(res);
  let sequence = 0;
  const send = (type: string, data: Json) =>
    sseEvent(res, type, { type, sequence_number: sequence++, ...data });
  send("response.created", { response: { ...base, status: "in_progress", output: [] } });
  send("response.output_item.added", {
    output_index: 0,
    item:
      "tool" in reply
        ? { ...item, arguments: "", status: "in_progress" }
        : { ...item, content: [] },
  });
  if ("tool" in reply) {
    send("response.function_call_arguments.delta", {
      item_id: item.id,
      output_index: 0,
      delta: item.arguments,
    });
    send("response.function_call_arguments.done", {
      item_id: item.id,
      output_index: 0,
      arguments: item.arguments,
    });
  } else {
    send("response.output_text.delta", {
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      delta: reply.text,
    });
  }
  send("response.output_item.done", { output_index: 0, item });
  send("response.completed", {
    response: {
      ...base,
      status: "completed",
      output: [item],
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 8,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 20,
      },
    },
  });
  res.end();
}

// ---------------------------------------------------------------- the server

function providerOf(method: string, path: string): Provider {
  if (method !== "POST") return "other";
  if (/\/messages$/.test(path)) return "anthropic";
  if (/:(stream)?generateContent$/i.test(path)) return "gemini";
  if (/\/responses$/.test(path)) return "openai";
  return "other";
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  const isMain = options.isMainRequest ?? defaultIsMain;

  const resolveStep = (step: number, context: ScriptContext): Reply => {
    const entry = options.script[Math.min(step, options.script.length - 1)];
    if (!entry) return { text: "done" };
    return typeof entry === "function" ? entry(context) : entry;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const path = url.pathname;
    const provider = providerOf(method, path);
    let json: Json = {};
    try {
      const parsed: unknown = body ? JSON.parse(body) : {};
      if (isObject(parsed)) json = parsed;
    } catch {
      // Recorded as is; answered as a side request.
    }
    const tools = toolNames(provider, json);
    const context: ScriptContext = { provider, tools };
    const main = provider !== "other" && isMain(context);
    const step = main ? stepOf(provider, json) : null;
    requests.push({ provider, method, path, headers: req.headers, body, step, tools });
    const reply: Reply = step === null ? { text: "OK" } : resolveStep(step, context);
    const model = typeof json.model === "string" ? json.model : "scripted-model";

    switch (provider) {
      case "anthropic":
        if (json.stream === true) anthropicStream(res, reply, model);
        else sendJson(res, 200, anthropicMessage(reply, model));
        return;
      case "gemini": {
        const config = isObject(json.generationConfig) ? json.generationConfig : {};
        const wantsJson = !main && config.responseMimeType === "application/json";
        const answer = geminiResponse(wantsJson ? { text: GEMINI_SIDE_JSON } : reply);
        if (/:streamGenerateContent$/i.test(path)) {
          startSse(res);
          sseEvent(res, null, answer);
          res.end();
        } else {
          sendJson(res, 200, answer);
        }
        return;
      }
      case "openai":
        openaiStream(res, reply, model);
        return;
      default:
        if (/count_tokens$/.test(path) || /:countTokens$/i.test(path)) {
          sendJson(res, 200, { input_tokens: 12, totalTokens: 12 });
        } else if (/\/models$/.test(path)) {
          sendJson(res, 200, { object: "list", data: [], models: [] });
        } else {
          sendJson(res, 404, { error: { type: "not_found_error", message: `no route ${path}` } });
        }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    mainRequests: () => requests.filter((r) => r.step !== null),
    allBodies: () => requests.map((r) => r.body).join("\n"),
    describe: () =>
      requests
        .map(
          (r, i) =>
            `#${i} ${r.method} ${r.path} [${r.provider}${r.step === null ? "" : ` step ${r.step}`}]` +
            ` tools=${r.tools.length} body=${r.body.length}B`,
        )
        .join("\n"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What the agent sent back as the result of its latest tool call in this request (Anthropic
 * `tool_result` blocks, Gemini `functionResponse` parts, OpenAI `function_call_output` items),
 * as JSON text: the denial reason Warden gave, or the output of a command that ran.
 */
export function lastToolResult(request: RecordedRequest): string {
  let body: Json = {};
  try {
    const parsed: unknown = JSON.parse(request.body);
    if (isObject(parsed)) body = parsed;
  } catch {
    return "";
  }
  if (request.provider === "anthropic") {
    const last = asArray(body.messages).at(-1);
    const blocks = isObject(last) ? asArray(last.content) : [];
    return JSON.stringify(blocks.filter((b) => isObject(b) && b.type === "tool_result"));
  }
  if (request.provider === "gemini") {
    const responses = asArray(body.contents).flatMap((c) =>
      isObject(c) ? asArray(c.parts).filter((p) => isObject(p) && "functionResponse" in p) : [],
    );
    return JSON.stringify(responses.at(-1) ?? null);
  }
  if (request.provider === "openai") {
    const outputs = asArray(body.input).filter(
      (i) => isObject(i) && String(i.type).endsWith("_call_output"),
    );
    return JSON.stringify(outputs.at(-1) ?? null);
  }
  return "";
}
