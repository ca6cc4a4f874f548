/**
 * The egress proxy (DESIGN.md, net/): HTTP forward, CONNECT and SOCKS5 on one port or a unix
 * socket; each connection a `net.connect` decision on host, port and every resolved address, with
 * Warden's address guard in front of private ranges and one audit event per connection.
 */
export {
  GUARDED,
  type GuardHit,
  guardHit,
  isObfuscatedIpv4,
  parseAddress,
  patternLifts,
} from "./address-guard.js";
export {
  BUILTIN,
  decideEgress,
  defaultLookup,
  type EgressVerdict,
  type Lookup,
} from "./egress-decision.js";
export {
  type ConnectionRecord,
  DEFAULT_LIMITS,
  EgressProxy,
  type EgressProxyOptions,
  type Protocol,
  type ProxyLimits,
} from "./proxy.js";
