/**
 * The policy the gateway decides with. It is compiled once, and compiled again when the file
 * changes (checked at most every `recheckMs`), so that an edit takes effect without restarting
 * the agent. It fails closed: a policy that is missing, unreadable or invalid — at start or
 * after an edit — denies every request with the reason, until the file is fixed.
 */
import { statSync } from "node:fs";
import { WardenError } from "../errors.js";
import {
  type CompiledPolicy,
  type Decision,
  loadPolicy,
  type PolicyIdentity,
  type Request,
} from "../policy/index.js";

const NO_POLICY: PolicyIdentity = { name: "(none)", version: "", digest: "" };

export interface PolicySource {
  /** Never throws. */
  decide(request: Request): Decision;
  /** Why every request is being denied, or null when a policy is loaded. */
  readonly problem: string | null;
}

export function denial(reason: string, policy: PolicyIdentity = NO_POLICY): Decision {
  return { effect: "deny", rule: null, matched: [], reason, policy };
}

/** A source that denies everything: no policy could be found. */
export function failedPolicySource(error: unknown): PolicySource {
  const problem = `policy unavailable: ${describe(error)}`;
  return { problem, decide: () => denial(problem) };
}

export class FilePolicySource implements PolicySource {
  private policy: CompiledPolicy | null = null;
  private error: string | null = null;
  private stamp = "";
  private checkedAt = 0;

  constructor(
    readonly path: string,
    private readonly recheckMs = 200,
  ) {
    this.refresh(true);
  }

  get problem(): string | null {
    this.refresh(false);
    return this.error;
  }

  decide(request: Request): Decision {
    this.refresh(false);
    if (this.policy === null) return denial(this.error ?? "policy unavailable");
    try {
      return this.policy.decide(request);
    } catch (error) {
      return denial(`policy evaluation failed, denied to be safe: ${describe(error)}`);
    }
  }

  private refresh(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < this.recheckMs) return;
    this.checkedAt = now;
    let stamp: string;
    try {
      const stat = statSync(this.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch (error) {
      stamp = `missing:${(error as NodeJS.ErrnoException).code ?? ""}`;
    }
    if (!force && stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      this.policy = loadPolicy(this.path);
      this.error = null;
    } catch (error) {
      this.policy = null;
      this.error = `policy unavailable: ${describe(error)}`;
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof WardenError && error.hint) return `${error.message} (${error.hint})`;
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}
