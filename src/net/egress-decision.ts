/**
 * One egress decision: host and port in, the addresses the proxy may connect to out.
 *
 *   1. The host: an IP literal is parsed (an obfuscated IPv4 spelling such as `2130706433` or
 *      `0x7f.1` is refused outright: no client writes those but one hiding where it goes); a name
 *      is checked for shape.
 *   2. A name is decided without an address first: when a rule denies or asks for it, the name is
 *      never resolved (no DNS query leaves for a name the policy refuses).
 *   3. Resolve once (`lookup`, every address), decide host+port with each address as `target.ip`,
 *      run the address guard on each. Every address must pass; one refusal refuses the
 *      connection. The proxy then connects only to these checked addresses, never resolving again.
 *
 * `ask` fails closed: nobody can be asked inline, so it is refused with a reason saying so.
 */
import type { LookupAddress } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { performance } from "node:perf_hooks";
import type {
  CompiledPolicy,
  Decision,
  Effect,
  NetTarget,
  Principal,
  Request,
} from "../policy/index.js";
import {
  type GuardHit,
  guardHit,
  isObfuscatedIpv4,
  parseAddress,
  patternLifts,
} from "./address-guard.js";

/** Resolves a name to every address (the proxy injects a fake one in tests). */
export type Lookup = (host: string) => Promise<LookupAddress[]>;

export const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Rule ids of the proxy's own refusals; the `warden:` prefix sets them apart from policy rules. */
export const BUILTIN = {
  guard: "warden:address-guard",
  literal: "warden:ip-literal",
  target: "warden:bad-target",
  self: "warden:self-connection",
} as const;

export interface EgressVerdict {
  /** The decision as recorded: the policy's, or the guard's refusal; `ask` becomes deny. */
  decision: Decision;
  /** The policy's own effect when it differs from the recorded one (ask). */
  policyEffect?: Effect;
  /** Canonical host (lower-case name or canonical IP). */
  host: string;
  port: number;
  /** Checked addresses in connect order; empty when refused before resolving. */
  addresses: string[];
  /** The address the decision is about: the refused one, or the first allowed. */
  ip?: string;
  /** Set when the name did not resolve (the proxy answers 502 / SOCKS 0x04). */
  resolveError?: string;
  latencyUs: number;
}

export interface DecideOptions {
  policy: CompiledPolicy;
  lookup: Lookup;
  /** The proxy's own listening addresses ("ip:port"): connecting there would loop. */
  self: ReadonlySet<string>;
  /** Milliseconds before a lookup counts as failed. */
  resolveTimeoutMs: number;
}

export async function decideEgress(
  o: DecideOptions,
  principal: Principal,
  rawHost: string,
  port: number,
  context: Record<string, unknown>,
): Promise<EgressVerdict> {
  const t0 = performance.now();
  const done = (v: Omit<EgressVerdict, "latencyUs">): EgressVerdict => ({
    ...v,
    latencyUs: Math.round((performance.now() - t0) * 1000),
  });
  const refuse = (rule: string, reason: string, matched: string[] = []): Decision => ({
    effect: "deny",
    rule,
    matched,
    reason,
    policy: o.policy.identity,
  });

  let host = rawHost.trim().toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  const literal = parseAddress(host);
  const badPort = !Number.isInteger(port) || port < 1 || port > 65535;
  if (badPort || (literal === null && !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host))) {
    const what = badPort ? `port ${port}` : `host \`${rawHost}\``;
    return done({
      decision: refuse(BUILTIN.target, `invalid target: ${what}`),
      host,
      port,
      addresses: [],
    });
  }
  if (literal !== null && isObfuscatedIpv4(host)) {
    return done({
      decision: refuse(
        BUILTIN.literal,
        `IP literal \`${rawHost}\` is ${literal} written in an obfuscated form (decimal, octal, hex or short); write ${literal}`,
      ),
      host: literal.toString(),
      port,
      addresses: [literal.toString()],
      ip: literal.toString(),
    });
  }
  if (literal !== null) host = literal.toString();

  const request = (ip?: string): Request => ({
    kind: "net.connect",
    principal,
    target: ip === undefined ? { host, port } : { host, port, ip },
    context,
  });

  if (literal === null) {
    const first = o.policy.decide(request());
    if (first.effect !== "allow" && first.rule !== null) {
      return done({ ...finish(first), host, port, addresses: [] });
    }
  }

  let addresses: string[];
  if (literal !== null) addresses = [host];
  else {
    try {
      const found = await withTimeout(o.lookup(host), o.resolveTimeoutMs, host);
      addresses = [...new Set(found.map((a) => parseAddress(a.address)?.toString() ?? a.address))];
      if (addresses.length === 0) throw new Error(`no addresses for ${host}`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return done({
        decision: o.policy.decide(request()),
        host,
        port,
        addresses: [],
        resolveError: `cannot resolve ${host}: ${code}`,
      });
    }
  }

  let verdict: Decision | null = null;
  let verdictIp: string | undefined;
  for (const address of addresses) {
    const d = checkAddress(o, request(address), address, port, refuse);
    if (verdict === null || strength(d) > strength(verdict)) {
      verdict = d;
      verdictIp = address;
    }
    if (d.effect === "deny") break;
  }
  return done({ ...finish(verdict!), host, port, addresses, ip: verdictIp });
}

/** The policy's decision for one resolved address, refused by the guard where it applies. */
function checkAddress(
  o: DecideOptions,
  req: Request,
  address: string,
  port: number,
  refuse: (rule: string, reason: string, matched?: string[]) => Decision,
): Decision {
  const decision = o.policy.decide(req);
  const ip = parseAddress(address);
  if (ip === null) return refuse(BUILTIN.target, `resolver returned a non-address \`${address}\``);
  const key = ip.kind() === "ipv6" ? `[${ip}]:${port}` : `${ip}:${port}`;
  if (o.self.has(key)) {
    return refuse(BUILTIN.self, `${key} is this proxy itself`, decision.matched);
  }
  if (decision.effect !== "allow") return decision;
  const hit = guardHit(ip);
  if (hit === null) return decision;
  if (guardLifted(o.policy, req, decision, ip.toString(), hit)) return decision;
  const narrowest = hit.ranges.reduce((a, b) => (b.bits > a.bits ? b : a));
  return refuse(
    BUILTIN.guard,
    `${hit.what}; the address guard refuses it unless an allow rule names an IP or CIDR inside ${narrowest.cidr}`,
    decision.matched,
  );
}

/**
 * Whether an allow rule of this decision names an IP or CIDR pattern that lifts the guard.
 * `explain` reports one pattern per matching rule (the first that matched), so for a name the
 * pattern shown may be the name even when the same rule also has a CIDR matching the address:
 * a second explain with the address itself as the host finds the rule's IP patterns. Only rules
 * that matched the real request count. (A rule holding both a glob that matches IP text, such as
 * `*`, and a CIDR may still show the glob: the guard then stays, the safe way to be wrong.)
 */
function guardLifted(
  policy: CompiledPolicy,
  req: Request,
  decision: Decision,
  ip: string,
  hit: GuardHit,
): boolean {
  const matched = new Set(decision.matched);
  const lifts = (e: { matched: { id: string; effect: string; pattern: string | null }[] }) =>
    e.matched.some(
      (m) =>
        m.effect === "allow" &&
        matched.has(m.id) &&
        m.pattern !== null &&
        patternLifts(m.pattern, hit),
    );
  if (lifts(policy.explain(req))) return true;
  const target = req.target as NetTarget;
  if (target.host === ip) return false;
  return lifts(policy.explain({ ...req, target: { ...target, host: ip } } as Request));
}

function strength(d: Decision): number {
  return d.effect === "deny" ? 2 : d.effect === "ask" ? 1 : 0;
}

/** `ask` cannot be asked inline: it is refused, saying approval is needed. */
function finish(d: Decision): { decision: Decision; policyEffect?: Effect } {
  if (d.effect !== "ask") return { decision: d };
  return {
    decision: {
      ...d,
      effect: "deny",
      reason: `approval required (${d.reason}); the egress proxy cannot ask anyone, so it is denied`,
    },
    policyEffect: "ask",
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, host: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lookup of ${host} timed out`)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
