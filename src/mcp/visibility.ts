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

/** An `args` object that cannot be read; `read` tells whether anything tried. */
function unreadableArgs(): { args: Record<string, unknown>; wasRead: () => boolean } {
  let read = false;
  const refuse = (): never => {
    read = true;
    throw new ArgsUnknown();
  };
  const args = new Proxy(Object.create(null) as Record<string, unknown>, {
    get: refuse,
    has: refuse,
    ownKeys: refuse,
    getOwnPropertyDescriptor: refuse,
    getPrototypeOf: refuse,
  });
  return { args, wasRead: () => read };
}

export function deniedWhateverArgs(
  policy: PolicySource,
  principal: Principal,
  server: string,
  tool: string,
  context?: RequestContext,
): boolean {
  const { args, wasRead } = unreadableArgs();
  const request: Request = {
    kind: "mcp.call",
    principal,
    target: { server, tool, args },
    ...(context === undefined ? {} : { context }),
  };
  const decision = policy.decide(request);
  return decision.effect === "deny" && !wasRead();
}
