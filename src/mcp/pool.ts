/**
 * The upstream connections, shared by every agent session of one `warden mcp serve`: over stdio
 * there is one session, over HTTP one per client, and all of them reach the same upstream
 * processes. The pool fans upstream notifications (list changes) out to every session, resource
 * updates to the sessions subscribed (subscriptions.ts), and routes
 * an upstream's `elicitation/create` back to the session whose call it belongs to.
 */
import type { ElicitRequest, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import type { UpstreamSpec } from "./config.js";
import { type Subscriber, Subscriptions } from "./subscriptions.js";
import { type ListKind, Upstream } from "./upstream.js";

/** How long renewing or dropping an upstream subscription may take. */
const SUBSCRIPTION_TIMEOUT_MS = 60_000;

export interface PoolSession extends Subscriber {
  /** An upstream's tools, prompts or resources changed. */
  listChanged(server: string, what: ListKind): void;
  /** Relays an upstream's question to this session's user; declines when it cannot ask. */
  elicit(server: string, params: ElicitRequest["params"]): Promise<ElicitResult>;
}

export class UpstreamPool {
  readonly upstreams = new Map<string, Upstream>();
  private readonly sessions = new Set<PoolSession>();
  /** Calls in flight per upstream, by session: an upstream's question goes to their session. */
  private readonly inFlight = new Map<string, Map<PoolSession, number>>();
  readonly subscriptions: Subscriptions;

  constructor(
    specs: UpstreamSpec[],
    private readonly log: (line: string) => void,
    version?: string,
    options: {
      maxMessageBytes?: number;
      /** Puts secrets into a spec as its upstream starts (secret-refs.ts). */
      prepare?: (spec: UpstreamSpec) => UpstreamSpec;
    } = {},
  ) {
    this.subscriptions = new Subscriptions(
      (server, method, uri) =>
        this.upstreams
          .get(server)
          ?.forward(method, { uri }, { timeoutMs: SUBSCRIPTION_TIMEOUT_MS }) ??
        Promise.reject(new Error(`no upstream ${server}`)),
      log,
    );
    for (const spec of specs) {
      this.upstreams.set(
        spec.name,
        new Upstream(
          spec,
          {
            log: (server, line) => log(`[${server}] ${line}`),
            listChanged: (server, what) => {
              for (const session of this.sessions) session.listChanged(server, what);
            },
            resourceUpdated: (server, uri) => this.subscriptions.updated(server, uri),
            connected: (server) => this.subscriptions.renew(server),
            elicit: (server, params) => this.elicit(server, params),
            ...(options.prepare === undefined ? {} : { prepare: options.prepare }),
          },
          version,
          options,
        ),
      );
    }
  }

  /** Registers a session; the returned function unregisters it. */
  join(session: PoolSession): () => void {
    this.sessions.add(session);
    return () => {
      this.sessions.delete(session);
      for (const calls of this.inFlight.values()) calls.delete(session);
      void this.subscriptions.leave(session);
    };
  }

  /** Runs one request to an upstream on behalf of a session, so its questions find the way back. */
  async during<T>(server: string, session: PoolSession, work: () => Promise<T>): Promise<T> {
    let calls = this.inFlight.get(server);
    if (calls === undefined) {
      calls = new Map();
      this.inFlight.set(server, calls);
    }
    calls.set(session, (calls.get(session) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (calls.get(session) ?? 1) - 1;
      if (left <= 0) calls.delete(session);
      else calls.set(session, left);
    }
  }

  /**
   * The session an upstream question belongs to: the one with calls in flight to that upstream.
   * MCP does not tie a server's request to the client request that caused it over stdio, so when
   * two sessions have calls in flight to the same upstream the question is declined rather than
   * shown to the wrong user.
   */
  private async elicit(server: string, params: ElicitRequest["params"]): Promise<ElicitResult> {
    const waiting = [...(this.inFlight.get(server)?.keys() ?? [])];
    if (waiting.length !== 1) {
      this.log(
        `[${server}] elicitation declined: ${waiting.length === 0 ? "no call in flight" : "calls from several clients in flight"}`,
      );
      return { action: "decline" };
    }
    return waiting[0]!.elicit(server, params);
  }

  /** Connects every upstream (failures are logged; their calls fail until they come back). */
  async start(): Promise<void> {
    await Promise.all(
      [...this.upstreams.values()].map((u) =>
        u.connect().then(
          () => {},
          (error: unknown) =>
            this.log(`[${u.name}] ${error instanceof Error ? error.message : String(error)}`),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
  }
}
