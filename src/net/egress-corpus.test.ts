/**
 * The egress bypass corpus: tricks an agent (or a script it fetched) might use to reach what the
 * policy keeps closed, each sent to the proxy as raw bytes and each required to be refused with
 * the expected rule and reason — and never connected (no bytes moved, outcome "denied").
 *
 * Two policies: OPEN allows loopback by exact IP rules (the address guard's exception) and a few
 * names; NAMES allows every host *name* (`*`) and no address, so the address guard alone stands
 * between a name and loopback, private or metadata addresses. Resolution goes through a fake
 * resolver (testkit LOOKUP_TABLE); the proxy is expected to refuse before any connect.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Harness,
  NAMES_POLICY,
  OPEN_POLICY,
  rawExchange,
  socks5Request,
  startProxy,
} from "./testkit.js";

type Send =
  | { http: string; host?: string }
  | { connect: string; host?: string }
  | { raw: string }
  | { socks5: string; port?: number; type?: 1 | 3 | 4; command?: number }
  | { socks4: Buffer };

interface Trick {
  name: string;
  policy: "open" | "names";
  send: Send;
  rule: string | null;
  reason: RegExp;
  /** The SOCKS reply code, or the HTTP status (default 403). */
  reply?: number;
}

const GUARD = "warden:address-guard";
const LITERAL = "warden:ip-literal";

const CORPUS: Trick[] = [
  // IP literal spellings of 127.0.0.1 where only names are allowed
  {
    name: "loopback literal",
    policy: "names",
    send: { http: "127.0.0.1" },
    rule: GUARD,
    reason: /loopback/,
  },
  {
    name: "decimal 2130706433",
    policy: "names",
    send: { http: "2130706433" },
    rule: LITERAL,
    reason: /obfuscated.*127\.0\.0\.1/,
  },
  {
    name: "hex 0x7f000001",
    policy: "names",
    send: { http: "0x7f000001" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
  },
  {
    name: "octal 0177.0.0.1",
    policy: "names",
    send: { http: "0177.0.0.1" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
  },
  {
    name: "short 127.1",
    policy: "names",
    send: { http: "127.1" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
  },
  {
    name: "dotted hex 0x7f.0x0.0x0.0x1",
    policy: "names",
    send: { http: "0x7f.0x0.0x0.0x1" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
  },
  {
    name: "mixed 0x7f.1",
    policy: "names",
    send: { http: "0x7f.1" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
  },
  {
    name: "zero-padded 127.000.000.001",
    policy: "names",
    send: { http: "127.000.000.001" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
  },
  {
    name: "decimal metadata 2852039166",
    policy: "open",
    send: { http: "2852039166" },
    rule: LITERAL,
    reason: /169\.254\.169\.254/,
  },
  // IPv6 forms
  {
    name: "IPv4-mapped [::ffff:127.0.0.1]",
    policy: "names",
    send: { http: "[::ffff:127.0.0.1]" },
    rule: GUARD,
    reason: /127\.0\.0\.1 is a loopback/,
  },
  {
    name: "IPv4-mapped hex [::ffff:7f00:1]",
    policy: "names",
    send: { http: "[::ffff:7f00:1]" },
    rule: GUARD,
    reason: /loopback/,
  },
  {
    name: "IPv6 loopback [::1]",
    policy: "names",
    send: { http: "[::1]" },
    rule: GUARD,
    reason: /::1 is a loopback/,
  },
  {
    name: "IPv6 unspecified [::]",
    policy: "names",
    send: { http: "[::]" },
    rule: GUARD,
    reason: /unspecified/,
  },
  {
    name: "IPv4 unspecified 0.0.0.0",
    policy: "names",
    send: { http: "0.0.0.0" },
    rule: GUARD,
    reason: /unspecified/,
  },
  {
    name: "IPv6 zone id",
    policy: "names",
    send: { connect: "[fe80::1%25eth0]:80" },
    rule: "warden:bad-target",
    reason: /invalid target/,
  },
  // names that resolve where they should not (rebinding resolver)
  {
    name: "localhost by name",
    policy: "names",
    send: { http: "localhost" },
    rule: GUARD,
    reason: /loopback/,
  },
  {
    name: "rebinding: public first, loopback second",
    policy: "names",
    send: { http: "rebind2.test" },
    rule: GUARD,
    reason: /127\.0\.0\.1 is a loopback/,
  },
  {
    name: "rebinding: public first, metadata second",
    policy: "open",
    send: { http: "rebind.test" },
    rule: "no-metadata",
    reason: /never reachable/,
  },
  {
    name: "name to mapped loopback",
    policy: "names",
    send: { http: "mapped.allowed.test" },
    rule: GUARD,
    reason: /loopback/,
  },
  {
    name: "name to IPv4-compatible ::7f00:1",
    policy: "names",
    send: { http: "compat.allowed.test" },
    rule: GUARD,
    reason: /IPv4-compatible/,
  },
  {
    name: "name to NAT64 of metadata",
    policy: "names",
    send: { http: "nat64.allowed.test" },
    rule: GUARD,
    reason: /169\.254\.169\.254 inside NAT64/,
  },
  {
    name: "name to 6to4 of loopback",
    policy: "names",
    send: { http: "sixtofour.allowed.test" },
    rule: GUARD,
    reason: /127\.0\.0\.1 inside 6to4/,
  },
  {
    name: "name to Teredo of loopback",
    policy: "names",
    send: { http: "teredo.allowed.test" },
    rule: GUARD,
    reason: /127\.0\.0\.1 inside Teredo/,
  },
  {
    name: "name to 10/8",
    policy: "names",
    send: { http: "private.allowed.test" },
    rule: GUARD,
    reason: /private \(RFC 1918\)/,
  },
  {
    name: "name to 172.16/12",
    policy: "names",
    send: { http: "private172.allowed.test" },
    rule: GUARD,
    reason: /private/,
  },
  {
    name: "name to 192.168/16",
    policy: "names",
    send: { http: "private192.allowed.test" },
    rule: GUARD,
    reason: /private/,
  },
  {
    name: "name to CGNAT",
    policy: "names",
    send: { http: "cgnat.allowed.test" },
    rule: GUARD,
    reason: /carrier-grade NAT/,
  },
  {
    name: "name to Alibaba metadata",
    policy: "names",
    send: { http: "alibaba.allowed.test" },
    rule: GUARD,
    reason: /cloud metadata/,
  },
  {
    name: "name to ECS metadata",
    policy: "names",
    send: { http: "ecs.allowed.test" },
    rule: GUARD,
    reason: /cloud metadata/,
  },
  {
    name: "name to ULA",
    policy: "names",
    send: { http: "ula.allowed.test" },
    rule: GUARD,
    reason: /unique local/,
  },
  {
    name: "name to EC2 IPv6 metadata",
    policy: "names",
    send: { http: "ec2v6.allowed.test" },
    rule: GUARD,
    reason: /cloud metadata/,
  },
  {
    name: "name to IPv6 link-local",
    policy: "names",
    send: { http: "linklocal6.allowed.test" },
    rule: GUARD,
    reason: /link-local/,
  },
  {
    name: "name to multicast",
    policy: "names",
    send: { http: "multicast.allowed.test" },
    rule: GUARD,
    reason: /multicast/,
  },
  {
    name: "name to broadcast",
    policy: "names",
    send: { http: "broadcast.allowed.test" },
    rule: GUARD,
    reason: /broadcast/,
  },
  {
    name: "name to 240/4",
    policy: "names",
    send: { http: "reserved.allowed.test" },
    rule: GUARD,
    reason: /reserved/,
  },
  {
    name: "name to documentation range",
    policy: "names",
    send: { http: "docs.allowed.test" },
    rule: GUARD,
    reason: /documentation/,
  },
  {
    name: "name to benchmarking range",
    policy: "names",
    send: { http: "bench.allowed.test" },
    rule: GUARD,
    reason: /benchmarking/,
  },
  {
    name: "allowed name, loopback neighbour 127.0.0.2 (only .1 allowed)",
    policy: "open",
    send: { http: "loopback2.allowed.test" },
    rule: GUARD,
    reason: /inside 127\.0\.0\.0\/8/,
  },
  // cloud metadata by address
  {
    name: "metadata literal",
    policy: "open",
    send: { http: "169.254.169.254" },
    rule: "no-metadata",
    reason: /never reachable/,
  },
  {
    name: "metadata IPv4-mapped",
    policy: "open",
    send: { http: "[::ffff:169.254.169.254]" },
    rule: "no-metadata",
    reason: /never reachable/,
  },
  {
    name: "metadata IPv4-mapped hex",
    policy: "open",
    send: { http: "[::ffff:a9fe:a9fe]" },
    rule: "no-metadata",
    reason: /never reachable/,
  },
  {
    name: "metadata by CONNECT",
    policy: "names",
    send: { connect: "169.254.169.254:80" },
    rule: GUARD,
    reason: /cloud metadata/,
  },
  // policy names
  {
    name: "denied name",
    policy: "open",
    send: { http: "evil.test" },
    rule: "blocked-names",
    reason: /exfiltration/,
  },
  {
    name: "denied name, upper case and trailing dot",
    policy: "open",
    send: { http: "EVIL.TEST." },
    rule: "blocked-names",
    reason: /exfiltration/,
  },
  {
    name: "denied subdomain",
    policy: "open",
    send: { http: "x.evil.test" },
    rule: "blocked-names",
    reason: /exfiltration/,
  },
  {
    name: "userinfo trick allowed.test@evil.test",
    policy: "open",
    send: { raw: "GET http://allowed.test@evil.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n" },
    rule: "blocked-names",
    reason: /exfiltration/,
  },
  {
    name: "host in no rule",
    policy: "open",
    send: { http: "elsewhere.test" },
    rule: null,
    reason: /default|no rule/i,
  },
  {
    name: "ask fails closed",
    policy: "open",
    send: { http: "ask.test" },
    rule: "needs-approval",
    reason: /approval required/,
  },
  // protocol tricks
  {
    name: "Host header vs CONNECT target",
    policy: "open",
    send: { connect: "allowed.test:443", host: "evil.test:443" },
    rule: "warden:host-mismatch",
    reason: /does not match/,
  },
  {
    name: "Host header vs absolute URI",
    policy: "open",
    send: { http: "allowed.test", host: "evil.test" },
    rule: "warden:host-mismatch",
    reason: /does not match/,
  },
  {
    name: "origin-form request (proxy-ignoring client)",
    policy: "open",
    send: { raw: "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n" },
    rule: "warden:protocol",
    reason: /absolute-URI/,
    reply: 400,
  },
  {
    name: "https:// as a forward request",
    policy: "open",
    send: { raw: "GET https://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n" },
    rule: "warden:protocol",
    reason: /CONNECT/,
    reply: 400,
  },
  {
    name: "CONNECT to the proxy itself",
    policy: "open",
    send: { connect: "127.0.0.1:SELF" },
    rule: "warden:self-connection",
    reason: /this proxy itself/,
  },
  {
    name: "SOCKS4 to loopback",
    policy: "open",
    send: { socks4: Buffer.from([4, 1, 0, 80, 127, 0, 0, 1, 0]) },
    rule: "warden:protocol",
    reason: /SOCKS4/,
    reply: 0x5b,
  },
  {
    name: "SOCKS4a by name",
    policy: "open",
    send: { socks4: Buffer.from([4, 1, 0, 80, 0, 0, 0, 1, 0, ...Buffer.from("allowed.test"), 0]) },
    rule: "warden:protocol",
    reason: /SOCKS4/,
    reply: 0x5b,
  },
  {
    name: "SOCKS5 UDP ASSOCIATE (DNS/UDP exfiltration)",
    policy: "open",
    send: { socks5: "0.0.0.0", port: 0, type: 1, command: 3 },
    rule: "warden:protocol",
    reason: /UDP ASSOCIATE/,
    reply: 0x07,
  },
  {
    name: "SOCKS5 BIND",
    policy: "open",
    send: { socks5: "127.0.0.1", type: 1, command: 2 },
    rule: "warden:protocol",
    reason: /BIND/,
    reply: 0x07,
  },
  {
    name: "SOCKS5 IPv4 loopback",
    policy: "names",
    send: { socks5: "127.0.0.1", type: 1 },
    rule: GUARD,
    reason: /loopback/,
    reply: 0x02,
  },
  {
    name: "SOCKS5 IPv6 loopback",
    policy: "names",
    send: { socks5: "::1", type: 4 },
    rule: GUARD,
    reason: /loopback/,
    reply: 0x02,
  },
  {
    name: "SOCKS5 decimal name",
    policy: "names",
    send: { socks5: "2130706433" },
    rule: LITERAL,
    reason: /127\.0\.0\.1/,
    reply: 0x02,
  },
  {
    name: "SOCKS5 rebinding name",
    policy: "names",
    send: { socks5: "rebind2.test" },
    rule: GUARD,
    reason: /loopback/,
    reply: 0x02,
  },
  {
    name: "SOCKS5 metadata",
    policy: "open",
    send: { socks5: "169.254.169.254", type: 1 },
    rule: "no-metadata",
    reason: /never reachable/,
    reply: 0x02,
  },
];

let open: Harness;
let names: Harness;

beforeAll(async () => {
  [open, names] = await Promise.all([
    startProxy({ policyText: OPEN_POLICY }),
    startProxy({ policyText: NAMES_POLICY }),
  ]);
});
afterAll(async () => {
  await Promise.all([open.close(), names.close()]);
});

function bytesFor(send: Send, selfPort: number): Buffer | string {
  if ("http" in send) {
    const host = send.host ?? send.http;
    return `GET http://${send.http}/x HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  }
  if ("connect" in send) {
    const target = send.connect.replace("SELF", String(selfPort));
    return `CONNECT ${target} HTTP/1.1\r\nHost: ${send.host ?? target}\r\n\r\n`;
  }
  if ("raw" in send) return send.raw;
  if ("socks4" in send) return send.socks4;
  return socks5Request(send.socks5, send.port ?? 80, {
    ...(send.type === undefined ? {} : { type: send.type }),
    ...(send.command === undefined ? {} : { command: send.command }),
  });
}

describe("egress bypass corpus", () => {
  it("holds at least 40 tricks", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CORPUS.map((t) => [t.name, t] as const))("%s", async (_name, trick) => {
    const h = trick.policy === "open" ? open : names;
    const before = h.records.length;
    const { reply } = await rawExchange(h.port, bytesFor(trick.send, h.port));
    if ("socks5" in trick.send) expect(reply[3]).toBe(trick.reply);
    else if ("socks4" in trick.send) expect(reply[1]).toBe(trick.reply);
    else expect(reply.toString("latin1")).toMatch(new RegExp(`^HTTP/1\\.1 ${trick.reply ?? 403} `));
    const record = await h.record((r) => h.records.indexOf(r) >= before);
    expect(record.decision.effect).toBe("deny");
    expect(record.decision.rule).toBe(trick.rule);
    expect(record.decision.reason).toMatch(trick.reason);
    expect(record).toMatchObject({ enforced: "deny", outcome: "denied", bytesUp: 0, bytesDown: 0 });
  });
});
