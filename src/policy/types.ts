/**
 * The request and decision model shared by every enforcement point (DESIGN.md, "Request and
 * decision"). An enforcement point builds a Request, asks a compiled policy to decide, and writes
 * one audit event carrying both.
 */

export const KINDS = [
  "exec",
  "fs.read",
  "fs.write",
  "net.connect",
  "mcp.call",
  "cred.use",
] as const;
export type Kind = (typeof KINDS)[number];

export const EFFECTS = ["allow", "ask", "deny"] as const;
export type Effect = (typeof EFFECTS)[number];

export interface Principal {
  agent: string;
  user?: string;
  groups?: string[];
  session?: string;
  device?: string;
}

export interface ExecTarget {
  command: string;
  argv?: string[];
  cwd?: string;
}
export interface FsTarget {
  path: string;
}
export interface NetTarget {
  host: string;
  port: number;
  ip?: string;
}
export interface McpTarget {
  server: string;
  tool: string;
  args?: Record<string, unknown>;
}
export interface CredTarget {
  name: string;
  scope: string;
}

export interface TargetByKind {
  exec: ExecTarget;
  "fs.read": FsTarget;
  "fs.write": FsTarget;
  "net.connect": NetTarget;
  "mcp.call": McpTarget;
  "cred.use": CredTarget;
}

export interface RequestContext {
  workspace?: string;
  [key: string]: unknown;
}

/** A request of one kind; `Request` is the union over all kinds. */
export type RequestOf<K extends Kind> = {
  kind: K;
  principal: Principal;
  target: TargetByKind[K];
  context?: RequestContext;
};
export type Request = { [K in Kind]: RequestOf<K> }[Kind];

export interface PolicyIdentity {
  name: string;
  version: string;
  /** `sha256:<hex>` of the policy source text. */
  digest: string;
}

export interface Decision {
  effect: Effect;
  /** The rule that determined the effect; null when the kind's default decided. */
  rule: string | null;
  /** Every rule that matched, in policy order. */
  matched: string[];
  /** A human sentence, shown to the agent and to the approver. */
  reason: string;
  policy: PolicyIdentity;
}

/** deny > ask > allow, independent of rule order. */
export const EFFECT_STRENGTH: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };
