/**
 * `EgressProxy`: Warden's egress enforcement point (pep `net.proxy`). One listener (TCP, a unix
 * socket, or a sandbox's in-namespace listener handed over) speaks three protocols, told apart by
 * the first byte: 0x05 SOCKS5, 0x04 SOCKS4 (refused), anything else HTTP — absolute-URI forward
 * requests and CONNECT tunnels.
 *
 * Every upstream connection passes `gate()`: identity, decision (egress-decision.ts: policy plus
 * address guard, resolved once), the per-principal connection limit, then a connection to a
 * checked address only. Each protocol maps the gate's answer onto its own reply, and every
 * connection — refused ones included — ends as one audit event (`finish`); an allowed one is
 * also recorded as `net.open`, durably, before the proxy connects (`recordOpening`).
 */
import { EventEmitter } from "node:events";
import http from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { performance } from "node:perf_hooks";
import { type AuditEventInput, type AuditLog, OUTCOME_WITHIN_MS } from "../audit/index.js";
import type { CompiledPolicy, Decision, Principal } from "../policy/index.js";
import { BUILTIN, decideEgress, defaultLookup, type Lookup } from "./egress-decision.js";
import { relayRequestBody, relayResponse, UNSAFE_PATH, upstreamHead } from "./forward.js";
import { type RelaySocket, relaySocket } from "./relay.js";
import {
  reply,
  SOCKS_REPLY,
  SOCKS4_REJECTED,
  SocksRefusal,
  socks4Target,
  socks5Handshake,
} from "./socks.js";

export type Protocol = "http" | "connect" | "socks5" | "socks4";

export interface ProxyLimits {
  /** Upstream connections open at once per agent+session (default 64). */
  maxConnectionsPerPrincipal: number;
  /** Client connections open at once, all principals (default 1024). */
  maxClientConnections: number;
  /** A client or upstream socket silent this long is closed (default 120 s). */
  idleTimeoutMs: number;
  /** Request headers or the SOCKS handshake must be complete within this (default 10 s). */
  headerTimeoutMs: number;
  /** Largest request head accepted; more gets 431 (default 16 KiB). */
  maxHeaderBytes: number;
  /** Upstream connect timeout (default 10 s). */
  connectTimeoutMs: number;
  /** DNS lookup timeout (default 5 s). */
  resolveTimeoutMs: number;
}

export const DEFAULT_LIMITS: ProxyLimits = {
  maxConnectionsPerPrincipal: 64,
  maxClientConnections: 1024,
  idleTimeoutMs: 120_000,
  headerTimeoutMs: 10_000,
  maxHeaderBytes: 16 * 1024,
  connectTimeoutMs: 10_000,
  resolveTimeoutMs: 5_000,
};

export interface EgressProxyOptions {
  policy: CompiledPolicy;
  /** Where each connection's event goes; without it nothing is recorded (tests, benchmarks). */
  audit?: AuditLog;
  /** The principal's agent when the client sends no proxy credentials (default "unknown"). */
  agent?: string;
  /** A session id for clients that send none. */
  session?: string;
  /** Let denied connections through, recording what would have been denied. */
  reportOnly?: boolean;
  /** Refuse clients that send no proxy credentials (407 / SOCKS5 without user/pass). */
  requireIdentity?: boolean;
  lookup?: Lookup;
  limits?: Partial<ProxyLimits>;
}

/** One connection as recorded when it ends; also emitted as the `connection` event. */
export interface ConnectionRecord {
  protocol: Protocol;
  principal: Principal;
  host: string;
  port: number;
  ip?: string;
  addresses: string[];
  decision: Decision;
  /** What the proxy did: `allow` also for report-only passes. */
  enforced: "allow" | "deny";
  reportOnly: boolean;
  /** `closed`, `denied`, `limit`, `unreachable`, `refused`, `timeout`, `error`. */
  outcome: string;
  error?: string;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  latencyUs: number;
}

/** Refusals report-only mode never lets through: they are not policy, or passing would loop. */
const ALWAYS_ENFORCED = new Set<string>([
  BUILTIN.target,
  BUILTIN.self,
  "warden:protocol",
  "warden:host-mismatch",
  "warden:limit",
]);

interface Conn {
  protocol: Protocol;
  principal: Principal;
  host: string;
  port: number;
  started: number;
  record?: ConnectionRecord;
}

type GateResult =
  | {
      open: true;
      upstream: Socket;
      /** Tunnels (CONNECT, SOCKS5): the upstream's download relay, not yet reading. */
      relay: RelaySocket | undefined;
      done: (outcome: string, error?: string) => void;
    }
  | {
      open: false;
      why: "denied" | "limit" | "upstream" | "audit";
      decision: Decision;
      error?: string;
    };

const IDENTITY = /^[A-Za-z0-9._@+-]{1,128}$/;

/** Stream buffer per relayed socket: larger than the 16 KiB default, for bulk tunnels. */
const RELAY_BUFFER = 256 * 1024;

export class EgressProxy extends EventEmitter {
  readonly limits: ProxyLimits;
  private readonly policy: CompiledPolicy;
  private readonly audit: AuditLog | undefined;
  private readonly lookup: Lookup;
  private readonly self = new Set<string>();
  private readonly servers: net.Server[] = [];
  private readonly http: http.Server;
  private readonly clients = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private readonly perPrincipal = new Map<string, number>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly headerTimers = new WeakMap<Socket, NodeJS.Timeout>();
  /** Client connections with a forward request being answered: one pipelined behind it is not. */
  private readonly inFlight = new WeakSet<Socket>();
  /** Client connections that sent a request while one was in flight: closed after it. */
  private readonly pipelined = new WeakSet<Socket>();

  constructor(private readonly options: EgressProxyOptions) {
    super();
    this.policy = options.policy;
    this.audit = options.audit;
    this.lookup = options.lookup ?? defaultLookup;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.http = http.createServer({
      maxHeaderSize: this.limits.maxHeaderBytes,
      requestTimeout: 0, // bodies may be long (git push); heads are timed by armHeaderTimer
      keepAliveTimeout: this.limits.idleTimeoutMs,
      noDelay: true,
    });
    this.http.timeout = this.limits.idleTimeoutMs;
    this.http.on("request", (req, res) => void this.forward(req, res));
    this.http.on("connect", (req, socket, head) => void this.connect(req, socket as Socket, head));
    this.http.on("upgrade", (_req, socket: Socket) => {
      socket.end(plain(501, "Upgrade through the forward proxy is not supported; use CONNECT.\n"));
    });
    this.http.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      const status =
        error.code === "HPE_HEADER_OVERFLOW"
          ? 431
          : error.code === "ERR_HTTP_REQUEST_TIMEOUT" || error.code === "HPE_HEADERS_TIMEOUT"
            ? 408
            : 400;
      this.emit("refused", { reason: `${status} ${error.code ?? error.message}` });
      if (socket.writable) socket.end(plain(status, `${http.STATUS_CODES[status]}\n`));
      socket.destroy();
    });
  }

  /**
   * Listens on TCP (`{ host, port }`), a unix socket (`{ path }`), or a listening socket opened
   * elsewhere (`{ handle }`: the `warden run` bridge's, in the sandbox's network namespace, sent
   * over an IPC channel); resolves to the address.
   */
  async listen(
    at: { host?: string; port?: number } | { path: string } | { handle: net.Server },
  ): Promise<string> {
    const server = net.createServer(
      { allowHalfOpen: true, noDelay: true, highWaterMark: RELAY_BUFFER },
      (s) => this.accept(s),
    );
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if ("path" in at) server.listen(at.path, resolve);
      else if ("handle" in at) server.listen(at.handle, resolve);
      else server.listen(at.port ?? 0, at.host ?? "127.0.0.1", resolve);
    });
    const address = server.address();
    if (typeof address === "string" || address === null) return String(address ?? "");
    // A handed-over listener's address is another namespace's: not one the proxy could dial.
    if (!("handle" in at)) this.noteSelf(address);
    return address.family === "IPv6"
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }

  /** Stops accepting, closes every connection, and waits for their audit events. */
  async close(): Promise<void> {
    const closed = this.servers.map(
      (s) => new Promise<void>((resolve) => s.close(() => resolve())),
    );
    // A destroyed socket's 'close' (which records the connection's end) fires on a later tick:
    // wait for every one, so no event is appended after the caller closes the log.
    const sockets = [...this.clients, ...this.upstreams];
    const gone = sockets.map((s) =>
      s.closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => s.once("close", () => resolve())),
    );
    for (const s of sockets) s.destroy();
    this.http.close();
    await Promise.all([...closed, ...gone]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Connection ends recorded on close are queued by now; later ones join while we wait. Those
    // that would wait for a later commit (OUTCOME_WITHIN_MS) are committed now.
    await this.audit?.flush().catch(() => {}); // a failed commit rejects each of them: see finish
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Connections currently open from clients. */
  get clientCount(): number {
    return this.clients.size;
  }

  private noteSelf(a: AddressInfo): void {
    const add = (ip: string) =>
      this.self.add(ip.includes(":") ? `[${ip}]:${a.port}` : `${ip}:${a.port}`);
    add(a.address);
    if (a.address === "0.0.0.0" || a.address === "::") {
      for (const list of Object.values(networkInterfaces()))
        for (const i of list ?? []) add(i.address.split("%")[0]!);
      add("0.0.0.0");
      add("::");
    }
  }

  // --- first byte ---

  private accept(socket: Socket): void {
    socket.on("error", () => {});
    if (this.clients.size >= this.limits.maxClientConnections) {
      this.emit("refused", { reason: "too many client connections" });
      socket.destroy();
      return;
    }
    this.clients.add(socket);
    socket.once("close", () => {
      this.clients.delete(socket);
      this.headComplete(socket);
    });
    const timer = this.armHeaderTimer(socket, this.limits.headerTimeoutMs);
    const sniff = (): void => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null || chunk.length === 0) return;
      socket.off("readable", sniff);
      socket.unshift(chunk);
      if (chunk[0] === 0x05) void this.socks5(socket, timer);
      else if (chunk[0] === 0x04) this.socks4(socket, chunk, timer);
      else this.http.emit("connection", socket); // the timer runs on until the head is parsed
    };
    socket.on("readable", sniff);
  }

  /**
   * Slowloris guard: a request head (or SOCKS handshake) must be complete this long after the
   * connection opens, or after the previous response on a kept-alive connection ended (plus the
   * idle allowance). The HTTP server's own headersTimeout is not used: it is only armed for
   * servers that listen themselves, and this one is handed its sockets.
   */
  private armHeaderTimer(socket: Socket, ms: number): NodeJS.Timeout {
    clearTimeout(this.headerTimers.get(socket));
    const timer = setTimeout(() => {
      this.emit("refused", { reason: "request head not complete in time" });
      if (socket.writable && this.headerTimers.has(socket))
        socket.write(plain(408, "Request Timeout\n"));
      socket.destroy();
    }, ms);
    this.headerTimers.set(socket, timer);
    return timer;
  }

  private headComplete(socket: Socket): void {
    clearTimeout(this.headerTimers.get(socket));
    this.headerTimers.delete(socket);
  }

  // --- SOCKS ---

  private socks4(socket: Socket, first: Buffer, timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    socket.end(SOCKS4_REJECTED);
    const target = socks4Target(first) ?? { host: "", port: 0 };
    const conn = this.conn("socks4", this.principalOf(), target.host, target.port);
    this.refuse(
      conn,
      "warden:protocol",
      "SOCKS4/4a is not supported (no authentication, no IPv6); use SOCKS5 with remote DNS",
    );
  }

  private async socks5(socket: Socket, timer: NodeJS.Timeout): Promise<void> {
    let request: Awaited<ReturnType<typeof socks5Handshake>>;
    try {
      request = await socks5Handshake(socket);
    } catch (error) {
      if (error instanceof SocksRefusal && error.target !== undefined) {
        const conn = this.conn("socks5", this.principalOf(), error.target.host, error.target.port);
        this.refuse(conn, "warden:protocol", error.message);
      }
      socket.destroy();
      return;
    } finally {
      clearTimeout(timer);
    }
    const principal = this.principalOf(request.user?.name, request.user?.password);
    if (typeof principal === "string") {
      socket.end(reply(SOCKS_REPLY.notAllowed));
      return;
    }
    const conn = this.conn("socks5", principal, request.host, request.port);
    const gate = await this.gate(conn, socket);
    if (!gate.open) {
      const code =
        gate.why === "denied"
          ? SOCKS_REPLY.notAllowed
          : gate.why === "limit" || gate.why === "audit"
            ? SOCKS_REPLY.generalFailure
            : socksCode(gate.error);
      socket.end(reply(code));
      return;
    }
    socket.write(reply(SOCKS_REPLY.succeeded));
    this.pipe(socket, gate, Buffer.alloc(0));
  }

  // --- HTTP: CONNECT ---

  private async connect(req: http.IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    this.headComplete(socket);
    const principal = this.principalOf(...basicCredentials(req));
    if (typeof principal === "string") {
      socket.end(plain(407, `${principal}\n`, { "Proxy-Authenticate": 'Basic realm="warden"' }));
      return;
    }
    const target = splitAuthority(req.url ?? "");
    const conn = this.conn("connect", principal, target?.host ?? req.url ?? "", target?.port ?? 0);
    if (target === null || target.port === 0) {
      socket.end(plain(400, "CONNECT needs host:port\n"));
      this.refuse(conn, "warden:protocol", `bad CONNECT target \`${req.url}\``);
      return;
    }
    const mismatch = hostMismatch(req.headers.host, target, 443, socket);
    if (mismatch !== null) {
      socket.end(denial(403, "warden:host-mismatch", mismatch));
      this.refuse(conn, "warden:host-mismatch", mismatch);
      return;
    }
    const gate = await this.gate(conn, socket);
    if (!gate.open) {
      socket.end(gateResponse(gate));
      return;
    }
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    this.pipe(socket, gate, head);
  }

  // --- HTTP: absolute-URI forward ---

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.headComplete(req.socket);
    if (this.inFlight.has(req.socket)) {
      // Pipelined behind a request still in flight: sent nowhere. The connection closes after
      // the first response, and the client sends this one again on a new connection.
      this.pipelined.add(req.socket);
      req.resume();
      return;
    }
    this.inFlight.add(req.socket);
    res.once("finish", () => {
      this.inFlight.delete(req.socket);
      if (this.pipelined.has(req.socket)) req.socket.end();
      else if (!req.socket.destroyed)
        this.armHeaderTimer(req.socket, this.limits.idleTimeoutMs + this.limits.headerTimeoutMs);
    });
    const principal = this.principalOf(...basicCredentials(req));
    if (typeof principal === "string") {
      res.writeHead(407, { "Proxy-Authenticate": 'Basic realm="warden"' }).end(`${principal}\n`);
      return;
    }
    const url = /^http:\/\/(?:[^/?#@]*@)?([^/?#]*)(.*)$/i.exec(req.url ?? "");
    if (url === null) {
      // An origin-form request (a client that ignores its proxy setting) or https:// forward.
      const why = /^https:/i.test(req.url ?? "")
        ? "https:// URLs go through CONNECT, not as forward requests"
        : "send absolute-URI requests (http://host/path) to this proxy";
      const target = splitAuthority(req.headers.host ?? "", 80) ?? { host: "", port: 0 };
      sendDenial(res, 400, "warden:protocol", why);
      this.refuse(this.conn("http", principal, target.host, target.port), "warden:protocol", why);
      return;
    }
    const target = splitAuthority(url[1]!, 80);
    const conn = this.conn("http", principal, target?.host ?? url[1]!, target?.port ?? 0);
    if (target === null) {
      res.writeHead(400, { "Content-Type": "text/plain" }).end("bad URL authority\n");
      this.refuse(conn, "warden:protocol", `bad URL authority \`${url[1]}\``);
      return;
    }
    const path = url[2] === "" ? "/" : url[2]!;
    if (UNSAFE_PATH.test(path)) {
      res.writeHead(400, { "Content-Type": "text/plain" }).end("bad request path\n");
      this.refuse(conn, "warden:protocol", "request path with spaces or control characters");
      return;
    }
    const mismatch = hostMismatch(req.headers.host, target, 80, req.socket);
    if (mismatch !== null) {
      sendDenial(res, 403, "warden:host-mismatch", mismatch);
      this.refuse(conn, "warden:host-mismatch", mismatch);
      return;
    }
    const gate = await this.gate(conn, req.socket);
    if (!gate.open) {
      const status = gateStatus(gate);
      sendDenial(res, status, gate.decision.rule ?? "default", gateText(gate));
      return;
    }
    // From here the client connection is the upstream's: the response goes back raw and the
    // connection closes with it (the request stays in flight: nothing pipelined is answered).
    const { upstream, done } = gate;
    const client = req.socket;
    this.upstreams.add(upstream);
    const { head, chunked } = upstreamHead(req, path, req.headers.host ? null : url[1]!);
    upstream.write(head, "latin1");
    relayRequestBody(req, upstream, chunked);
    let answered = false;
    let complete = false;
    // Before the response head reached the client it gets a 502; after, only the close.
    const fail = (outcome: string, reason: string): void => {
      upstream.destroy();
      if (answered) client.destroy();
      else if (!res.headersSent)
        sendDenial(res, 502, "upstream", `upstream error: ${reason}`, true);
      done(outcome, reason);
    };
    upstream.setTimeout(this.limits.idleTimeoutMs, () => {
      client.destroy();
      fail("idle-timeout", "idle");
    });
    relayResponse(upstream, client, req.method === "HEAD", {
      onHead: () => {
        answered = true;
      },
      onComplete: () => {
        complete = true;
      },
      onBadResponse: (reason) => fail("error", reason),
    });
    upstream.once("end", () => {
      if (!answered) return fail("error", "no response");
      upstream.destroy(); // half-open sockets: the upstream's end is the exchange's end
      client.end();
      done("closed");
    });
    upstream.on("error", (e: NodeJS.ErrnoException) =>
      fail(answered ? "aborted" : "error", e.code ?? e.message),
    );
    upstream.once("close", () => {
      this.upstreams.delete(upstream);
      done("aborted"); // destroyed with no end or error seen: the client went first
    });
    client.once("close", () => {
      upstream.destroy();
      done(complete ? "closed" : "aborted"); // a client closes once it has the whole body
    });
  }

  // --- the gate: every allow/deny path ---

  private async gate(conn: Conn, client: Socket): Promise<GateResult> {
    const v = await decideEgress(
      {
        policy: this.policy,
        lookup: this.lookup,
        self: this.self,
        resolveTimeoutMs: this.limits.resolveTimeoutMs,
      },
      conn.principal,
      conn.host,
      conn.port,
      { protocol: conn.protocol },
    );
    const pass = this.options.reportOnly === true && !ALWAYS_ENFORCED.has(v.decision.rule ?? "");
    const enforced = v.decision.effect === "allow" || pass ? "allow" : "deny";
    const rec: ConnectionRecord = {
      protocol: conn.protocol,
      principal: conn.principal,
      host: v.host,
      port: v.port,
      ...(v.ip === undefined ? {} : { ip: v.ip }),
      addresses: v.addresses,
      decision: v.decision,
      enforced,
      reportOnly: v.decision.effect !== "allow" && pass,
      outcome: "closed",
      bytesUp: 0,
      bytesDown: 0,
      durationMs: 0,
      latencyUs: v.latencyUs,
    };
    conn.record = rec;
    this.emit("decision", rec);
    if (enforced === "deny") {
      this.finish(conn, "denied");
      return { open: false, why: "denied", decision: v.decision };
    }
    if (v.resolveError !== undefined) {
      this.finish(conn, "unreachable", v.resolveError);
      return { open: false, why: "upstream", decision: v.decision, error: "ENOTFOUND" };
    }
    const key = `${conn.principal.agent}\0${conn.principal.session ?? ""}`;
    const active = this.perPrincipal.get(key) ?? 0;
    if (active >= this.limits.maxConnectionsPerPrincipal) {
      const reason = `${conn.principal.agent} already has ${active} connections open (limit ${this.limits.maxConnectionsPerPrincipal})`;
      return this.overrule(conn, rec, v.decision, "warden:limit", reason, "limit", "limit");
    }
    this.perPrincipal.set(key, active + 1);
    const release = (): void => {
      const n = (this.perPrincipal.get(key) ?? 1) - 1;
      if (n <= 0) this.perPrincipal.delete(key);
      else this.perPrincipal.set(key, n);
    };
    // The record comes before the act: a connection is opened only once its decision is on
    // disk, so a crash mid-transfer loses nothing and a log that cannot be written (full,
    // read-only) refuses the connection instead of letting it through unrecorded.
    const unrecorded = await this.recordOpening(rec);
    if (unrecorded !== null) {
      release();
      const reason = `the audit log cannot be written, so the connection is refused: ${unrecorded}`;
      return this.overrule(conn, rec, v.decision, "warden:audit", reason, "unrecorded", "audit");
    }
    let upstream: Socket;
    let relay: RelaySocket | undefined;
    let address: string;
    try {
      // A tunnel's download is relayed from one read buffer (relay.ts); a forward request's is piped.
      ({ upstream, relay, address } = await this.dial(
        v.addresses,
        conn.port,
        conn.protocol !== "http",
      ));
    } catch (error) {
      release();
      const e = error as NodeJS.ErrnoException;
      const outcome = e.code === "ETIMEDOUT" ? "timeout" : "refused";
      this.finish(conn, outcome, e.code ?? e.message);
      return { open: false, why: "upstream", decision: v.decision, error: e.code ?? e.message };
    }
    if (client.destroyed) upstream.destroy();
    rec.ip = address; // the address connected to (asking the socket costs a getpeername)
    let finished = false;
    return {
      open: true,
      upstream,
      relay,
      done: (outcome, error) => {
        if (finished) return;
        finished = true;
        release();
        rec.bytesUp = upstream.bytesWritten;
        rec.bytesDown = upstream.bytesRead;
        // The act is on record (net.open): its outcome rides the next commit, as in the gateway.
        this.finish(conn, outcome, error, OUTCOME_WITHIN_MS);
      },
    };
  }

  /** Connects to the checked addresses in order; never resolves a name. */
  private async dial(
    addresses: string[],
    port: number,
    tunnel: boolean,
  ): Promise<{ upstream: Socket; relay: RelaySocket | undefined; address: string }> {
    let last: unknown = new Error("no address to connect to");
    for (const address of addresses) {
      const relay = tunnel ? relaySocket(RELAY_BUFFER, RELAY_SOCKET) : undefined;
      const upstream = relay?.socket ?? new net.Socket(RELAY_SOCKET);
      try {
        await dialOne(upstream, address, port, this.limits.connectTimeoutMs);
        return { upstream, relay, address };
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  /** Splices client and upstream; idle on either side, or either closing, ends both. */
  private pipe(
    client: Socket,
    { upstream, relay, done }: Extract<GateResult, { open: true }>,
    head: Buffer,
  ): void {
    this.upstreams.add(upstream);
    let outcome = "closed";
    const idle = (): void => {
      outcome = "idle-timeout";
      client.destroy();
      upstream.destroy();
    };
    client.setTimeout(this.limits.idleTimeoutMs, idle);
    upstream.setTimeout(this.limits.idleTimeoutMs, idle);
    upstream.on("error", () => {});
    let closed = 0;
    const onClose = (): void => {
      client.destroy();
      upstream.destroy();
      if (++closed === 2) {
        this.upstreams.delete(upstream);
        done(outcome);
      }
    };
    client.once("close", onClose);
    upstream.once("close", onClose);
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    if (relay) relay.relayTo(client);
    else upstream.pipe(client);
  }

  // --- identity, records, audit ---

  /** The principal from proxy credentials (`agent` and optional session), or a refusal. */
  private principalOf(agent?: string, session?: string): Principal | string {
    if (agent === undefined || agent === "") {
      if (this.options.requireIdentity) return "proxy credentials required (agent[:session])";
      const p: Principal = { agent: this.options.agent ?? "unknown" };
      if (this.options.session !== undefined) p.session = this.options.session;
      return p;
    }
    if (!IDENTITY.test(agent)) return `invalid agent name in proxy credentials`;
    if (session !== undefined && session !== "" && !IDENTITY.test(session))
      return `invalid session id in proxy credentials`;
    return session === undefined || session === "" ? { agent } : { agent, session };
  }

  private conn(
    protocol: Protocol,
    principal: Principal | string,
    host: string,
    port: number,
  ): Conn {
    const p =
      typeof principal === "string" ? { agent: this.options.agent ?? "unknown" } : principal;
    return { protocol, principal: p, host, port, started: performance.now() };
  }

  /** Records a refusal made before any decision (protocol errors, Host mismatch). */
  private refuse(conn: Conn, rule: string, reason: string): void {
    const decision: Decision = {
      effect: "deny",
      rule,
      matched: [],
      reason,
      policy: this.policy.identity,
    };
    conn.record = {
      protocol: conn.protocol,
      principal: conn.principal,
      host: conn.host,
      port: conn.port,
      addresses: [],
      decision,
      enforced: "deny",
      reportOnly: false,
      outcome: "denied",
      bytesUp: 0,
      bytesDown: 0,
      durationMs: 0,
      latencyUs: 0,
    };
    this.emit("decision", conn.record);
    this.finish(conn, "denied");
  }

  /** Appends `net.open` durably; the reason it could not, or null. */
  private async recordOpening(rec: ConnectionRecord): Promise<string | null> {
    if (this.audit === undefined) return null;
    const target: Record<string, unknown> = { host: rec.host, port: rec.port };
    const context: Record<string, unknown> = { protocol: rec.protocol, addresses: rec.addresses };
    if (rec.reportOnly) context.reportOnly = true;
    try {
      await this.audit.append(netEvent("net.open", rec, target, context));
      return null;
    } catch (error) {
      this.emit("auditError", error);
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** A connection Warden itself refuses after the policy allowed it (a limit, the audit log). */
  private overrule(
    conn: Conn,
    rec: NonNullable<Conn["record"]>,
    allowed: Decision,
    rule: string,
    reason: string,
    outcome: string,
    why: "limit" | "audit",
  ): GateResult {
    const decision: Decision = { ...allowed, effect: "deny", rule, reason };
    rec.decision = decision;
    rec.enforced = "deny";
    rec.reportOnly = false;
    this.finish(conn, outcome);
    return { open: false, why, decision };
  }

  /** `withinMs`: the event may wait that long for a commit that happens anyway (AuditLog). */
  private finish(conn: Conn, outcome: string, error?: string, withinMs?: number): void {
    const rec = conn.record!;
    rec.outcome = outcome;
    if (error !== undefined) rec.error = error;
    rec.durationMs = Math.round((performance.now() - conn.started) * 1000) / 1000;
    this.emit("connection", rec);
    if (this.audit === undefined) return;
    const context: Record<string, unknown> = {
      protocol: rec.protocol,
      outcome: rec.outcome,
      bytesUp: rec.bytesUp,
      bytesDown: rec.bytesDown,
      durationMs: rec.durationMs,
      addresses: rec.addresses,
    };
    if (rec.reportOnly) context.reportOnly = true;
    if (rec.error !== undefined) context.error = rec.error;
    const target: Record<string, unknown> = { host: rec.host, port: rec.port };
    if (rec.ip !== undefined) target.ip = rec.ip;
    const appended = this.audit
      .append(
        netEvent("net.connect", rec, target, context),
        withinMs === undefined ? {} : { withinMs },
      )
      .catch((e: unknown) => this.emit("auditError", e))
      .finally(() => this.pending.delete(appended));
    this.pending.add(appended);
  }
}

function netEvent(
  kind: "net.open" | "net.connect",
  rec: ConnectionRecord,
  target: Record<string, unknown>,
  context: Record<string, unknown>,
): AuditEventInput {
  const { principal, decision, latencyUs } = rec;
  return { kind, pep: "net.proxy", principal, target, decision, latencyUs, context };
}

/** Duplex stream options the Socket type does not list, but node passes them on. */
const RELAY_SOCKET = {
  allowHalfOpen: true,
  readableHighWaterMark: RELAY_BUFFER,
  writableHighWaterMark: RELAY_BUFFER,
} as net.SocketConstructorOpts;

function dialOne(socket: Socket, address: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.setNoDelay(true);
    socket.connect({ host: address, port });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(Object.assign(new Error(`connect timed out`), { code: "ETIMEDOUT" })),
      timeoutMs,
    );
    socket.once("error", fail);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve();
    });
  });
}

/** `host:port`, `[v6]:port`, or a bare host with the default port; null when malformed. */
export function splitAuthority(
  authority: string,
  defaultPort?: number,
): { host: string; port: number } | null {
  const m = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(authority);
  if (m === null || m[1] === "" || (m[2] === undefined && defaultPort === undefined)) return null;
  const port = m[2] === undefined ? defaultPort! : Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!, port };
}

/**
 * Null when the Host header names the same host and port as the target, is absent, or (CONNECT
 * from clients such as node's http.request) names the proxy itself; otherwise the refusal reason.
 */
function hostMismatch(
  header: string | undefined,
  target: { host: string; port: number },
  defaultPort: number,
  client: Socket,
): string | null {
  if (header === undefined) return null;
  const h = splitAuthority(header.trim(), defaultPort);
  const bare = (host: string) =>
    host
      .toLowerCase()
      .replace(/\.$/, "")
      .replace(/^\[(.*)\]$/, "$1");
  if (h !== null && bare(h.host) === bare(target.host) && h.port === target.port) return null;
  const toProxy =
    h !== null &&
    h.port === client.localPort &&
    (bare(h.host) === "localhost" || bare(h.host) === client.localAddress);
  if (toProxy && defaultPort === 443) return null;
  return `Host header \`${header}\` does not match the request target ${target.host}:${target.port}`;
}

function basicCredentials(req: http.IncomingMessage): [string?, string?] {
  const header = req.headers["proxy-authorization"];
  if (header === undefined) return [];
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return ["\0"]; // not Basic: refused as an invalid name
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? [text] : [text.slice(0, colon), text.slice(colon + 1)];
}

function gateStatus(gate: Extract<GateResult, { open: false }>): number {
  if (gate.why === "denied") return 403;
  if (gate.why === "limit") return 429;
  if (gate.why === "audit") return 503;
  return gate.error === "ETIMEDOUT" ? 504 : 502;
}

function gateText(gate: Extract<GateResult, { open: false }>): string {
  if (gate.why === "upstream") return `upstream connection failed: ${gate.error}`;
  return gate.decision.reason;
}

function gateResponse(gate: Extract<GateResult, { open: false }>): string {
  return denial(gateStatus(gate), gate.decision.rule ?? "default", gateText(gate));
}

function socksCode(error: string | undefined): number {
  if (error === "ECONNREFUSED") return SOCKS_REPLY.connectionRefused;
  if (error === "ENETUNREACH") return SOCKS_REPLY.networkUnreachable;
  if (error === "ETIMEDOUT") return SOCKS_REPLY.ttlExpired;
  return SOCKS_REPLY.hostUnreachable;
}

function body(status: number, rule: string, reason: string): string {
  return status === 403
    ? `Warden denied this connection (rule ${rule}): ${reason}\n`
    : `Warden: ${reason}\n`;
}

/** A raw HTTP/1.1 refusal for a socket that left the HTTP parser (CONNECT). */
function denial(status: number, rule: string, reason: string): string {
  const headers: Record<string, string> =
    status === 403 || status === 429 ? { "X-Warden-Rule": rule } : {};
  return plain(status, body(status, rule, reason), headers);
}

function sendDenial(
  res: http.ServerResponse,
  status: number,
  rule: string,
  reason: string,
  close = status < 500,
): void {
  const text = body(status, rule, reason);
  const headers: Record<string, string | number> = {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  };
  if (status === 403 || status === 429) headers["X-Warden-Rule"] = rule;
  // A refused client gets no keep-alive: its next request starts a new connection.
  if (close) headers.Connection = "close";
  res.writeHead(status, headers).end(text);
}

function plain(status: number, text: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}\r\n${extra}` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
    `Connection: close\r\n\r\n${text}`
  );
}
