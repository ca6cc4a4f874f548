/**
 * `warden decide`: the path every enforcement point takes — build the request, decide, append the
 * audit event — as a command. It fails closed: a policy that does not load, a malformed request or
 * an audit log that cannot be written all end as a deny, and every outcome that can be recorded is.
 */
import { performance } from "node:perf_hooks";
import { AuditLog } from "../audit/index.js";
import { WardenError } from "../errors.js";
import {
  type CompiledPolicy,
  type Decision,
  loadPolicy,
  type Request,
  requestFromFlags,
} from "../policy/index.js";
import { describeDecision, describePolicy } from "./describe.js";
import { locatePolicy } from "./locate.js";
import { EXIT, printJson, reportError } from "./output.js";
import { errorMessage } from "./policy-commands.js";
import { requestFlagsOf } from "./request-options.js";

const NO_POLICY = { name: "(none)", version: "", digest: "" };
const EXIT_BY_EFFECT = { allow: EXIT.ok, ask: EXIT.ask, deny: EXIT.deny } as const;

function denial(reason: string): Decision {
  return { effect: "deny", rule: null, matched: [], reason, policy: NO_POLICY };
}

export function decide(file: string | undefined, options: Record<string, unknown>): number {
  const started = performance.now();
  const flags = requestFlagsOf(options);
  let request: Request | null = null;
  let decision: Decision;
  try {
    request = requestFromFlags(flags);
    const policy: CompiledPolicy = loadPolicy(locatePolicy(file));
    decision = policy.decide(request);
  } catch (error) {
    reportError(error);
    const what = request === null ? "invalid request" : "policy unavailable";
    decision = denial(`${what}: ${errorMessage(error)}`);
  }
  const latencyUs = Math.round((performance.now() - started) * 1000);

  try {
    const log = AuditLog.open();
    try {
      log.appendSync({
        kind: request?.kind ?? "invalid",
        pep: "cli.decide",
        principal: request?.principal ?? { agent: flags.agent ?? "cli" },
        target: request?.target ?? { input: flags },
        ...(request?.context ? { context: request.context } : {}),
        decision,
        latencyUs,
      });
    } finally {
      log.close();
    }
  } catch (error) {
    // Without a record the action must not happen: report and deny.
    reportError(
      error instanceof WardenError
        ? error
        : new WardenError("AUDIT_UNAVAILABLE", `audit log unavailable: ${errorMessage(error)}`),
    );
    decision = denial(`audit log unavailable: ${errorMessage(error)}`);
  }

  if (options.json) printJson(decision);
  else
    process.stdout.write(`${describeDecision(decision)}\n  policy: ${describePolicy(decision)}\n`);
  return EXIT_BY_EFFECT[decision.effect];
}
