/**
 * The gateway over streamable HTTP (`warden mcp serve --http HOST:PORT`): one endpoint, `/mcp`,
 * stateful sessions (the SDK's `StreamableHTTPServerTransport`), one Gateway per session, all of
 * them sharing the upstream connections of one pool.
 *
 * Every request, not only the first of a session, is checked in this order:
 * - Host (and Origin, when a browser sends one) must name this server: a web page that rebinds
 *   its own name to 127.0.0.1 gets 403 (DNS rebinding).
 * - `Authorization: Bearer <token>` must be an active token (tokens.ts), else 401 with
 *   `WWW-Authenticate: Bearer`. The token's agent is the session's principal; a session id is
 *   only honoured with the token that opened it, and a revoked token fails on its next request.
 * - A body over the size limit is refused with 413 before it is parsed (by the SDK).
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Requester } from "./approvals.js";
import type { Gateway } from "./gateway.js";
import { loopbackRequester } from "./peer-process.js";
import type { TokenEntry, TokenStore } from "./tokens.js";

export const MCP_PATH = "/mcp";

export interface HttpServeInit {
  host: string;
  port: number;
  tokens: TokenStore;
  /** Host names (no port) a request's Host and Origin may carry, beside the loopback names. */
  allowedHosts: string[];
  maxMessageBytes: number;
  /**
   * A new session's gateway, acting for the token's client; `requester` is the local agent process
   * behind the connection when it can be seen (peer-process.ts), for the self-approval check.
   */
  openSession: (client: TokenEntry, requester: Requester | null) => Gateway;
  log: (line: string) => void;
}

interface Session {
  client: TokenEntry;
  gateway: Gateway;
  transport: StreamableHTTPServerTransport;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]", "::1"];

export class GatewayHttpServer {
  private readonly http: HttpServer;
  private readonly sessions = new Map<string, Session>();
  private readonly hosts: Set<string>;

  constructor(private readonly init: HttpServeInit) {
    this.hosts = new Set([...LOOPBACK_NAMES, ...init.allowedHosts].map((h) => h.toLowerCase()));
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        init.log(`HTTP request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) reply(res, 500, "internal error");
        else res.end();
      });
    });
  }

  /** Listens; resolves with the URL clients use. */
  async listen(): Promise<URL> {
    await new Promise<void>((done, fail) => {
      this.http.once("error", fail);
      this.http.listen(this.init.port, this.init.host, () => {
        this.http.off("error", fail);
        done();
      });
    });
    const address = this.http.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return new URL(`http://${host}:${address.port}${MCP_PATH}`);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.gateway.close()));
    await new Promise<void>((done) => {
      this.http.close(() => done());
      this.http.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== MCP_PATH) return reply(res, 404, `not found: the MCP endpoint is ${MCP_PATH}`);

    const refusal = this.checkOrigin(req);
    if (refusal !== null) {
      this.init.log(`refused a request: ${refusal}`);
      return reply(res, 403, refusal);
    }

    const client = this.authenticate(req);
    if (client === null) {
      res.setHeader(
        "WWW-Authenticate",
        req.headers.authorization === undefined
          ? 'Bearer realm="warden"'
          : 'Bearer realm="warden", error="invalid_token"',
      );
      return reply(res, 401, "a valid bearer token is required (warden mcp tokens add NAME)");
    }

    const id = req.headers["mcp-session-id"];
    if (typeof id === "string") {
      const session = this.sessions.get(id);
      // A session opened with another token is as unknown as one that never existed.
      if (session === undefined || session.client.hash !== client.hash) {
        return reply(res, 404, "session not found", -32001);
      }
      return session.transport.handleRequest(req, res);
    }
    if (req.method !== "POST") return reply(res, 400, "no session: start with initialize");
    return this.open(client, req, res);
  }

  /** A new session; it lasts only if the request really was an initialize the SDK accepted. */
  private async open(client: TokenEntry, req: IncomingMessage, res: ServerResponse) {
    const gateway = this.init.openSession(client, loopbackRequester(req.socket));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.init.maxMessageBytes,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { client, gateway, transport });
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id !== undefined && this.sessions.get(id)?.gateway === gateway) this.sessions.delete(id);
      gateway.close().catch(() => {});
    };
    await gateway.connect(transport);
    await transport.handleRequest(req, res);
    if (transport.sessionId === undefined) await gateway.close();
  }

  private authenticate(req: IncomingMessage): TokenEntry | null {
    const problem = this.init.tokens.check();
    if (problem !== null) {
      this.init.log(`every request is refused: ${problem}`);
      return null;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    return match === null ? null : this.init.tokens.verify(match[1]!);
  }

  /** Null when Host and Origin name this server. */
  private checkOrigin(req: IncomingMessage): string | null {
    const host = hostnameOf(`http://${req.headers.host ?? ""}`);
    if (host === null || !this.hosts.has(host)) {
      return `Host ${JSON.stringify(req.headers.host ?? "")} is not this server (DNS rebinding?); allow it with --allowed-host`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "null") {
      const name = hostnameOf(origin);
      if (name === null || !this.hosts.has(name)) {
        return `Origin ${JSON.stringify(origin)} is not allowed`;
      }
    } else if (origin === "null") {
      return "Origin null is not allowed";
    }
    return null;
  }
}

function hostnameOf(url: string): string | null {
  try {
    const name = new URL(url).hostname.toLowerCase();
    return name === "" ? null : name;
  } catch {
    return null;
  }
}

/** A JSON-RPC error body, as the SDK's own HTTP refusals have. */
function reply(res: ServerResponse, status: number, message: string, code = -32000): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}
