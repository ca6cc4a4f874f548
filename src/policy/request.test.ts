import { describe, expect, it } from "vitest";
import { parseRequest, requestFromFlags } from "./request.js";

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected a throw");
}

describe("requestFromFlags", () => {
  it("builds each kind with agent defaulting to cli", () => {
    expect(requestFromFlags({ exec: "git status", cwd: "/ws", workspace: "/ws" })).toEqual({
      kind: "exec",
      principal: { agent: "cli" },
      target: { command: "git status", cwd: "/ws" },
      context: { workspace: "/ws", cwd: "/ws" },
    });
    expect(
      requestFromFlags({
        read: "~/.ssh/id",
        agent: "claude-code",
        user: "alice",
        group: ["eng"],
        session: "s1",
      }),
    ).toEqual({
      kind: "fs.read",
      principal: { agent: "claude-code", user: "alice", groups: ["eng"], session: "s1" },
      target: { path: "~/.ssh/id" },
    });
    expect(requestFromFlags({ write: "/x" }).kind).toBe("fs.write");
    expect(requestFromFlags({ connect: "github.com:443" }).target).toEqual({
      host: "github.com",
      port: 443,
    });
    expect(requestFromFlags({ connect: "[fd00::1]:8080" }).target).toEqual({
      host: "fd00::1",
      port: 8080,
    });
    expect(requestFromFlags({ mcp: "gmail/send_email", args: '{"to":["a@b"]}' }).target).toEqual({
      server: "gmail",
      tool: "send_email",
      args: { to: ["a@b"] },
    });
    expect(requestFromFlags({ mcp: "db/q", args: { n: 1 } }).target).toMatchObject({
      args: { n: 1 },
    });
    expect(requestFromFlags({ mcp: "db/q" }).target).toMatchObject({ args: {} });
    expect(requestFromFlags({ cred: "github:read" }).target).toEqual({
      name: "github",
      scope: "read",
    });
  });

  it("accepts a full request as JSON or object", () => {
    const request = {
      kind: "cred.use",
      principal: { agent: "a" },
      target: { name: "n", scope: "s" },
    };
    expect(requestFromFlags({ request: JSON.stringify(request) })).toEqual(request);
    expect(requestFromFlags({ request })).toEqual(request);
  });

  it.each([
    [{}, "no request given"],
    [{ exec: "ls", read: "/x" }, "give exactly one of"],
    [{ connect: "github.com" }, "--connect takes HOST:PORT"],
    [{ connect: "fd00::1:443" }, "--connect takes HOST:PORT"],
    [{ connect: "h:70000" }, "out of range"],
    [{ mcp: "gmail" }, "--mcp takes SERVER/TOOL"],
    [{ mcp: "a/b", args: "{nope" }, "--args is not valid JSON"],
    [{ mcp: "a/b", args: "[1]" }, "--args must be a JSON object"],
    [{ exec: "ls", args: "{}" }, "--args goes with --mcp"],
    [{ cred: "github" }, "--cred takes NAME:SCOPE"],
    [{ exec: " " }, "--exec needs a command"],
    [{ request: "{" }, "--request is not valid JSON"],
    [{ exec: "ls", agent: "" }, "--agent must not be empty"],
  ])("rejects %j", (flags, message) => {
    const error = errorOf(() => requestFromFlags(flags));
    expect(error.code).toBe("REQUEST_INVALID");
    expect(error.message).toContain(message);
  });
});

describe("parseRequest", () => {
  it("accepts a valid request and keeps context fields", () => {
    const r = parseRequest({
      kind: "net.connect",
      principal: { agent: "a" },
      target: { host: "h", port: 1, ip: "1.2.3.4" },
      context: { workspace: "/w", home: "/h" },
    });
    expect(r.context).toEqual({ workspace: "/w", home: "/h" });
  });

  it.each([
    [{ kind: "exec", principal: { agent: "a" }, target: {} }, "request.target.command"],
    [
      { kind: "net.connect", principal: { agent: "a" }, target: { host: "h", port: 1.5 } },
      "request.target.port",
    ],
    [{ kind: "exec", principal: {}, target: { command: "ls" } }, "request.principal.agent"],
    [{ kind: "nope", principal: { agent: "a" }, target: {} }, "request.kind"],
    ["string", "request"],
  ])("names the bad field of %j", (value, path) => {
    const error = errorOf(() => parseRequest(value));
    expect(error.code).toBe("REQUEST_INVALID");
    expect(error.message).toContain(`${path}:`);
  });
});
