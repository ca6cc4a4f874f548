/**
 * Resource subscriptions and argument completions through the built gateway, against the tiny
 * server with its resources on (TINY_RESOURCES=1): a subscription is decided as a read of its
 * URI, the upstream is subscribed, and its `notifications/resources/updated` reaches the agent;
 * completions come back for what the agent can see.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { McpError, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Connected,
  connect,
  events,
  type Sandbox,
  sandbox,
  text,
  tinyServer,
} from "./harness.js";

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: subscriptions, version: "1" }
defaults: { mcp.call: deny }
rules:
  - id: tiny
    kind: mcp.call
    allow: ["tiny/touch", "tiny/resources/read", "tiny/prompts/get"]
  - id: no-secret-notes
    kind: mcp.call
    deny: ["tiny/resources/read"]
    when: 'args.uri == "tiny://notes/secret"'
    reason: That note is private.
`;

const STATUS = "tiny://status";

describe("resource subscriptions and completions through warden mcp serve", () => {
  let box: Sandbox;
  let gw: Connected;
  const upstreamLog = () =>
    readFileSync(box.tinyLog, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { tool: string; args: { uri?: string } });

  beforeAll(async () => {
    box = sandbox(POLICY, {});
    const servers = { tiny: tinyServer(box, { TINY_RESOURCES: "1" }) };
    writeFileSync(box.config, JSON.stringify({ mcpServers: servers }));
    gw = await connect(box);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("subscribes the upstream, passes its updates on, and unsubscribes it", async () => {
    const updates: string[] = [];
    let updated: () => void = () => {};
    gw.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
      updated();
    });
    await gw.client.subscribeResource({ uri: STATUS });
    expect(upstreamLog().filter((e) => e.tool === "resources/subscribe")).toEqual([
      { tool: "resources/subscribe", args: { uri: STATUS } },
    ]);

    const arrived = new Promise<void>((done) => {
      updated = done;
    });
    expect(text(await gw.call("tiny__touch"))).toBe("status 1");
    await arrived;
    expect(updates).toEqual([STATUS]);
    const read = await gw.client.readResource({ uri: STATUS });
    expect(read.contents[0]).toMatchObject({ uri: STATUS, text: "status 1" });

    // Decided and audited as a read of that URI.
    const subscribe = (await events(box)).find(
      (e) =>
        (e.target as { tool?: string }).tool === "resources/read" && e.decision?.effect === "allow",
    );
    expect(subscribe?.target).toMatchObject({ server: "tiny", tool: "resources/read" });

    await gw.client.unsubscribeResource({ uri: STATUS });
    expect(upstreamLog().filter((e) => e.tool === "resources/unsubscribe")).toEqual([
      { tool: "resources/unsubscribe", args: { uri: STATUS } },
    ]);
  });

  it("refuses a subscription the policy would refuse as a read, without subscribing the upstream", async () => {
    const before = upstreamLog().filter((e) => e.tool === "resources/subscribe").length;
    const refused = gw.client.subscribeResource({ uri: "tiny://notes/secret" });
    await expect(refused).rejects.toBeInstanceOf(McpError);
    await expect(refused).rejects.toThrow(/That note is private/);
    expect(upstreamLog().filter((e) => e.tool === "resources/subscribe")).toHaveLength(before);
  });

  it("completes a prompt's and a template's arguments from the upstream", async () => {
    const prompt = await gw.client.complete({
      ref: { type: "ref/prompt", name: "tiny__greet" },
      argument: { name: "lang", value: "e" },
    });
    expect(prompt.completion.values).toEqual(["en", "es", "et"]);
    const template = await gw.client.complete({
      ref: { type: "ref/resource", uri: "tiny://notes/{name}" },
      argument: { name: "name", value: "al" },
    });
    expect(template.completion.values).toEqual(["alpha", "alps"]);
    await expect(
      gw.client.complete({
        ref: { type: "ref/prompt", name: "nope__greet" },
        argument: { name: "lang", value: "" },
      }),
    ).rejects.toThrow(/nothing to complete/);
  });
});
