import { describe, expect, it } from "vitest";
import { type Subscriber, Subscriptions } from "./subscriptions.js";

/** The requests an upstream would get, and the updates each session would. */
function setup(refuse = false) {
  const sent: string[] = [];
  const logged: string[] = [];
  const subs = new Subscriptions(
    async (server, method, uri) => {
      sent.push(`${server} ${method} ${uri}`);
      if (refuse) throw new Error("no subscriptions here");
    },
    (line) => logged.push(line),
  );
  const session = (): Subscriber & { got: string[] } => {
    const got: string[] = [];
    return { got, resourceUpdated: (uri) => got.push(uri) };
  };
  return { subs, sent, logged, session };
}

describe("Subscriptions", () => {
  it("subscribes an upstream once for several sessions and unsubscribes after the last", async () => {
    const { subs, sent, session } = setup();
    const [a, b] = [session(), session()];
    await subs.subscribe("tiny", "tiny://status", a);
    await subs.subscribe("tiny", "tiny://status", b);
    expect(sent).toEqual(["tiny resources/subscribe tiny://status"]);

    subs.updated("tiny", "tiny://status");
    subs.updated("other", "tiny://status");
    expect([a.got, b.got]).toEqual([["tiny://status"], ["tiny://status"]]);

    await subs.leave(a);
    expect(sent).toHaveLength(1);
    subs.updated("tiny", "tiny://status");
    expect([a.got.length, b.got.length]).toEqual([1, 2]);
    await subs.unsubscribe("tiny", "tiny://status", b);
    expect(sent.at(-1)).toBe("tiny resources/unsubscribe tiny://status");
    await subs.unsubscribe("tiny", "tiny://status", b);
    expect(sent).toHaveLength(2);
  });

  it("renews what is still watched when an upstream reconnects", async () => {
    const { subs, sent, session } = setup();
    await subs.subscribe("tiny", "a://1", session());
    await subs.subscribe("files", "b://2", session());
    subs.renew("tiny");
    await Promise.resolve();
    expect(sent).toEqual([
      "tiny resources/subscribe a://1",
      "files resources/subscribe b://2",
      "tiny resources/subscribe a://1",
    ]);
  });

  it("subscribes nobody when the upstream refuses: no updates, nothing to renew", async () => {
    const { subs, logged, session } = setup(true);
    const a = session();
    await expect(subs.subscribe("tiny", "a://1", a)).rejects.toThrow("no subscriptions here");
    subs.updated("tiny", "a://1");
    expect(a.got).toEqual([]);
    subs.renew("tiny");
    expect(logged).toEqual([]);
  });
});
