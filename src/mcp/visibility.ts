/**
 * Which tools `tools/list` shows. A tool is listed unless the policy denies it *whatever its
 * arguments*: a rule with a `when:` over `args` cannot be judged before a call has arguments, so
 * such a tool is listed and every call to it is decided with its real arguments.
 *
 * How that is told apart without a second rule engine: the tool is decided with an `args` object
 * that throws on every read and notes that it was read. A deny reached without reading `args`
 * holds for any arguments, so the tool is withheld. A decision that read `args` depends on them
 * (a deny/ask condition that fails on the unreadable object counts as matching, fail closed), so
 * the tool is shown and judged per call. That errs towards listing: when an unconditional deny
 * and an args condition both apply, the tool is listed and each call to it is denied anyway.
 */
import type { Principal, Request, RequestContext } from "../policy/index.js";
import type { PolicySource } from "./policy-source.js";

class ArgsUnknown extends Error {
  constructor() {
    super("args are not known when tools are listed");
  }
}

/**
 * An `args` object that cannot be read, except for the `known` fields (a prompt's name, a
 * resource's URI are known when listing); `wasRead` tells whether anything else was tried.
 */
function unreadableArgs(known: Record<string, unknown>): {
  args: Record<string, unknown>;
  wasRead: () => boolean;
} {
  let read = false;
  const refuse = (): never => {
    read = true;
    throw new ArgsUnknown();
  };
  const partial = Object.keys(known).length > 0;
  const isKnown = (key: string | symbol) => typeof key === "string" && Object.hasOwn(known, key);
  const target = Object.assign(Object.create(null) as Record<string, unknown>, known);
  const args = new Proxy(target, {
    // CEL asks for `constructor` to tell a map from other values: the shape, not the content.
    get: (t, key) =>
      isKnown(key) ? t[key as string] : partial && key === "constructor" ? undefined : refuse(),
    has: (_, key) => isKnown(key) || refuse(),
    ownKeys: refuse,
    getOwnPropertyDescriptor: (t, key) =>
      isKnown(key) ? Object.getOwnPropertyDescriptor(t, key) : refuse(),
    getPrototypeOf: () => (partial ? null : refuse()),
  });
  return { args, wasRead: () => read };
}

export function deniedWhateverArgs(
  policy: PolicySource,
  principal: Principal,
  server: string,
  tool: string,
  context?: RequestContext,
  known: Record<string, unknown> = {},
): boolean {
  const { args, wasRead } = unreadableArgs(known);
  const request: Request = {
    kind: "mcp.call",
    principal,
    target: { server, tool, args },
    ...(context === undefined ? {} : { context }),
  };
  const decision = policy.decide(request);
  return decision.effect === "deny" && !wasRead();
}
