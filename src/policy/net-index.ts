import { createRequire } from "node:module";
import type IpAddr from "ipaddr.js";
import { compileFlatGlob } from "./flat-glob.js";
import {
  type Cidr,
  type IpAddress,
  inCidr,
  mayBeIp,
  normaliseHost,
  parseCidr,
  parseIp,
} from "./net-address.js";
import type { DecisionEnv, KindIndex, OnMatch, PatternEntry, Refusal } from "./rule.js";
import type { NetTarget, Request } from "./types.js";

// Required, not imported: Node's ESM loader first lexes a CommonJS package's source for its
// named exports (measured: ~10 ms a package for a `warden run` start).
const ipaddr: typeof IpAddr = createRequire(import.meta.url)("ipaddr.js");

/**
 * net.connect patterns: `HOST[:PORT]` where HOST is a host glob (`registry.npmjs.org`,
 * `*.github.com`, `*`), an IP literal or a CIDR range, and PORT is a number, a range `8000-8999`
 * or `*`; no port means any port. IPv6 takes brackets when it carries a port: `[fd00::1]:443`,
 * `[fd00::/8]:443`; bare `fd00:ec2::254` means any port.
 *
 * `*.github.com` matches any name below github.com (`api.github.com`, `a.b.github.com`) but
 * not `github.com` itself: write both when both are meant. IP and CIDR patterns match a literal
 * IP host and the resolved `target.ip`; host globs match the host name only.
 *
 * Indexed by exact host, by the literal suffix of `*.suffix` patterns and a short list of other
 * globs and CIDRs.
 */
interface PortRange {
  readonly lo: number;
  readonly hi: number;
}

interface NetPattern {
  readonly entry: PatternEntry;
  readonly ports: PortRange | null;
  readonly hostTest: ((host: string) => boolean) | null;
  readonly cidr: Cidr | null;
}

function parsePorts(text: string): PortRange | null | string {
  if (text === "*") return null;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (m === null) return `invalid port \`${text}\``;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || lo > hi) return `invalid port \`${text}\``;
  return { lo, hi };
}

function portOk(p: NetPattern, port: number): boolean {
  return p.ports === null || (port >= p.ports.lo && port <= p.ports.hi);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

export class NetIndex implements KindIndex {
  private readonly exact = new Map<string, NetPattern[]>();
  private readonly bySuffix = new Map<string, NetPattern[]>();
  private readonly globs: NetPattern[] = [];
  private readonly cidrs: NetPattern[] = [];

  add(entry: PatternEntry): string | null {
    const pattern = entry.pattern.trim();
    let hostText: string;
    let portText = "*";
    if (pattern.startsWith("[")) {
      const close = pattern.indexOf("]");
      if (close < 0) return `network pattern \`${pattern}\`: unclosed \`[\``;
      hostText = pattern.slice(1, close);
      const after = pattern.slice(close + 1);
      if (after !== "") {
        if (!after.startsWith(":"))
          return `network pattern \`${pattern}\`: expected \`:PORT\` after \`]\``;
        portText = after.slice(1);
      }
    } else {
      const colons = pattern.split(":").length - 1;
      if (colons >= 2)
        hostText = pattern; // bare IPv6, any port
      else if (colons === 1) {
        const at = pattern.indexOf(":");
        hostText = pattern.slice(0, at);
        portText = pattern.slice(at + 1);
      } else hostText = pattern;
    }
    const ports = parsePorts(portText);
    if (typeof ports === "string") return `network pattern \`${pattern}\`: ${ports}`;
    if (hostText.includes("%"))
      return `network pattern \`${pattern}\`: IPv6 zone ids are not supported`;
    if (hostText.includes("/")) {
      const cidr = parseCidr(hostText);
      if (cidr === null)
        return `network pattern \`${pattern}\`: invalid CIDR range \`${hostText}\``;
      this.cidrs.push({ entry, ports, hostTest: null, cidr });
      return null;
    }
    if (mayBeIp(hostText) && ipaddr.isValid(hostText)) {
      const ip = ipaddr.process(hostText).toString();
      push(this.exact, ip, { entry, ports, hostTest: (h) => h === ip, cidr: null });
      return null;
    }
    let host = hostText.toLowerCase();
    if (host.endsWith(".")) host = host.slice(0, -1);
    if (!/^[a-z0-9_.*?[\]!-]+$/.test(host)) {
      return `network pattern \`${pattern}\`: invalid host \`${hostText}\``;
    }
    let glob: ReturnType<typeof compileFlatGlob>;
    try {
      glob = compileFlatGlob(host);
    } catch (error) {
      return `network pattern \`${pattern}\`: ${(error as Error).message}`;
    }
    const compiled: NetPattern = { entry, ports, hostTest: glob.test, cidr: null };
    if (glob.literal !== null) push(this.exact, glob.literal, compiled);
    else if (host.startsWith("*.") && compileFlatGlob(host.slice(2)).literal !== null) {
      push(this.bySuffix, host.slice(2), compiled);
    } else this.globs.push(compiled);
    return null;
  }

  match(request: Request, onMatch: OnMatch, _env: DecisionEnv): Refusal | undefined {
    const target = request.target as NetTarget;
    const host = normaliseHost(target.host);
    if (typeof host === "string") return { refused: host };
    const port = target.port;
    let resolved: IpAddress | null = null;
    if (target.ip !== undefined) {
      const ip = parseIp(target.ip);
      if (typeof ip === "string") return { refused: ip };
      resolved = ip;
    }
    const name = host.host;
    const exact = this.exact.get(name);
    if (exact !== undefined) {
      for (const p of exact) if (portOk(p, port)) onMatch(p.entry, "");
    }
    if (host.ip === null && this.bySuffix.size > 0) {
      for (let dot = name.indexOf("."); dot >= 0; dot = name.indexOf(".", dot + 1)) {
        const list = this.bySuffix.get(name.slice(dot + 1));
        if (list !== undefined) for (const p of list) if (portOk(p, port)) onMatch(p.entry, "");
      }
    }
    for (const p of this.globs) if (portOk(p, port) && p.hostTest!(name)) onMatch(p.entry, "");
    if (resolved !== null) {
      const text = resolved.toString();
      const byIp = text === name ? undefined : this.exact.get(text);
      if (byIp !== undefined) {
        for (const p of byIp) if (portOk(p, port)) onMatch(p.entry, ` (resolved ip ${text})`);
      }
    }
    for (const p of this.cidrs) {
      if (!portOk(p, port)) continue;
      if (host.ip !== null && inCidr(host.ip, p.cidr!)) onMatch(p.entry, "");
      else if (resolved !== null && inCidr(resolved, p.cidr!)) {
        onMatch(p.entry, ` (resolved ip ${resolved.toString()})`);
      }
    }
    return undefined;
  }

  describe(request: Request): string {
    const target = request.target as NetTarget;
    const host = normaliseHost(target.host);
    const shown = typeof host === "string" ? target.host : host.host;
    const ip = target.ip === undefined ? "" : ` (ip ${target.ip})`;
    return `host ${shown} port ${target.port}${ip}`;
  }
}
