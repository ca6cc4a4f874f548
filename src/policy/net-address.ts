import { createRequire } from "node:module";
import type IpAddr from "ipaddr.js";

// Required, not imported: Node's ESM loader first lexes a CommonJS package's source for its
// named exports (measured: ~10 ms a package for a `warden run` start).
const ipaddr: typeof IpAddr = createRequire(import.meta.url)("ipaddr.js");

/**
 * Network address forms. Hosts are compared lower-case without a trailing dot; IP literals in any
 * form the system resolver accepts (`127.1`, `0x7f000001`, `::ffff:127.0.0.1`) become their
 * canonical text, with IPv4-mapped IPv6 turned into IPv4, so a range written once catches them all.
 * IPv6 zone ids (`fe80::1%eth0`) are refused: they name an interface, not an address.
 */
export type IpAddress = IpAddr.IPv4 | IpAddr.IPv6;

export interface NormalisedHost {
  /** Canonical host text: lower-case name or canonical IP. */
  readonly host: string;
  /** The parsed address when the host is an IP literal. */
  readonly ip: IpAddress | null;
}

export function normaliseHost(raw: string): NormalisedHost | string {
  let host = raw.trim().toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.length === 0) return "empty host";
  if (host.includes("%")) return `IPv6 zone ids are not accepted (host \`${raw}\`)`;
  if (mayBeIp(host) && ipaddr.isValid(host)) {
    const ip = ipaddr.process(host);
    return { host: ip.toString(), ip };
  }
  if (!/^[a-z0-9_.-]+$/.test(host) || host.includes("..")) return `invalid host name \`${raw}\``;
  return { host, ip: null };
}

export function parseIp(raw: string): IpAddress | string {
  const text = raw.trim().toLowerCase();
  if (text.includes("%")) return `IPv6 zone ids are not accepted (ip \`${raw}\`)`;
  if (!ipaddr.isValid(text)) return `invalid IP address \`${raw}\``;
  return ipaddr.process(text);
}

/** Cheap pre-check: IP literals (any spelling) use only these characters; most names do not. */
export function mayBeIp(text: string): boolean {
  return /^[0-9a-fx:.]+$/i.test(text);
}

export interface Cidr {
  readonly network: IpAddress;
  readonly bits: number;
}

export function parseCidr(text: string): Cidr | null {
  try {
    const [network, bits] = ipaddr.parseCIDR(text);
    if (network.kind() === "ipv6" && (network as IpAddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return { network: (network as IpAddr.IPv6).toIPv4Address(), bits: bits - 96 };
    }
    return { network, bits };
  } catch {
    return null;
  }
}

export function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  return ip.kind() === cidr.network.kind() && ip.match(cidr.network, cidr.bits);
}
