/**
 * `warden decide`: the path every enforcement point takes — build the request, decide, append the
 * audit event — as a command. It fails closed (see enforce.ts): a policy that does not load, a
 * malformed request or an audit log that cannot be written all end as a deny, and every outcome
 * that can be recorded is.
 */
import { performance } from "node:perf_hooks";
import { type Request, requestFromFlags } from "../policy/index.js";
import { describeDecision, describePolicy } from "./describe.js";
import { enforce } from "./enforce.js";
import { EXIT, printJson, reportError } from "./output.js";
import { errorMessage } from "./policy-commands.js";
import { requestFlagsOf } from "./request-flags.js";

const EXIT_BY_EFFECT = { allow: EXIT.ok, ask: EXIT.ask, deny: EXIT.deny } as const;

export async function decide(
  file: string | undefined,
  options: Record<string, unknown>,
): Promise<number> {
  const started = performance.now();
  const flags = requestFlagsOf(options);
  let request: Request | null = null;
  let invalid: string | undefined;
  try {
    request = requestFromFlags(flags);
  } catch (error) {
    reportError(error);
    invalid = errorMessage(error);
  }
  const { decision, problems } = await enforce({
    requests: request === null ? null : [request],
    ...(invalid === undefined ? {} : { invalid }),
    pep: "cli.decide",
    principal: { agent: flags.agent ?? "cli" },
    fallbackTarget: { input: flags },
    ...(file === undefined ? {} : { policyFile: file }),
    started,
  });
  for (const problem of problems) reportError(problem);

  if (options.json) printJson(decision);
  else
    process.stdout.write(`${describeDecision(decision)}\n  policy: ${describePolicy(decision)}\n`);
  return EXIT_BY_EFFECT[decision.effect];
}
