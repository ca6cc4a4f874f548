/**
 * The address guard: ranges an agent's traffic never reaches unless the policy names them.
 *
 * Before the policy's effect counts, every address a connection would use is checked against a
 * fixed table of ranges: loopback, private (RFC 1918), link-local, CGNAT, ULA, multicast,
 * unspecified, broadcast, reserved/documentation/benchmarking, and cloud metadata endpoints. IPv6
 * forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
 * `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`) are judged by the IPv4 address inside.
 *
 * The exception ("unless a rule allows the exact range"): an address in a guarded range passes
 * only when the policy allows the connection and one of the matching allow patterns is an IP
 * literal or CIDR range that contains the address **and lies inside every guarded range the
 * address is in**. So `127.0.0.1` or `127.0.0.0/8` opens loopback, `10.1.0.0/16` opens that part
 * of 10/8, `169.254.0.0/16` opens link-local but not the metadata address inside it (that needs
 * `169.254.169.254` itself), and neither `0.0.0.0/0` nor a host glob (`*`, `localhost`) ever lifts
 * the guard.
 */
import { createRequire } from "node:module";
import type IpAddr from "ipaddr.js";

// Required, not imported: Node's ESM loader first lexes a CommonJS package's source for its
// named exports (measured: ~10 ms a package for a `warden run` start).
const ipaddr: typeof IpAddr = createRequire(import.meta.url)("ipaddr.js");

export type IpAddress = IpAddr.IPv4 | IpAddr.IPv6;

export interface Range {
  readonly network: IpAddress;
  readonly bits: number;
}

export interface GuardedRange extends Range {
  readonly cidr: string;
  readonly category: string;
}

const TABLE: ReadonlyArray<readonly [string, string]> = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["100.64.0.0/10", "carrier-grade NAT (RFC 6598)"],
  ["100.100.100.200/32", "cloud metadata"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["169.254.169.254/32", "cloud metadata"],
  ["169.254.170.2/32", "cloud metadata"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.0.0.0/24", "reserved (IETF protocol assignments)"],
  ["192.0.0.192/32", "cloud metadata"],
  ["192.0.2.0/24", "reserved (documentation)"],
  ["192.88.99.0/24", "reserved (6to4 relay)"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["198.18.0.0/15", "reserved (benchmarking)"],
  ["198.51.100.0/24", "reserved (documentation)"],
  ["203.0.113.0/24", "reserved (documentation)"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["255.255.255.255/32", "broadcast"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::/96", "IPv4-compatible IPv6 (deprecated)"],
  ["100::/64", "reserved (discard)"],
  ["2001:db8::/32", "reserved (documentation)"],
  ["fc00::/7", "unique local (ULA)"],
  ["fd00:ec2::254/128", "cloud metadata"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local (deprecated)"],
  ["ff00::/8", "multicast"],
];

export const GUARDED: readonly GuardedRange[] = TABLE.map(([cidr, category]) => {
  const [network, bits] = ipaddr.parseCIDR(cidr);
  return { network, bits, cidr, category };
});

/** Where an IPv6 address carries an IPv4 one: the prefix and where the IPv4 bytes sit. */
const EMBEDDINGS: ReadonlyArray<{ range: Range; name: string; at: (b: number[]) => number[] }> = [
  { range: cidr("64:ff9b::/96"), name: "NAT64", at: (b) => b.slice(12, 16) },
  { range: cidr("64:ff9b:1::/48"), name: "NAT64 (local)", at: (b) => b.slice(12, 16) },
  { range: cidr("2002::/16"), name: "6to4", at: (b) => b.slice(2, 6) },
  // Teredo stores the client's address inverted in the last 32 bits.
  { range: cidr("2001::/32"), name: "Teredo", at: (b) => b.slice(12, 16).map((x) => x ^ 0xff) },
];

function cidr(text: string): Range {
  const [network, bits] = ipaddr.parseCIDR(text);
  return { network, bits };
}

export function inRange(ip: IpAddress, range: Range): boolean {
  return ip.kind() === range.network.kind() && ip.match(range.network, range.bits);
}

/** Whether range `inner` lies entirely inside `outer`. */
export function rangeWithin(inner: Range, outer: Range): boolean {
  return inner.bits >= outer.bits && inRange(inner.network, outer);
}

/**
 * Parses an address the way the guard sees it: IPv4-mapped IPv6 becomes IPv4. Returns null for
 * anything that is not an IP address, and for IPv6 zone ids.
 */
export function parseAddress(text: string): IpAddress | null {
  let t = text.trim().toLowerCase();
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  if (t.includes("%") || !/^[0-9a-fx:.]+$/.test(t) || !ipaddr.isValid(t)) return null;
  return ipaddr.process(t);
}

/** True for IPv4 written other than as four plain decimal parts (`2130706433`, `0x7f.1`, `010.0.0.1`). */
export function isObfuscatedIpv4(text: string): boolean {
  let t = text.trim().toLowerCase();
  if (t.endsWith(".")) t = t.slice(0, -1);
  if (!ipaddr.IPv4.isValid(t)) return false;
  return !/^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(
    t,
  );
}

export interface GuardHit {
  /** Every guarded range holding the address (for an embedded IPv4, the ranges of that IPv4). */
  readonly ranges: readonly GuardedRange[];
  /** The address the ranges were found for (the embedded IPv4 for NAT64/6to4/Teredo). */
  readonly judged: IpAddress;
  /** Human sentence: "127.0.0.1 is a loopback address (127.0.0.0/8)". */
  readonly what: string;
}

/** The guarded ranges an address is in, or null when the guard has nothing against it. */
export function guardHit(ip: IpAddress): GuardHit | null {
  const ranges = GUARDED.filter((r) => inRange(ip, r));
  if (ranges.length > 0) return hit(ip, ranges, "");
  if (ip.kind() === "ipv6") {
    const bytes = ip.toByteArray();
    for (const e of EMBEDDINGS) {
      if (!inRange(ip, e.range)) continue;
      const inner = new ipaddr.IPv4(e.at(bytes));
      const innerRanges = GUARDED.filter((r) => inRange(inner, r));
      if (innerRanges.length > 0) return hit(inner, innerRanges, ` inside ${e.name} ${ip}`);
    }
  }
  return null;
}

function hit(ip: IpAddress, ranges: GuardedRange[], via: string): GuardHit {
  // The narrowest range names the address best: 169.254.169.254 is "cloud metadata".
  const narrowest = ranges.reduce((a, b) => (b.bits > a.bits ? b : a));
  const article = /^[aeiou]/i.test(narrowest.category) ? "an" : "a";
  return {
    ranges,
    judged: ip,
    what: `${ip}${via} is ${article} ${narrowest.category} address (${narrowest.cidr})`,
  };
}

/**
 * Parses a net.connect pattern's host part into an IP range, or null when it names hosts by
 * glob. Mirrors the policy's pattern syntax: `HOST[:PORT]`, `[V6]:PORT`, bare IPv6, CIDR.
 */
export function patternRange(pattern: string): Range | null {
  const p = pattern.trim();
  let host: string;
  if (p.startsWith("[")) {
    const close = p.indexOf("]");
    if (close < 0) return null;
    host = p.slice(1, close);
  } else {
    const colons = p.split(":").length - 1;
    host = colons === 1 ? p.slice(0, p.indexOf(":")) : p;
  }
  try {
    if (host.includes("/")) {
      const [network, bits] = ipaddr.parseCIDR(host);
      if (network.kind() === "ipv6" && (network as IpAddr.IPv6).isIPv4MappedAddress() && bits >= 96)
        return { network: (network as IpAddr.IPv6).toIPv4Address(), bits: bits - 96 };
      return { network, bits };
    }
    if (!/^[0-9a-fx:.]+$/i.test(host) || !ipaddr.isValid(host)) return null;
    const ip = ipaddr.process(host);
    return { network: ip, bits: ip.kind() === "ipv4" ? 32 : 128 };
  } catch {
    return null;
  }
}

/** Whether an allow pattern lifts the guard for this hit (see the module comment). */
export function patternLifts(pattern: string, hit: GuardHit): boolean {
  const range = patternRange(pattern);
  if (range === null || !inRange(hit.judged, range)) return false;
  return hit.ranges.every((g) => rangeWithin(range, g));
}
