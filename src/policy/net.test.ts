import { describe, expect, it } from "vitest";
import { compilePolicy } from "./compile.js";
import type { Request } from "./types.js";

const policy = compilePolicy(`
apiVersion: warden/v1
kind: Policy
metadata: { name: net-test }
defaults: { net.connect: deny }
rules:
  - id: registries
    kind: net.connect
    allow: ["registry.npmjs.org:443", "*.github.com:443", "Example.COM.", "dev-*.corp.test:8000-8999"]
  - id: ssh
    kind: net.connect
    ask: ["*:22"]
  - id: metadata
    kind: net.connect
    deny: ["169.254.0.0/16", "fd00:ec2::254", "[fd00::/8]:443", "10.0.0.0/8:443"]
  - id: loopback-ip
    kind: net.connect
    ask: ["127.0.0.1"]
`);

const connect = (host: string, port: number, ip?: string): Request => ({
  kind: "net.connect",
  principal: { agent: "t" },
  target: ip === undefined ? { host, port } : { host, port, ip },
});
const effect = (host: string, port: number, ip?: string) =>
  policy.decide(connect(host, port, ip)).effect;

describe("net matching", () => {
  it("matches exact hosts with a port", () => {
    expect(effect("registry.npmjs.org", 443)).toBe("allow");
    expect(effect("registry.npmjs.org", 80)).toBe("deny");
  });

  it("matches `*.` suffixes below the domain but not the domain itself", () => {
    expect(effect("api.github.com", 443)).toBe("allow");
    expect(effect("a.b.github.com", 443)).toBe("allow");
    expect(effect("github.com", 443)).toBe("deny");
    expect(effect("evilgithub.com", 443)).toBe("deny");
  });

  it("compares host names case-insensitively and without a trailing dot", () => {
    expect(effect("API.GitHub.com.", 443)).toBe("allow");
    expect(effect("example.com", 1)).toBe("allow");
    expect(effect("EXAMPLE.com.", 1)).toBe("allow");
  });

  it("supports port ranges and any-host patterns", () => {
    expect(effect("dev-1.corp.test", 8080)).toBe("allow");
    expect(effect("dev-1.corp.test", 9000)).toBe("deny");
    expect(effect("anything.example", 22)).toBe("ask");
  });

  it("matches CIDRs and IP literals against literal hosts", () => {
    expect(effect("169.254.169.254", 80)).toBe("deny");
    expect(effect("fd00:ec2::254", 80)).toBe("deny");
    expect(effect("[FD00:EC2:0::254]", 80)).toBe("deny");
    expect(effect("fd12::1", 443)).toBe("deny");
    expect(effect("10.1.2.3", 443)).toBe("deny");
    expect(effect("127.0.0.1", 80)).toBe("ask");
  });

  it("normalises IPv4-mapped IPv6 and odd IPv4 spellings", () => {
    expect(effect("::ffff:169.254.169.254", 80)).toBe("deny");
    expect(effect("[::ffff:a9fe:a9fe]", 80)).toBe("deny");
    expect(effect("127.1", 80)).toBe("ask");
    expect(effect("2130706433", 80)).toBe("ask");
  });

  it("checks the resolved ip as well as the host name", () => {
    const d = policy.decide(connect("innocent.example", 80, "169.254.169.254"));
    expect(d).toMatchObject({ effect: "deny", rule: "metadata" });
    expect(effect("innocent.example", 80, "::ffff:127.0.0.1")).toBe("ask");
    expect(policy.explain(connect("x.example", 80, "169.254.1.1")).matched[0]?.why).toContain(
      "resolved ip 169.254.1.1",
    );
  });

  it("refuses IPv6 zone ids", () => {
    const d = policy.decide(connect("fe80::1%eth0", 80));
    expect(d.effect).toBe("deny");
    expect(d.reason).toMatch(/zone ids/);
    expect(policy.decide(connect("example.com", 1, "fe80::1%25eth0")).effect).toBe("deny");
  });

  it("denies malformed host names", () => {
    expect(policy.decide(connect("exa mple.com", 443)).reason).toMatch(/invalid host name/);
  });
});
