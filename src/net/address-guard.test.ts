import { describe, expect, it } from "vitest";
import { compilePolicy } from "../policy/index.js";
import { guardHit, isObfuscatedIpv4, parseAddress, patternLifts } from "./address-guard.js";
import { BUILTIN, decideEgress } from "./egress-decision.js";
import { fakeLookup } from "./testkit.js";

const hit = (text: string) => guardHit(parseAddress(text)!);

describe("address guard", () => {
  it("names the narrowest range", () => {
    expect(hit("169.254.169.254")!.what).toBe(
      "169.254.169.254 is a cloud metadata address (169.254.169.254/32)",
    );
    expect(hit("10.1.2.3")!.what).toContain("private (RFC 1918)");
    expect(hit("::ffff:10.1.2.3")!.what).toContain("10.1.2.3 is a private");
    expect(hit("93.184.216.34")).toBeNull();
    expect(hit("2606:4700::1111")).toBeNull();
  });

  it("tells obfuscated IPv4 spellings from the plain one", () => {
    for (const t of ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1", "010.0.0.1"])
      expect(isObfuscatedIpv4(t), t).toBe(true);
    for (const t of ["127.0.0.1", "10.0.0.1", "::1", "example.com"])
      expect(isObfuscatedIpv4(t), t).toBe(false);
  });

  it("is lifted only by an IP or CIDR pattern inside every guarded range of the address", () => {
    expect(patternLifts("127.0.0.1", hit("127.0.0.1")!)).toBe(true);
    expect(patternLifts("127.0.0.0/8:8080", hit("127.0.0.1")!)).toBe(true);
    expect(patternLifts("[::1]:443", hit("::1")!)).toBe(true);
    expect(patternLifts("127.0.0.1", hit("127.0.0.2")!)).toBe(false);
    expect(patternLifts("0.0.0.0/0", hit("127.0.0.1")!)).toBe(false);
    expect(patternLifts("*", hit("127.0.0.1")!)).toBe(false);
    expect(patternLifts("localhost", hit("127.0.0.1")!)).toBe(false);
    expect(patternLifts("169.254.0.0/16", hit("169.254.1.1")!)).toBe(true);
    expect(patternLifts("169.254.0.0/16", hit("169.254.169.254")!)).toBe(false);
    expect(patternLifts("169.254.169.254", hit("169.254.169.254")!)).toBe(true);
    expect(patternLifts("[::ffff:10.0.0.0/104]", hit("10.2.3.4")!)).toBe(true);
  });
});

describe("decideEgress (decisions only, nothing connects)", () => {
  const policy = compilePolicy(`apiVersion: warden/v1
kind: Policy
metadata: { name: t }
rules:
  - id: lab
    kind: net.connect
    allow: ["169.254.0.0/16", "lab.test"]
  - id: any-https
    kind: net.connect
    allow: ["0.0.0.0/0:443"]
`);
  const lookup = fakeLookup({ "lab.test": ["169.254.7.7"], "meta.lab.test": ["169.254.169.254"] });
  const decide = (host: string, port = 80) =>
    decideEgress(
      { policy, lookup, self: new Set(), resolveTimeoutMs: 1000 },
      { agent: "t" },
      host,
      port,
      {},
    );

  it("a CIDR allow inside link-local opens it, but not the metadata address within", async () => {
    expect((await decide("169.254.7.7")).decision.effect).toBe("allow");
    const meta = await decide("169.254.169.254");
    expect(meta.decision).toMatchObject({ effect: "deny", rule: BUILTIN.guard });
    expect(meta.decision.reason).toContain("cloud metadata");
  });

  it("a name allowed by a host pattern resolves into a CIDR the policy opens", async () => {
    const v = await decide("lab.test");
    expect(v).toMatchObject({ decision: { effect: "allow" }, addresses: ["169.254.7.7"] });
  });

  it("0.0.0.0/0 does not lift the guard", async () => {
    const v = await decide("10.0.0.1", 443);
    expect(v.decision).toMatchObject({ effect: "deny", rule: BUILTIN.guard });
  });

  it("resolves once per decision", async () => {
    const before = lookup.calls.length;
    await decide("lab.test");
    expect(lookup.calls.length - before).toBe(1);
  });

  it("a name that does not resolve is reported, not allowed", async () => {
    const v = await decide("nowhere.lab.test");
    expect(v.resolveError).toContain("ENOTFOUND");
    expect(v.addresses).toEqual([]);
  });
});
