/**
 * Resource subscriptions shared by the sessions of one pool. The gateway subscribes an upstream
 * to a URI once, when the first session asks, and unsubscribes it when the last one leaves;
 * `notifications/resources/updated` reaches only the sessions subscribed to that URI. A restarted
 * upstream remembers no subscriptions, so they are renewed whenever it (re)connects.
 */

export interface Subscriber {
  resourceUpdated(uri: string): void;
}

export type SubscriptionMethod = "resources/subscribe" | "resources/unsubscribe";

/** Asks an upstream to (un)subscribe a URI. */
export type SendSubscription = (
  server: string,
  method: SubscriptionMethod,
  uri: string,
) => Promise<unknown>;

export class Subscriptions {
  /** Subscribers by `server uri`. */
  private readonly byKey = new Map<string, Set<Subscriber>>();

  constructor(
    private readonly send: SendSubscription,
    private readonly log: (line: string) => void,
  ) {}

  /** Subscribes `who`; rejects (and subscribes nobody) when the upstream refuses. */
  async subscribe(server: string, uri: string, who: Subscriber): Promise<void> {
    const key = keyOf(server, uri);
    if (!this.byKey.has(key)) await this.send(server, "resources/subscribe", uri);
    const subscribers = this.byKey.get(key) ?? new Set();
    subscribers.add(who);
    this.byKey.set(key, subscribers);
  }

  async unsubscribe(server: string, uri: string, who: Subscriber): Promise<void> {
    const key = keyOf(server, uri);
    const subscribers = this.byKey.get(key);
    if (subscribers === undefined || !subscribers.delete(who) || subscribers.size > 0) return;
    this.byKey.delete(key);
    await this.quietly(server, "resources/unsubscribe", uri);
  }

  /** A session ended: its subscriptions go, and the upstream's where it was the last. */
  async leave(who: Subscriber): Promise<void> {
    const mine = [...this.byKey].filter(([, subscribers]) => subscribers.has(who));
    await Promise.all(
      mine.map(([key]) => {
        const [server, uri] = splitKey(key);
        return this.unsubscribe(server, uri, who);
      }),
    );
  }

  updated(server: string, uri: string): void {
    for (const who of this.byKey.get(keyOf(server, uri)) ?? []) who.resourceUpdated(uri);
  }

  /** The upstream (re)connected: subscribe it again to every URI someone still watches. */
  renew(server: string): void {
    for (const key of this.byKey.keys()) {
      const [owner, uri] = splitKey(key);
      if (owner === server) void this.quietly(server, "resources/subscribe", uri);
    }
  }

  private async quietly(server: string, method: SubscriptionMethod, uri: string): Promise<void> {
    try {
      await this.send(server, method, uri);
    } catch (error) {
      this.log(
        `[${server}] ${method} ${uri} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

// Server names cannot hold a space (config.ts allows [A-Za-z0-9._-]); the URI is the rest.
const keyOf = (server: string, uri: string) => `${server} ${uri}`;

function splitKey(key: string): [string, string] {
  const space = key.indexOf(" ");
  return [key.slice(0, space), key.slice(space + 1)];
}
